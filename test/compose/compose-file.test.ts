/**
 * docker-compose.yml, checked without a Docker engine: pinned images, loopback-only ports, build
 * targets that exist in the Dockerfile, a deterministic start order (every dependency is healthy or
 * a one-shot that completed), SCRAM-only PostgreSQL; then `docker compose config -q` itself when a
 * compose binary is there (mandatory with REQUIRE_COMPOSE=1).
 */
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { findOnPath, LOCALSTACK_IMAGE } from '../helpers/secrets-manager-targets.js';
import { POSTGRES_IMAGE } from '../helpers/postgres.js';

const execFileAsync = promisify(execFile);
const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const composeText = readFileSync(join(repoRoot, 'docker-compose.yml'), 'utf8');
const dockerfile = readFileSync(join(repoRoot, 'Dockerfile'), 'utf8');

interface Service {
  image?: string;
  build?: string | { context?: string; target?: string; dockerfile?: string };
  command?: string | string[];
  environment?: Record<string, string | number | boolean | null> | string[];
  ports?: (string | number | { host_ip?: string; published?: string | number; target?: number })[];
  healthcheck?: { test?: string | string[]; disable?: boolean };
  depends_on?: string[] | Record<string, { condition?: string }>;
  profiles?: string[];
  restart?: string;
  volumes?: (string | { source?: string; target?: string })[];
  tmpfs?: string | string[];
  read_only?: boolean;
  user?: string;
}

const compose = parse(composeText, { merge: true }) as { services: Record<string, Service> };
const services = compose.services;

/** `${VAR:-default}` → default; anything else unchanged. */
function withDefaults(value: string): string {
  return value.replace(/\$\{[A-Za-z_][A-Za-z0-9_]*:?-([^}]*)\}/g, '$1');
}

function env(service: Service): Record<string, string> {
  const out: Record<string, string> = {};
  if (Array.isArray(service.environment)) {
    for (const entry of service.environment) {
      const [key = '', ...rest] = entry.split('=');
      out[key] = rest.join('=');
    }
  } else {
    for (const [key, value] of Object.entries(service.environment ?? {})) out[key] = String(value ?? '');
  }
  return out;
}

function command(service: Service): string {
  return withDefaults(Array.isArray(service.command) ? service.command.join(' ') : (service.command ?? ''));
}

/** Stage names of the Dockerfile, in order. */
const stages = [...dockerfile.matchAll(/^FROM\s+\S+(?:\s+AS\s+(\S+))?\s*$/gim)].map((m) => m[1] ?? '');

function stageText(name: string): string {
  const start = dockerfile.search(new RegExp(`^FROM\\s+\\S+\\s+AS\\s+${name}\\s*$`, 'im'));
  const rest = dockerfile.slice(start + 1);
  const next = rest.search(/^FROM\s/im);
  return next === -1 ? dockerfile.slice(start) : dockerfile.slice(start, start + 1 + next);
}

const appServices = Object.entries(services).filter(
  ([, s]) => typeof s.build === 'object' && s.build.target === 'runtime',
);

