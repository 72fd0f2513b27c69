/**
 * Malformed input over real HTTP, against a listening server backed by a real PostgreSQL: wrong
 * types, missing and extra fields, absurd numbers, broken JSON and UTF-8, oversized bodies, odd
 * headers, hostile paths and ids, SQL and exotic Unicode wherever text goes, reused Idempotency-Keys.
 *
 * Every response must be below 500, carry the security headers, and, when it is a 4xx, be in the
 * API's error shape. An order created with a note must give that note back exactly, code unit for
 * code unit, in the 201 and from GET /api/orders/:id.
 *
 * fast-check runs with a fixed seed (FUZZ_SEED overrides it). On failure it prints the seed, the
 * path and the shrunk batch; `fc.assert(..., { seed, path })` replays exactly that case.
 * Requests go out in batches of CONCURRENCY at once over keep-alive connections.
 */
import {
  Agent,
  request as httpRequest,
  type IncomingHttpHeaders,
  type OutgoingHttpHeader,
  type OutgoingHttpHeaders,
} from 'node:http';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ErrorBody } from '../../../app/src/http/errors.js';
import type { Order } from '../../../app/src/domain/orders.js';
import { startTestApp, type TestApp } from '../../helpers/http-app.js';
import { startTestDatabase, type TestDatabase } from '../../helpers/test-database.js';

const SEED = Number(process.env['FUZZ_SEED'] ?? 20_260_422);
const CONCURRENCY = 8;
/** Batches per property; each batch is CONCURRENCY requests (pairs of three for the key reuse). */
const RUNS = { bodies: 20, notes: 16, rawBodies: 10, headers: 12, paths: 14, keyReuse: 6 } as const;
const BODY_LIMIT_BYTES = 64 * 1024;

interface FuzzRequest {
  method: string;
  /** Each character is one byte on the wire (latin1), so raw non-ASCII and invalid UTF-8 can be sent. */
  path: string;
  headers: OutgoingHttpHeaders;
  body?: Buffer;
  /** The status this request must get, where that is certain. `4xx`: any client error. */
  expected?: number | '4xx';
}

interface RawResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

