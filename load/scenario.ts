/**
 * The request mix (load/scenario.json, described in load/scenario.md): loading, validation, and
 * turning it into concrete requests with a seeded random source.
 */
import { readFileSync } from 'node:fs';
import { randomInt, seededRandom, type Random } from './rng.js';

export const DEFAULT_SCENARIO_PATH = new URL('./scenario.json', import.meta.url);

export type ParamSpec = { type: 'int'; min: number; max: number } | { type: 'captured'; from: string };

export interface RequestSpec {
  name: string;
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  path: string;
  weight: number;
  expect: number;
  body?: unknown;
  headers?: Record<string, string>;
  /** Sends a unique Idempotency-Key; a 2xx answer's `id` is an acknowledged write to verify. */
  idempotent?: boolean;
  /** Captured name → field of the 2xx JSON answer. */
  capture?: Record<string, string>;
}

export interface Scenario {
  name: string;
  version: 1;
  params: Record<string, ParamSpec>;
  requests: RequestSpec[];
}

export class ScenarioError extends Error {
  override readonly name = 'ScenarioError';
}

const METHODS = new Set(['GET', 'POST', 'PUT', 'PATCH', 'DELETE']);
const PLACEHOLDER = /\{([A-Za-z][A-Za-z0-9_]*)\}/g;

export function loadScenario(path: string | URL = DEFAULT_SCENARIO_PATH): Scenario {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new ScenarioError(`cannot read scenario ${String(path)}: ${(err as Error).message}`);
  }
  return validateScenario(raw);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Checks the shape and every placeholder; the error names the request and field at fault. */
export function validateScenario(raw: unknown): Scenario {
  if (!isRecord(raw)) throw new ScenarioError('scenario must be a JSON object');
  if (raw.version !== 1) throw new ScenarioError('scenario.version must be 1');
  if (typeof raw.name !== 'string') throw new ScenarioError('scenario.name must be a string');
  const params = raw.params ?? {};
  if (!isRecord(params)) throw new ScenarioError('scenario.params must be an object');
  for (const [name, spec] of Object.entries(params)) {
    if (!isRecord(spec)) throw new ScenarioError(`params.${name} must be an object`);
    if (spec.type === 'int') {
      if (!Number.isInteger(spec.min) || !Number.isInteger(spec.max) || Number(spec.min) > Number(spec.max))
        throw new ScenarioError(`params.${name}: int needs integer min <= max`);
    } else if (spec.type === 'captured') {
      if (typeof spec.from !== 'string') throw new ScenarioError(`params.${name}: captured needs "from"`);
    } else {
      throw new ScenarioError(`params.${name}.type must be "int" or "captured"`);
    }
  }
  if (!Array.isArray(raw.requests) || raw.requests.length === 0)
    throw new ScenarioError('scenario.requests must be a non-empty array');
  const names = new Set<string>();
  for (const [i, r] of (raw.requests as unknown[]).entries()) {
    if (!isRecord(r)) throw new ScenarioError(`requests[${i}] must be an object`);
    const where = `requests[${i}]${typeof r.name === 'string' ? ` (${r.name})` : ''}`;
    if (typeof r.name !== 'string' || r.name === '')
      throw new ScenarioError(`${where}.name must be a string`);
    if (names.has(r.name)) throw new ScenarioError(`${where}: duplicate name`);
    names.add(r.name);
    if (typeof r.method !== 'string' || !METHODS.has(r.method))
      throw new ScenarioError(`${where}.method must be one of ${[...METHODS].join(', ')}`);
    if (typeof r.path !== 'string' || !r.path.startsWith('/'))
      throw new ScenarioError(`${where}.path must start with /`);
    if (typeof r.weight !== 'number' || !(r.weight > 0))
      throw new ScenarioError(`${where}.weight must be > 0`);
    if (!Number.isInteger(r.expect)) throw new ScenarioError(`${where}.expect must be an HTTP status`);
    if (r.headers !== undefined && !isRecord(r.headers))
      throw new ScenarioError(`${where}.headers must be an object`);
    if (r.capture !== undefined && !isRecord(r.capture))
      throw new ScenarioError(`${where}.capture must be an object`);
    const used = placeholdersIn([r.path, r.body, r.headers]);
    for (const p of used) {
      if (!(p in params)) throw new ScenarioError(`${where} uses {${p}}, which params does not define`);
    }
  }
  return raw as unknown as Scenario;
}