describe('docker-compose.yml', () => {
  it('pins every image: LocalStack 4.14.0 (as the conformance suite), postgres:18-alpine, k6', () => {
    const localstack = services.localstack;
    expect(localstack?.image).toBeDefined();
    // The emulator can be swapped through SECRETS_MANAGER_IMAGE; its default is the pinned LocalStack.
    expect(localstack?.image).toMatch(/^\$\{SECRETS_MANAGER_IMAGE:-/);
    expect(withDefaults(localstack?.image ?? '')).toBe(LOCALSTACK_IMAGE);
    expect(LOCALSTACK_IMAGE).toBe('localstack/localstack:4.14.0');
    expect(services.postgres?.image).toBe(POSTGRES_IMAGE);
    // Overridable (CI runs a locally made image), the upstream tag pinned by default.
    expect(services.k6?.image).toMatch(/^\$\{K6_IMAGE:-grafana\/k6:\d+\.\d+\.\d+\}$/);
    for (const [name, service] of Object.entries(services)) {
      if (service.image === undefined || service.build !== undefined) continue;
      const image = withDefaults(service.image);
      expect(image, `${name}: image with a tag`).toMatch(/^[^:@\s]+(:[\w][\w.-]*|@sha256:[0-9a-f]{64})$/);
      expect(image, `${name}: not latest`).not.toMatch(/:latest$/);
    }
  });

  it('publishes ports on the loopback interface only', () => {
    let published = 0;
    for (const [name, service] of Object.entries(services)) {
      for (const port of service.ports ?? []) {
        published++;
        if (typeof port === 'object') {
          expect(port.host_ip, `${name}: ${JSON.stringify(port)}`).toBe('127.0.0.1');
        } else {
          expect(withDefaults(String(port)), `${name}: ${String(port)}`).toMatch(/^127\.0\.0\.1:\d+:\d+$/);
        }
      }
    }
    expect(published).toBeGreaterThanOrEqual(4);
  });

  it('builds only targets that exist in the Dockerfile, with the production image as its last stage', () => {
    const targets = new Set<string>();
    for (const [name, service] of Object.entries(services)) {
      if (service.build === undefined) continue;
      expect(typeof service.build, `${name}: build names its target`).toBe('object');
      const target = typeof service.build === 'object' ? service.build.target : undefined;
      expect(target, `${name}: build.target`).toBeDefined();
      expect(stages, `${name}: FROM ... AS ${target ?? '?'}`).toContain(target);
      targets.add(target ?? '');
    }
    expect([...targets].sort()).toEqual(['runtime', 'tools']);
    // `docker build .` still gives the production image; the tools stage is never the default.
    expect(stages.at(-1)).toBe('runtime');
    // The production image takes nothing from the tools stage.
    expect(stageText('runtime')).not.toMatch(/--from=tools/);
    expect(stageText('runtime')).toMatch(/COPY --from=build .*\/src\/dist/);
  });

  it("turns npm's update notice off where npm runs (the tools stage), and no service turns it back on", () => {
    expect(stageText('tools')).toMatch(/^ENV NPM_CONFIG_UPDATE_NOTIFIER=false$/m);
    for (const [name, service] of Object.entries(services)) {
      const keys = Object.keys(env(service)).map((key) => key.toLowerCase());
      expect(keys, name).not.toContain('npm_config_update_notifier');
    }
  });

  it('runs the production image as a non-root user, from root-owned files, on a read-only root filesystem', () => {
    const runtime = stageText('runtime');
    // The last USER of the stage is the one the container runs as.
    expect([...runtime.matchAll(/^USER\s+(\S+)/gm)].map((m) => m[1]).at(-1)).toBe('node');
    for (const copy of runtime.match(/^COPY .*/gm) ?? []) expect(copy).toMatch(/--chown=root:root/);
    // node directly: no npm (which needs a writable cache) between the signal and the app.
    expect(runtime).toMatch(/^CMD \["node",/m);
    for (const [name, service] of appServices) {
      expect(service.read_only, `${name}: read_only`).toBe(true);
      expect(service.user ?? 'node', `${name}: user`).not.toMatch(/^(root|0)(:|$)/);
      // Nothing needs a writable path, so there is no tmpfs to hide a write behind.
      expect(service.tmpfs, `${name}: tmpfs`).toBeUndefined();
    }
  });

  it('starts in a deterministic order: every dependency is healthy, or a one-shot that completed', () => {
    for (const [name, service] of Object.entries(services)) {
      const dependsOn = service.depends_on ?? {};
      expect(Array.isArray(dependsOn), `${name}: depends_on with conditions, not a list`).toBe(false);
      for (const [dependency, { condition }] of Object.entries(
        dependsOn as Record<string, { condition?: string }>,
      )) {
        const target = services[dependency];
        expect(target, `${name} depends on ${dependency}, which is not a service`).toBeDefined();
        if (condition === 'service_healthy') {
          expect(
            target?.healthcheck?.test,
            `${dependency} has a healthcheck (${name} waits for it)`,
          ).toBeDefined();
          expect(target?.healthcheck?.disable).not.toBe(true);
        } else {
          expect(condition, `${name} → ${dependency}`).toBe('service_completed_successfully');
          expect(target?.restart ?? 'no', `${dependency} is a one-shot`).toBe('no');
        }
      }
    }
  });

  it('runs PostgreSQL with SCRAM passwords only', () => {
    const postgres = env(services.postgres ?? {});
    expect(postgres.POSTGRES_INITDB_ARGS).toMatch(/--auth=scram-sha-256/);
    expect(postgres.POSTGRES_HOST_AUTH_METHOD).toBe('scram-sha-256');
    expect(services.postgres?.healthcheck?.test).toEqual(
      expect.arrayContaining([expect.stringMatching(/pg_isready/)]),
    );
  });

  it('runs LocalStack with Secrets Manager only, health-checked', () => {
    const localstack = services.localstack ?? {};
    expect(env(localstack).SERVICES).toBe('secretsmanager');
    expect(withDefaults(JSON.stringify(localstack.healthcheck?.test))).toContain('/_localstack/health');
  });

  it('bootstraps once, before the apps, and rotates in-process every 60 s', () => {
    const bootstrap = services.bootstrap ?? {};
    expect(command(bootstrap)).toBe('npm run bootstrap');
    expect(bootstrap.depends_on).toEqual({
      postgres: { condition: 'service_healthy' },
      localstack: { condition: 'service_healthy' },
    });
    expect(env(bootstrap)).toMatchObject({
      PGHOST: 'postgres',
      DB_SSL: 'disable',
      DB_SECRET_ID: 'local/app/db',
    });

    const rotator = services.rotator ?? {};
    expect(command(rotator)).toMatch(
      /^npm run rotate -- --invoke local --secret-id local\/app\/db --every 60 /,
    );
    expect(env(rotator)).toMatchObject({ AWS_ENDPOINT_URL_SECRETS_MANAGER: 'http://localstack:4566' });
  });

  it('runs at least two app tasks from the production image, as on Fargate', () => {
    expect(appServices.length).toBeGreaterThanOrEqual(2);
    for (const [name, service] of appServices) {
      expect(env(service), name).toMatchObject({
        DB_SECRET_ID: 'local/app/db',
        AWS_ENDPOINT_URL_SECRETS_MANAGER: 'http://localstack:4566',
        DB_SSL: 'disable',
      });
      expect(env(service).CREDENTIAL_REFRESH_SECONDS, name).toMatch(/^\d+$/);
      expect(env(service).AWS_ACCESS_KEY_ID, name).toBeTruthy();
      expect(service.healthcheck?.test, name).toEqual([
        'CMD',
        'node',
        'dist/app/src/container-healthcheck.js',
      ]);
      expect(service.depends_on, name).toMatchObject({
        bootstrap: { condition: 'service_completed_successfully' },
      });
    }
  });

  it('has a load profile whose k6 runs the repository script against every app task', () => {
    const k6 = services.k6 ?? {};
    expect(k6.profiles).toEqual(['load']);
    expect(command(k6)).toBe('run /src/load/k6/rotation.js');
    // The script opens the request mix at its repository path, relative to itself.
    expect(k6.volumes).toEqual(
      expect.arrayContaining([
        './load/k6:/src/load/k6:ro',
        './proof/load/scenario.json:/src/proof/load/scenario.json:ro',
      ]),
    );
    expect(existsSync(join(repoRoot, 'proof', 'load', 'scenario.json'))).toBe(true);
    expect(existsSync(join(repoRoot, 'load', 'k6', 'rotation.js'))).toBe(true);
    const urls = env(k6).BASE_URLS?.split(',') ?? [];
    expect(urls.sort()).toEqual(appServices.map(([name]) => `http://${name}:3000`).sort());
    // k6 sends its anonymous usage report unless told not to: a load test contacts only its targets.
    expect(env(k6).K6_NO_USAGE_REPORT).toBe('true');
    // Only the load profile's services are optional.
    for (const [name, service] of Object.entries(services)) {
      if (name !== 'k6') expect(service.profiles, name).toBeUndefined();
    }
  });
});

/** A compose binary: docker-compose (v1 or v2 standalone), else the docker CLI's compose plugin. */
async function composeCommand(): Promise<string[] | undefined> {
  if (findOnPath('docker-compose')) return ['docker-compose'];
  if (findOnPath('docker')) {
    try {
      await execFileAsync('docker', ['compose', 'version'], { timeout: 15_000 });
      return ['docker', 'compose'];
    } catch {
      return undefined;
    }
  }
  return undefined;
}

const composeBinary = await composeCommand();
const composeRequired = process.env.REQUIRE_COMPOSE === '1';

describe.skipIf(!composeBinary && !composeRequired)('docker compose config', () => {
  const variants: [string, string[], Record<string, string>][] = [
    ['default', [], {}],
    ['load profile', ['--profile', 'load'], {}],
    ['MiniStack instead of LocalStack', [], { SECRETS_MANAGER_IMAGE: 'nahuelnucera/ministack:1.0.4' }],
  ];
  it.each(variants)('accepts the file (%s)', async (_, extra, vars) => {
    if (!composeBinary)
      throw new Error('REQUIRE_COMPOSE=1 but neither docker-compose nor docker compose is available');
    const [bin = 'docker-compose', ...args] = composeBinary;
    const options = { cwd: repoRoot, env: { ...process.env, ...vars }, timeout: 60_000 };
    // What CI runs: validation only, exit code 0.
    await execFileAsync(bin, [...args, ...extra, 'config', '-q'], options);
    // And what it resolves to.
    const { stdout } = await execFileAsync(bin, [...args, ...extra, 'config'], options);
    const resolved = parse(stdout) as { services: Record<string, Service> };
    expect(Object.keys(resolved.services)).toContain('app-1');
    expect(resolved.services.localstack?.image).toBe(vars.SECRETS_MANAGER_IMAGE ?? LOCALSTACK_IMAGE);
    if (extra.includes('load')) expect(Object.keys(resolved.services)).toContain('k6');
  });
});
