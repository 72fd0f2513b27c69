/**
 * Secrets, their versions and the staging-label rules of Secrets Manager:
 * - a staging label is attached to at most one version of a secret;
 * - moving AWSCURRENT moves AWSPREVIOUS to the version AWSCURRENT was removed from;
 * - the first version of a secret always gets AWSCURRENT;
 * - a ClientRequestToken names a version: the same token with the same value is ignored, with another
 *   value it fails, except on the empty version RotateSecret creates for the rotation function to fill;
 * - a version without labels is deprecated (hidden unless asked for, and pruned past a limit);
 * - a secret scheduled for deletion refuses reads and writes until restored or the window ends.
 */
import { randomInt, randomUUID } from 'node:crypto';
import type { Tag } from './input.js';
import {
  invalidParameter,
  invalidRequest,
  markedForDeletion,
  secretNotFound,
  ServiceError,
} from './service-error.js';

import { AWSCURRENT, AWSPENDING, AWSPREVIOUS } from '../../rotation/public.js';
export { AWSCURRENT, AWSPENDING, AWSPREVIOUS };

/** Account id used in every ARN this endpoint hands out. */
export const ACCOUNT_ID = '000000000000';

/** Deprecated versions kept per secret before the oldest are removed (the service's documented quota). */
const MAX_DEPRECATED_VERSIONS = 100;
const MAX_STAGES_PER_VERSION = 20;
const MAX_TAGS = 50;
const DAY_MS = 24 * 60 * 60 * 1000;

/** Exactly one of the two is set. SecretBinary is kept as the base64 text the wire carries. */
export interface SecretValue {
  secretString?: string;
  secretBinary?: string;
}

export interface SecretVersion {
  readonly versionId: string;
  /** Absent on the version RotateSecret creates before the rotation function stores the new value. */
  value?: SecretValue;
  readonly stages: Set<string>;
  readonly createdDate: Date;
  lastAccessedDate?: Date;
}

export interface RotationRules {
  AutomaticallyAfterDays?: number;
  Duration?: string;
  ScheduleExpression?: string;
}

export interface RotationConfig {
  enabled: boolean;
  lambdaArn?: string;
  rules?: RotationRules;
}

export interface Secret {
  readonly name: string;
  readonly arn: string;
  description?: string;
  kmsKeyId?: string;
  tags: Tag[];
  /** In creation order. */
  readonly versions: Map<string, SecretVersion>;
  readonly createdDate: Date;
  lastChangedDate: Date;
  lastAccessedDate?: Date;
  /** When the secret will be deleted; set only while it is scheduled for deletion. */
  deletionDate?: Date;
  /** Absent until RotateSecret or CancelRotateSecret is first called. */
  rotation?: RotationConfig;
  lastRotatedDate?: Date;
}

export interface NewSecret {
  name: string;
  token: string;
  value?: SecretValue;
  description?: string;
  kmsKeyId?: string;
  tags?: Tag[];
}

const SUFFIX_ALPHABET = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
const NAME_PATTERN = /^[A-Za-z0-9/_+=.@-]+$/;

function randomSuffix(): string {
  let suffix = '';
  for (let i = 0; i < 6; i++) suffix += SUFFIX_ALPHABET.charAt(randomInt(SUFFIX_ALPHABET.length));
  return suffix;
}

function sameValue(a: SecretValue, b: SecretValue): boolean {
  if (a.secretString !== undefined || b.secretString !== undefined) return a.secretString === b.secretString;
  return Buffer.from(a.secretBinary ?? '', 'base64').equals(Buffer.from(b.secretBinary ?? '', 'base64'));
}

export function isDeprecated(version: SecretVersion): boolean {
  return version.stages.size === 0;
}

export class SecretStore {
  readonly region: string;
  private readonly now: () => Date;
  private readonly secrets = new Map<string, Secret>();

  constructor(options: { region: string; now?: () => Date }) {
    this.region = options.region;
    this.now = options.now ?? (() => new Date());
  }

  /** Full ARN up to and including `secret:`; a partial ARN is this prefix plus the name. */
  private get arnPrefix(): string {
    return `arn:aws:secretsmanager:${this.region}:${ACCOUNT_ID}:secret:`;
  }

