import { PassThrough } from 'node:stream';
import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import { firstAfter, followPoolEvents, poolEventOf } from '../../../proof/bench/pool-events.js';

const swapLine = (time: number, generation: number) =>
  JSON.stringify({
    level: 30,
    time,
    from: 'app',
    to: 'app_clone',
    generation,
    warmed: 2,
    msg: 'database pool swapped; draining the old one',
  });
const drainedLine = (time: number, generation: number) =>
  JSON.stringify({ level: 30, time, generation, username: 'app', msg: 'pool drained' });

describe('pool events from the app log', () => {
  it('reads the swap and the drain with their times, nothing else', () => {
    expect(poolEventOf(swapLine(1_000, 2))).toEqual({ kind: 'swap', atMs: 1_000, generation: 2 });
    expect(poolEventOf(drainedLine(1_010, 1))).toEqual({ kind: 'drained', atMs: 1_010, generation: 1 });
    expect(poolEventOf(JSON.stringify({ level: 30, time: 1, msg: 'request completed' }))).toBeNull();
    expect(poolEventOf('"pool drained" but not JSON')).toBeNull();
  });

  it('follows them on the output stream, however many other lines pass', async () => {
    const output = new PassThrough();
    const follower = followPoolEvents(output);
    const { events } = follower;
    const drained = follower.waitFor((e) => e.kind === 'drained' && e.generation === 1, 10_000);
    for (let i = 0; i < 1000; i++) output.write(`${JSON.stringify({ time: i, msg: 'request completed' })}\n`);
    output.write(`${swapLine(2_000, 2)}\n${drainedLine(2_005, 1)}\n`);
    output.end();
    await once(output, 'end');
    expect(events.map((e) => e.kind)).toEqual(['swap', 'drained']);
    expect(await drained).toEqual({ kind: 'drained', atMs: 2_005, generation: 1 });
    expect((await follower.waitFor((e) => e.kind === 'swap', 10_000)).generation).toBe(2);
    await expect(follower.waitFor((e) => e.generation === 9, 1)).rejects.toThrow(/no such pool event/);
    expect(firstAfter(events, 'drained', 2_000)?.generation).toBe(1);
    expect(firstAfter(events, 'swap', 2_001)).toBeNull();
  });
});
