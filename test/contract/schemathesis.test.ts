/**
 * The API against its own OpenAPI document, with schemathesis: the real service on the embedded stack
 * (PostgreSQL with SCRAM, the local Secrets Manager endpoint, a listening server) serves the
 * document, and `st run` generates requests from it: examples, every documented and undocumented
 * status and method (coverage), random valid and invalid data (fuzzing), and chains along the links
 * (stateful: create an order, then read it). Every check is on: no 5xx, only documented statuses,
 * content types and headers, responses matching their schemas, invalid data refused, valid data
 * accepted. Seed and example budget are fixed, so a run is repeatable.
 *
 * schemathesis is a Python tool: tools/schemathesis/setup.sh installs it into .cache/schemathesis.
 * Without it this test is skipped, unless REQUIRE_SCHEMATHESIS=1 (CI), which makes that a failure.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { OPENAPI_DOCUMENT_PATH } from '../../app/src/http/plugins/api-docs.js';
import { OPENAPI_FILE, sortKeys } from '../../tools/openapi/generate.js';
import { serveForContract } from './serve-for-contract.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const ST = join(ROOT, '.cache/schemathesis/bin/st');
const CONFIG = join(ROOT, 'tools/schemathesis/schemathesis.toml');
const SEED = '20260101';
/** Test cases per operation and phase: about 1,300 requests, well under a minute on two cores. */
const MAX_EXAMPLES = '250';

describe('the API contract (schemathesis)', () => {
  it('holds for every generated request, link and check', { timeout: 300_000 }, async (ctx) => {
    if (!existsSync(ST)) {
      const why = `${ST} is missing: run tools/schemathesis/setup.sh`;
      if (process.env.REQUIRE_SCHEMATHESIS === '1') throw new Error(`REQUIRE_SCHEMATHESIS=1 but ${why}`);
      console.warn(`skipped: ${why} (REQUIRE_SCHEMATHESIS=1 makes this a failure)`);
      ctx.skip(why);
    }

    const target = await serveForContract();
    const workDir = await mkdtemp(join(tmpdir(), 'schemathesis-'));
    try {
      const documentUrl = `${target.url}${OPENAPI_DOCUMENT_PATH}`;
      // What schemathesis tests is the committed contract.
      const served: unknown = await (await fetch(documentUrl)).json();
      expect(sortKeys(served)).toEqual(JSON.parse(await readFile(OPENAPI_FILE, 'utf8')));

      const args = [
        ...['--config-file', CONFIG, 'run', documentUrl, '--url', target.url],
        ...['--checks', 'all', '--seed', SEED, '--max-examples', MAX_EXAMPLES],
        // One worker and no example database: the same seed gives the same requests every run.
        ...['--workers', '1', '--generation-database', 'none', '--no-color'],
      ];
      const { code, output } = await run(ST, args, workDir);

      const summary = /Test cases:\s*\n\s*(.+)\n/.exec(output)?.[1] ?? '(no summary)';
      console.log(`schemathesis: ${summary.trim()}\n${output}`);
      expect(code, output).toBe(0);
      expect(summary).toMatch(/^\d+ generated, \d+ passed$/);
      // Every link was followed: the stateful phase created orders and read them back.
      const links = /API Links:\s+(\d+) covered \/ (\d+) selected/.exec(output);
      expect(links?.[1], output).toBe(links?.[2]);

      // Orders were really created and read back on the real database.
      const metrics = await (await fetch(`${target.url}/metrics`)).text();
      const count = (method: string, route: string, status: number) =>
        Number(
          new RegExp(
            `http_requests_total\\{method="${method}",route="${route}",status_code="${status}"\\} (\\d+)`,
          ).exec(metrics)?.[1] ?? 0,
        );
      expect(count('POST', '/api/orders', 201)).toBeGreaterThan(0);
      expect(count('GET', '/api/orders/:id', 200)).toBeGreaterThan(0);

      // No request, however malformed, made the app log an error (what a 5xx or a crash would do).
      const errors = target.logs.entries().filter((entry) => Number(entry['level']) >= 50);
      expect(errors).toEqual([]);
      expect(output).not.toContain(target.stack.postgres.superuserPassword);
    } finally {
      await rm(workDir, { recursive: true, force: true });
      await target.stop();
    }
  });
});

async function run(
  command: string,
  args: string[],
  cwd: string,
): Promise<{ code: number | null; output: string }> {
  const child = spawn(command, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const [code] = (await once(child, 'close')) as [number | null];
  return { code, output };
}