  /** By name, full ARN or partial ARN (ARN without the random suffix). Drops secrets whose window ended. */
  find(secretId: string): Secret | undefined {
    this.purgeExpiredDeletions();
    const byName = this.secrets.get(secretId);
    if (byName) return byName;
    if (!secretId.startsWith(this.arnPrefix)) return undefined;
    for (const secret of this.secrets.values()) if (secret.arn === secretId) return secret;
    return this.secrets.get(secretId.slice(this.arnPrefix.length));
  }

  /** The secret, or ResourceNotFoundException; InvalidRequestException if it is scheduled for deletion. */
  get(secretId: string, options: { allowScheduledForDeletion?: boolean } = {}): Secret {
    const secret = this.find(secretId);
    if (!secret) throw secretNotFound();
    if (secret.deletionDate && !options.allowScheduledForDeletion) throw markedForDeletion();
    return secret;
  }

  list(options: { includePlannedDeletion?: boolean } = {}): Secret[] {
    this.purgeExpiredDeletions();
    return [...this.secrets.values()].filter((s) => options.includePlannedDeletion || !s.deletionDate);
  }

  create(input: NewSecret): { secret: Secret; version?: SecretVersion } {
    if (!NAME_PATTERN.test(input.name)) {
      throw new ServiceError(
        'ValidationException',
        'Invalid name. Must be a valid name containing alphanumeric characters, or any of the following: -/_+=.@!',
      );
    }
    const existing = this.find(input.name);
    if (existing?.deletionDate) {
      throw invalidRequest(
        "You can't create this secret because a secret with this name is already scheduled for deletion.",
      );
    }
    if (existing) {
      // A retried CreateSecret with the same token and value is ignored, as for PutSecretValue.
      const version = existing.versions.get(input.token);
      if (version?.value && input.value) {
        if (sameValue(version.value, input.value)) return { secret: existing, version };
        throw versionExists();
      }
      throw new ServiceError(
        'ResourceExistsException',
        `The operation failed because the secret ${input.name} already exists.`,
      );
    }
    const now = this.now();
    const secret: Secret = {
      name: input.name,
      arn: `${this.arnPrefix}${input.name}-${randomSuffix()}`,
      tags: [],
      versions: new Map(),
      createdDate: now,
      lastChangedDate: now,
    };
    if (input.description !== undefined) secret.description = input.description;
    if (input.kmsKeyId !== undefined) secret.kmsKeyId = input.kmsKeyId;
    if (input.tags) this.tag(secret, input.tags);
    this.secrets.set(secret.name, secret);
    if (!input.value) return { secret };
    return { secret, version: this.putValue(secret, { token: input.token, value: input.value }).version };
  }

  /**
   * PutSecretValue / UpdateSecret with a value. `created` is false when the token named an existing
   * version with the same value (the request is ignored, labels unchanged).
   */
  putValue(
    secret: Secret,
    input: { token: string; value: SecretValue; stages?: string[] },
  ): { version: SecretVersion; created: boolean } {
    const stages = new Set(input.stages ?? [AWSCURRENT]);
    // The first version of a secret is always AWSCURRENT.
    if (!this.versionByStage(secret, AWSCURRENT)) stages.add(AWSCURRENT);

    let version = secret.versions.get(input.token);
    if (version?.value) {
      if (sameValue(version.value, input.value)) return { version, created: false };
      throw versionExists();
    }
    if (stages.size > MAX_STAGES_PER_VERSION) throw tooManyStages();
    if (version) {
      // The rotation function fills the version RotateSecret reserved under this token.
      version.value = input.value;
    } else {
      version = {
        versionId: input.token,
        value: input.value,
        stages: new Set(),
        createdDate: this.now(),
      };
      secret.versions.set(version.versionId, version);
    }
    for (const stage of stages) this.attachStage(secret, version, stage);
    this.changed(secret);
    return { version, created: true };
  }

  versionByStage(secret: Secret, stage: string): SecretVersion | undefined {
    for (const version of secret.versions.values()) if (version.stages.has(stage)) return version;
    return undefined;
  }

