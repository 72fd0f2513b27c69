/**
 * setSecret, alternating users: the master user sets the password of the user that is not current.
 * 1. AWSPENDING already logs in → done.
 * 2. AWSPENDING must be for the alternate of the current user (x ↔ x_clone), on the same host.
 * 3. AWSCURRENT must log in (a caller cannot get a password set for a user it cannot prove it holds).
 * 4. The master secret (`masterarn` of AWSCURRENT), on the same host (or RDS says it is a replica's primary).
 * 5. As master, in one transaction: create the pending user (LOGIN) or change its password (a
 *    SCRAM verifier either way), then bring its role memberships and CONNECT privilege up to those
 *    of the current user (plus DB_OWNER_ROLE). Done on every rotation, not only when the clone is
 *    created, so a grant added to either user later reaches the other.
 */
import { inTransaction, using } from '../db-connection.js';
import { RotationError, SecretFieldError } from '../errors.js';
import { isRdsReplica, loadMasterSecret } from '../master-secret.js';
import { syncMemberships, upsertLoginRole } from '../roles.js';
import { alternateUsername } from '../secret-fields.js';
import { AWSCURRENT, AWSPENDING } from '../version-stages.js';
import {
  loginIfAccepted,
  pendingAlreadyWorks,
  readSecret,
  type StepContext,
  type StepOutcome,
} from './context.js';

export async function setSecretAlternatingUsers(ctx: StepContext): Promise<StepOutcome> {
  const current = await readSecret(ctx, AWSCURRENT);
  const pending = await readSecret(ctx, AWSPENDING, ctx.token);

  if (await pendingAlreadyWorks(ctx, pending)) return 'pending-works';

  if (alternateUsername(current.username) !== pending.username) {
    throw new RotationError(
      `Attempting to modify user ${pending.username} other than current user or clone ${current.username}`,
    );
  }
  if (current.host !== pending.host) {
    throw new RotationError(
      `Attempting to modify user for host ${pending.host} other than current host ${current.host}`,
    );
  }

  const proof = await loginIfAccepted(ctx, current, 'current');
  if (!proof) {
    throw new RotationError(
      `Unable to log into database using current credentials for secret ${ctx.secretId}`,
    );
  }
  await proof.end().catch(() => undefined);

  const masterArn = current.masterarn;
  if (masterArn === undefined) {
    throw new SecretFieldError(
      `secret ${ctx.secretId} ${AWSCURRENT}: field "masterarn" is missing`,
      'masterarn',
    );
  }
  const master = await loadMasterSecret(ctx, masterArn, current);
  if (master.host !== current.host && !(await isRdsReplica(ctx.rds(), current.host, master.host))) {
    throw new RotationError(
      `Current database host ${current.host} is not the same host as/rds replica of master ${master.host}`,
    );
  }

  const admin = await loginIfAccepted(ctx, master, 'master');
  if (!admin) {
    throw new RotationError(`Unable to log into database using credentials in master secret ${masterArn}`);
  }
  const { outcome, changes } = await using(admin, (client) =>
    inTransaction(client, async () => {
      const upserted = await upsertLoginRole(client, pending.username, pending.password);
      const synced = await syncMemberships(client, {
        template: current.username,
        target: pending.username,
        ownerRole: ctx.config.ownerRole,
      });
      return { outcome: upserted, changes: synced };
    }),
  );
  ctx.log.info(
    { user: pending.username, role: outcome, memberships: changes.length === 0 ? 'in sync' : changes },
    'setSecret: password set',
  );
  return outcome === 'created' ? 'clone-created' : 'password-updated';
}
