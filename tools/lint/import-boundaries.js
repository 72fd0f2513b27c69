// @ts-check
/**
 * The rooms' import rule (docs: README, "What is in the repository"), two parts:
 * - The product folders import downward only. `app/` imports nothing outside `app/`, `rotation/`
 *   nothing outside `rotation/`, `db-bootstrap/` only itself and `rotation/`; no product folder
 *   imports the harness (`local/`, `proof/`, `demo/`, `load/`, `tools/`, `test/`).
 * - A product room is entered through its front door only (FRONT_DOORS): from any other folder,
 *   `app/src/index.ts`, `rotation/public.ts` and `db-bootstrap/index.ts` are the files that may
 *   be imported. Tests are the exception: `test/` reaches inside, as a room's own tests do.
 * Packages from node_modules are always allowed. Relative specifiers are resolved against the
 * importing file, so a path that leaves its folder is caught however many `../` it takes.
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

/**
 * The one file of each product room that other folders may import (rotation/index.ts is the Lambda's entry).
 * @type {Record<string, string>}
 */
export const FRONT_DOORS = {
  app: 'app/src/index.ts',
  rotation: 'rotation/public.ts',
  'db-bootstrap': 'db-bootstrap/index.ts',
};

/** Folders whose files the rule checks: every room, and the harness but its tests. */
const CHECKED = [...Object.keys(ROOMS), ...HARNESS.filter((folder) => folder !== 'test')];

const root = resolve(import.meta.dirname, '..', '..');

/** @param {string} path */
const repoPath = (path) => relative(root, path).split(sep).join('/');
/** @param {string} path */
const topFolder = (path) => repoPath(path).split('/')[0] ?? '';

/** @type {import('eslint').Rule.RuleModule} */
const rule = {
  meta: {
    type: 'problem',
    docs: {
      description:
        'Product folders import only what their room allows, and other rooms only by their front door',
    },
    schema: [],
    messages: {
      outside:
        "{{room}}/ may import only from {{allowed}} (and packages): '{{source}}' resolves to {{target}}/.",
      frontDoor:
        "{{target}}/ is entered through {{door}} only: '{{source}}' is one of its internal files (add what you need to {{door}}).",
    },
  },
  create(context) {
    const room = topFolder(context.filename);
    if (!CHECKED.includes(room)) return {};
    const rules = ROOMS[room];
    /** @param {import('estree').Node | null | undefined} node */
    const check = (node) => {
      if (!node || node.type !== 'Literal' || typeof node.value !== 'string') return;
      const source = node.value;
      if (!source.startsWith('.')) return;
      const resolved = resolve(dirname(context.filename), source);
      const target = topFolder(resolved);
      if (rules) {
        const allowed = rules.allow ? rules.allow.includes(target) : !rules.deny?.includes(target);
        if (!allowed) {
          const allowedText = rules.allow
            ? rules.allow.map((folder) => `${folder}/`).join(' and ')
            : `anything but ${(rules.deny ?? []).map((folder) => `${folder}/`).join(', ')}`;
          context.report({
            node,
            messageId: 'outside',
            data: { room, allowed: allowedText, source, target },
          });
          return;
        }
      }
      const door = FRONT_DOORS[target];
      // ESM specifiers name the compiled file: './index.js' is index.ts.
      if (door && target !== room && repoPath(resolved).replace(/\.js$/, '.ts') !== door) {
        context.report({ node, messageId: 'frontDoor', data: { target, door, source } });
      }
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
  files: CHECKED.map((folder) => `${folder}/**`),
  plugins: { rooms: { rules: { 'import-boundaries': rule } } },
  rules: { 'rooms/import-boundaries': 'error' },
};