describe('fuzz: malformed requests never produce a 5xx', () => {
  let pg: TestDatabase;
  let t: TestApp;
  let agent: Agent;
  let port: number;
  /** Requests the properties generated (read-backs of created orders not included). */
  let fuzzed = 0;

  beforeAll(async () => {
    pg = await startTestDatabase();
    t = await startTestApp({ db: pg.db, bodyLimitBytes: BODY_LIMIT_BYTES });
    port = Number(new URL(t.baseUrl).port);
    agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  });
  afterAll(async () => {
    agent.destroy();
    await t.close();
    await pg.stop();
  });

  function send(r: FuzzRequest): Promise<RawResponse> {
    return new Promise((resolve, reject) => {
      const req = httpRequest(
        { host: '127.0.0.1', port, method: r.method, path: r.path, headers: r.headers, agent },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () => {
            resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) });
          });
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end(r.body);
    });
  }

  /** Sends one request and checks everything that must hold for any request. */
  async function exchange(r: FuzzRequest): Promise<RawResponse> {
    fuzzed += 1;
    const res = await send(r);
    const where = `${describeRequest(r)} → ${res.status} ${res.body.toString('utf8').slice(0, 300)}`;
    expect(res.status, where).toBeGreaterThanOrEqual(200);
    expect(res.status, where).toBeLessThan(500);
    expect(res.headers['content-security-policy'], where).toMatch(/default-src 'none'/);
    expect(res.headers['x-content-type-options'], where).toBe('nosniff');
    if (r.expected === '4xx') expect(res.status, where).toBeGreaterThanOrEqual(400);
    else if (r.expected !== undefined) expect(res.status, where).toBe(r.expected);
    if (res.status >= 400 && r.method !== 'HEAD') expectErrorShape(res, where);
    if (res.status === 201) await expectStoredAsSent(r, res, where);
    return res;
  }

  function expectErrorShape(res: RawResponse, where: string): ErrorBody {
    expect(res.headers['content-type'], where).toMatch(/^application\/json/);
    const body = JSON.parse(res.body.toString('utf8')) as ErrorBody;
    expect(body, where).toEqual({
      error: {
        code: expect.stringMatching(/^[A-Z][A-Z_]*$/) as string,
        message: expect.any(String) as string,
        statusCode: res.status,
        requestId: res.headers['x-request-id'],
        ...(body.error.details === undefined ? {} : { details: expect.any(Array) as unknown[] }),
      },
    });
    for (const detail of body.error.details ?? []) {
      expect(detail, where).toEqual({
        location: expect.stringMatching(/^(body|querystring|params|headers)$/) as string,
        path: expect.any(String) as string,
        message: expect.any(String) as string,
      });
    }
    return body;
  }

  /** A created order holds the note the client sent (or none), in the 201 and when read back. */
  async function expectStoredAsSent(r: FuzzRequest, res: RawResponse, where: string): Promise<void> {
    const sentNote = noteOf(r.body);
    const created = JSON.parse(res.body.toString('utf8')) as Order;
    expect(created.note, where).toBe(sentNote);
    const read = await send({ method: 'GET', path: `/api/orders/${created.id}`, headers: {} });
    expect(read.status, where).toBe(200);
    const stored = JSON.parse(read.body.toString('utf8')) as Order;
    expect(stored.note, where).toBe(sentNote);
    if (sentNote !== undefined) {
      expect(Buffer.from(stored.note ?? '', 'utf8').equals(Buffer.from(sentNote, 'utf8')), where).toBe(true);
    }
  }

  async function inBatches(requests: readonly FuzzRequest[]): Promise<void> {
    await Promise.all(requests.map((r) => exchange(r)));
  }

  const batch = <T>(arb: fc.Arbitrary<T>) =>
    fc.array(arb, { minLength: CONCURRENCY, maxLength: CONCURRENCY });
  const options = (numRuns: number) => ({ seed: SEED, numRuns });

  it('bodies: wrong types, missing and extra fields, huge and odd numbers, bad quantities', async () => {
    await fc.assert(
      fc.asyncProperty(batch(orderBodyText), async (bodies) => {
        await inBatches(bodies.map((text) => postJson(Buffer.from(text, 'utf8'))));
      }),
      options(RUNS.bodies),
    );
  });

  it('notes: SQL, emoji, RTL, combining marks, control characters, lone surrogates, NUL, lengths', async () => {
    await fc.assert(
      fc.asyncProperty(batch(fc.tuple(validLines, anyNote)), async (cases) => {
        await inBatches(
          cases.map(([lines, note]) => postJson(Buffer.from(JSON.stringify({ lines, note }), 'utf8'))),
        );
      }),
      options(RUNS.notes),
    );
  });

  it('raw bodies: broken JSON, invalid UTF-8, oversized', async () => {
    await fc.assert(
      fc.asyncProperty(batch(rawBody), async (bodies) => {
        await inBatches(bodies);
      }),
      options(RUNS.rawBodies),
    );
  });

  it('headers: content types, duplicates, very long values, hostile Idempotency-Keys', async () => {
    await fc.assert(
      fc.asyncProperty(batch(oddHeaders), async (requests) => {
        await inBatches(requests);
      }),
      options(RUNS.headers),
    );
  });

  it('paths: hostile ids, invalid UTF-8 (raw and percent-encoded), very long ids, other methods', async () => {
    await fc.assert(
      fc.asyncProperty(batch(oddPath), async (requests) => {
        await inBatches(requests);
      }),
      options(RUNS.paths),
    );
  });

  it('Idempotency-Key reused with another body: 422, the first order intact and replayable', async () => {
    let pair = 0;
    await fc.assert(
      fc.asyncProperty(batch(keyReuse), async (cases) => {
        await Promise.all(
          cases.map(async ({ keySuffix, first, second }) => {
            pair += 1;
            // The counter keeps keys unique across runs and shrinking, so "first use" stays true.
            const key = `fuzz-${pair}-${keySuffix}`;
            const post = (body: unknown, expected: number) =>
              exchange({
                ...postJson(Buffer.from(JSON.stringify(body))),
                headers: { ...jsonType, 'idempotency-key': key },
                expected,
              });
            const a = await post(first, 201);
            const b = await post(second, 422);
            expect(expectErrorShape(b, key).error.code).toBe('IDEMPOTENCY_KEY_REUSED');
            const again = await post(first, 201);
            expect(again.headers['idempotent-replayed']).toBe('true');
            expect(JSON.parse(again.body.toString('utf8'))).toEqual(JSON.parse(a.body.toString('utf8')));
          }),
        );
      }),
      options(RUNS.keyReuse),
    );
  });

  it('sent at least 500 requests, and the server still answers', async () => {
    console.log(`fuzz: ${fuzzed} requests (seed ${SEED})`);
    expect(fuzzed).toBeGreaterThanOrEqual(500);
    const live = await t.request('/health/live');
    expect(live.status).toBe(200);
    expect(await live.json()).toEqual({ status: 'ok' });
    const order = await t.postJson('/api/orders', {
      lines: [{ productId: 1, quantity: 1 }],
      note: 'still here',
    });
    expect(order.status).toBe(201);
  });
});

