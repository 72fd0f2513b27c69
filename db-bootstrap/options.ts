/** What the bootstrap is asked to do, what it returns, and its defaults. */
import type { ConnectionOptions } from 'node:tls';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';

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
export const DEFAULT_DATABASE = 'app';
export const DEFAULT_SCHEMA = 'app';
export const DEFAULT_OWNER_ROLE = 'app_owner';
export const DEFAULT_APP_USER = 'app';
export const DEFAULT_ENGINE = 'postgres';
export const DEFAULT_MAINTENANCE_DATABASE = 'postgres';
/** As the rotation function's connect timeout (the AWS templates' 5 s). */
export const DEFAULT_CONNECT_TIMEOUT_MS = 5000;
