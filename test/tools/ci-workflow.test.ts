/**
 * .github/workflows/ci.yml against the GitHub Actions workflow schema (action-validator, from
 * node_modules: no network), plus what the workflow promises the people who clone this template.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

const execFileAsync = promisify(execFile);
const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const workflowPath = join(repoRoot, '.github', 'workflows', 'ci.yml');
const validator = join(repoRoot, 'node_modules', '@action-validator', 'cli', 'cli.mjs');

interface Step {
  uses?: string;
  run?: string;
  with?: Record<string, string>;
}
interface Job {
  env?: Record<string, string>;
  steps: Step[];
}
const workflow = parse(readFileSync(workflowPath, 'utf8')) as { jobs: Record<string, Job> };
const steps = Object.values(workflow.jobs).flatMap((job) => job.steps);
const runs = steps.map((s) => s.run ?? '').join('\n');
const packageScripts = (
  JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { scripts: Record<string, string> }
).scripts;

describe('.github/workflows/ci.yml', () => {
  it('is a valid GitHub Actions workflow (action-validator)', async () => {
    const result = await execFileAsync(process.execPath, [validator, workflowPath], { timeout: 60_000 }).then(
      () => ({ code: 0, output: '' }),
      (err: unknown) => {
        const failed = err as { code?: number; stdout?: string; stderr?: string };
        return { code: failed.code ?? 1, output: `${failed.stdout ?? ''}${failed.stderr ?? ''}` };
      },
    );
    expect(result.output).toBe('');
    expect(result.code).toBe(0);
  });

  it('pins every action by major version and takes Node from .node-version', () => {
    const used = steps.map((s) => s.uses).filter((u) => u !== undefined);
    expect(used.length).toBeGreaterThan(0);
    for (const action of used) expect(action).toMatch(/^[\w.-]+\/[\w.-]+@v\d+$/);
    for (const step of steps.filter((s) => s.uses?.startsWith('actions/setup-node@'))) {
      expect(step.with?.['node-version-file']).toBe('.node-version');
    }
  });

  it('runs lint, typecheck, the k6 typecheck, synth, the tests on the Docker path and compose validation', () => {
    for (const command of [
      'npm run lint',
      'npm run typecheck',
      'npm run typecheck:k6',
      'npm run synth',
      'npm test',
      'docker compose config -q',
    ]) {
      expect(runs).toContain(command);
    }
    expect(workflow.jobs.test?.env).toMatchObject({ TEST_POSTGRES: 'docker', REQUIRE_COMPOSE: '1' });
    for (const script of ['lint', 'typecheck', 'typecheck:k6', 'build', 'test']) {
      expect(packageScripts[script], `npm script ${script}`).toBeDefined();
    }
  });
});
