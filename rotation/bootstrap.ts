/**
 * Database bootstrap: everything the application and the rotation function expect to exist
 * before the first deploy. Used by the local stack, docker compose and the CDK custom resource.
 *
 * As the master user:
 * - the database (default `app`) and a NOLOGIN owner role (default `app_owner`) with CONNECT on it;
 * - a schema (default `app`) owned by the owner role; CREATE on schema public revoked from PUBLIC;
 * - the application's LOGIN role (default `app`), member of the owner role WITH INHERIT and SET,
 *   so migrations can `SET ROLE app_owner` and every object belongs to the owner role, whichever
 *   of `app` / `app_clone` created it. search_path is left to the client (`-c search_path=app`),
 *   because a per-role setting would not follow the clone user.
 * Secrets:
 * - the master secret (created from the given credentials when absent; read when present);
 * - the app secret in the full rotation shape
 *   `{engine, host, port, dbname, username, password, masterarn}`, first password from
 *   GetRandomPassword with the rotation templates' rules.
 *
 * Idempotent: existing secrets are read, never replaced; an existing role keeps its password
 * (its password is only set when the role is created), but the app secret must log in, or the
 * bootstrap fails saying so. Passwords reach PostgreSQL only as SCRAM verifiers, never appear in
 * log lines, and never appear in error messages.
 */
