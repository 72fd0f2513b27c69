/**
 * SCRAM-SHA-256 password verifiers, computed the way PostgreSQL computes them
 * (RFC 5802 / RFC 7677, `src/common/scram-common.c`).
 *
 * `ALTER ROLE ... PASSWORD 'SCRAM-SHA-256$...'` stores the verifier as is, so the
 * cleartext password never reaches the server: it cannot show up in server logs
 * (`log_statement`), in `pg_stat_statements` or in an error report.
 */
import { createHash, createHmac, pbkdf2Sync, randomBytes, timingSafeEqual } from 'node:crypto';

/** PostgreSQL's default `scram_iterations`. */
export const DEFAULT_SCRAM_ITERATIONS = 4096;
/** PostgreSQL's salt length for generated verifiers. */
export const SCRAM_SALT_LENGTH = 16;

const KEY_LENGTH = 32;

export interface ScramVerifierOptions {
  /** PBKDF2 iterations; PostgreSQL's default is 4096. */
  iterations?: number;
  /** Salt to use (tests only); a fresh random 16-byte salt by default. */
  salt?: Buffer;
}

export interface ParsedScramVerifier {
  iterations: number;
  salt: Buffer;
  storedKey: Buffer;
  serverKey: Buffer;
}

const VERIFIER_PATTERN =
  /^SCRAM-SHA-256\$(\d+):([A-Za-z0-9+/]+={0,2})\$([A-Za-z0-9+/]+={0,2}):([A-Za-z0-9+/]+={0,2})$/;

/**
 * Computes `SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>` for a password.
 * The result can be sent as the PASSWORD of CREATE/ALTER ROLE.
 */
export function computeScramVerifier(password: string, options: ScramVerifierOptions = {}): string {
  const iterations = options.iterations ?? DEFAULT_SCRAM_ITERATIONS;
  if (!Number.isInteger(iterations) || iterations < 1) {
    throw new RangeError('SCRAM iterations must be a positive integer');
  }
  if (password.length === 0) {
    // PostgreSQL refuses empty passwords for SCRAM authentication.
    throw new RangeError('password must not be empty');
  }
  const salt = options.salt ?? randomBytes(SCRAM_SALT_LENGTH);
  if (salt.length === 0) {
    throw new RangeError('SCRAM salt must not be empty');
  }
  const { storedKey, serverKey } = deriveKeys(password, salt, iterations);
  return (
    `SCRAM-SHA-256$${iterations}:${salt.toString('base64')}` +
    `$${storedKey.toString('base64')}:${serverKey.toString('base64')}`
  );
}

/** Splits a verifier into its parts; throws on anything that is not a SCRAM-SHA-256 verifier. */
export function parseScramVerifier(verifier: string): ParsedScramVerifier {
  const match = VERIFIER_PATTERN.exec(verifier);
  if (!match) {
    throw new Error('not a SCRAM-SHA-256 verifier');
  }
  const [, iterations, salt, storedKey, serverKey] = match as unknown as [
    string,
    string,
    string,
    string,
    string,
  ];
  return {
    iterations: Number(iterations),
    salt: Buffer.from(salt, 'base64'),
    storedKey: Buffer.from(storedKey, 'base64'),
    serverKey: Buffer.from(serverKey, 'base64'),
  };
}

/** True when the verifier was computed from this password (constant-time comparison of the keys). */
export function scramVerifierMatches(verifier: string, password: string): boolean {
  const parsed = parseScramVerifier(verifier);
  const { storedKey, serverKey } = deriveKeys(password, parsed.salt, parsed.iterations);
  return (
    parsed.storedKey.length === KEY_LENGTH &&
    parsed.serverKey.length === KEY_LENGTH &&
    timingSafeEqual(storedKey, parsed.storedKey) &&
    timingSafeEqual(serverKey, parsed.serverKey)
  );
}

/** True for strings PostgreSQL would store as a SCRAM-SHA-256 verifier rather than hash again. */
export function isScramVerifier(value: string): boolean {
  return VERIFIER_PATTERN.test(value);
}

function deriveKeys(
  password: string,
  salt: Buffer,
  iterations: number,
): { storedKey: Buffer; serverKey: Buffer } {
  const saltedPassword = pbkdf2Sync(
    Buffer.from(saslPrep(password), 'utf8'),
    salt,
    iterations,
    KEY_LENGTH,
    'sha256',
  );
  const clientKey = createHmac('sha256', saltedPassword).update('Client Key').digest();
  const storedKey = createHash('sha256').update(clientKey).digest();
  const serverKey = createHmac('sha256', saltedPassword).update('Server Key').digest();
  return { storedKey, serverKey };
}