// ---------------------------------------------------------------------------------------------
// What the requests are made of

const jsonType = { 'content-type': 'application/json' };

function postJson(body: Buffer): FuzzRequest {
  return { method: 'POST', path: '/api/orders', headers: jsonType, body };
}

/** One line per request, short even for a 256 KiB body: for assertion messages and counterexamples. */
function describeRequest(r: FuzzRequest): string {
  const body =
    r.body === undefined
      ? ''
      : ` body(${r.body.length} B) ${JSON.stringify(r.body.toString('latin1').slice(0, 160))}`;
  return `${r.method} ${JSON.stringify(r.path.slice(0, 160))} ${JSON.stringify(r.headers).slice(0, 200)}${body}`;
}

/** Makes fast-check print the request with describeRequest. */
function printable(r: FuzzRequest): FuzzRequest {
  return Object.assign(r, { [fc.toStringMethod]: () => describeRequest(r) });
}

/** The note a well-formed UTF-8 JSON body carries, as the server should read it. */
function noteOf(body: Buffer | undefined): string | undefined {
  if (body === undefined) return undefined;
  try {
    const value = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(body)) as unknown;
    const note = typeof value === 'object' && value !== null ? (value as { note?: unknown }).note : undefined;
    return typeof note === 'string' ? note : undefined;
  } catch {
    return undefined;
  }
}

/** A string whose UTF-8 bytes are sent as they are (one latin1 character per byte). */
const asWireBytes = (text: string) => Buffer.from(text, 'utf8').toString('latin1');

const isControl = (c: string) => c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f;

/** Raw bytes for a request target: all but spaces and control bytes, which no HTTP client sends. */
const rawPathText = (text: string) =>
  Array.from(asWireBytes(text))
    .filter((c) => c !== ' ' && !isControl(c))
    .join('');

const SQL_FRAGMENTS = [
  "' OR '1'='1",
  "'; DROP TABLE orders; --",
  '1; SELECT pg_sleep(5)',
  '" OR ""="',
  "\\'; --",
  '$1',
  '$$; DROP SCHEMA app CASCADE; $$',
  ') UNION SELECT usename, passwd FROM pg_shadow --',
  "E'\\\\x00'",
  '%_%',
  'NULL',
  '1/0',
];

const UNICODE_SAMPLES = [
  '😀',
  '👩🏽‍💻',
  '🇺🇦',
  'שלום עולם',
  'مرحبا',
  '\u202Egnp.exe\u202C',
  'e\u0301\u0301\u0301',
  'Z̷̢̛a̴̡l̶g̵o̸',
  '\uFEFF',
  '\u200B\u200D',
  '\u2028\u2029',
  '𝔘𝔫𝔦𝔠𝔬𝔡𝔢',
  '\uFFFD',
  '\uFFFF',
  '\u{10FFFF}',
  'İı ß ﬃ',
  '\t\n\r',
  '\u001B[31m',
];

const INVALID_UTF8: readonly (readonly number[])[] = [
  [0xff],
  [0xfe, 0xff],
  [0xc0, 0x80], // overlong NUL
  [0xed, 0xa0, 0x80], // an encoded surrogate
  [0xe2, 0x82], // truncated
  [0xf4, 0x90, 0x80, 0x80], // above U+10FFFF
  [0x80],
];

const loneSurrogate = fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c));

const notePiece = fc.oneof(
  fc.string({ unit: 'grapheme', minLength: 1, maxLength: 12 }),
  fc.string({ unit: 'binary', minLength: 1, maxLength: 12 }).map((s) => s.replaceAll('\u0000', '')),
  fc.constantFrom(...SQL_FRAGMENTS),
  fc.constantFrom(...UNICODE_SAMPLES),
);

const codePoints = (s: string) => Array.from(s).length;

