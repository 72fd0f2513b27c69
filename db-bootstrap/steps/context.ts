/** What every bootstrap step gets: the validated names, the clients, and the change log. */
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type pg from 'pg';
import { CLONE_SUFFIX } from '../../rotation/public.js';
import { BootstrapError } from '../errors.js';
import { MAX_IDENTIFIER_LENGTH, validateIdentifier } from '../identifiers.js';
import {
  DEFAULT_APP_SECRET_NAME,
  DEFAULT_APP_USER,
  DEFAULT_DATABASE,
  DEFAULT_ENGINE,
  DEFAULT_MAINTENANCE_DATABASE,
  DEFAULT_MASTER_SECRET_ID,
  DEFAULT_OWNER_ROLE,
  DEFAULT_SCHEMA,
  type BootstrapOptions,
} from '../options.js';
import { connectClient } from '../postgres.js';

export interface BootstrapContext {
  options: BootstrapOptions;
  sm: SecretsManagerClient;
  database: string;
  schema: string;
  ownerRole: string;
  appUser: string;
  /** `<appUser>_clone`, the alternating-users partner. */
  cloneUser: string;
  masterSecretId: string;
  appSecretName: string;
  engine: 'postgres' | 'aurora-postgresql';
  maintenanceDatabase: string;
  /** Host and port written into the secrets. */
  advertised: { host: string; port: number };
  /** What this run changed, in order. */
  changes: string[];
  /** A progress line (never secret). */
  log: (message: string) => void;
  /** Records a change and logs it. */
  changed: (what: string) => void;
  connect: (user: string, password: string, database: string) => Promise<pg.Client>;
}

/** Validates every name first, so a bad one stops the run before any change. */
export function createContext(options: BootstrapOptions): BootstrapContext {
  const log = options.log ?? ((): void => undefined);
  const database = validateIdentifier('database', options.database ?? DEFAULT_DATABASE);
  const schema = validateIdentifier('schema', options.schema ?? DEFAULT_SCHEMA);
  const ownerRole = validateIdentifier('owner role', options.ownerRole ?? DEFAULT_OWNER_ROLE);
  const appUser = validateIdentifier(
    'app user',
    options.appUser ?? DEFAULT_APP_USER,
    MAX_IDENTIFIER_LENGTH - CLONE_SUFFIX.length,
  );
  const cloneUser = `${appUser}${CLONE_SUFFIX}`;
  if (new Set([ownerRole, appUser, cloneUser]).size !== 3) {
    throw new BootstrapError('the owner role must differ from the app user and its clone');
  }
  const changes: string[] = [];
  return {
    options,
    sm: options.secretsManager,
    database,
    schema,
    ownerRole,
    appUser,
    cloneUser,
    masterSecretId: options.masterSecretId ?? DEFAULT_MASTER_SECRET_ID,
    appSecretName: options.appSecretName ?? DEFAULT_APP_SECRET_NAME,
    engine: options.engine ?? DEFAULT_ENGINE,
    maintenanceDatabase: options.connection.maintenanceDatabase ?? DEFAULT_MAINTENANCE_DATABASE,
    advertised: options.secretEndpoint ?? { host: options.connection.host, port: options.connection.port },
    changes,
    log,
    changed: (what) => {
      changes.push(what);
      log(what);
    },
    connect: (user, password, db) => connectClient(options.connection, user, password, db),
  };
}