type Ranges = readonly (readonly [number, number])[];

// RFC 3454 table C.1.2: non-ASCII space characters, mapped to SPACE.
const NON_ASCII_SPACE: Ranges = [
  [0x00a0, 0x00a0],
  [0x1680, 0x1680],
  [0x2000, 0x200b],
  [0x202f, 0x202f],
  [0x205f, 0x205f],
  [0x3000, 0x3000],
];
// RFC 3454 table B.1: characters commonly mapped to nothing.
const MAPPED_TO_NOTHING: Ranges = [
  [0x00ad, 0x00ad],
  [0x034f, 0x034f],
  [0x1806, 0x1806],
  [0x180b, 0x180d],
  [0x200b, 0x200d],
  [0x2060, 0x2060],
  [0xfe00, 0xfe0f],
  [0xfeff, 0xfeff],
];
// RFC 4013 section 2.3 prohibited output: RFC 3454 tables C.1.2, C.2.1, C.2.2 and C.3 to C.9.
const PROHIBITED: Ranges = [
  ...NON_ASCII_SPACE,
  [0x0000, 0x001f], // C.2.1
  [0x007f, 0x009f], // C.2.1, C.2.2
  [0x0340, 0x0341], // C.8
  [0x06dd, 0x06dd],
  [0x070f, 0x070f],
  [0x180e, 0x180e],
  [0x200c, 0x200f], // C.2.2, C.8
  [0x2028, 0x202e], // C.2.2, C.8
  [0x2060, 0x2063],
  [0x206a, 0x206f],
  [0x2ff0, 0x2ffb], // C.7
  [0xd800, 0xdfff], // C.5
  [0xe000, 0xf8ff], // C.3
  [0xfdd0, 0xfdef], // C.4
  [0xfeff, 0xfeff],
  [0xfff9, 0xffff], // C.2.2, C.4, C.6
  [0x1d173, 0x1d17a],
  [0x1fffe, 0x1ffff],
  [0x2fffe, 0x2ffff],
  [0x3fffe, 0x3ffff],
  [0x4fffe, 0x4ffff],
  [0x5fffe, 0x5ffff],
  [0x6fffe, 0x6ffff],
  [0x7fffe, 0x7ffff],
  [0x8fffe, 0x8ffff],
  [0x9fffe, 0x9ffff],
  [0xafffe, 0xaffff],
  [0xbfffe, 0xbffff],
  [0xcfffe, 0xcffff],
  [0xdfffe, 0xdffff],
  [0xe0001, 0xe0001], // C.9
  [0xe0020, 0xe007f],
  [0xefffe, 0x10ffff], // C.3, C.4
];

const inRanges = (codePoint: number, ranges: Ranges): boolean =>
  ranges.some(([start, end]) => codePoint >= start && codePoint <= end);

/**
 * SASLprep (RFC 4013) as PostgreSQL applies it before hashing (`pg_saslprep`):
 * pure ASCII is used unchanged; otherwise map (C.1.2 to space, B.1 to nothing), NFKC-normalise
 * and, when the result contains prohibited characters, fall back to the raw password as
 * PostgreSQL does. PostgreSQL's unassigned-code-point and bidirectional checks are not
 * reproduced; they only matter for passwords with unassigned or mixed-direction characters.
 */
export function saslPrep(password: string): string {
  const codePoints = Array.from(password, (c) => c.codePointAt(0) ?? 0);
  if (codePoints.every((c) => c < 0x80)) {
    return password;
  }
  if (codePoints.some((c) => c >= 0xd800 && c <= 0xdfff)) {
    // Lone surrogates are not valid UTF-8; PostgreSQL then uses the raw bytes.
    return password;
  }
  const mapped = codePoints
    .filter((c) => inRanges(c, NON_ASCII_SPACE) || !inRanges(c, MAPPED_TO_NOTHING))
    .map((c) => (inRanges(c, NON_ASCII_SPACE) ? 0x20 : c));
  const prepared = String.fromCodePoint(...mapped).normalize('NFKC');
  if (Array.from(prepared, (c) => c.codePointAt(0) ?? 0).some((c) => inRanges(c, PROHIBITED))) {
    return password;
  }
  return prepared;
}
