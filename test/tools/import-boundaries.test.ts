/**
 * The rooms' import rule (tools/lint/import-boundaries.js) as `npm run lint` applies it, downward
 * imports only and each product room entered by its front door: ESLint's
 * Node API with the repository's eslint.config.js, on files that exist only in the test (the
 * type-aware rules, which need a file on disk, are left out for them).
 */
import { fileURLToPath } from 'node:url';
import { ESLint } from 'eslint';
import tseslint from 'typescript-eslint';
import { describe, expect, it } from 'vitest';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const eslint = new ESLint({
  cwd: repoRoot,
  overrideConfig: { ...tseslint.configs.disableTypeChecked, files: ['**/boundary-probe.ts'] },
});

async function boundaryErrors(filePath: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: `${repoRoot}${filePath}` });
  return (result?.messages ?? [])
    .filter((message) => message.ruleId === 'rooms/import-boundaries')
    .map((message) => message.message);
}

describe('import boundaries', () => {
  it('refuses an app module that imports the AWS stand-ins', async () => {
    const errors = await boundaryErrors(
      'app/src/boundary-probe.ts',
      "import { startEmbeddedStack } from '../../local/embedded-stack.js';\nexport const probe = startEmbeddedStack;\n",
    );
    expect(errors).toEqual([
      "app/ may import only from app/ (and packages): '../../local/embedded-stack.js' resolves to local/.",
    ]);
  });

  it('refuses a rotation module that imports the app, in an import, a re-export or import()', async () => {
    const errors = await boundaryErrors(
      'rotation/boundary-probe.ts',
      [
        "import { loadConfig } from '../app/src/config.js';",
        "export { buildApp } from '../app/src/http/app.js';",
        "export const later = () => import('../app/src/service.js');",
        'export const probe = loadConfig;',
        '',
      ].join('\n'),
    );
    expect(errors).toHaveLength(3);
    expect(errors[0]).toBe(
      "rotation/ may import only from rotation/ (and packages): '../app/src/config.js' resolves to app/.",
    );
  });

  it('refuses the harness in infra/ and anything but rotation/ in db-bootstrap/', async () => {
    expect(
      await boundaryErrors(
        'infra/lib/boundary-probe.ts',
        "export { runDrill } from '../../proof/drill/index.js';\n",
      ),
    ).toHaveLength(1);
    expect(
      await boundaryErrors(
        'db-bootstrap/boundary-probe.ts',
        "export { loadConfig } from '../app/src/config.js';\n",
      ),
    ).toHaveLength(1);
  });

  it('allows a room its own files, the rooms below it, and packages', async () => {
    expect(
      await boundaryErrors(
        'app/src/boundary-probe.ts',
        "import pg from 'pg';\nimport { loadConfig } from './config.js';\nexport const probe = [pg, loadConfig];\n",
      ),
    ).toEqual([]);
    expect(
      await boundaryErrors(
        'db-bootstrap/boundary-probe.ts',
        "export { loadRotationConfig } from '../rotation/public.js';\n",
      ),
    ).toEqual([]);
    expect(
      await boundaryErrors(
        'infra/lib/boundary-probe.ts',
        "export { STEPS } from '../../rotation/public.js';\n",
      ),
    ).toEqual([]);
  });

  it('refuses an internal file of a product room from any other folder, naming its front door', async () => {
    expect(
      await boundaryErrors('proof/boundary-probe.ts', "export { loadConfig } from '../app/src/config.js';\n"),
    ).toEqual([
      "app/ is entered through app/src/index.ts only: '../app/src/config.js' is one of its internal files (add what you need to app/src/index.ts).",
    ]);
    const internal: [string, string][] = [
      [
        'local/rotator/boundary-probe.ts',
        "import type { StepOutcome } from '../../rotation/steps/context.js';",
      ],
      ['infra/lib/boundary-probe.ts', "export { STRATEGIES } from '../../rotation/config.js';"],
      ['db-bootstrap/boundary-probe.ts', "export { sqlState } from '../rotation/errors.js';"],
      [
        'demo/boundary-probe.ts',
        "export const later = () => import('../db-bootstrap/bootstrap-database.js');",
      ],
      ['tools/openapi/boundary-probe.ts', "export { buildApp } from '../../app/src/http/app.js';"],
    ];
    for (const [file, code] of internal) {
      const errors = await boundaryErrors(file, `${code}\n`);
      expect(errors, file).toHaveLength(1);
      expect(errors[0], file).toMatch(
        /is entered through (app\/src\/index|rotation\/public|db-bootstrap\/index)\.ts only/,
      );
    }
  });

  it('lets every folder use a room by its front door, a room its own files, and tests reach inside', async () => {
    expect(
      await boundaryErrors(
        'proof/boundary-probe.ts',
        [
          "export { buildApp } from '../app/src/index.js';",
          "export { STRATEGIES } from '../rotation/public.js';",
          "export { bootstrapDatabase } from '../db-bootstrap/index.js';",
          '',
        ].join('\n'),
      ),
    ).toEqual([]);
    expect(
      await boundaryErrors('rotation/steps/boundary-probe.ts', "export { sqlState } from '../errors.js';\n"),
    ).toEqual([]);
    expect(
      await boundaryErrors(
        'test/app/boundary-probe.ts',
        "export { loadConfig } from '../../app/src/config.js';\n",
      ),
    ).toEqual([]);
  });
});