/** Notes the API must store and return exactly: 1..500 code points, no U+0000, well-formed. */
const storableNote = fc
  .oneof(
    { weight: 8, arbitrary: fc.array(notePiece, { minLength: 1, maxLength: 8 }).map((p) => p.join('')) },
    { weight: 1, arbitrary: fc.constantFrom('x', 'x'.repeat(500), '😀'.repeat(500), 'é'.repeat(500)) },
  )
  .filter((s) => s.length > 0 && codePoints(s) <= 500);

const insertAt = (text: string, position: number, inserted: string) => {
  const at = position % (text.length + 1);
  return text.slice(0, at) + inserted + text.slice(at);
};

const anyNote: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 6, arbitrary: storableNote },
  { weight: 2, arbitrary: fc.tuple(storableNote, fc.nat()).map(([s, at]) => insertAt(s, at, '\u0000')) },
  {
    weight: 2,
    arbitrary: fc.tuple(storableNote, fc.nat(), loneSurrogate).map(([s, at, c]) => insertAt(s, at, c)),
  },
  { weight: 1, arbitrary: fc.constantFrom('', 'x'.repeat(501), '😀'.repeat(501)) },
  { weight: 1, arbitrary: fc.constantFrom(null, 0, -0, 1e308, true, [], {}, ['note'], { $gt: '' }) },
  { weight: 1, arbitrary: fc.constant(undefined) },
);

const validLines = fc.array(
  fc.record({ productId: fc.integer({ min: 1, max: 50 }), quantity: fc.integer({ min: 1, max: 1000 }) }),
  { minLength: 1, maxLength: 5 },
);

/** Numbers as JSON text, including what JSON.stringify cannot write (1e309, -0, 2^53 + 1). */
const numberText = fc.oneof(
  fc.integer({ min: -3, max: 60 }).map(String),
  fc.constantFrom(
    '1e309',
    '-1e309',
    '9007199254740993',
    '9007199254740992',
    '-9007199254740993',
    '-0',
    '0',
    '0.0',
    '-0.0',
    '1.5',
    '1.0',
    '1e3',
    '1E2',
    '0.1e1',
    '2147483647',
    '2147483648',
    '4294967297',
    '1000',
    '1001',
    '123456789012345678901234567890',
    '1e-400',
  ),
  fc.double().map((d) => JSON.stringify(d)),
);

const valueText = fc.oneof(
  { weight: 4, arbitrary: numberText },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      'null',
      'true',
      'false',
      '""',
      '"1"',
      '"NaN"',
      '"Infinity"',
      '"-0"',
      '"0x10"',
      '[]',
      '{}',
      '[1]',
      '{"$gt":0}',
      '"1; DROP TABLE orders"',
    ),
  },
  { weight: 1, arbitrary: fc.json({ maxDepth: 2 }) },
);

const fieldName = fc.oneof(
  fc.constantFrom(
    '__proto__',
    'constructor',
    'prototype',
    'lines',
    'note',
    'Lines',
    'note ',
    'lines\u0000',
    'id',
    'totalCents',
    'price',
    '$where',
    '',
  ),
  fc.string({ maxLength: 8 }),
);

const member = (name: string, value: string) => `${JSON.stringify(name)}:${value}`;

const lineText = fc
  .record({
    productId: fc.option(valueText, { freq: 3 }),
    quantity: fc.option(valueText, { freq: 3 }),
    extra: fc.option(fc.tuple(fieldName, valueText), { freq: 1 }),
  })
  .map(({ productId, quantity, extra }) => {
    const members = [
      ...(productId === null ? [] : [member('productId', productId)]),
      ...(quantity === null ? [] : [member('quantity', quantity)]),
      ...(extra === null ? [] : [member(...extra)]),
    ];
    return `{${members.join(',')}}`;
  });

const linesText = fc.oneof(
  { weight: 5, arbitrary: fc.array(lineText, { maxLength: 6 }).map((l) => `[${l.join(',')}]`) },
  {
    weight: 1,
    arbitrary: fc.array(lineText, { minLength: 49, maxLength: 55 }).map((l) => `[${l.join(',')}]`),
  },
  { weight: 2, arbitrary: valueText },
);

