// @ts-check
/**
 * The rotation scenario for k6: an open-model load (constant arrival rate) with the request mix of
 * proof/load/scenario.json, the same file the drill's Node load generator reads, while the rotator
 * rotates the database credentials. The verdict is the promise of this repository: not one failed
 * request, not one dropped iteration, every check passed, and a bounded p99.
 *
 *   k6 run load/k6/rotation.js                                       # against http://localhost:3000
 *   BASE_URLS=http://app-1:3000,http://app-2:3000 RATE=50 DURATION=5m k6 run load/k6/rotation.js
 *   docker compose --profile load up k6                              # the same, inside compose
 *
 * Environment (all optional):
 *   BASE_URLS      comma-separated app URLs, taken in turn (one per task, as behind a load balancer);
 *                  BASE_URL is accepted for one. Default http://localhost:3000
 *   RATE           requests per second (one request per iteration); default 20
 *   DURATION       k6 duration; default 5m (five rotations at compose's one a minute)
 *   PRE_VUS, MAX_VUS   VUs allocated up front / at most; default 20 / 200. An iteration that finds
 *                  no free VU is dropped (dropped_iterations), which fails the run: raise MAX_VUS
 *                  if the load generator, not the app, is the bottleneck
 *   P99_MS         p99 bound of http_req_duration in ms; default 500
 *   SCENARIO       path of the request mix, relative to this file; default ../../proof/load/scenario.json
 *   SUMMARY_PATH   where handleSummary writes the JSON summary; default k6-summary.json (k6's
 *                  working directory: /home/k6 in the grafana/k6 image)
 *   ALLOW_503      true: a 503 with Retry-After also passes (runs where the database is meant to go
 *                  away; the caller bounds how many); default false
 *   RUN_ID         prefix of the Idempotency-Keys; default a random one per run
 *   WRITES_DETAIL  true: each acknowledged write is an `acknowledged_writes` sample tagged with its
 *                  key and id (for `--out json`, so the drill can find every write in the database)
 *
 * A bad value stops the run at init, naming the variable; setup() checks that every BASE_URLS
 * target answers /health/live within 5 s and stops the run naming the one that does not. Exit
 * codes: 0 pass, 99 a threshold failed, 104/107 bad input. Runs on k6 1.1 and 2.x (no API either
 * lacks). Run it with k6's usage report off (K6_NO_USAGE_REPORT=true, as `npm run k6` does).
 *
 * Type-checked with `npm run typecheck:k6` (load/k6/tsconfig.json, @types/k6); plain JavaScript,
 * so every k6 runs it.
 */
/* global __ENV, open -- k6's init-context globals */
import { check } from 'k6';
import exec from 'k6/execution';
import http from 'k6/http';
import { Counter } from 'k6/metrics';

/**
 * @typedef {{ type: 'int', min: number, max: number } | { type: 'captured', from: string }} ParamSpec
 * @typedef {{
 *   name: string,
 *   method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE',
 *   path: string,
 *   weight: number,
 *   expect: number,
 *   body?: unknown,
 *   headers?: Record<string, string>,
 *   idempotent?: boolean,
 *   capture?: Record<string, string>,
 * }} RequestSpec
 * @typedef {{ name: string, version: 1, params: Record<string, ParamSpec>, requests: RequestSpec[] }} Scenario
 * @typedef {{ runId: string }} SetupData
 */

/**
 * A new global regex at each use, never a shared one: k6's JavaScript engine leaves a global
 * regex's lastIndex at the end of the string after `replace` (V8 resets it to 0), so a shared one
 * made the next `matchAll` start past the placeholders of a shorter path. get-order then looked
 * satisfiable before its VU had captured an order id, and went out as GET /api/orders/.
 */
const placeholderPattern = () => /\{([A-Za-z][A-Za-z0-9_]*)\}/g;
const WHOLE_PLACEHOLDER = /^\{([A-Za-z][A-Za-z0-9_]*)\}$/;
/** k6's duration syntax: 90s, 5m, 1h30m, 500ms. */
const DURATION_SYNTAX = /^(\d+(\.\d+)?(ms|s|m|h))+$/;

/**
 * @param {string} name
 * @param {number} fallback
 */
function numberFromEnv(name, fallback) {
  const raw = __ENV[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0)
    throw new Error(`${name} must be a positive number, got "${raw}"`);
  return value;
}

/** @param {string} name */
function flagFromEnv(name) {
  const raw = (__ENV[name] ?? '').toLowerCase();
  if (raw === '' || raw === '0' || raw === 'false') return false;
  if (raw === '1' || raw === 'true') return true;
  throw new Error(`${name} must be true or false, got "${__ENV[name] ?? ''}"`);
}