import type { ConnectionOptions } from 'node:tls';
import {
  CreateSecretCommand,
  GetRandomPasswordCommand,
  GetSecretValueCommand,
  type SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import pg from 'pg';
import { computeScramVerifier } from './scram-verifier.js';

export interface BootstrapConnection {
  /** How this process reaches PostgreSQL. */
  host: string;
  port: number;
  /** Database the master user connects to for cluster-wide work; default `postgres`. */
  maintenanceDatabase?: string;
  /** TLS options, or `false` for plaintext; there is no silent default. */
  ssl: false | ConnectionOptions;
  /** Default 5000 ms. */
  connectTimeoutMs?: number;
}

export interface BootstrapOptions {
  secretsManager: SecretsManagerClient;
  connection: BootstrapConnection;
  /**
   * Master credentials, used to create the master secret when it does not exist yet.
   * When the master secret exists, its value is used instead (it is the source of truth:
   * on AWS it is the RDS-managed secret, which Secrets Manager itself may rotate).
   */
  masterCredentials?: { username: string; password: string };
  /** Name or ARN of the master secret; default `local/rds/master`. */
  masterSecretId?: string;
  /** Name of the app secret; default `local/app/db`. */
  appSecretName?: string;
  /** Default `app`. */
  database?: string;
  /** Default `app`. */
  schema?: string;
  /** NOLOGIN role that owns the schema and every object in it; default `app_owner`. */
  ownerRole?: string;
  /** The application's login role; default `app` (its alternate is `<appUser>_clone`). */
  appUser?: string;
  /** Host and port recorded in the secrets (what the app and the rotation function connect to); default `connection`. */
  secretEndpoint?: { host: string; port: number };
  /** `engine` recorded in the secrets; default `postgres`. */
  engine?: 'postgres' | 'aurora-postgresql';
  /** KMS key for secrets this run creates; default the account's `aws/secretsmanager` key. */
  kmsKeyId?: string;
  /** Rules for the app's first password; defaults as the AWS rotation templates. */
  password?: { length?: number; excludeCharacters?: string };
  /** Progress lines (never secret). Default: silent. */
  log?: (message: string) => void;
}

export interface BootstrapResult {
  masterSecretArn: string;
  appSecretArn: string;
  database: string;
  schema: string;
  ownerRole: string;
  appUser: string;
  /** What this run changed, in order; empty when everything was already in place. Never secret. */
  changes: string[];
}

export const DEFAULT_MASTER_SECRET_ID = 'local/rds/master';
export const DEFAULT_APP_SECRET_NAME = 'local/app/db';
/** The rotation templates' ExcludeCharacters, plus space. */
export const DEFAULT_EXCLUDE_CHARACTERS = ':/@"\'\\ ';
export const DEFAULT_PASSWORD_LENGTH = 32;
export const CLONE_SUFFIX = '_clone';

/** Thrown for every bootstrap failure; the message names what is wrong, never a password. */
export class BootstrapError extends Error {
  override readonly name = 'BootstrapError';
  /** SQLSTATE when the cause was a PostgreSQL error. */
  readonly code: string | undefined;
  constructor(message: string, options: { code?: string | undefined; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = options.code;
  }
}

// Lower-case, unquoted-safe identifiers: the same spelling works quoted and unquoted, in SQL and in
// the secret. 57 characters leave room for the `_clone` suffix within PostgreSQL's 63-byte limit.
const IDENTIFIER = /^[a-z_][a-z0-9_]*$/;
const MAX_IDENTIFIER_LENGTH = 63;

export function validateIdentifier(kind: string, value: string, maxLength = MAX_IDENTIFIER_LENGTH): string {
  if (!IDENTIFIER.test(value) || value.length > maxLength) {
    throw new BootstrapError(
      `invalid ${kind} name "${value}": use lower-case letters, digits and _ (starting with a letter or _), at most ${maxLength} characters`,
    );
  }
  if (value.startsWith('pg_')) {
    throw new BootstrapError(`invalid ${kind} name "${value}": the pg_ prefix is reserved`);
  }
  return value;
}

interface MasterSecret {
  username: string;
  password: string;
}

interface AppSecret {
  username: string;
  password: string;
  masterarn?: string;
}

export async function bootstrapDatabase(options: BootstrapOptions): Promise<BootstrapResult> {
  const log = options.log ?? ((): void => undefined);
  const database = validateIdentifier('database', options.database ?? 'app');
  const schema = validateIdentifier('schema', options.schema ?? 'app');
  const ownerRole = validateIdentifier('owner role', options.ownerRole ?? 'app_owner');
  const appUser = validateIdentifier(
    'app user',
    options.appUser ?? 'app',
    MAX_IDENTIFIER_LENGTH - CLONE_SUFFIX.length,
  );
  const cloneUser = `${appUser}${CLONE_SUFFIX}`;
  if (new Set([ownerRole, appUser, cloneUser]).size !== 3) {
    throw new BootstrapError('the owner role must differ from the app user and its clone');
  }
  const masterSecretId = options.masterSecretId ?? DEFAULT_MASTER_SECRET_ID;
  const appSecretName = options.appSecretName ?? DEFAULT_APP_SECRET_NAME;
  const engine = options.engine ?? 'postgres';
  const maintenanceDatabase = options.connection.maintenanceDatabase ?? 'postgres';
  const advertised = options.secretEndpoint ?? {
    host: options.connection.host,
    port: options.connection.port,
  };
  const sm = options.secretsManager;
  const changes: string[] = [];
  const changed = (what: string): void => {
    changes.push(what);
    log(what);
  };

  // 1. Master secret: read it, or create it from the given credentials.
  let master: MasterSecret;
  let masterSecretArn: string;
  const existingMaster = await readSecret(sm, masterSecretId, 'master secret');
  if (existingMaster) {
    master = parseMasterSecret(existingMaster.secretString, masterSecretId);
    masterSecretArn = existingMaster.arn;
    log(`master secret ${masterSecretId} exists; using its credentials`);
  } else {
    if (!options.masterCredentials) {
      throw new BootstrapError(
        `master secret ${masterSecretId} does not exist and no master credentials were given to create it`,
      );
    }
    master = { username: options.masterCredentials.username, password: options.masterCredentials.password };
    const created = await createSecret(sm, {
      name: masterSecretId,
      description: 'PostgreSQL master credentials',
      kmsKeyId: options.kmsKeyId,
      value: {
        engine,
        host: advertised.host,
        port: advertised.port,
        dbname: maintenanceDatabase,
        username: master.username,
        password: master.password,
      },
    });
    masterSecretArn = created.arn;
    if (created.created) changed(`created master secret ${masterSecretId}`);
  }

  const connect = (user: string, password: string, db: string): Promise<pg.Client> =>
    connectClient(options.connection, user, password, db);

  // As master, in the maintenance database: the app secret, then cluster-wide objects.
  let admin = await connect(master.username, master.password, maintenanceDatabase).catch((err: unknown) => {
    throw describeConnectError(err, `master user "${master.username}"`, maintenanceDatabase);
  });
  let appSecretArn: string;
  let appSecret: AppSecret;
  try {
    const version = await serverVersion(admin);
    const masterIsSuperuser = await isSuperuser(admin);

    // 2. App secret before anything else: its absence next to an existing role stops the run before any change,
    // and a run interrupted between creating the secret and the role is completed by the next one.
    const existingApp = await readSecret(sm, appSecretName, 'app secret');
    if (existingApp) {
      appSecret = parseAppSecret(existingApp.secretString, appSecretName, [appUser, cloneUser]);
      appSecretArn = existingApp.arn;
      log(`app secret ${appSecretName} exists (user ${appSecret.username}); keeping it`);
      if (appSecret.masterarn !== undefined && appSecret.masterarn !== masterSecretArn) {
        log(
          `warning: app secret ${appSecretName} has masterarn ${appSecret.masterarn}, not ${masterSecretArn}`,
        );
      }
    } else {
      if (await findRole(admin, appUser)) {
        throw new BootstrapError(
          `role "${appUser}" exists but the app secret ${appSecretName} does not; bootstrap sets a role's ` +
            "password only when it creates the role. Create the secret with the role's current password, or drop the role.",
        );
      }
      const password = await randomPassword(sm, options.password);
      const created = await createSecret(sm, {
        name: appSecretName,
        description: `Credentials of the application database user (rotated); master: ${masterSecretArn}`,
        kmsKeyId: options.kmsKeyId,
        value: {
          engine,
          host: advertised.host,
          port: advertised.port,
          dbname: database,
          username: appUser,
          password,
          masterarn: masterSecretArn,
        },
      });
      appSecretArn = created.arn;
      if (created.created) {
        appSecret = { username: appUser, password, masterarn: masterSecretArn };
        changed(`created app secret ${appSecretName}`);
      } else {
        // Someone else created it meanwhile: theirs wins.
        const raced = await readSecret(sm, appSecretName, 'app secret');
        if (!raced) throw new BootstrapError(`app secret ${appSecretName} vanished while bootstrapping`);
        appSecret = parseAppSecret(raced.secretString, appSecretName, [appUser, cloneUser]);
      }
    }

    // 3. Owner role, database, CONNECT.
    const owner = await findRole(admin, ownerRole);
    if (!owner) {
      await ignoreDuplicate(admin.query(`CREATE ROLE ${ident(ownerRole)} NOLOGIN`));
      changed(`created role ${ownerRole} (NOLOGIN)`);
    } else if (owner.rolcanlogin) {
      await admin.query(`ALTER ROLE ${ident(ownerRole)} NOLOGIN`);
      changed(`made role ${ownerRole} NOLOGIN`);
    }

    if (!(await exists(admin, 'SELECT 1 FROM pg_database WHERE datname = $1', [database]))) {
      await ignoreDuplicate(admin.query(`CREATE DATABASE ${ident(database)}`));
      changed(`created database ${database}`);
    }
    const hasConnect = await exists(
      admin,
      `SELECT 1 FROM pg_database d, aclexplode(d.datacl) a
        WHERE d.datname = $1 AND a.grantee = (SELECT oid FROM pg_roles WHERE rolname = $2)
          AND a.privilege_type = 'CONNECT'`,
      [database, ownerRole],
    );
    if (!hasConnect) {
      await admin.query(`GRANT CONNECT ON DATABASE ${ident(database)} TO ${ident(ownerRole)}`);
      changed(`granted CONNECT on database ${database} to ${ownerRole}`);
    }

    // A master that is not a superuser (RDS) must be able to SET ROLE to the owner to give it the schema.
    if (!masterIsSuperuser && !(await canSetRole(admin, version, master.username, ownerRole))) {
      await admin.query(
        `GRANT ${ident(ownerRole)} TO ${ident(master.username)}${version >= 160000 ? ' WITH INHERIT FALSE, SET TRUE' : ''}`,
      );
      changed(`granted ${ownerRole} to ${master.username} (to hand it the schema)`);
    }

    // 4. Login roles. The secret's current user gets the secret's password, only when created here.
    if (!(await findRole(admin, appSecret.username))) {
      const verifier = computeScramVerifier(appSecret.password);
      await ignoreDuplicate(
        admin.query(`CREATE ROLE ${ident(appSecret.username)} LOGIN PASSWORD ${literal(verifier)}`),
      );
      changed(`created role ${appSecret.username} (LOGIN, password from ${appSecretName})`);
    }
    if (appSecret.username !== appUser && !(await findRole(admin, appUser))) {
      // Alternating users with the secret on the clone: the original gets its password from the next rotation.
      await ignoreDuplicate(admin.query(`CREATE ROLE ${ident(appUser)} LOGIN`));
      changed(`created role ${appUser} (LOGIN, no password until the next rotation)`);
    }
    for (const member of [appUser, cloneUser]) {
      const role = await findRole(admin, member);
      if (!role) continue;
      if (!(await hasUsableMembership(admin, version, ownerRole, role))) {
        await admin.query(
          `GRANT ${ident(ownerRole)} TO ${ident(member)}${version >= 160000 ? ' WITH INHERIT TRUE, SET TRUE' : ''}`,
        );
        changed(`granted ${ownerRole} to ${member} (INHERIT, SET)`);
      }
    }
  } finally {
    await admin.end().catch(() => undefined);
  }

  // 5. Objects inside the app database, as master.
  admin = await connect(master.username, master.password, database).catch((err: unknown) => {
    throw describeConnectError(err, `master user "${master.username}"`, database);
  });
  try {
    const owner = await admin.query<{ owner: string }>(
      'SELECT pg_get_userbyid(nspowner) AS owner FROM pg_namespace WHERE nspname = $1',
      [schema],
    );
    const currentOwner = owner.rows[0]?.owner;
    if (currentOwner === undefined) {
      await ignoreDuplicate(admin.query(`CREATE SCHEMA ${ident(schema)} AUTHORIZATION ${ident(ownerRole)}`));
      changed(`created schema ${schema} owned by ${ownerRole}`);
    } else if (currentOwner !== ownerRole) {
      await admin.query(`ALTER SCHEMA ${ident(schema)} OWNER TO ${ident(ownerRole)}`);
      changed(`schema ${schema}: owner ${currentOwner} -> ${ownerRole}`);
    }
    const publicCanCreate = await exists(
      admin,
      `SELECT 1 FROM pg_namespace n, aclexplode(coalesce(n.nspacl, acldefault('n', n.nspowner))) a
        WHERE n.nspname = 'public' AND a.grantee = 0 AND a.privilege_type = 'CREATE'`,
      [],
    );
    if (publicCanCreate) {
      await admin.query('REVOKE CREATE ON SCHEMA public FROM PUBLIC');
      changed(`revoked CREATE on schema public from PUBLIC in database ${database}`);
    }
  } finally {
    await admin.end().catch(() => undefined);
  }

  // 6. The app secret must log in, whether its role was created now or long ago.
  try {
    const client = await connect(appSecret.username, appSecret.password, database);
    await client.query('SELECT 1');
    await client.end();
  } catch (err) {
    const code = sqlState(err);
    if (code === '28P01' || code === '28000') {
      throw new BootstrapError(
        `the password in app secret ${appSecretName} does not log in as role "${appSecret.username}" ` +
          `(SQLSTATE ${code}). The role existed before and bootstrap does not change existing passwords: ` +
          'run a rotation (it logs in with AWSPREVIOUS or resets through the master user) or fix the role by hand.',
        { code },
      );
    }
    throw describeConnectError(err, `app user "${appSecret.username}"`, database);
  }
  log(`app secret ${appSecretName} logs in as ${appSecret.username}`);

  return { masterSecretArn, appSecretArn, database, schema, ownerRole, appUser, changes };
}

// --- Secrets Manager -------------------------------------------------------------------------

async function readSecret(
  sm: SecretsManagerClient,
  secretId: string,
  what: string,
): Promise<{ arn: string; secretString: string } | undefined> {
  try {
    const out = await sm.send(new GetSecretValueCommand({ SecretId: secretId }));
    if (out.ARN === undefined || out.SecretString === undefined) {
      throw new BootstrapError(`${what} ${secretId} has no SecretString`);
    }
    return { arn: out.ARN, secretString: out.SecretString };
  } catch (err) {
    if (errorName(err) === 'ResourceNotFoundException') return undefined;
    if (err instanceof BootstrapError) throw err;
    throw new BootstrapError(
      `could not read ${what} ${secretId}: ${errorName(err) ?? 'error'}: ${errorMessage(err)}`,
      {
        cause: err,
      },
    );
  }
}

async function createSecret(
  sm: SecretsManagerClient,
  input: { name: string; description: string; kmsKeyId: string | undefined; value: Record<string, unknown> },
): Promise<{ arn: string; created: boolean }> {
  try {
    const out = await sm.send(
      new CreateSecretCommand({
        Name: input.name,
        Description: input.description,
        ...(input.kmsKeyId !== undefined && { KmsKeyId: input.kmsKeyId }),
        SecretString: JSON.stringify(input.value),
      }),
    );
    if (out.ARN === undefined) throw new BootstrapError(`CreateSecret ${input.name} returned no ARN`);
    return { arn: out.ARN, created: true };
  } catch (err) {
    if (errorName(err) === 'ResourceExistsException') {
      const existing = await readSecret(sm, input.name, 'secret');
      if (existing) return { arn: existing.arn, created: false };
    }
    if (err instanceof BootstrapError) throw err;
    throw new BootstrapError(
      `could not create secret ${input.name}: ${errorName(err) ?? 'error'}: ${errorMessage(err)}`,
      { cause: err },
    );
  }
}

async function randomPassword(
  sm: SecretsManagerClient,
  rules: BootstrapOptions['password'] = {},
): Promise<string> {
  try {
    const out = await sm.send(
      new GetRandomPasswordCommand({
        PasswordLength: rules.length ?? DEFAULT_PASSWORD_LENGTH,
        ExcludeCharacters: rules.excludeCharacters ?? DEFAULT_EXCLUDE_CHARACTERS,
        RequireEachIncludedType: true,
      }),
    );
    if (!out.RandomPassword) throw new BootstrapError('GetRandomPassword returned no password');
    return out.RandomPassword;
  } catch (err) {
    if (err instanceof BootstrapError) throw err;
    throw new BootstrapError(`GetRandomPassword failed: ${errorName(err) ?? 'error'}: ${errorMessage(err)}`, {
      cause: err,
    });
  }
}

/** JSON.parse's own error message quotes the input (the password with it), so it is never passed on. */
function parseSecretJson(secretString: string, secretId: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(secretString);
  } catch {
    throw new BootstrapError(`secret ${secretId} is not valid JSON`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new BootstrapError(`secret ${secretId} is not a JSON object`);
  }
  return value as Record<string, unknown>;
}

function parseMasterSecret(secretString: string, secretId: string): MasterSecret {
  const value = parseSecretJson(secretString, secretId);
  const { username, password } = value;
  if (typeof username !== 'string' || username === '' || typeof password !== 'string' || password === '') {
    throw new BootstrapError(`master secret ${secretId} must have string fields "username" and "password"`);
  }
  return { username, password };
}

function parseAppSecret(secretString: string, secretId: string, allowedUsers: string[]): AppSecret {
  const value = parseSecretJson(secretString, secretId);
  const { username, password, masterarn } = value;
  if (typeof username !== 'string' || typeof password !== 'string' || password === '') {
    throw new BootstrapError(`app secret ${secretId} must have string fields "username" and "password"`);
  }
  if (!allowedUsers.includes(username)) {
    throw new BootstrapError(
      `app secret ${secretId} has username "${username}", expected one of ${allowedUsers.map((u) => `"${u}"`).join(', ')}`,
    );
  }
  return { username, password, ...(typeof masterarn === 'string' && { masterarn }) };
}

// --- PostgreSQL ------------------------------------------------------------------------------

const ident = (name: string): string => pg.escapeIdentifier(name);
const literal = (value: string): string => pg.escapeLiteral(value);

async function connectClient(
  connection: BootstrapConnection,
  user: string,
  password: string,
  database: string,
): Promise<pg.Client> {
  const client = new pg.Client({
    host: connection.host,
    port: connection.port,
    user,
    password,
    database,
    ssl: connection.ssl,
    connectionTimeoutMillis: connection.connectTimeoutMs ?? 5000,
    application_name: 'rotation-bootstrap',
  });
  // A server-side disconnect between queries must not crash the process; the next query fails instead.
  client.on('error', () => undefined);
  try {
    await client.connect();
  } catch (err) {
    await client.end().catch(() => undefined);
    throw err;
  }
  return client;
}

interface RoleRow {
  oid: number;
  rolname: string;
  rolcanlogin: boolean;
  rolinherit: boolean;
}

async function findRole(client: pg.Client, name: string): Promise<RoleRow | undefined> {
  const result = await client.query<RoleRow>(
    'SELECT oid::int AS oid, rolname, rolcanlogin, rolinherit FROM pg_roles WHERE rolname = $1',
    [name],
  );
  return result.rows[0];
}

async function exists(client: pg.Client, sql: string, params: unknown[]): Promise<boolean> {
  const result = await client.query(sql, params);
  return (result.rowCount ?? 0) > 0;
}

async function serverVersion(client: pg.Client): Promise<number> {
  const result = await client.query<{ v: string }>("SELECT current_setting('server_version_num') AS v");
  return Number(result.rows[0]?.v ?? 0);
}

async function isSuperuser(client: pg.Client): Promise<boolean> {
  const result = await client.query<{ s: boolean }>(
    'SELECT rolsuper AS s FROM pg_roles WHERE rolname = current_user',
  );
  return result.rows[0]?.s === true;
}

async function canSetRole(
  client: pg.Client,
  version: number,
  member: string,
  role: string,
): Promise<boolean> {
  const privilege = version >= 160000 ? 'SET' : 'MEMBER';
  const result = await client.query<{ ok: boolean }>('SELECT pg_has_role($1, $2, $3) AS ok', [
    member,
    role,
    privilege,
  ]);
  return result.rows[0]?.ok === true;
}

/** Direct membership that both inherits the owner's privileges and allows SET ROLE to it. */
async function hasUsableMembership(
  client: pg.Client,
  version: number,
  ownerRole: string,
  member: RoleRow,
): Promise<boolean> {
  if (version >= 160000) {
    return exists(
      client,
      `SELECT 1 FROM pg_auth_members m
        WHERE m.roleid = (SELECT oid FROM pg_roles WHERE rolname = $1) AND m.member = $2
          AND m.inherit_option AND m.set_option`,
      [ownerRole, member.oid],
    );
  }
  const direct = await exists(
    client,
    'SELECT 1 FROM pg_auth_members m WHERE m.roleid = (SELECT oid FROM pg_roles WHERE rolname = $1) AND m.member = $2',
    [ownerRole, member.oid],
  );
  return direct && member.rolinherit;
}

const DUPLICATE_CODES = new Set(['42710', '42P04', '42P06']); // duplicate_object, _database, _schema

/** Concurrent bootstraps: losing the race to create an object is fine. */
async function ignoreDuplicate(query: Promise<unknown>): Promise<void> {
  try {
    await query;
  } catch (err) {
    if (!DUPLICATE_CODES.has(sqlState(err) ?? '')) throw err;
  }
}

function describeConnectError(err: unknown, who: string, database: string): BootstrapError {
  const code = sqlState(err);
  return new BootstrapError(
    `could not connect to database "${database}" as ${who}: ${errorMessage(err)}${code ? ` (SQLSTATE ${code})` : ''}`,
    { code, cause: err },
  );
}

function sqlState(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
}

function errorName(err: unknown): string | undefined {
  const name = (err as { name?: unknown } | null)?.name;
  return typeof name === 'string' ? name : undefined;
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