/** An order body, as text: any member may be missing, wrongly typed, duplicated or unexpected. */
const orderBodyText = fc
  .record({
    lines: fc.option(linesText, { freq: 6 }),
    note: fc.option(
      anyNote.map((n) => (n === undefined ? 'null' : JSON.stringify(n))),
      { freq: 3 },
    ),
    extras: fc.array(fc.tuple(fieldName, valueText), { maxLength: 2 }),
  })
  .map(({ lines, note, extras }) => {
    const members = [
      ...(lines === null ? [] : [member('lines', lines)]),
      ...(note === null ? [] : [member('note', note)]),
      ...extras.map(([name, value]) => member(name, value)),
    ];
    return `{${members.join(',')}}`;
  });

const validOrderText = fc
  .tuple(validLines, fc.option(storableNote))
  .map(([lines, note]) => JSON.stringify(note === null ? { lines } : { lines, note }));

const rawBody: fc.Arbitrary<FuzzRequest> = fc
  .oneof(
    // Cut short anywhere, or no JSON at all.
    fc
      .tuple(validOrderText, fc.nat())
      .map(([text, cut]) => postJson(Buffer.from(text.slice(0, cut % text.length)))),
    fc.string({ unit: 'binary', maxLength: 60 }).map((text) => postJson(Buffer.from(text, 'utf8'))),
    fc.uint8Array({ maxLength: 120 }).map((bytes) => postJson(Buffer.from(bytes))),
    // Bytes that are not UTF-8 inside an otherwise valid order (RFC 8259: JSON text is UTF-8).
    fc
      .tuple(validLines, storableNote, fc.nat(), fc.constantFrom(...INVALID_UTF8))
      .map(([lines, note, at, bad]): FuzzRequest => {
        const [before, after] = JSON.stringify({ lines, note: insertAt(note, at, '\u0001') }).split(
          '\\u0001',
        );
        const body = Buffer.concat([Buffer.from(before ?? ''), Buffer.from(bad), Buffer.from(after ?? '')]);
        return { ...postJson(body), expected: '4xx' };
      }),
    // A byte order mark, or whitespace, around a valid order.
    fc
      .tuple(validOrderText, fc.constantFrom('\uFEFF', ' \n\t', '\r\n'))
      .map(([text, pad]) => postJson(Buffer.from(pad + text + pad, 'utf8'))),
    // Over the limit: with a Content-Length, or streamed in chunks.
    fc
      .tuple(fc.integer({ min: BODY_LIMIT_BYTES + 1, max: 4 * BODY_LIMIT_BYTES }), fc.boolean())
      .map(([size, chunked]): FuzzRequest => {
        const note = 'n'.repeat(size);
        const request = postJson(
          Buffer.from(JSON.stringify({ lines: [{ productId: 1, quantity: 1 }], note })),
        );
        return {
          ...request,
          headers: chunked ? { ...request.headers, 'transfer-encoding': 'chunked' } : request.headers,
          expected: 413,
        };
      }),
  )
  .map(printable);

const CONTENT_TYPES: readonly (string | string[] | undefined)[] = [
  'application/json',
  'application/json; charset=utf-8',
  'Application/JSON',
  'application/json;charset=UTF-8',
  'application/json; charset=latin1',
  'application/json; charset=utf-16',
  'application/json, text/plain',
  ['application/json', 'text/plain'],
  ['text/plain', 'application/json'],
  ['application/json', 'application/json'],
  undefined,
  '',
  'text/plain',
  'text/json',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x',
  'application/jsonx',
  'application/json-patch+json',
  'application/vnd.api+json',
  '*/*',
  'application/*',
  `application/json; x=${'a'.repeat(8000)}`,
];

/** Header text from any string: its UTF-8 bytes, without the control bytes HTTP forbids. */
const headerText = (text: string) =>
  Array.from(asWireBytes(text), (c) => (isControl(c) && c !== '\t' ? '?' : c)).join('');

const idempotencyKey = fc.oneof(
  fc.stringMatching(/^[\x21-\x7E]{1,200}$/),
  fc.constantFrom(...SQL_FRAGMENTS),
  fc.constantFrom(...UNICODE_SAMPLES),
  fc.constantFrom('', ' ', 'a'.repeat(200), 'a'.repeat(201), 'k'.repeat(8000)),
  fc.string({ unit: 'binary', minLength: 1, maxLength: 30 }),
);

