/**
 * The stepped search, rotations off: a geometric ladder of offered rates until the variant stops
 * keeping up, then bisection of the two brackets it found (see docs/benchmarks.md, Definitions):
 *
 * - keeps up: every request answered as expected (0 failed, 0 dropped) and achieved ≥ 95 % of offered;
 * - meets the latency target: keeps up and p99 ≤ the target.
 *
 * Each figure is the highest rate at which a step met its criterion, and the bracket above it is the
 * lowest rate found to miss above that. Noise on a shared machine (another process, a GC pause, a
 * checkpoint) only ever makes a step slower, never faster: a step that met a criterion shows what
 * the variant can do; one that missed may show the machine. For the same reason every step that
 * misses is run once more and the better of the two counts; the second run also meets a process
 * that has already grown its pool and compiled its hot paths for that rate.
 */
import type { StepResult } from './step.js';

export const KEEP_UP_FRACTION = 0.95;

export interface SearchSettings {
  startRps: number;
  factor: number;
  maxRps: number;
  bisections: number;
  latencyTargetMs: number;
  confirmMisses: boolean;
  /** No more steps than this, repeats included (the search then reports what it has). */
  maxSteps: number;
}

export type StepPurpose = 'ladder' | 'saturation-bisection' | 'latency-bisection' | 'repeat';

export interface SearchStep extends StepResult {
  purpose: StepPurpose;
  keepsUp: boolean;
  meetsLatency: boolean;
}

export interface SearchOutcome {
  steps: SearchStep[];
  /** Highest offered rate meeting the latency target; missedAtRps: the lowest rate above it that missed. */
  latencyTarget: { rps: number; p99Ms: number | null; missedAtRps: number | null } | null;
  /** Highest offered rate kept up with, and what it achieved; missedAtRps: the lowest rate above it that missed. */
  saturation: { offeredRps: number; achievedRps: number; missedAtRps: number | null } | null;
  /** The search stopped at settings.maxSteps before it finished. */
  truncated: boolean;
}

export function keepsUp(s: StepResult): boolean {
  return s.failed === 0 && s.dropped === 0 && s.achievedRps >= KEEP_UP_FRACTION * s.offeredRps;
}

export function meetsLatency(s: StepResult, targetMs: number): boolean {
  return keepsUp(s) && s.latency.p99Ms !== null && s.latency.p99Ms <= targetMs;
}

/** The better of two runs at one rate: the one meeting more criteria, then the lower p99. */
function better(a: SearchStep, b: SearchStep): SearchStep {
  const score = (s: SearchStep) => Number(s.keepsUp) + Number(s.meetsLatency);
  if (score(a) !== score(b)) return score(a) > score(b) ? a : b;
  return (a.latency.p99Ms ?? Infinity) <= (b.latency.p99Ms ?? Infinity) ? a : b;
}

const mid = (lo: number, hi: number) => Math.round(Math.sqrt(lo * hi));

export async function search(
  settings: SearchSettings,
  measure: (rps: number) => Promise<StepResult>,
): Promise<SearchOutcome> {
  const steps: SearchStep[] = [];
  let truncated = false;
  const room = () => {
    if (steps.length < settings.maxSteps) return true;
    truncated = true;
    return false;
  };
  const run = async (rps: number, purpose: StepPurpose): Promise<SearchStep> => {
    const once = async (p: StepPurpose): Promise<SearchStep> => {
      const r = await measure(rps);
      const s = {
        ...r,
        purpose: p,
        keepsUp: keepsUp(r),
        meetsLatency: meetsLatency(r, settings.latencyTargetMs),
      };
      steps.push(s);
      return s;
    };
    const first = await once(purpose);
    if (first.meetsLatency || !settings.confirmMisses || !room()) return first;
    return better(first, await once('repeat'));
  };

  const keep = new Bracket();
  const fast = new Bracket();
  const note = (s: SearchStep) => {
    keep.note(s, s.keepsUp);
    fast.note(s, s.meetsLatency);
  };

  for (
    let rps = settings.startRps;
    rps <= settings.maxRps && room();
    rps = Math.round(rps * settings.factor)
  ) {
    const s = await run(rps, 'ladder');
    note(s);
    if (!s.keepsUp) break;
  }
  // Nothing met the latency target on the way up: look below the start (at most two halvings).
  for (let k = 0, rps = settings.startRps / 2; !fast.pass && k < 2 && room(); k++, rps /= 2)
    note(await run(Math.round(rps), 'latency-bisection'));

  for (
    let k = 0, rps = keep.next();
    k < settings.bisections && rps !== undefined && room();
    k++, rps = keep.next()
  )
    note(await run(rps, 'saturation-bisection'));
  for (
    let k = 0, rps = fast.next();
    k < settings.bisections && rps !== undefined && room();
    k++, rps = fast.next()
  )
    note(await run(rps, 'latency-bisection'));

  return {
    steps,
    latencyTarget: fast.pass
      ? { rps: fast.pass.offeredRps, p99Ms: fast.pass.latency.p99Ms, missedAtRps: fast.miss }
      : null,
    saturation: keep.pass
      ? { offeredRps: keep.pass.offeredRps, achievedRps: keep.pass.achievedRps, missedAtRps: keep.miss }
      : null,
    truncated,
  };
}

/** The highest rate that met a criterion, and the lowest rate above it that missed. */
class Bracket {
  pass: SearchStep | undefined;
  readonly #misses: number[] = [];

  note(s: SearchStep, met: boolean): void {
    if (!met) this.#misses.push(s.offeredRps);
    else if (!this.pass || s.offeredRps > this.pass.offeredRps) this.pass = s;
  }

  get miss(): number | null {
    const floor = this.pass?.offeredRps ?? 0;
    const above = this.#misses.filter((r) => r > floor);
    return above.length > 0 ? Math.min(...above) : null;
  }

  /** The rate between the two (geometric middle), or undefined when there is nothing left to split. */
  next(): number | undefined {
    const miss = this.miss;
    if (!this.pass || miss === null) return undefined;
    const rps = mid(this.pass.offeredRps, miss);
    return rps > this.pass.offeredRps && rps < miss ? rps : undefined;
  }
}