  /** GetSecretValue: by VersionId and/or VersionStage (AWSCURRENT when neither is given). */
  getValue(
    secret: Secret,
    versionId: string | undefined,
    stage: string | undefined,
  ): SecretVersion & { value: SecretValue } {
    let version: SecretVersion | undefined;
    if (versionId !== undefined) {
      version = secret.versions.get(versionId);
      if (!version?.value) throw valueNotFound(`VersionId: ${versionId}`);
      if (stage !== undefined && !version.stages.has(stage)) {
        throw valueNotFound(`VersionId: ${versionId} with staging label: ${stage}`);
      }
    } else {
      const wanted = stage ?? AWSCURRENT;
      version = this.versionByStage(secret, wanted);
      if (!version?.value) throw valueNotFound(`staging label: ${wanted}`);
    }
    const today = new Date(Math.floor(this.now().getTime() / DAY_MS) * DAY_MS);
    secret.lastAccessedDate = today;
    version.lastAccessedDate = today;
    return version as SecretVersion & { value: SecretValue };
  }

  /** UpdateSecretVersionStage with the service's checks. */
  updateVersionStage(
    secret: Secret,
    stage: string,
    moveToVersionId: string | undefined,
    removeFromVersionId: string | undefined,
  ): void {
    if (moveToVersionId === undefined && removeFromVersionId === undefined) {
      throw invalidParameter('You must specify MoveToVersionId, RemoveFromVersionId, or both.');
    }
    const target = moveToVersionId === undefined ? undefined : this.existingVersion(secret, moveToVersionId);
    const source =
      removeFromVersionId === undefined ? undefined : this.existingVersion(secret, removeFromVersionId);
    if (source && !source.stages.has(stage)) {
      throw invalidParameter(
        `The staging label ${stage} is not attached to version ${source.versionId}, so it can't be removed from it.`,
      );
    }
    // From here on, when `source` is set it is the version holding the label.
    const holder = this.versionByStage(secret, stage);

    if (!target) {
      if (stage === AWSCURRENT) {
        throw invalidParameter(
          `You can only move staging label ${AWSCURRENT} to a different secret version. It can't be completely removed.`,
        );
      }
      source?.stages.delete(stage);
      this.changed(secret);
      return;
    }
    if (holder && holder !== target && !source) {
      throw invalidParameter(
        `The parameter RemoveFromVersionId can't be empty. Staging label ${stage} is currently attached to version ${holder.versionId}, so you must explicitly reference that version in RemoveFromVersionId.`,
      );
    }
    if (holder !== target && !target.stages.has(stage) && target.stages.size >= MAX_STAGES_PER_VERSION) {
      throw tooManyStages();
    }
    const completesRotation = stage === AWSCURRENT && holder !== target && target.stages.has(AWSPENDING);
    this.attachStage(secret, target, stage);
    if (completesRotation) secret.lastRotatedDate = this.now();
    this.changed(secret);
  }

  /** A RotateSecret may start only when AWSPENDING is absent or sits on the AWSCURRENT version. */
  assertNoRotationInProgress(secret: Secret): void {
    const pending = this.versionByStage(secret, AWSPENDING);
    if (pending && !pending.stages.has(AWSCURRENT)) {
      throw invalidRequest("A previous rotation isn't complete. That rotation will be reattempted.");
    }
  }

  configureRotation(secret: Secret, config: { lambdaArn?: string; rules?: RotationRules }): void {
    const rotation: RotationConfig = { enabled: true };
    const lambdaArn = config.lambdaArn ?? secret.rotation?.lambdaArn;
    const rules = config.rules ?? secret.rotation?.rules;
    if (lambdaArn !== undefined) rotation.lambdaArn = lambdaArn;
    if (rules !== undefined) rotation.rules = rules;
    secret.rotation = rotation;
    this.changed(secret);
  }

  /**
   * What the service does before invoking the rotation function: a version named by the token, with
   * AWSPENDING and no value yet (GetSecretValue on it is ResourceNotFoundException until it is filled).
   */
  reservePendingVersion(secret: Secret, token: string): SecretVersion {
    if (secret.versions.has(token)) throw versionExists();
    const version: SecretVersion = { versionId: token, stages: new Set(), createdDate: this.now() };
    secret.versions.set(token, version);
    this.attachStage(secret, version, AWSPENDING);
    this.changed(secret);
    return version;
  }

