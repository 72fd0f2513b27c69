/**
 * The fleet as the demo, the drill and the bench use it: the stack and two app processes, ready;
 * a rotation with a strategy that the tasks follow while serving; an orderly stop. And a fleet
 * whose task cannot start leaves nothing running.
 */
import { once } from 'node:events';
import { connect } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { spawnApp } from '../../local/app-process.js';
import { startFleet, type Fleet } from '../../local/fleet.js';

/** Whether anything accepts connections on a loopback port. */
async function listening(port: number): Promise<boolean> {
  const socket = connect(port, '127.0.0.1');
  try {
    await once(socket, 'connect');
    return true;
  } catch {
    return false;
  } finally {
    socket.destroy();
  }
}

async function readiness(url: string): Promise<{ status: number; username: string | null }> {
  const response = await fetch(`${url}/health/ready`, { signal: AbortSignal.timeout(5000) });
  const body = (await response.json()) as { credentials: { username: string | null } };
  return { status: response.status, username: body.credentials.username };
}

describe('startFleet', () => {
  let fleet: Fleet | undefined;
  afterAll(async () => {
    await fleet?.stop();
  });

  it('starts the stack and N ready tasks, rotates with a strategy they follow, and stops in order', async () => {
    fleet = await startFleet({
      stack: { rotation: { strategy: 'alternating-users' } },
      tasks: 2,
      taskEnv: { CREDENTIAL_REFRESH_SECONDS: '1', SHUTDOWN_DELAY_SECONDS: '0' },
      readyPollMs: 50,
    });
    expect(fleet.tasks).toHaveLength(2);
    const before = await Promise.all(fleet.tasks.map((t) => readiness(t.url)));
    expect(before.map((r) => r.status)).toEqual([200, 200]);

    const outcome = await fleet.rotate('alternating-users');
    expect(outcome).toMatchObject({ ok: true });
    expect(outcome.versionId).not.toBe('');
    // Alternating users: the next version names the other user, and each task's cycle adopts it.
    const rotatedTo = before[0]?.username === 'app' ? 'app_clone' : 'app';
    for (const task of fleet.tasks) await task.waitForLine(new RegExp(`"to":"${rotatedTo}"`));
    const after = await Promise.all(fleet.tasks.map((t) => readiness(t.url)));
    expect(after).toEqual([
      { status: 200, username: rotatedTo },
      { status: 200, username: rotatedTo },
    ]);

    const pgPort = fleet.stack.postgres.port;
    expect(await fleet.stop()).toEqual([0, 0]);
    expect(await listening(pgPort)).toBe(false);
  }, 120_000);

  it('stops the stack again when a task cannot start, and says why', async () => {
    const log: string[] = [];
    await expect(
      startFleet({
        stack: { log: (line) => log.push(line) },
        tasks: 1,
        spawnTask: (env) => spawnApp({ ...env, DB_POOL_MAX: 'many' }),
      }),
    ).rejects.toThrow(/DB_POOL_MAX/);
    const pgPort = Number(/postgres listening on 127\.0\.0\.1:(\d+)/.exec(log.join('\n'))?.[1]);
    expect(pgPort).toBeGreaterThan(0);
    expect(await listening(pgPort)).toBe(false);
  }, 60_000);
});