/**
 * @param {string} name
 * @param {string} fallback
 */
function durationFromEnv(name, fallback) {
  const raw = __ENV[name];
  if (raw === undefined || raw === '') return fallback;
  if (!DURATION_SYNTAX.test(raw))
    throw new Error(`${name} must be a k6 duration such as 30s, 5m or 1h30m, got "${raw}"`);
  return raw;
}

/** @param {unknown} value @returns {value is Record<string, unknown>} */
function isRecord(value) {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * The checks the Node generator's validateScenario makes that matter here, so a broken file fails
 * at init with a reason instead of as a stream of failed requests.
 * @param {unknown} raw
 * @returns {Scenario}
 */
function validateScenario(raw) {
  if (!isRecord(raw) || raw.version !== 1) throw new Error('scenario: version must be 1');
  const params = raw.params ?? {};
  if (!isRecord(params)) throw new Error('scenario: params must be an object');
  if (!Array.isArray(raw.requests) || raw.requests.length === 0) {
    throw new Error('scenario: requests must be a non-empty array');
  }
  for (const request of /** @type {unknown[]} */ (raw.requests)) {
    if (!isRecord(request)) throw new Error('scenario: every request must be an object');
    const { name, method, path, weight, expect } = request;
    if (typeof name !== 'string' || typeof method !== 'string' || typeof path !== 'string') {
      throw new Error('scenario: every request needs name, method and path');
    }
    if (typeof weight !== 'number' || !(weight > 0)) throw new Error(`scenario: ${name}.weight must be > 0`);
    if (typeof expect !== 'number') throw new Error(`scenario: ${name}.expect must be an HTTP status`);
    for (const placeholder of placeholdersIn([path, request.body, request.headers])) {
      if (!(placeholder in params)) throw new Error(`scenario: ${name} uses {${placeholder}}, not in params`);
    }
  }
  return /** @type {Scenario} */ (/** @type {unknown} */ (raw));
}

/**
 * @param {unknown} value
 * @param {Set<string>} [found]
 * @returns {Set<string>}
 */
function placeholdersIn(value, found = new Set()) {
  if (typeof value === 'string') for (const m of value.matchAll(placeholderPattern())) found.add(m[1] ?? '');
  else if (Array.isArray(value)) for (const v of value) placeholdersIn(v, found);
  else if (isRecord(value)) for (const v of Object.values(value)) placeholdersIn(v, found);
  return found;
}

// --- init context: configuration and the request mix, read once per VU ----------------------------

const scenario = validateScenario(JSON.parse(open(__ENV.SCENARIO || '../../proof/load/scenario.json')));
const baseUrls = (__ENV.BASE_URLS || __ENV.BASE_URL || 'http://localhost:3000')
  .split(',')
  .map((url) => url.trim().replace(/\/+$/, ''))
  .filter((url) => url !== '');
if (baseUrls.length === 0) throw new Error('BASE_URLS names no URL');
const rate = numberFromEnv('RATE', 20);
const duration = durationFromEnv('DURATION', '5m');
const p99Ms = numberFromEnv('P99_MS', 500);
const summaryPath = __ENV.SUMMARY_PATH || 'k6-summary.json';
/** A 503 with Retry-After is an expected answer too: for runs where the database is meant to go away. */
const allow503 = flagFromEnv('ALLOW_503');
/** Tag each acknowledged write with its Idempotency-Key and id, so an outside check can find it in the database. */
const writesDetail = flagFromEnv('WRITES_DETAIL');
/** Writes the app acknowledged (2xx to an idempotent request); with WRITES_DETAIL, one tagged sample each. */
const acknowledgedWrites = new Counter('acknowledged_writes');

// The scenario's own requests (setup's probe left out); the summary reads these sub-metrics, which
// exist because a threshold names them.
const RUN_REQS = 'http_reqs{scenario:rotation}';
const RUN_FAILED = 'http_req_failed{scenario:rotation}';
const RUN_DURATION = 'http_req_duration{scenario:rotation}';
const RUN_503 = 'http_reqs{scenario:rotation,status:503}';

/** @type {import('k6/options').Options} */
export const options = {
  scenarios: {
    rotation: {
      executor: 'constant-arrival-rate',
      rate,
      timeUnit: '1s',
      duration,
      preAllocatedVUs: numberFromEnv('PRE_VUS', 20),
      maxVUs: numberFromEnv('MAX_VUS', 200),
    },
  },
  // Judged on the scenario's requests only: setup's reachability probe is not part of the load.
  thresholds: {
    // The promise: no request fails because a password changed.
    [RUN_FAILED]: ['rate==0'],
    // At least one request: a run that sent nothing proves nothing.
    [RUN_REQS]: ['count>0'],
    // Counted for the summary; the bound on how many is the caller's (the drill's fault checks).
    ...(allow503 && { [RUN_503]: ['count>=0'] }),
    // Open model: an iteration k6 could not start on time is a request the app never saw.
    dropped_iterations: ['count==0'],
    checks: ['rate==1'],
    [RUN_DURATION]: [`p(99)<${p99Ms}`],
  },
  summaryTrendStats: ['avg', 'min', 'med', 'p(90)', 'p(99)', 'max'],
};

// --- per VU state: values captured from answers (orders this VU created) --------------------------

/** @type {Map<string, string[]>} */
const captured = new Map();

/**
 * @param {RequestSpec} spec
 */
function satisfiable(spec) {
  for (const name of placeholdersIn([spec.path, spec.body, spec.headers])) {
    const param = scenario.params[name];
    if (param?.type === 'captured' && (captured.get(param.from)?.length ?? 0) === 0) return false;
  }
  return true;
}

/**
 * @param {RequestSpec[]} specs
 * @returns {RequestSpec}
 */
function pickWeighted(specs) {
  const total = specs.reduce((sum, s) => sum + s.weight, 0);
  let r = Math.random() * total;
  for (const spec of specs) {
    r -= spec.weight;
    if (r < 0) return spec;
  }
  const last = specs[specs.length - 1];
  if (last === undefined) throw new Error('no request is eligible');
  return last;
}

/**
 * @param {string} name
 * @returns {string | number}
 */
function draw(name) {
  const spec = scenario.params[name];
  if (spec === undefined) throw new Error(`unknown param ${name}`);
  if (spec.type === 'int') return spec.min + Math.floor(Math.random() * (spec.max - spec.min + 1));
  const list = captured.get(spec.from) ?? [];
  return list[Math.floor(Math.random() * list.length)] ?? '';
}

/**
 * "{p}" alone becomes p's value (a number stays a number); "{p}" inside text is interpolated.
 * @param {unknown} value
 * @param {(name: string) => string | number} param
 * @returns {unknown}
 */
function fill(value, param) {
  if (typeof value === 'string') {
    const whole = WHOLE_PLACEHOLDER.exec(value);
    if (whole) return param(whole[1] ?? '');
    return value.replace(placeholderPattern(), (_, /** @type {string} */ name) =>
      encodeURIComponent(String(param(name))),
    );
  }
  if (Array.isArray(value)) return value.map((v) => fill(v, param));
  if (isRecord(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, fill(v, param)]));
  return value;
}