  /** CancelRotateSecret: rotation off; returns the unfinished AWSPENDING version, if any. */
  cancelRotation(secret: Secret): SecretVersion | undefined {
    secret.rotation = { ...secret.rotation, enabled: false };
    this.changed(secret);
    const pending = this.versionByStage(secret, AWSPENDING);
    return pending && !pending.stages.has(AWSCURRENT) ? pending : undefined;
  }

  scheduleDeletion(secret: Secret, recoveryWindowInDays: number): Date {
    if (secret.deletionDate) throw markedForDeletion();
    secret.deletionDate = new Date(this.now().getTime() + recoveryWindowInDays * DAY_MS);
    this.changed(secret);
    return secret.deletionDate;
  }

  deleteNow(secret: Secret): Date {
    this.secrets.delete(secret.name);
    return this.now();
  }

  restore(secret: Secret): void {
    delete secret.deletionDate;
    this.changed(secret);
  }

  tag(secret: Secret, tags: Tag[]): void {
    const merged = new Map(secret.tags.map((t) => [t.Key, t.Value]));
    for (const tag of tags) merged.set(tag.Key, tag.Value);
    if (merged.size > MAX_TAGS) {
      throw new ServiceError('LimitExceededException', `A secret can have at most ${MAX_TAGS} tags.`);
    }
    secret.tags = [...merged].map(([Key, Value]) => ({ Key, Value }));
    this.changed(secret);
  }

  untag(secret: Secret, keys: string[]): void {
    secret.tags = secret.tags.filter((t) => !keys.includes(t.Key));
    this.changed(secret);
  }

  setDescription(secret: Secret, description: string | undefined, kmsKeyId: string | undefined): void {
    if (description !== undefined) secret.description = description;
    if (kmsKeyId !== undefined) secret.kmsKeyId = kmsKeyId;
    this.changed(secret);
  }

  /** The one place a label is attached: detach it elsewhere; moving AWSCURRENT moves AWSPREVIOUS too. */
  private attachStage(secret: Secret, version: SecretVersion, stage: string): void {
    const holder = this.versionByStage(secret, stage);
    if (holder === version) return;
    holder?.stages.delete(stage);
    version.stages.add(stage);
    if (stage === AWSCURRENT && holder) this.attachStage(secret, holder, AWSPREVIOUS);
  }

  private existingVersion(secret: Secret, versionId: string): SecretVersion {
    const version = secret.versions.get(versionId);
    if (!version) throw invalidParameter(`Secrets Manager can't find the specified version ${versionId}.`);
    return version;
  }

  private changed(secret: Secret): void {
    secret.lastChangedDate = this.now();
    this.pruneDeprecated(secret);
  }

  private pruneDeprecated(secret: Secret): void {
    const deprecated = [...secret.versions.values()].filter(isDeprecated);
    for (const version of deprecated.slice(0, Math.max(0, deprecated.length - MAX_DEPRECATED_VERSIONS))) {
      secret.versions.delete(version.versionId);
    }
  }

  private purgeExpiredDeletions(): void {
    const now = this.now().getTime();
    for (const secret of this.secrets.values()) {
      if (secret.deletionDate && secret.deletionDate.getTime() <= now) this.secrets.delete(secret.name);
    }
  }
}

/** A fresh ClientRequestToken, for callers that send none (the SDKs and the CLI always send one). */
export const newClientRequestToken = (): string => randomUUID();

function versionExists(): ServiceError {
  return new ServiceError(
    'ResourceExistsException',
    "You can't modify an existing version, you can only create a new version.",
  );
}

function valueNotFound(what: string): ServiceError {
  return new ServiceError(
    'ResourceNotFoundException',
    `Secrets Manager can't find the specified secret value for ${what}`,
  );
}

function tooManyStages(): ServiceError {
  return new ServiceError(
    'LimitExceededException',
    `A version can have at most ${MAX_STAGES_PER_VERSION} staging labels.`,
  );
}
