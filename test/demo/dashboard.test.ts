/**
 * The demo's dashboard in a real browser (Debian's Chromium through playwright-core): the demo runs
 * as a user runs it, with a timer too slow to fire (--every 600), so the only rotation is the one
 * the "Rotate now" button asks for. The page must load, chart live points, show the rotation in its
 * timeline, show the tasks moving to the new credential version, and count no failed request.
 *
 * Skipped when /usr/bin/chromium is absent, unless REQUIRE_BROWSER is set (CI sets it): then a
 * missing browser fails the test.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { once } from 'node:events';
import { chromium, type Browser, type Locator, type Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';

const CHROMIUM = '/usr/bin/chromium';
const SCREENSHOT_DIR = 'test-output';
const SCREENSHOT = `${SCREENSHOT_DIR}/demo-dashboard.png`;
/** Polling the page's DOM (no fixed sleeps): tasks refresh their credentials every ~5 s. */
const POLL = { timeout: 30_000, interval: 200 };

describe('npm run demo: the dashboard', () => {
  it('charts live traffic, rotates on "Rotate now" and shows the tasks on the new version', async (ctx) => {
    if (!existsSync(CHROMIUM)) {
      if (process.env.REQUIRE_BROWSER) {
        throw new Error(`REQUIRE_BROWSER is set but ${CHROMIUM} does not exist (apt-get install chromium)`);
      }
      ctx.skip(`${CHROMIUM} is absent (apt-get install chromium; REQUIRE_BROWSER=1 makes this a failure)`);
    }

    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        'demo/main.ts',
        ...['--every', '600', '--duration', '60', '--dashboard-port', '0', '--rate', '20', '--tasks', '2'],
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = once(child, 'exit').then(([code]) => code as number | null);

    let browser: Browser | undefined;
    try {
      const url = await dashboardUrl(child, () => output);
      browser = await chromium.launch({
        executablePath: CHROMIUM,
        args: [
          '--headless',
          '--no-sandbox',
          '--disable-gpu',
          '--no-first-run',
          '--disable-background-networking',
        ],
      });
      const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
      const pageErrors: string[] = [];
      page.on('pageerror', (err) => pageErrors.push(err.message));

      await page.goto(url);
      await expect(page.title()).resolves.toContain('Rotating credentials');
      await page.waitForSelector('body[data-connected="true"]');
      await page.locator('#strategy', { hasText: 'alternating-users' }).waitFor();

      // The chart receives a point per second.
      const pointsNow = async () => Number(await page.getAttribute('#points', 'data-points'));
      const pointsBefore = await pointsNow();
      await expect.poll(pointsNow, POLL).toBeGreaterThanOrEqual(pointsBefore + 2);
      await page.waitForSelector('tr[data-task="task2"][data-ready="true"]');

      const failedBefore = Number(await page.getAttribute('#failed', 'data-value'));
      const versionsBefore = await taskVersions(page);
      expect(versionsBefore).toHaveLength(2);
      expect(versionsBefore.every((v) => v !== '')).toBe(true);
      expect(await page.locator('.rotation').count()).toBe(0);

      await page.getByRole('button', { name: 'Rotate now' }).click();
      const rotation = page.locator('.rotation[data-source="dashboard"][data-state="done"]');
      await rotation.first().waitFor({ timeout: 30_000 });
      const newVersion = (await rotation.first().getAttribute('data-version')) ?? '';
      expect(newVersion).not.toBe('');
      expect(versionsBefore).not.toContain(newVersion);
      // All four steps, each with its duration.
      const steps = rotation.first().locator('.step');
      await expect(attributes(steps, 'data-step')).resolves.toEqual([
        'createSecret',
        'setSecret',
        'testSecret',
        'finishSecret',
      ]);
      for (const ms of await attributes(steps, 'data-ms')) expect(Number(ms)).toBeGreaterThanOrEqual(0);

      // Each task picks the new version up at its next refresh cycle (CREDENTIAL_REFRESH_SECONDS=5).
      await expect.poll(() => taskVersions(page), POLL).toEqual([newVersion, newVersion]);
      // Two more seconds of traffic after the swap, still without a failure.
      const pointsAfterSwap = await pointsNow();
      await expect.poll(pointsNow, POLL).toBeGreaterThanOrEqual(pointsAfterSwap + 2);
      const failedAfter = Number(await page.getAttribute('#failed', 'data-value'));
      expect(failedAfter).toBe(failedBefore);
      expect(failedAfter).toBe(0);
      expect(pageErrors).toEqual([]);

      mkdirSync(SCREENSHOT_DIR, { recursive: true });
      await page.screenshot({ path: SCREENSHOT, fullPage: true });
      await browser.close();
      browser = undefined;

      child.kill('SIGINT');
      const code = await exited;
      expect(output).toMatch(/^verdict: PASS, no request failed$/m);
      expect(output).toMatch(/^rotations 1 \(alternating-users\), rotation failures 0$/m);
      expect(output).toMatch(/stopping \(Ctrl-C\)/);
      expect(code).toBe(0);
    } finally {
      await browser?.close();
      await stopDemo(child, exited);
    }
  }, 120_000);
});

/** The URL from the demo's `dashboard: http://127.0.0.1:<port>` line. */
async function dashboardUrl(child: ChildProcess, output: () => string): Promise<string> {
  const pattern = /dashboard: (http:\/\/127\.0\.0\.1:\d+)/;
  for (;;) {
    const found = pattern.exec(output());
    if (found?.[1]) return found[1];
    if (child.exitCode !== null) throw new Error(`the demo exited before its dashboard was up:\n${output()}`);
    await Promise.race([once(child.stdout ?? child, 'data'), once(child, 'exit')]);
  }
}

/** The demo owns an embedded PostgreSQL: stop it with SIGINT (its Ctrl-C), SIGKILL only as a last resort. */
async function stopDemo(child: ChildProcess, exited: Promise<number | null>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGINT');
  const timeout = new Promise<'timeout'>((resolve) =>
    setTimeout(() => {
      resolve('timeout');
    }, 30_000).unref(),
  );
  if ((await Promise.race([exited, timeout])) === 'timeout') child.kill('SIGKILL');
}

/** The full credential version each task row shows, in task order. */
function taskVersions(page: Page): Promise<string[]> {
  return attributes(page.locator('tr[data-task]'), 'data-version');
}

/** An attribute of every element a locator matches ('' where absent). */
async function attributes(locator: Locator, name: string): Promise<string[]> {
  const all = await locator.all();
  return Promise.all(all.map(async (el) => (await el.getAttribute(name)) ?? ''));
}
