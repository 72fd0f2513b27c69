/**
 * The rotation function's protocol, branch by branch (ROTATION-SPEC.md), against a real PostgreSQL
 * with SCRAM password auth and two Secrets Manager implementations: the local endpoint and
 * moto_server. The steps are invoked one by one, as Secrets Manager invokes the Lambda.
 *
 * The server runs with log_statement=all; at the end, its log and every line the function logged
 * are scanned for every password any secret version ever held.
 */
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import {
  CancelRotateSecretCommand,
  CreateSecretCommand,
  PutSecretValueCommand,
  UpdateSecretVersionStageCommand,
  type SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadRotationConfig } from '../../rotation/config.js';
import { createRotationHandler, type RotationHandler } from '../../rotation/handler.js';
import { createLogger } from '../../rotation/logger.js';
import type { RdsApi } from '../../rotation/master-secret.js';
import { startTestPostgres, type RunningPostgres } from '../helpers/postgres.js';
import { FakeRds } from '../helpers/fake-rds.js';
import {
  asSuperuser,
  createFixture,
  everyPassword,
  logsIn,
  membershipsOf,
  secretValue,
  stagesOf,
  versionWith,
  type Fixture,
} from '../helpers/rotation-fixtures.js';
import { rotationTargets, type RunningRotationTarget } from '../helpers/rotation-targets.js';

const STEPS = ['createSecret', 'setSecret', 'testSecret', 'finishSecret'] as const;
const FUNCTION_ARN = 'arn:aws:lambda:us-east-1:000000000000:function:rotation-under-test';

let postgres: RunningPostgres;
const functionLog: string[] = [];
const passwords = new Set<string>();

beforeAll(async () => {
  postgres = await startTestPostgres({ settings: { log_statement: 'all' } });
});

