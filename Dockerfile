# syntax=docker/dockerfile:1
# The production image holds app/ only: no demo, no dashboard, no rotation or local tooling.
ARG NODE_VERSION=26

FROM node:${NODE_VERSION}-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY app ./app
RUN npm run build

FROM node:${NODE_VERSION}-bookworm-slim AS prod-deps
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force

# Tools for docker compose, never deployed: the one-shot bootstrap (npm run bootstrap), the rotator
# (npm run rotate) and the demo. Full dev dependencies and the repository's source, run with tsx.
# Not the last stage, so `docker build .` still builds `runtime`; compose names it with `target: tools`.
FROM node:${NODE_VERSION}-bookworm-slim AS tools
# Bootstrap and rotator run through `npm run`: without this, npm checks the registry for a newer
# npm at every start and prints its update notice into their logs.
ENV NPM_CONFIG_UPDATE_NOTIFIER=false
WORKDIR /src
COPY --from=build --chown=root:root /src/node_modules ./node_modules
COPY --chown=root:root . .
USER node
# Compose gives each service its command; alone, the image lists the npm scripts.
CMD ["npm", "run"]

FROM node:${NODE_VERSION}-bookworm-slim AS runtime
ENV NODE_ENV=production \
    PORT=3000
WORKDIR /app
COPY --from=prod-deps --chown=root:root /src/node_modules ./node_modules
COPY --from=build --chown=root:root /src/dist ./dist
COPY --chown=root:root package.json ./
# Files belong to root and the process runs as `node`: the app cannot modify its own code, and it
# writes nothing, so the root filesystem can be mounted read-only.
USER node
EXPOSE 3000
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 CMD ["node", "dist/app/src/container-healthcheck.js"]
# node directly (not npm): signals reach the app, and npm needs a writable cache.
CMD ["node", "--enable-source-maps", "dist/app/src/main.js"]
