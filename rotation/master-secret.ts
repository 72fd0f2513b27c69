/**
 * The master user, for alternating users: read from the secret named by the current secret's
 * `masterarn`. Two shapes:
 * - full: {engine, host, port, username, password, ...} (what the local stack and compose create);
 * - RDS-managed: exactly {username, password} (what RDS creates with ManageMasterUserPassword).
 *   The host then comes from DB_MASTER_HOST/DB_MASTER_PORT, or else from RDS: the secret's tag
 *   `aws:rds:primarydbinstancearn` (DescribeDBInstances) or `aws:rds:primarydbclusterarn`
 *   (DescribeDBClusters), as the AWS templates do.
 * DB_MASTER_HOST/DB_MASTER_PORT, when set, win over the secret for either shape.
 *
 * The RDS API is behind a small interface, so it can be replaced (tests, other regions, proxies).
 */
import type { RDSClient } from '@aws-sdk/client-rds';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { RotationConfig } from './config.js';
import type { DbLogin } from './db-connection.js';
import { awsErrorName, RotationError } from './errors.js';
import type { RotationLogger } from './logger.js';
import {
  isRdsManagedShape,
  parseSecretObject,
  SUPPORTED_ENGINES,
  toDbSecret,
  type DbSecret,
} from './secret-fields.js';
import { describeSecret, getSecretValue } from './secrets.js';
import { AWSCURRENT } from './version-stages.js';

export interface RdsInstance {
  Endpoint?: { Address?: string | undefined; Port?: number | undefined } | undefined;
  Engine?: string | undefined;
  ReadReplicaSourceDBInstanceIdentifier?: string | undefined;
}

export interface RdsCluster {
  Endpoint?: string | undefined;
  Port?: number | undefined;
  Engine?: string | undefined;
}

/** The two RDS calls the rotation function makes. */
export interface RdsApi {
  describeDBInstances(input: {
    DBInstanceIdentifier: string;
  }): Promise<{ DBInstances?: RdsInstance[] | undefined }>;
  describeDBClusters(input: {
    DBClusterIdentifier: string;
  }): Promise<{ DBClusters?: RdsCluster[] | undefined }>;
}

/** RdsApi on the AWS SDK; the client is loaded on first use (most rotations never need it). */
export function sdkRdsApi(): RdsApi {
  let client: Promise<RDSClient> | undefined;
  const rds = () => (client ??= import('@aws-sdk/client-rds').then((m) => new m.RDSClient({})));
  return {
    async describeDBInstances(input) {
      const m = await import('@aws-sdk/client-rds');
      return (await rds()).send(new m.DescribeDBInstancesCommand(input));
    },
    async describeDBClusters(input) {
      const m = await import('@aws-sdk/client-rds');
      return (await rds()).send(new m.DescribeDBClustersCommand(input));
    },
  };
}

export const INSTANCE_TAG = 'aws:rds:primarydbinstancearn';
export const CLUSTER_TAG = 'aws:rds:primarydbclusterarn';
const MAX_RDS_ARN_LENGTH = 256;

export interface MasterLogin extends DbLogin {
  engine: string | undefined;
  /** Where host and port came from. */
  endpointSource: 'secret' | 'config' | 'rds-instance' | 'rds-cluster';
}

export interface MasterSecretContext {
  sm: SecretsManagerClient;
  rds: () => RdsApi;
  config: Pick<RotationConfig, 'master'>;
  log: RotationLogger;
}

export async function loadMasterSecret(
  ctx: MasterSecretContext,
  masterArn: string,
  current: DbSecret,
): Promise<MasterLogin> {
  const what = `master secret ${masterArn}`;
  const value = await getSecretValue(ctx.sm, masterArn, AWSCURRENT);
  const raw = parseSecretObject(value.secretString, what);
  const override = ctx.config.master;

  let login: MasterLogin;
  if (isRdsManagedShape(raw)) {
    const username = raw.username;
    const password = raw.password;
    if (typeof username !== 'string' || username === '' || typeof password !== 'string' || password === '') {
      throw new RotationError(`${what}: fields "username" and "password" must be non-empty strings`);
    }
    const base = { username, password, dbname: current.dbname };
    if (override.host !== undefined) {
      login = {
        ...base,
        host: override.host,
        port: override.port ?? current.port,
        engine: current.engine,
        endpointSource: 'config',
      };
    } else {
      login = { ...base, ...(await endpointFromRds(ctx, masterArn)) };
    }
  } else {
    const secret = toDbSecret(raw, what, { requireEngine: true });
    login = {
      host: override.host ?? secret.host,
      port: override.port ?? secret.port,
      dbname: current.dbname,
      username: secret.username,
      password: secret.password,
      engine: secret.engine,
      endpointSource: override.host !== undefined ? 'config' : 'secret',
    };
  }
  if (login.engine !== undefined && !(SUPPORTED_ENGINES as readonly string[]).includes(login.engine)) {
    throw new RotationError(`${what}: database engine must be postgres or aurora-postgresql`);
  }
  ctx.log.info(
    {
      masterArn,
      masterUser: login.username,
      host: login.host,
      port: login.port,
      endpointSource: login.endpointSource,
    },
    'master secret loaded',
  );
  return login;
}