afterAll(async () => {
  passwords.add(postgres.superuserPassword);
  try {
    const serverLog = postgres.logFile ? await readFile(postgres.logFile, 'utf8') : '';
    expect(serverLog.length, 'the server log was captured').toBeGreaterThan(0);
    // No password that ever existed appears in the server log (log_statement=all) or the function's log...
    const functionText = functionLog.join('\n');
    let leaks = 0;
    for (const password of passwords) {
      if (serverLog.includes(password)) leaks++;
      if (functionText.includes(password)) leaks++;
    }
    expect(passwords.size).toBeGreaterThan(20);
    expect(leaks, 'passwords found in the server log or the function log').toBe(0);
    // ...because new passwords went to the server as SCRAM verifiers.
    expect(serverLog).toMatch(/ALTER ROLE "[a-z0-9_]+" WITH (LOGIN )?PASSWORD 'SCRAM-SHA-256\$4096:/);
    expect(serverLog).toMatch(/CREATE ROLE "[a-z0-9_]+" WITH LOGIN PASSWORD 'SCRAM-SHA-256\$4096:/);
  } finally {
    await postgres.stop();
  }
});

for (const target of rotationTargets) {
  describe.skipIf(target.skipReason !== undefined)(`rotation function against ${target.name}`, () => {
    let running: RunningRotationTarget;
    let sm: SecretsManagerClient;
    let fixtures = 0;
    const database = `rot_${target.name}`;
    const masterSecretId = `test/${target.name}/master`;

    beforeAll(async () => {
      running = await target.start();
      sm = running.client('AKIDROTATIONFUNCTION');
    });

    afterAll(async () => {
      for (const password of await everyPassword(sm)) passwords.add(password);
      await running.stop();
    });

    const fixture = (appUser?: string): Promise<Fixture> =>
      createFixture({
        sm,
        postgres,
        tag: `${target.name.charAt(0)}${++fixtures}`,
        database,
        masterSecretId,
        ...(appUser !== undefined && { appUser }),
      });

    const rotationFunction = (
      strategy: 'single-user' | 'alternating-users',
      env: Record<string, string> = {},
      rds?: RdsApi,
    ): RotationHandler =>
      createRotationHandler({
        config: loadRotationConfig({ ROTATION_STRATEGY: strategy, DB_SSL: 'disable', ...env }),
        secretsManager: sm,
        logger: createLogger({ level: 'debug', write: (line) => functionLog.push(line) }),
        ...(rds && { rds }),
      });

    /** What Secrets Manager does before the first step: AWSPENDING reserved under a new token. */
    const reserve = async (secretId: string): Promise<string> => {
      const token = randomUUID();
      await running.reserve({ client: sm, secretId, token, functionArn: FUNCTION_ARN });
      expect((await stagesOf(sm, secretId))[token]).toEqual(['AWSPENDING']);
      return token;
    };

    const step = async (fn: RotationHandler, secretId: string, token: string, name: string) =>
      (await fn({ SecretId: secretId, ClientRequestToken: token, Step: name })).outcome;

    /** The four steps, each invoked `times` times in a row; the outcomes, step by step. */
    const rotate = async (fn: RotationHandler, secretId: string, token: string, times = 1) => {
      const outcomes: string[][] = [];
      for (const name of STEPS) {
        const perStep: string[] = [];
        for (let i = 0; i < times; i++) perStep.push(await step(fn, secretId, token, name));
        outcomes.push(perStep);
      }
      return outcomes;
    };

    describe('entry checks', () => {
      it('refuses a secret whose rotation is turned off', async () => {
        const fx = await fixture();
        const token = await reserve(fx.secretArn);
        await sm.send(new CancelRotateSecretCommand({ SecretId: fx.secretArn }));
        await expect(
          step(rotationFunction('single-user'), fx.secretArn, token, 'createSecret'),
        ).rejects.toThrow(`Secret ${fx.secretArn} is not enabled for rotation`);
      });

      it('refuses a token that is not a version of the secret', async () => {
        const fx = await fixture();
        await reserve(fx.secretArn);
        const unknown = randomUUID();
        const error = await step(
          rotationFunction('single-user'),
          fx.secretArn,
          unknown,
          'createSecret',
        ).catch((err: unknown) => err);
        expect(error).toBeInstanceOf(Error);
        expect((error as Error).message).toBe(
          `Secret version ${unknown} has no stage for rotation of secret ${fx.secretArn}`,
        );
      });

      it('does nothing, successfully, for a token that is already AWSCURRENT', async () => {
        const fx = await fixture();
        const before = await stagesOf(sm, fx.secretArn);
        const current = versionWith(before, 'AWSCURRENT') ?? '';
        const fn = rotationFunction('alternating-users');
        for (const name of [...STEPS, 'notAStep']) {
          expect(await step(fn, fx.secretArn, current, name)).toBe('already-current');
        }
        expect(await stagesOf(sm, fx.secretArn)).toEqual(before);
      });

      it('refuses a token that is not AWSPENDING', async () => {
        const fx = await fixture();
        const other = randomUUID();
        const value = await secretValue(sm, fx.secretArn, 'AWSCURRENT');
        await sm.send(
          new PutSecretValueCommand({
            SecretId: fx.secretArn,
            ClientRequestToken: other,
            SecretString: JSON.stringify(value),
            VersionStages: ['STAGING'],
          }),
        );
        await reserve(fx.secretArn);
        await expect(
          step(rotationFunction('single-user'), fx.secretArn, other, 'createSecret'),
        ).rejects.toThrow(
          `Secret version ${other} not set as AWSPENDING for rotation of secret ${fx.secretArn}`,
        );
      });

      it('refuses an unknown step', async () => {
        const fx = await fixture();
        const token = await reserve(fx.secretArn);
        await expect(
          step(rotationFunction('single-user'), fx.secretArn, token, 'rollbackSecret'),
        ).rejects.toThrow(`Invalid step parameter rollbackSecret for secret ${fx.secretArn}`);
      });
    });

    describe('single user', () => {
      it('rotates with every step invoked twice; the documented snake_case step names work too', async () => {
        const fx = await fixture();
        const old = await secretValue(sm, fx.secretArn, 'AWSCURRENT');
        const oldVersion = versionWith(await stagesOf(sm, fx.secretArn), 'AWSCURRENT');
        const fn = rotationFunction('single-user');
        const token = await reserve(fx.secretArn);

        expect(await rotate(fn, fx.secretArn, token, 2)).toEqual([
          ['created', 'pending-exists'],
          ['password-set-as-current', 'pending-works'],
          ['tested', 'tested'],
          ['finished', 'already-current'],
        ]);
        const next = await secretValue(sm, fx.secretArn, 'AWSCURRENT');
        expect(next).toEqual({ ...old, password: next.password });
        expect(next.password).not.toBe(old.password);
        expect(next.password).toHaveLength(32);
        expect(await logsIn(postgres, fx.appUser, next.password, fx.database)).toBe(true);
        expect(await logsIn(postgres, fx.appUser, old.password, fx.database)).toBe(false);
        // AWSPREVIOUS on the old version, and no AWSPENDING left anywhere.
        expect(await stagesOf(sm, fx.secretArn)).toEqual({
          [oldVersion ?? '']: ['AWSPREVIOUS'],
          [token]: ['AWSCURRENT'],
        });

        const snake = await reserve(fx.secretArn);
        for (const name of ['create_secret', 'set_secret', 'test_secret', 'finish_secret']) {
          await step(fn, fx.secretArn, snake, name);
        }
        expect(versionWith(await stagesOf(sm, fx.secretArn), 'AWSCURRENT')).toBe(snake);
        const latest = await secretValue(sm, fx.secretArn, 'AWSCURRENT');
        expect(await logsIn(postgres, fx.appUser, latest.password, fx.database)).toBe(true);
      });

      it('createSecret keeps a pending value that is already there', async () => {
        const fx = await fixture();
        const token = await reserve(fx.secretArn);
        const current = await secretValue(sm, fx.secretArn, 'AWSCURRENT');
        const chosen = { ...current, password: `Chosen-${randomUUID()}` };
        await sm.send(
          new PutSecretValueCommand({
            SecretId: fx.secretArn,
            ClientRequestToken: token,
            SecretString: JSON.stringify(chosen),
            VersionStages: ['AWSPENDING'],
          }),
        );
        expect(await step(rotationFunction('single-user'), fx.secretArn, token, 'createSecret')).toBe(
          'pending-exists',
        );
        expect(await secretValue(sm, fx.secretArn, 'AWSPENDING', token)).toEqual(chosen);
      });

      it('logs in with AWSPREVIOUS when AWSCURRENT does not work', async () => {
        const fx = await fixture();
        const working = await secretValue(sm, fx.secretArn, 'AWSCURRENT');
        // A new AWSCURRENT whose password was never set in the database; the working one becomes AWSPREVIOUS.
        await sm.send(
          new PutSecretValueCommand({
            SecretId: fx.secretArn,
            SecretString: JSON.stringify({ ...working, password: `Never-set-${randomUUID()}` }),
          }),
        );
        const fn = rotationFunction('single-user');
        const token = await reserve(fx.secretArn);
        expect(await rotate(fn, fx.secretArn, token)).toEqual([
          ['created'],
          ['password-set-as-previous'],
          ['tested'],
          ['finished'],
        ]);
        const next = await secretValue(sm, fx.secretArn, 'AWSCURRENT');
        expect(await logsIn(postgres, fx.appUser, next.password, fx.database)).toBe(true);
      });

      it('fails when neither pending, current nor previous logs in', async () => {
        const fx = await fixture();
        const working = await secretValue(sm, fx.secretArn, 'AWSCURRENT');
        for (let i = 0; i < 2; i++) {
          await sm.send(
            new PutSecretValueCommand({
              SecretId: fx.secretArn,
              SecretString: JSON.stringify({ ...working, password: `Never-set-${randomUUID()}` }),
            }),
          );
        }
        const fn = rotationFunction('single-user');
        const token = await reserve(fx.secretArn);
        await step(fn, fx.secretArn, token, 'createSecret');
        await expect(step(fn, fx.secretArn, token, 'setSecret')).rejects.toThrow(
          'Unable to log into database with previous, current, or pending secret',
        );
        await expect(step(fn, fx.secretArn, token, 'testSecret')).rejects.toThrow(
          'Unable to log into database with pending secret',
        );
        expect(await logsIn(postgres, fx.appUser, working.password, fx.database)).toBe(true);
      });

      it('refuses a pending version for another user or another host', async () => {
        const fx = await fixture();
        const fn = rotationFunction('single-user');
        const current = await secretValue(sm, fx.secretArn, 'AWSCURRENT');

        const cases = [
          {
            pending: { ...current, username: 'someone_else', password: `P-${randomUUID()}` },
            message: `Attempting to modify user someone_else other than current user ${fx.appUser}`,
          },
          {
            pending: { ...current, host: 'localhost', password: `P-${randomUUID()}` },
            message: `Attempting to modify user for host localhost other than current host ${current.host}`,
          },
        ];
        for (const { pending, message } of cases) {
          const token = await reserve(fx.secretArn);
          await sm.send(
            new PutSecretValueCommand({
              SecretId: fx.secretArn,
              ClientRequestToken: token,
              SecretString: JSON.stringify(pending),
              VersionStages: ['AWSPENDING'],
            }),
          );
          await expect(step(fn, fx.secretArn, token, 'setSecret')).rejects.toThrow(message);
          // Let the next case start: take AWSPENDING off the refused version.
          await sm.send(
            new UpdateSecretVersionStageCommand({
              SecretId: fx.secretArn,
              VersionStage: 'AWSPENDING',
              RemoveFromVersionId: token,
            }),
          );
        }
        expect(await logsIn(postgres, fx.appUser, current.password, fx.database)).toBe(true);
      });

      it('never falls back to plaintext: TLS required but not offered by the server fails', async () => {
        const fx = await fixture();
        for (const mode of ['verify-full', 'require']) {
          const fn = rotationFunction('single-user', { DB_SSL: mode });
          const token = await reserve(fx.secretArn);
          await step(fn, fx.secretArn, token, 'createSecret');
          await expect(step(fn, fx.secretArn, token, 'setSecret')).rejects.toThrow(/\(pending\): tls: /);
          await expect(step(fn, fx.secretArn, token, 'testSecret')).rejects.toThrow(
            'Unable to log into database with pending secret',
          );
          await sm.send(
            new UpdateSecretVersionStageCommand({
              SecretId: fx.secretArn,
              VersionStage: 'AWSPENDING',
              RemoveFromVersionId: token,
            }),
          );
        }
      });
    });

    describe('finishSecret', () => {
      it('completes a finishSecret that moved AWSCURRENT but left AWSPENDING on the version', async () => {
        const fx = await fixture();
        const fn = rotationFunction('single-user');
        const token = await reserve(fx.secretArn);
        for (const name of ['createSecret', 'setSecret', 'testSecret'])
          await step(fn, fx.secretArn, token, name);
        const old = versionWith(await stagesOf(sm, fx.secretArn), 'AWSCURRENT') ?? '';
        // What the AWS templates' finishSecret leaves behind.
        await sm.send(
          new UpdateSecretVersionStageCommand({
            SecretId: fx.secretArn,
            VersionStage: 'AWSCURRENT',
            MoveToVersionId: token,
            RemoveFromVersionId: old,
          }),
        );
        expect((await stagesOf(sm, fx.secretArn))[token]).toEqual(['AWSCURRENT', 'AWSPENDING']);
        expect(await step(fn, fx.secretArn, token, 'finishSecret')).toBe('already-current');
        expect(await stagesOf(sm, fx.secretArn)).toEqual({ [old]: ['AWSPREVIOUS'], [token]: ['AWSCURRENT'] });
      });
    });

    describe('alternating users', () => {
      it('creates the clone, then toggles users; every step invoked twice; memberships re-synced every time', async () => {
        const fx = await fixture();
        const fn = rotationFunction('alternating-users', { DB_OWNER_ROLE: fx.ownerRole });
        const first = await secretValue(sm, fx.secretArn, 'AWSCURRENT');

        // 1: the clone does not exist yet.
        const t1 = await reserve(fx.secretArn);
        expect(await rotate(fn, fx.secretArn, t1, 2)).toEqual([
          ['created', 'pending-exists'],
          ['clone-created', 'pending-works'],
          ['tested', 'tested'],
          ['finished', 'already-current'],
        ]);
        const second = await secretValue(sm, fx.secretArn, 'AWSCURRENT');
        expect(second).toEqual({ ...first, username: fx.cloneUser, password: second.password });
        expect(await logsIn(postgres, fx.cloneUser, second.password, fx.database)).toBe(true);
        // The original keeps working: it is AWSPREVIOUS now.
        expect(await logsIn(postgres, fx.appUser, first.password, fx.database)).toBe(true);
        expect(await secretValue(sm, fx.secretArn, 'AWSPREVIOUS')).toEqual(first);

        // Drift made by hand: the clone loses the owner role; the original gains another role.
        await asSuperuser(postgres, fx.database, async (admin) => {
          expect(await membershipsOf(admin, fx.cloneUser)).toEqual({ [fx.ownerRole]: 'INHERIT,SET' });
          await admin.query(`REVOKE ${fx.ownerRole} FROM ${fx.cloneUser}`);
          await admin.query(`CREATE ROLE extra_${fx.appUser} NOLOGIN`);
          await admin.query(`GRANT extra_${fx.appUser} TO ${fx.appUser} WITH INHERIT TRUE, SET FALSE`);
        });

        // 2: back to the original user, which exists: only its password changes.
        const t2 = await reserve(fx.secretArn);
        expect(await rotate(fn, fx.secretArn, t2)).toEqual([
          ['created'],
          ['password-updated'],
          ['tested'],
          ['finished'],
        ]);
        const third = await secretValue(sm, fx.secretArn, 'AWSCURRENT');
        expect(third.username).toBe(fx.appUser);
        expect(await logsIn(postgres, fx.appUser, third.password, fx.database)).toBe(true);
        expect(await logsIn(postgres, fx.appUser, first.password, fx.database)).toBe(false);

        // 3: to the clone again, which exists: password set, memberships brought back in line.
        const t3 = await reserve(fx.secretArn);
        expect(await rotate(fn, fx.secretArn, t3)).toEqual([
          ['created'],
          ['password-updated'],
          ['tested'],
          ['finished'],
        ]);
        await asSuperuser(postgres, fx.database, async (admin) => {
          expect(await membershipsOf(admin, fx.cloneUser)).toEqual({
            [fx.ownerRole]: 'INHERIT,SET',
            [`extra_${fx.appUser}`]: 'INHERIT,NOSET',
          });
        });
        const stages = await stagesOf(sm, fx.secretArn);
        expect(stages).toEqual({ [t2]: ['AWSPREVIOUS'], [t3]: ['AWSCURRENT'] });
      });

      it('refuses a pending user that is not the alternate, or another host', async () => {
        const fx = await fixture();
        const fn = rotationFunction('alternating-users');
        const current = await secretValue(sm, fx.secretArn, 'AWSCURRENT');
        const cases = [
          {
            pending: { ...current, password: `P-${randomUUID()}` },
            message: `Attempting to modify user ${fx.appUser} other than current user or clone ${fx.appUser}`,
          },
          {
            pending: { ...current, username: fx.cloneUser, host: 'localhost', password: `P-${randomUUID()}` },
            message: `Attempting to modify user for host localhost other than current host ${current.host}`,
          },
        ];
        for (const { pending, message } of cases) {
          const token = await reserve(fx.secretArn);
          await sm.send(
            new PutSecretValueCommand({
              SecretId: fx.secretArn,
              ClientRequestToken: token,
              SecretString: JSON.stringify(pending),
              VersionStages: ['AWSPENDING'],
            }),
          );
          await expect(step(fn, fx.secretArn, token, 'setSecret')).rejects.toThrow(message);
          await sm.send(
            new UpdateSecretVersionStageCommand({
              SecretId: fx.secretArn,
              VersionStage: 'AWSPENDING',
              RemoveFromVersionId: token,
            }),
          );
        }
      });

      it('refuses to set a password when AWSCURRENT does not log in', async () => {
        const fx = await fixture();
        const working = await secretValue(sm, fx.secretArn, 'AWSCURRENT');
        await sm.send(
          new PutSecretValueCommand({
            SecretId: fx.secretArn,
            SecretString: JSON.stringify({ ...working, password: `Never-set-${randomUUID()}` }),
          }),
        );
        const fn = rotationFunction('alternating-users');
        const token = await reserve(fx.secretArn);
        await step(fn, fx.secretArn, token, 'createSecret');
        await expect(step(fn, fx.secretArn, token, 'setSecret')).rejects.toThrow(
          `Unable to log into database using current credentials for secret ${fx.secretArn}`,
        );
        await asSuperuser(postgres, fx.database, async (admin) => {
          const clone = await admin.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [fx.cloneUser]);
          expect(clone.rowCount).toBe(0);
        });
      });

      it('refuses a username whose clone name would exceed 63 characters', async () => {
        const name = `test/rotation/${target.name}-long-${randomUUID()}`;
        const created = await sm.send(
          new CreateSecretCommand({
            Name: name,
            SecretString: JSON.stringify({
              engine: 'postgres',
              host: postgres.host,
              port: postgres.port,
              username: 'a'.repeat(58),
              password: `P-${randomUUID()}`,
              masterarn: 'arn:aws:secretsmanager:us-east-1:000000000000:secret:none',
            }),
          }),
        );
        const arn = created.ARN ?? '';
        const token = await reserve(arn);
        await expect(step(rotationFunction('alternating-users'), arn, token, 'createSecret')).rejects.toThrow(
          'Unable to clone user, username length with _clone appended would exceed 63 characters',
        );
        // 57 characters + _clone is exactly 63: fine as far as createSecret goes.
        expect((await stagesOf(sm, arn))[token]).toEqual(['AWSPENDING']);
      });

      it('requires engine for alternating users, naming the field and never the value', async () => {
        const name = `test/rotation/${target.name}-noengine-${randomUUID()}`;
        const password = `P-${randomUUID()}`;
        const created = await sm.send(
          new CreateSecretCommand({
            Name: name,
            SecretString: JSON.stringify({ host: postgres.host, username: 'someone', password }),
          }),
        );
        const arn = created.ARN ?? '';
        const token = await reserve(arn);
        const error = (await step(rotationFunction('alternating-users'), arn, token, 'createSecret').catch(
          (err: unknown) => err,
        )) as Error;
        expect(error.message).toBe(`secret ${arn} AWSCURRENT: field "engine" is missing`);
        expect(error.message.includes(password)).toBe(false);
        passwords.add(password);
      });

      describe('with an RDS-managed master secret ({username, password} only)', () => {
        const managedMaster = async (tags: { Key: string; Value: string }[]): Promise<string> => {
          const created = await sm.send(
            new CreateSecretCommand({
              Name: `test/rotation/${target.name}-rds-master-${randomUUID()}`,
              SecretString: JSON.stringify({
                username: postgres.superuser,
                password: postgres.superuserPassword,
              }),
              Tags: tags,
            }),
          );
          return created.ARN ?? '';
        };
        const fixtureWithMaster = async (masterArn: string): Promise<Fixture> =>
          createFixture({
            sm,
            postgres,
            tag: `${target.name.charAt(0)}${++fixtures}`,
            database,
            masterSecretId: masterArn,
          });

        it('finds the host through the instance tag and DescribeDBInstances', async () => {
          const instanceArn = `arn:aws:rds:us-east-1:000000000000:db:primary-${fixtures}`;
          const masterArn = await managedMaster([
            { Key: 'aws:rds:primarydbinstancearn', Value: instanceArn },
          ]);
          const fx = await fixtureWithMaster(masterArn);
          const rds = new FakeRds();
          rds.instances.set(instanceArn, {
            Endpoint: { Address: postgres.host, Port: postgres.port },
            Engine: 'postgres',
          });
          const fn = rotationFunction('alternating-users', {}, rds);
          const token = await reserve(fx.secretArn);
          expect(await rotate(fn, fx.secretArn, token)).toEqual([
            ['created'],
            ['clone-created'],
            ['tested'],
            ['finished'],
          ]);
          expect(rds.calls).toEqual([{ operation: 'DescribeDBInstances', identifier: instanceArn }]);
        });

        it('finds the host through the cluster tag and DescribeDBClusters', async () => {
          const clusterArn = `arn:aws:rds:us-east-1:000000000000:cluster:primary-${fixtures}`;
          const masterArn = await managedMaster([{ Key: 'aws:rds:primarydbclusterarn', Value: clusterArn }]);
          const fx = await fixtureWithMaster(masterArn);
          const rds = new FakeRds();
          rds.clusters.set(clusterArn, {
            Endpoint: postgres.host,
            Port: postgres.port,
            Engine: 'aurora-postgresql',
          });
          const fn = rotationFunction('alternating-users', {}, rds);
          const token = await reserve(fx.secretArn);
          await rotate(fn, fx.secretArn, token);
          expect(versionWith(await stagesOf(sm, fx.secretArn), 'AWSCURRENT')).toBe(token);
          expect(rds.calls).toEqual([{ operation: 'DescribeDBClusters', identifier: clusterArn }]);
        });

        it('takes DB_MASTER_HOST/DB_MASTER_PORT from the configuration, without asking RDS', async () => {
          const masterArn = await managedMaster([]);
          const fx = await fixtureWithMaster(masterArn);
          const rds = new FakeRds();
          const fn = rotationFunction(
            'alternating-users',
            { DB_MASTER_HOST: postgres.host, DB_MASTER_PORT: String(postgres.port) },
            rds,
          );
          const token = await reserve(fx.secretArn);
          await rotate(fn, fx.secretArn, token);
          expect(versionWith(await stagesOf(sm, fx.secretArn), 'AWSCURRENT')).toBe(token);
          expect(rds.calls).toEqual([]);
        });

        it('says what is missing when neither the configuration nor a tag gives the host', async () => {
          const masterArn = await managedMaster([]);
          const fx = await fixtureWithMaster(masterArn);
          const fn = rotationFunction('alternating-users', {}, new FakeRds());
          const token = await reserve(fx.secretArn);
          await step(fn, fx.secretArn, token, 'createSecret');
          await expect(step(fn, fx.secretArn, token, 'setSecret')).rejects.toThrow(
            `master secret ${masterArn} has only username and password and no host: set DB_MASTER_HOST`,
          );
        });

        it('reports an instance RDS does not know', async () => {
          const instanceArn = `arn:aws:rds:us-east-1:000000000000:db:gone-${fixtures}`;
          const masterArn = await managedMaster([
            { Key: 'aws:rds:primarydbinstancearn', Value: instanceArn },
          ]);
          const fx = await fixtureWithMaster(masterArn);
          const fn = rotationFunction('alternating-users', {}, new FakeRds());
          const token = await reserve(fx.secretArn);
          await step(fn, fx.secretArn, token, 'createSecret');
          await expect(step(fn, fx.secretArn, token, 'setSecret')).rejects.toThrow(
            'Encountered API error while fetching connection parameters from DescribeDBInstances RDS API: DBInstanceNotFoundFault',
          );
        });
      });
    });
  });
}
