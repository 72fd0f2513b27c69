/**
 * CDK context → typed, validated infrastructure config. Two profiles, `dev` (default) and `prod`;
 * every field of a profile can be overridden with `-c key=value` (or `context` in cdk.json).
 * Values from the command line arrive as strings, so booleans and numbers are parsed here, and every
 * bad key is named in one error.
 */
import type { Node } from 'constructs';
import { STRATEGIES, type RotationStrategy } from '../../rotation/public.js';

export type { RotationStrategy };

export const PROFILES = ['dev', 'prod'] as const;
export type Profile = (typeof PROFILES)[number];

export const EGRESS_MODES = ['nat', 'endpoints'] as const;
/** `nat`: tasks in private subnets with a NAT gateway; `endpoints`: isolated subnets, VPC endpoints only. */
export type EgressMode = (typeof EGRESS_MODES)[number];

export interface InfraConfig {
  profile: Profile;
  /** Availability zones; an environment-agnostic stack sees two (bind the stack to an env for more). */
  maxAzs: number;
  egress: EgressMode;
  /** NAT gateways when egress is `nat` (1 in dev, one per AZ in prod). */
  natGateways: number;
  /** Customer-managed KMS keys (rotation on) for the secrets, the database and the alarm topic. */
  customerManagedKey: boolean;
  multiAz: boolean;
  deletionProtection: boolean;
  backupRetentionDays: number;
  /** e.g. `t4g.micro`, `m7g.large`. */
  dbInstanceType: string;
  dbAllocatedStorageGiB: number;
  /** Not 5432: one less thing for a scanner to guess. */
  dbPort: number;
  /**
   * The instance's max_connections (`SHOW max_connections`), for the connections alarm and widget.
   * RDS derives it from the instance memory; the defaults are what the profile's class gives, rounded down.
   */
  dbMaxConnections: number;
  rotationStrategy: RotationStrategy;
  /** Rotation schedule of the app secret, in hours (Secrets Manager's minimum is 4). */
  rotationHours: number;
  /** ACM certificate ARN; when set the ALB listens on HTTPS 443 (and redirects 80), otherwise plain HTTP 80. */
  certificateArn: string | undefined;
  /** Who may reach the load balancer. */
  allowedCidr: string;
  desiredCount: number;
  minCapacity: number;
  maxCapacity: number;
  cpu: number;
  memoryMiB: number;
  /** Target of the request-count autoscaling policy (requests per target per minute). */
  requestsPerTarget: number;
  logRetentionDays: number;
  /** Optional e-mail subscription of the alarm topic. */
  alarmEmail: string | undefined;
}

type ProfileDefaults = Omit<InfraConfig, 'profile' | 'certificateArn' | 'alarmEmail'>;

export const PROFILE_DEFAULTS: Record<Profile, ProfileDefaults> = {
  dev: {
    maxAzs: 2,
    egress: 'nat',
    natGateways: 1,
    customerManagedKey: false,
    multiAz: false,
    deletionProtection: false,
    backupRetentionDays: 1,
    dbInstanceType: 't4g.micro',
    dbAllocatedStorageGiB: 20,
    dbPort: 5433,
    dbMaxConnections: 80,
    rotationStrategy: 'alternating-users',
    rotationHours: 24,
    allowedCidr: '0.0.0.0/0',
    desiredCount: 2,
    minCapacity: 2,
    maxCapacity: 4,
    cpu: 256,
    memoryMiB: 512,
    requestsPerTarget: 1000,
    logRetentionDays: 7,
  },
  prod: {
    maxAzs: 2,
    egress: 'nat',
    natGateways: 2,
    customerManagedKey: true,
    multiAz: true,
    deletionProtection: true,
    backupRetentionDays: 14,
    dbInstanceType: 'm7g.large',
    dbAllocatedStorageGiB: 100,
    dbPort: 5433,
    dbMaxConnections: 800,
    rotationStrategy: 'alternating-users',
    rotationHours: 24 * 30,
    allowedCidr: '0.0.0.0/0',
    desiredCount: 3,
    minCapacity: 3,
    maxCapacity: 12,
    cpu: 512,
    memoryMiB: 1024,
    requestsPerTarget: 1000,
    logRetentionDays: 90,
  },
};

/** The context keys this app reads, for messages and docs. */
export const CONTEXT_KEYS = ['profile', 'certificateArn', 'alarmEmail', ...Object.keys(PROFILE_DEFAULTS.dev)];

export class InfraConfigError extends Error {
  override readonly name = 'InfraConfigError';
  constructor(readonly problems: string[]) {
    super(`Invalid CDK context:\n  - ${problems.join('\n  - ')}`);
  }
}

