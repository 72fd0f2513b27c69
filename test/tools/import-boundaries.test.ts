/**
 * The rooms' import rule (tools/lint/import-boundaries.js) as `npm run lint` applies it: ESLint's
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
        "export { loadRotationConfig } from '../rotation/config.js';\n",
      ),
    ).toEqual([]);
    expect(
      await boundaryErrors(
        'infra/lib/boundary-probe.ts',
        "export { STEPS } from '../../rotation/handler.js';\n",
      ),
    ).toEqual([]);
  });

  it('leaves the harness free to use the product as a user would', async () => {
    expect(
      await boundaryErrors('proof/boundary-probe.ts', "export { loadConfig } from '../app/src/config.js';\n"),
    ).toEqual([]);
  });
});
