import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  computeScramVerifier,
  DEFAULT_SCRAM_ITERATIONS,
  isScramVerifier,
  parseScramVerifier,
  saslPrep,
  scramVerifierMatches,
} from '../../rotation/scram-verifier.js';
import { connectAs, startTestPostgres, type RunningPostgres } from '../helpers/postgres.js';

describe('computeScramVerifier', () => {
  it('matches an independently computed verifier (RFC 7677 example password and salt)', () => {
    const verifier = computeScramVerifier('pencil', {
      salt: Buffer.from('W22ZaJ0SNY7soEsUEjb6gQ==', 'base64'),
    });
    expect(verifier).toBe(
      'SCRAM-SHA-256$4096:W22ZaJ0SNY7soEsUEjb6gQ==$WG5d8oPm3OtcPnkdi4Uo7BkeZkBFzpcXkuLmtbsT4qY=:wfPLwcE6nTWhTAmQ7tl2KeoiWGPlZqQxSrmfPwDl2dU=',
    );
  });

  it('uses a fresh 16-byte salt and 4096 iterations by default', () => {
    const a = parseScramVerifier(computeScramVerifier('same password'));
    const b = parseScramVerifier(computeScramVerifier('same password'));
    expect(a.iterations).toBe(DEFAULT_SCRAM_ITERATIONS);
    expect(a.salt).toHaveLength(16);
    expect(a.storedKey).toHaveLength(32);
    expect(a.serverKey).toHaveLength(32);
    expect(a.salt.equals(b.salt)).toBe(false);
    expect(a.storedKey.equals(b.storedKey)).toBe(false);
  });

  it('round-trips through scramVerifierMatches and isScramVerifier', () => {
    const verifier = computeScramVerifier('correct horse', { iterations: 1000 });
    expect(isScramVerifier(verifier)).toBe(true);
    expect(scramVerifierMatches(verifier, 'correct horse')).toBe(true);
    expect(scramVerifierMatches(verifier, 'correct horse ')).toBe(false);
    expect(isScramVerifier('md5abcdef')).toBe(false);
    expect(() => parseScramVerifier('SCRAM-SHA-256$x:y$z')).toThrow(/not a SCRAM-SHA-256 verifier/);
  });

  it('refuses empty passwords and bad iteration counts', () => {
    expect(() => computeScramVerifier('')).toThrow(RangeError);
    expect(() => computeScramVerifier('x', { iterations: 0 })).toThrow(RangeError);
  });

  it('applies SASLprep like PostgreSQL', () => {
    expect(saslPrep('plain ASCII !"#')).toBe('plain ASCII !"#');
    expect(saslPrep('a\u00A0b')).toBe('a b'); // non-ASCII space -> space
    expect(saslPrep('a\u00ADb')).toBe('ab'); // soft hyphen -> nothing
    expect(saslPrep('\uFF50\uFF41\uFF53\uFF53')).toBe('pass'); // NFKC: fullwidth -> ASCII
    expect(saslPrep('a\u0007\u00E9')).toBe('a\u0007\u00E9'); // prohibited control: raw password
  });
});

describe('SCRAM verifiers against PostgreSQL', () => {
  let server: RunningPostgres;
  let admin: pg.Client;

  beforeAll(async () => {
    server = await startTestPostgres();
    admin = new pg.Client({
      host: server.host,
      port: server.port,
      user: server.superuser,
      password: server.superuserPassword,
      database: server.database,
    });
    await admin.connect();
  });

  afterAll(async () => {
    await admin.end();
    await server.stop();
  });

  it('a role whose password was set by verifier logs in with the cleartext password over SCRAM', async () => {
    const password = randomBytes(24).toString('base64url');
    const verifier = computeScramVerifier(password);
    await admin.query(`CREATE ROLE verifier_login LOGIN PASSWORD ${pg.escapeLiteral(verifier)}`);

    const stored = await admin.query<{ rolpassword: string }>(
      "SELECT rolpassword FROM pg_authid WHERE rolname = 'verifier_login'",
    );
    // PostgreSQL stored the verifier as sent: it never saw the cleartext.
    expect(stored.rows[0]?.rolpassword === verifier).toBe(true);

    const client = await connectAs(server, 'verifier_login', password);
    const who = await client.query<{ user: string }>('SELECT current_user AS user');
    expect(who.rows[0]?.user).toBe('verifier_login');
    await client.end();

    const wrong = await connectAs(server, 'verifier_login', `${password}x`).then(
      async (c) => {
        await c.end();
        return undefined;
      },
      (err: unknown) => err as { code?: string },
    );
    expect(wrong?.code).toBe('28P01');
  });

  it.each([
    ['ASCII with punctuation', 'Tr0ub4dor&3!{}[]'],
    ['non-ASCII letters', 'p\u00E4ssw\u00F6rd-\u00DF'],
    ['fullwidth (changed by NFKC)', '\uFF50\uFF41\uFF53\uFF53-\uFF11\uFF12'],
    ['non-ASCII space (mapped)', 'two\u00A0words'],
  ])('produces the same keys PostgreSQL derives from a cleartext password: %s', async (_label, password) => {
    await admin.query('DROP ROLE IF EXISTS verifier_compare');
    // Test-only: let PostgreSQL hash the cleartext, then recompute with its salt and iterations.
    await admin.query(`CREATE ROLE verifier_compare LOGIN PASSWORD ${pg.escapeLiteral(password)}`);
    const stored = await admin.query<{ rolpassword: string }>(
      "SELECT rolpassword FROM pg_authid WHERE rolname = 'verifier_compare'",
    );
    const fromServer = stored.rows[0]?.rolpassword ?? '';
    const { salt, iterations } = parseScramVerifier(fromServer);
    const ours = computeScramVerifier(password, { salt, iterations });
    expect(ours === fromServer, 'verifier differs from the one PostgreSQL computed').toBe(true);
  });
});
