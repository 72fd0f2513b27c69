/** The drill's reading of the tasks' /health/ready answers: swaps, adoptions, unready answers, the settle wait. */
import { describe, expect, it } from 'vitest';
import type { ReadinessObservation } from '../../../proof/load/index.js';
import { ReadinessTracker } from '../../../proof/drill/readiness-tracker.js';

const T0 = 1_000_000;
const answer = (
  target: number,
  atMs: number,
  credentials: { versionId: string; username?: string; stage?: string },
  generation: number,
  ready = true,
): ReadinessObservation => ({
  target,
  at: T0 + atMs,
  ready,
  status: ready ? 200 : 503,
  body: { credentials: { username: 'app', stage: 'AWSCURRENT', ...credentials }, pool: { generation } },
});

describe('ReadinessTracker', () => {
  it('records a swap when a pool generation goes up, an adoption when the version changes, and unready answers', () => {
    const tracker = new ReadinessTracker(2, () => T0);
    tracker.observe(answer(0, 100, { versionId: 'v1' }, 1));
    tracker.observe(answer(1, 120, { versionId: 'v1' }, 1));
    tracker.observe(answer(0, 5000, { versionId: 'v2', username: 'app_clone' }, 2));
    tracker.observe(answer(1, 5100, { versionId: 'v1' }, 1, false));

    expect(tracker.swaps).toEqual([{ target: 0, atMs: 5000, fromGeneration: 1, toGeneration: 2 }]);
    expect(tracker.adoptions).toEqual([{ target: 0, atMs: 5000, versionId: 'v2', username: 'app_clone' }]);
    expect(tracker.unready).toEqual([0, 1]);
    expect(tracker.observations).toHaveLength(4);
    expect(tracker.describeTasks()).toBe('t1 ready app_clone@v2 #2 | t2 UNREADY app@v1 #1');
  });

  it('knows when every task but the retired ones is on a version as AWSCURRENT', () => {
    const tracker = new ReadinessTracker(2, () => T0);
    tracker.observe(answer(0, 0, { versionId: 'v2' }, 1));
    tracker.observe(answer(1, 0, { versionId: 'v2', stage: 'AWSPENDING' }, 1));
    expect(tracker.allOn('v2')).toBe(false);
    expect(tracker.allOn('v2', (target) => target === 1)).toBe(true);
  });

  it('ends the settle wait at the observation that meets the condition, or at its bound', async () => {
    const tracker = new ReadinessTracker(1, () => T0);
    tracker.observe(answer(0, 0, { versionId: 'v1' }, 1));
    const waiting = tracker.until(() => tracker.allOn('v2'), 60_000);
    tracker.observe(answer(0, 10, { versionId: 'v1' }, 1));
    tracker.observe(answer(0, 20, { versionId: 'v2' }, 1));
    await expect(waiting).resolves.toBe(true);

    await expect(tracker.until(() => tracker.allOn('v3'), 1)).resolves.toBe(false);
  });
});