/** Reads the config from a construct's context (the App's, usually). */
export function configFromContext(node: Node): InfraConfig {
  const raw: Record<string, unknown> = {};
  for (const key of CONTEXT_KEYS) {
    const value: unknown = node.tryGetContext(key);
    if (value !== undefined && value !== '') raw[key] = value;
  }
  return resolveConfig(raw);
}

const show = (value: unknown): string => (typeof value === 'string' ? value : JSON.stringify(value));

export function resolveConfig(raw: Record<string, unknown>): InfraConfig {
  const problems: string[] = [];
  const profile = raw.profile ?? 'dev';
  if (!PROFILES.includes(profile as Profile)) {
    throw new InfraConfigError([`profile must be one of ${PROFILES.join(', ')} (got ${show(profile)})`]);
  }
  const defaults = PROFILE_DEFAULTS[profile as Profile];

  const int = (key: keyof ProfileDefaults, min: number, max: number): number => {
    const value = raw[key];
    const fallback = defaults[key] as number;
    if (value === undefined) return fallback;
    const parsed = typeof value === 'number' ? value : Number(value);
    if (!Number.isInteger(parsed) || parsed < min || parsed > max) {
      problems.push(`${key} must be an integer from ${min} to ${max} (got ${show(value)})`);
      return fallback;
    }
    return parsed;
  };
  const bool = (key: keyof ProfileDefaults): boolean => {
    const value = raw[key];
    const fallback = defaults[key] as boolean;
    if (value === undefined) return fallback;
    if (value === true || value === 'true') return true;
    if (value === false || value === 'false') return false;
    problems.push(`${key} must be true or false (got ${show(value)})`);
    return fallback;
  };
  const oneOf = <T extends string>(key: keyof ProfileDefaults, allowed: readonly T[]): T => {
    const value = raw[key];
    const fallback = defaults[key] as T;
    if (value === undefined) return fallback;
    if (!allowed.includes(value as T)) {
      problems.push(`${key} must be one of ${allowed.join(', ')} (got ${show(value)})`);
      return fallback;
    }
    return value as T;
  };
  const text = (key: string, pattern: RegExp, what: string): string | undefined => {
    const value = raw[key];
    if (value === undefined) return undefined;
    if (typeof value !== 'string' || !pattern.test(value)) {
      problems.push(`${key} must be ${what} (got ${show(value)})`);
      return undefined;
    }
    return value;
  };

  const dbInstanceType =
    text('dbInstanceType', /^[a-z0-9]+\.[a-z0-9]+$/, 'an instance type such as t4g.micro') ??
    defaults.dbInstanceType;
  const allowedCidr =
    text('allowedCidr', /^\d{1,3}(\.\d{1,3}){3}\/\d{1,2}$/, 'an IPv4 CIDR such as 203.0.113.0/24') ??
    defaults.allowedCidr;

  const config: InfraConfig = {
    profile: profile as Profile,
    maxAzs: int('maxAzs', 2, 6),
    egress: oneOf('egress', EGRESS_MODES),
    natGateways: int('natGateways', 1, 6),
    customerManagedKey: bool('customerManagedKey'),
    multiAz: bool('multiAz'),
    deletionProtection: bool('deletionProtection'),
    backupRetentionDays: int('backupRetentionDays', 1, 35),
    dbInstanceType,
    dbAllocatedStorageGiB: int('dbAllocatedStorageGiB', 20, 65_536),
    dbPort: int('dbPort', 1150, 65_535),
    dbMaxConnections: int('dbMaxConnections', 10, 262_143),
    rotationStrategy: oneOf('rotationStrategy', STRATEGIES),
    rotationHours: int('rotationHours', 4, 24 * 365),
    certificateArn: text(
      'certificateArn',
      /^arn:aws[a-z-]*:acm:[a-z0-9-]+:\d{12}:certificate\/[\w-]+$/,
      'an ACM certificate ARN',
    ),
    allowedCidr,
    desiredCount: int('desiredCount', 1, 100),
    minCapacity: int('minCapacity', 1, 100),
    maxCapacity: int('maxCapacity', 1, 200),
    cpu: int('cpu', 256, 16_384),
    memoryMiB: int('memoryMiB', 512, 122_880),
    requestsPerTarget: int('requestsPerTarget', 10, 100_000),
    logRetentionDays: int('logRetentionDays', 1, 3653),
    alarmEmail: text('alarmEmail', /^[^@\s]+@[^@\s]+\.[^@\s]+$/, 'an e-mail address'),
  };
  if (config.minCapacity > config.maxCapacity) problems.push('minCapacity must not exceed maxCapacity');
  if (config.desiredCount < config.minCapacity || config.desiredCount > config.maxCapacity) {
    problems.push('desiredCount must lie between minCapacity and maxCapacity');
  }
  if (config.natGateways > config.maxAzs) problems.push('natGateways must not exceed maxAzs');
  if (problems.length > 0) throw new InfraConfigError(problems);
  return config;
}
