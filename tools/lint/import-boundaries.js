// @ts-check
/**
 * The rooms' import rule (docs: README, "What is in the repository"): the product folders import
 * downward only. `app/` imports nothing outside `app/`, `rotation/` nothing outside `rotation/`,
 * `db-bootstrap/` only itself and `rotation/`; no product folder imports the harness (`local/`,
 * `proof/`, `demo/`, `load/`, `tools/`, `test/`). Packages from node_modules are always allowed.
 * Relative specifiers are resolved against the importing file, so a path that leaves its folder
 * is caught however many `../` it takes.
 */
import { dirname, relative, resolve, sep } from 'node:path';

const HARNESS = ['local', 'proof', 'demo', 'load', 'tools', 'test'];

/** @type {Record<string, { allow?: string[]; deny?: string[] }>} */
export const ROOMS = {
  app: { allow: ['app'] },
  rotation: { allow: ['rotation'] },
  'db-bootstrap': { allow: ['db-bootstrap', 'rotation'] },
  infra: { deny: HARNESS },
};

const root = resolve(import.meta.dirname, '..', '..');

/** @param {string} path */
const topFolder = (path) => relative(root, path).split(sep)[0] ?? '';

/** @type {import('eslint').Rule.RuleModule} */
const rule = {
  meta: {
    type: 'problem',
    docs: { description: 'Product folders import only what their room allows' },
    schema: [],
    messages: {
      outside:
        "{{room}}/ may import only from {{allowed}} (and packages): '{{source}}' resolves to {{target}}/.",
    },
  },
  create(context) {
    const room = topFolder(context.filename);
    const rules = ROOMS[room];
    if (!rules) return {};
    /** @param {import('estree').Node | null | undefined} node */
    const check = (node) => {
      if (!node || node.type !== 'Literal' || typeof node.value !== 'string') return;
      const source = node.value;
      if (!source.startsWith('.')) return;
      const target = topFolder(resolve(dirname(context.filename), source));
      const allowed = rules.allow ? rules.allow.includes(target) : !rules.deny?.includes(target);
      if (allowed) return;
      const allowedText = rules.allow
        ? rules.allow.map((folder) => `${folder}/`).join(' and ')
        : `anything but ${(rules.deny ?? []).map((folder) => `${folder}/`).join(', ')}`;
      context.report({ node, messageId: 'outside', data: { room, allowed: allowedText, source, target } });
    };
    return {
      ImportDeclaration: (node) => check(node.source),
      ExportAllDeclaration: (node) => check(node.source),
      ExportNamedDeclaration: (node) => check(node.source),
      ImportExpression: (node) => check(node.source),
    };
  },
};

/** The flat-config block eslint.config.js spreads in. */
export const importBoundaries = {
  files: Object.keys(ROOMS).map((room) => `${room}/**`),
  plugins: { rooms: { rules: { 'import-boundaries': rule } } },
  rules: { 'rooms/import-boundaries': 'error' },
};