/**
 * Every target answers /health/live before the load starts: a wrong or unreachable BASE_URLS stops
 * the run here, within seconds and naming the URL, instead of failing every request for DURATION.
 * @returns {SetupData}
 */
export function setup() {
  for (const url of baseUrls) {
    const probe = http.get(`${url}/health/live`, {
      timeout: '5s',
      tags: { name: 'setup-probe' },
      responseCallback: http.expectedStatuses(200),
    });
    if (probe.status !== 200) {
      const why = probe.status === 0 ? probe.error || 'no answer' : `HTTP ${String(probe.status)}`;
      throw new Error(`BASE_URLS: ${url} does not answer GET /health/live (${why})`);
    }
  }
  // Idempotency keys unique to this run, so a second run never replays the first one's orders.
  return {
    runId: __ENV.RUN_ID || `k6-${Date.now().toString(36)}-${Math.floor(Math.random() * 1e9).toString(36)}`,
  };
}

/** @param {SetupData} data */
export default function (data) {
  const spec = pickWeighted(scenario.requests.filter(satisfiable));
  /** @type {Map<string, string | number>} */
  const values = new Map();
  /** @param {string} name */
  const value = (name) => {
    let v = values.get(name);
    if (v === undefined) {
      v = draw(name);
      values.set(name, v);
    }
    return v;
  };
  /** @type {Record<string, string>} */
  const headers = {};
  for (const [k, v] of Object.entries(spec.headers ?? {})) headers[k] = String(fill(v, value));
  const path = String(fill(spec.path, value));
  const body = spec.body === undefined ? null : JSON.stringify(fill(spec.body, value));
  if (body !== null) headers['content-type'] = 'application/json';
  const iteration = exec.scenario.iterationInTest;
  const idempotencyKey = spec.idempotent === true ? `${data.runId}-${String(iteration)}` : undefined;
  if (idempotencyKey !== undefined) headers['idempotency-key'] = idempotencyKey;
  const target = iteration % baseUrls.length;
  const baseUrl = baseUrls[target] ?? baseUrls[0];

  const response = http.request(spec.method, `${baseUrl}${path}`, body, {
    headers,
    // One time series per request kind and target, not per URL (order ids would make one per order).
    tags: { name: spec.name, target: String(target) },
    responseType: 'text',
    responseCallback: allow503 ? http.expectedStatuses(spec.expect, 503) : http.expectedStatuses(spec.expect),
  });
  check(response, {
    [`${spec.name}: ${String(spec.expect)}${allow503 ? ' or 503 with Retry-After' : ''}`]: (r) =>
      r.status === spec.expect || (allow503 && r.status === 503 && r.headers['Retry-After'] !== undefined),
  });

  if (spec.capture !== undefined && response.status >= 200 && response.status < 300) {
    /** @type {unknown} */
    let answer;
    try {
      answer = JSON.parse(typeof response.body === 'string' ? response.body : '');
    } catch {
      return;
    }
    if (!isRecord(answer)) return;
    if (idempotencyKey !== undefined) {
      const id = Object.values(spec.capture).map((field) => answer[field])[0];
      acknowledgedWrites.add(
        1,
        writesDetail ? { idempotency_key: idempotencyKey, order_id: String(id), target: String(target) } : {},
      );
    }
    for (const [name, field] of Object.entries(spec.capture)) {
      const got = answer[field];
      if (typeof got !== 'string' && typeof got !== 'number') continue;
      const list = captured.get(name) ?? [];
      list.push(String(got));
      if (list.length > 1000) list.shift();
      captured.set(name, list);
    }
  }
}