async function endpointFromRds(
  ctx: MasterSecretContext,
  masterArn: string,
): Promise<Pick<MasterLogin, 'host' | 'port' | 'engine' | 'endpointSource'>> {
  const { tags } = await describeSecret(ctx.sm, masterArn);
  let tag: { key: string; value: string } | undefined;
  for (const t of tags) {
    const key = t.key.toLowerCase();
    if (key === INSTANCE_TAG || key === CLUSTER_TAG) tag = { key, value: t.value };
  }
  if (!tag) {
    throw new RotationError(
      `master secret ${masterArn} has only username and password and no host: set DB_MASTER_HOST, ` +
        `or tag the secret with ${INSTANCE_TAG} or ${CLUSTER_TAG}`,
    );
  }
  if (tag.value.length > MAX_RDS_ARN_LENGTH) {
    throw new RotationError(
      `${tag.value} is not a valid DB Instance ARN. It exceeds the maximum length of ${MAX_RDS_ARN_LENGTH}.`,
    );
  }
  const rds = ctx.rds();
  if (tag.key === INSTANCE_TAG) {
    let instances: RdsInstance[];
    try {
      instances = (await rds.describeDBInstances({ DBInstanceIdentifier: tag.value })).DBInstances ?? [];
    } catch (err) {
      throw new RotationError(
        `Encountered API error while fetching connection parameters from DescribeDBInstances RDS API: ${awsErrorName(err) ?? 'error'}`,
        { code: awsErrorName(err), cause: err },
      );
    }
    const instance = instances[0];
    const host = instance?.Endpoint?.Address;
    const port = instance?.Endpoint?.Port;
    if (host === undefined || port === undefined) {
      throw new RotationError(
        `${tag.value} is not a valid DB Instance ARN. No Instances found when using DescribeDBInstances RDS API to get connection params.`,
      );
    }
    return { host, port, engine: instance?.Engine, endpointSource: 'rds-instance' };
  }
  let clusters: RdsCluster[];
  try {
    clusters = (await rds.describeDBClusters({ DBClusterIdentifier: tag.value })).DBClusters ?? [];
  } catch (err) {
    throw new RotationError(
      `Encountered API error while fetching connection parameters from DescribeDBClusters RDS API: ${awsErrorName(err) ?? 'error'}`,
      { code: awsErrorName(err), cause: err },
    );
  }
  const cluster = clusters[0];
  if (cluster?.Endpoint === undefined || cluster.Port === undefined) {
    throw new RotationError(
      `${tag.value} is not a valid DB Cluster ARN. No Instances found when using DescribeDBClusters RDS API to get connection params.`,
    );
  }
  return {
    host: cluster.Endpoint,
    port: cluster.Port,
    engine: cluster.Engine,
    endpointSource: 'rds-cluster',
  };
}

/**
 * True when `replicaHost` is an RDS read replica of `primaryHost` (the templates' check before
 * refusing a master on another host). Any RDS error means "not shown to be a replica".
 */
export async function isRdsReplica(rds: RdsApi, replicaHost: string, primaryHost: string): Promise<boolean> {
  const replicaId = replicaHost.split('.')[0] ?? '';
  const primaryId = primaryHost.split('.')[0] ?? '';
  try {
    const out = await rds.describeDBInstances({ DBInstanceIdentifier: replicaId });
    return out.DBInstances?.[0]?.ReadReplicaSourceDBInstanceIdentifier === primaryId;
  } catch {
    return false;
  }
}
