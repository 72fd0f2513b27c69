/**
 * The credential metrics, named once. The app counts them for Prometheus (`/metrics`) and, when
 * CLOUDWATCH_EMF_SERVICE is set, writes them to stdout in CloudWatch's embedded metric format; the CDK
 * dashboard and alarms (infra/lib/dashboard.ts, infra/lib/alarms.ts) read the same names from here.
 * Plain data only: infra imports this module without pulling in the app.
 */
import { VERSION_STAGES } from './credentials/stages.js';

/** CloudWatch namespace of every metric below. */
export const EMF_NAMESPACE = 'RotatingCredentials/App';
/** The dimension every metric carries: which service (one per stack), never which task. */
export const SERVICE_DIMENSION = 'Service';

export const CREDENTIAL_STAGES = VERSION_STAGES;
export const SECRETS_MANAGER_OPERATIONS = ['GetSecretValue', 'DescribeSecret'] as const;
/**
 * recovered: a recovery from a refused version left a version that logs in in use; retry: it found
 * none yet (the connection request backs off and asks again); exhausted: a connection request gave
 * up after 60 s of refusals (DB_TUNING.authRetrySeconds, config.ts) (the request failed).
 */
export const AUTH_RECOVERY_OUTCOMES = ['recovered', 'retry', 'exhausted'] as const;
/** Why a request got no connection: credentials refused, no room, pool wait timed out, server gone, anything else. */
export const ACQUIRE_FAILURE_REASONS = ['auth', 'capacity', 'timeout', 'lost', 'other'] as const;
export const READINESS_STATES = ['ready', 'unready'] as const;

export type CloudWatchUnit = 'Count' | 'Milliseconds' | 'None';

export interface AppMetricDefinition {
  /** CloudWatch metric name. */
  name: string;
  unit: CloudWatchUnit;
  /** The Prometheus twin on `/metrics`. */
  prometheus: string;
  /** Prometheus label → CloudWatch dimension (besides Service), in dimension order. */
  labels: Readonly<Record<string, string>>;
  /** The values a dimension takes, where the set is closed (alarms and the dashboard name them). */
  values?: Readonly<Record<string, readonly string[]>>;
  /** How CloudWatch should aggregate it across tasks on a dashboard or alarm. */
  statistic: 'Sum' | 'Maximum' | 'p99';
}

export const APP_METRICS = {
  secretsManagerCalls: {
    name: 'SecretsManagerCalls',
    unit: 'Count',
    prometheus: 'secretsmanager_calls_total',
    labels: { operation: 'Operation', outcome: 'Outcome' },
    values: { Operation: SECRETS_MANAGER_OPERATIONS },
    statistic: 'Sum',
  },
  credentialAdoptions: {
    name: 'CredentialAdoptions',
    unit: 'Count',
    prometheus: 'db_credential_adoptions_total',
    labels: { stage: 'Stage' },
    values: { Stage: CREDENTIAL_STAGES },
    statistic: 'Sum',
  },
  credentialsOnPending: {
    name: 'CredentialsOnPending',
    unit: 'None',
    prometheus: 'db_credentials_on_pending',
    labels: {},
    statistic: 'Maximum',
  },
  authFailureRecoveries: {
    name: 'AuthFailureRecoveries',
    unit: 'Count',
    prometheus: 'db_auth_failure_recoveries_total',
    labels: { outcome: 'Outcome' },
    values: { Outcome: AUTH_RECOVERY_OUTCOMES },
    statistic: 'Sum',
  },
  poolSwaps: {
    name: 'PoolSwaps',
    unit: 'Count',
    prometheus: 'db_pool_swaps_total',
    labels: {},
    statistic: 'Sum',
  },
  poolSwapDuration: {
    name: 'PoolSwapDuration',
    unit: 'Milliseconds',
    prometheus: 'db_pool_swap_duration_seconds',
    labels: {},
    statistic: 'Maximum',
  },
  connectionAcquireFailures: {
    name: 'ConnectionAcquireFailures',
    unit: 'Count',
    prometheus: 'db_connection_acquire_failures_total',
    labels: { reason: 'Reason' },
    values: { Reason: ACQUIRE_FAILURE_REASONS },
    statistic: 'Sum',
  },
  readinessTransitions: {
    name: 'ReadinessTransitions',
    unit: 'Count',
    prometheus: 'readiness_transitions_total',
    labels: { to: 'State' },
    values: { State: READINESS_STATES },
    statistic: 'Sum',
  },
} as const satisfies Record<string, AppMetricDefinition>;

export type AppMetricKey = keyof typeof APP_METRICS;

/** The CloudWatch dimension names of a metric, in the order the app writes them. */
export function dimensionsOf(metric: AppMetricDefinition): string[] {
  return [SERVICE_DIMENSION, ...Object.values(metric.labels)];
}