// --- end of test ------------------------------------------------------------------------------------

/**
 * @param {unknown} data
 * @param {string[]} path
 * @returns {unknown}
 */
function dig(data, path) {
  let node = data;
  for (const key of path) {
    if (!isRecord(node)) return undefined;
    node = node[key];
  }
  return node;
}

/**
 * @param {unknown} value
 * @param {(n: number) => string} format
 */
function shown(value, format) {
  return typeof value === 'number' ? format(value) : 'n/a';
}

/**
 * The JSON summary (k6's own data, whole) to SUMMARY_PATH, and a short verdict on stdout. The
 * field reads are defensive: the shape of `data` has changed between k6 releases.
 * @param {unknown} data
 * @returns {Record<string, string>}
 */
export function handleSummary(data) {
  const metric = (/** @type {string} */ name, /** @type {string} */ stat) =>
    dig(data, ['metrics', name, 'values', stat]);
  const ms = (/** @type {number} */ n) => `${n.toFixed(1)} ms`;
  const lines = [
    '',
    `rotation scenario: ${String(rate)} req/s against ${baseUrls.join(', ')}`,
    `  requests        ${shown(metric(RUN_REQS, 'count'), String)}`,
    `  failed          ${shown(metric(RUN_FAILED, 'passes'), String)} (rate ${shown(metric(RUN_FAILED, 'rate'), String)})`,
    ...(allow503
      ? [`  503 + Retry-After ${shown(metric(RUN_503, 'count') ?? 0, String)} (allowed: ALLOW_503)`]
      : []),
    `  writes acked    ${shown(metric('acknowledged_writes', 'count') ?? 0, String)}`,
    // k6 reports dropped_iterations only once an iteration was dropped.
    `  dropped         ${shown(metric('dropped_iterations', 'count') ?? 0, String)}`,
    `  checks passed   ${shown(metric('checks', 'rate'), (n) => `${(n * 100).toFixed(2)} %`)}`,
    `  latency         p50 ${shown(metric(RUN_DURATION, 'med'), ms)}, p99 ${shown(metric(RUN_DURATION, 'p(99)'), ms)}, max ${shown(metric(RUN_DURATION, 'max'), ms)}`,
  ];
  const metrics = dig(data, ['metrics']);
  let failed = 0;
  if (isRecord(metrics)) {
    for (const [name, entry] of Object.entries(metrics)) {
      const thresholds = dig(entry, ['thresholds']);
      if (!isRecord(thresholds)) continue;
      for (const [expression, result] of Object.entries(thresholds)) {
        const ok = dig(result, ['ok']) === true;
        if (!ok) failed++;
        lines.push(`  ${ok ? 'ok  ' : 'FAIL'} ${name} ${expression}`);
      }
    }
  }
  lines.push(failed === 0 ? 'verdict: PASS' : `verdict: FAIL (${String(failed)} threshold(s))`);
  lines.push(`summary: ${summaryPath}`, '');
  return { stdout: lines.join('\n'), [summaryPath]: JSON.stringify(data, null, 2) };
}
