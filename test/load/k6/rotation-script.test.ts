/**
 * load/k6/rotation.js under real k6 (k6 1.1 here): the first seconds of a run against the app,
 * where a request that needs a captured order id once went out before there was one, and the
 * script's answers to bad input, which must stop it at once, naming what is wrong.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnApp, terminate, waitUntilReady, type AppProcess } from '../../../local/app-process.js';
import { startEmbeddedStack, type EmbeddedStack } from '../../../local/embedded-stack.js';
import { findFreePort } from '../../../local/free-port.js';
import { k6Figure, runK6Script, skipWithoutK6 } from '../../helpers/k6.js';

describe.skipIf(skipWithoutK6)('the k6 script, under real k6', () => {
  let stack: EmbeddedStack | undefined;
  let app: AppProcess | undefined;

  let url = '';
  beforeAll(async () => {
    stack = await startEmbeddedStack();
    app = await spawnApp({ ...stack.env, RATE_LIMIT_WRITES_PER_MINUTE: '0' });
    await waitUntilReady(app, 50);
    url = app.url;
  });

  afterAll(async () => {
    if (app) await terminate(app);
    await stack?.stop();
  });

  it('passes its first seconds on a healthy app: no request before its captured id exists', async () => {
    const run = await runK6Script({ BASE_URLS: url, RATE: '60', DURATION: '4s' });
    expect(run.code, run.output).toBe(0);
    expect(k6Figure(run, 'http_reqs{scenario:rotation}', 'count')).toBeGreaterThanOrEqual(200);
    expect(k6Figure(run, 'http_req_failed{scenario:rotation}', 'passes')).toBe(0);
    expect(k6Figure(run, 'checks', 'fails')).toBe(0);
    expect(k6Figure(run, 'acknowledged_writes', 'count')).toBeGreaterThan(0);
    expect(run.output).toMatch(/^verdict: PASS$/m);
    expect(app?.lines.join('\n')).not.toMatch(/"url":"\/api\/orders\/"/);
  });

  it.each([
    ['RATE', 'fifty', /RATE must be a positive number, got \\?"fifty\\?"/],
    ['DURATION', '10x', /DURATION must be a k6 duration such as 30s, 5m or 1h30m, got \\?"10x\\?"/],
    ['P99_MS', 'soon', /P99_MS must be a positive number, got \\?"soon\\?"/],
    ['ALLOW_503', 'maybe', /ALLOW_503 must be true or false, got \\?"maybe\\?"/],
  ])('a non-numeric %s stops it at init, naming the variable', async (name, value, message) => {
    const run = await runK6Script({ BASE_URLS: url, DURATION: '5m', [name]: value });
    expect(run.code).not.toBe(0);
    expect(run.output).toMatch(message);
    expect(run.summary).toBeNull();
  });

  it('an unreachable BASE_URLS stops it in setup, naming the URL, not after DURATION', async () => {
    const closed = `http://127.0.0.1:${await findFreePort()}`;
    // DURATION is 5 minutes: only a stop in setup finishes within this test's timeout.
    const run = await runK6Script({ BASE_URLS: `${url},${closed}`, DURATION: '5m' });
    expect(run.code).not.toBe(0);
    expect(run.output).toContain(`BASE_URLS: ${closed} does not answer GET /health/live`);
    // The scenario never started: not one of its requests was sent.
    expect(k6Figure(run, 'http_reqs{scenario:rotation}', 'count') ?? 0).toBe(0);
  });
});