const oddHeaders: fc.Arbitrary<FuzzRequest> = fc
  .record({
    body: validOrderText,
    contentType: fc.constantFrom(...CONTENT_TYPES),
    key: fc.option(
      fc.oneof(
        idempotencyKey.map(headerText),
        fc.tuple(idempotencyKey, idempotencyKey).map(([a, b]) => [headerText(a), headerText(b)]),
      ),
      { freq: 2 },
    ),
    long: fc.option(
      fc.tuple(
        fc.constantFrom('x-request-id', 'user-agent', 'x-forwarded-for', 'accept', 'cookie', 'x-anything'),
        fc.integer({ min: 1, max: 8000 }),
        fc.constantFrom('a', '9', '%', '\u00e9', ';'),
      ),
    ),
  })
  .map(({ body, contentType, key, long }) => {
    // A plain dictionary: the fuzz sends what the typed header names forbid (two content-types).
    const headers: NodeJS.Dict<OutgoingHttpHeader> = {};
    if (contentType !== undefined) headers['content-type'] = contentType;
    if (key !== null) headers['idempotency-key'] = key;
    if (long !== null) headers[long[0]] = headerText(long[2].repeat(long[1]));
    return printable({ method: 'POST', path: '/api/orders', headers, body: Buffer.from(body, 'utf8') });
  });

const pathSegment = fc.oneof(
  numberText.map(encodeURIComponent),
  fc.constantFrom(...SQL_FRAGMENTS).map(encodeURIComponent),
  fc.constantFrom(...SQL_FRAGMENTS).map(rawPathText),
  fc.constantFrom(...UNICODE_SAMPLES).map(encodeURIComponent),
  fc.constantFrom(...UNICODE_SAMPLES).map(rawPathText),
  fc
    .constantFrom(...INVALID_UTF8)
    .map((bytes) => bytes.map((b) => `%${b.toString(16).toUpperCase()}`).join('')),
  fc.constantFrom(...INVALID_UTF8).map((bytes) => Buffer.from(bytes).toString('latin1')),
  lonePercentSurrogate(),
  fc
    .tuple(fc.integer({ min: 17, max: 8000 }), fc.constantFrom('9', 'a', '%41', '0'))
    .map(([n, c]) => c.repeat(n)),
  fc.constantFrom('%00', '%2F', '..%2F..%2F', '%25', '%', '%%', '%G1', '.', '..', '', '1%20', '+1'),
);

function lonePercentSurrogate(): fc.Arbitrary<string> {
  // CESU-style bytes for one half of a surrogate pair, percent-encoded.
  return fc
    .integer({ min: 0xd800, max: 0xdfff })
    .map((c) =>
      [0xe0 | (c >> 12), 0x80 | ((c >> 6) & 0x3f), 0x80 | (c & 0x3f)]
        .map((b) => `%${b.toString(16).toUpperCase()}`)
        .join(''),
    );
}

const oddPath: fc.Arbitrary<FuzzRequest> = fc
  .tuple(
    fc.constantFrom(
      '/api/orders/',
      '/api/products/',
      '/api/products?limit=',
      '/api/products?cursor=',
      '/api/products?limit=5&cursor=',
      '/api/orders/1?',
      '/api/products/1/',
      '//api//orders/',
      '/',
      '/health/',
    ),
    pathSegment,
    fc.constantFrom('GET', 'GET', 'GET', 'HEAD', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'),
  )
  .map(([prefix, segment, method]) => printable({ method, path: prefix + segment, headers: {} }));

const keyReuse = fc
  .record({
    keySuffix: fc.stringMatching(/^[A-Za-z0-9._~-]{1,40}$/),
    lines: validLines,
    note: fc.option(storableNote),
    change: fc.constantFrom('quantity', 'product', 'add-line', 'note'),
  })
  .map(({ keySuffix, lines, note, change }) => {
    const first = note === null ? { lines } : { lines, note };
    const [head, ...rest] = lines;
    const line = head ?? { productId: 1, quantity: 1 };
    const changed =
      change === 'quantity'
        ? [{ ...line, quantity: (line.quantity % 1000) + 1 }, ...rest]
        : change === 'product'
          ? [{ ...line, productId: (line.productId % 50) + 1 }, ...rest]
          : change === 'add-line'
            ? [...lines, { productId: 1, quantity: 1 }]
            : lines;
    const second =
      change === 'note'
        ? { lines, note: note === 'a note' ? 'another note' : 'a note' }
        : { ...first, lines: changed };
    return { keySuffix, first, second };
  });