function placeholdersIn(value: unknown, found = new Set<string>()): Set<string> {
  if (typeof value === 'string') for (const m of value.matchAll(PLACEHOLDER)) found.add(m[1] ?? '');
  else if (Array.isArray(value)) for (const v of value) placeholdersIn(v, found);
  else if (isRecord(value)) for (const v of Object.values(value)) placeholdersIn(v, found);
  return found;
}

/** One concrete request, ready to send. */
export interface PreparedRequest {
  name: string;
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string;
  expect: number;
  idempotencyKey?: string;
  capture?: Record<string, string>;
}

/**
 * Picks requests by weight and fills placeholders. Deterministic for a seed, except that a request
 * whose captured param has no value yet (no order acknowledged so far) is not eligible: the pick
 * is made again among the others.
 */
export class RequestMix {
  readonly #scenario: Scenario;
  readonly #random: Random;
  readonly #keyPrefix: string;
  readonly #captured = new Map<string, string[]>();
  #seq = 0;

  constructor(scenario: Scenario, options: { seed: number; keyPrefix: string }) {
    this.#scenario = scenario;
    this.#random = seededRandom(options.seed);
    this.#keyPrefix = options.keyPrefix;
  }

  /** Remembers a value for `captured` params (bounded: the newest 10 000 per name). */
  capture(name: string, value: string): void {
    const list = this.#captured.get(name) ?? [];
    list.push(value);
    if (list.length > 10_000) list.shift();
    this.#captured.set(name, list);
  }

  /** Remembers what an acknowledged answer carries for the request's `capture` fields. */
  captureAnswer(request: PreparedRequest, answer: Record<string, unknown>): void {
    for (const [name, field] of Object.entries(request.capture ?? {})) {
      const v = answer[field];
      if (typeof v === 'number' || typeof v === 'string') this.capture(name, String(v));
    }
  }

  next(): PreparedRequest {
    const seq = this.#seq++;
    const eligible = this.#scenario.requests.filter((r) => this.#satisfiable(r));
    const spec = pickWeighted(eligible, this.#random);
    const values = new Map<string, string | number>();
    const value = (name: string): string | number => {
      let v = values.get(name);
      if (v === undefined) {
        v = this.#draw(name);
        values.set(name, v);
      }
      return v;
    };
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(spec.headers ?? {})) headers[k] = String(fill(v, value));
    const prepared: PreparedRequest = {
      name: spec.name,
      method: spec.method,
      path: String(fill(spec.path, value)),
      headers,
      expect: spec.expect,
      ...(spec.capture && { capture: spec.capture }),
    };
    if (spec.body !== undefined) {
      prepared.body = JSON.stringify(fill(spec.body, value));
      headers['content-type'] = 'application/json';
    }
    if (spec.idempotent === true) {
      prepared.idempotencyKey = `${this.#keyPrefix}-${seq}`;
      headers['idempotency-key'] = prepared.idempotencyKey;
    }
    return prepared;
  }

  #satisfiable(spec: RequestSpec): boolean {
    for (const p of placeholdersIn([spec.path, spec.body, spec.headers])) {
      const param = this.#scenario.params[p];
      if (param?.type === 'captured' && (this.#captured.get(param.from)?.length ?? 0) === 0) return false;
    }
    return true;
  }

  #draw(name: string): string | number {
    const spec = this.#scenario.params[name];
    if (spec === undefined) throw new ScenarioError(`unknown param ${name}`);
    if (spec.type === 'int') return randomInt(this.#random, spec.min, spec.max);
    const list = this.#captured.get(spec.from) ?? [];
    return list[Math.floor(this.#random() * list.length)] ?? '';
  }
}

export function pickWeighted<T extends { weight: number }>(items: readonly T[], random: Random): T {
  const total = items.reduce((sum, i) => sum + i.weight, 0);
  let r = random() * total;
  for (const item of items) {
    r -= item.weight;
    if (r < 0) return item;
  }
  const last = items.at(-1);
  if (last === undefined) throw new ScenarioError('no request is eligible');
  return last;
}

/** A string that is exactly "{p}" becomes p's value (a number stays a number); "{p}" inside text is interpolated. */
function fill(value: unknown, param: (name: string) => string | number): unknown {
  if (typeof value === 'string') {
    const whole = /^\{([A-Za-z][A-Za-z0-9_]*)\}$/.exec(value);
    if (whole) return param(whole[1] ?? '');
    return value.replace(PLACEHOLDER, (_, name: string) => encodeURIComponent(String(param(name))));
  }
  if (Array.isArray(value)) return value.map((v) => fill(v, param));
  if (isRecord(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, fill(v, param)]));
  return value;
}
