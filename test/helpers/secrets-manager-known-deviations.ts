/**
 * Where a target does not do what the AWS documentation says. The conformance tests assert the
 * documented behaviour; for a target listed here they assert the target's actual behaviour instead
 * (so a fix upstream makes the test fail and the entry can go) and annotate the test with the reason.
 */
import type { TargetName } from './secrets-manager-targets.js';

export type DeviationId =
  | 'error-status-is-400'
  | 'get-value-version-and-stage-mismatch'
  | 'put-same-token-new-value-on-pending-version'
  | 'move-attached-stage-needs-remove-from'
  | 'describe-hides-deprecated-versions'
  | 'list-versions-hides-deprecated'
  | 'list-versions-keeps-deprecated-when-asked'
  | 'list-versions-arn'
  | 'list-versions-unknown-secret'
  | 'rotate-refused-while-pending'
  | 'create-name-scheduled-for-deletion'
  | 'put-value-scheduled-for-deletion'
  | 'put-retry-answers-no-stages'
  | 'create-retry-not-idempotent';

export interface KnownDeviation {
  /** What the target does instead. */
  reason: string;
  /** What the AWS documentation says (API reference unless named otherwise). */
  awsDocs: string;
  /** How we know: run against the target here, or read from its source only. */
  evidence: 'observed' | 'source';
}

const AWS = {
  errorStatus:
    'Every Secrets Manager exception in the API reference (ResourceNotFoundException, InvalidParameterException, ...) is "HTTP Status Code: 400".',
  mismatch:
    'GetSecretValue: "If you include both this parameter and VersionStage, the two parameters must refer to the same secret version"; a version that matches both does not exist, which is ResourceNotFoundException ("Secrets Manager can\'t find the resource that you asked for"). The AWS rotation templates rely on that exception from GetSecretValue(VersionId=token, VersionStage=AWSPENDING).',
  token:
    'PutSecretValue ClientRequestToken: "If a version with this value already exists and that version\'s SecretString or SecretBinary values are different from those in the request, then the request fails because you can\'t modify a secret version" (ResourceExistsException).',
  removeFrom:
    'UpdateSecretVersionStage MoveToVersionId: "If the staging label is already attached to a different version of the secret, then you must also specify the RemoveFromVersionId parameter"; RemoveFromVersionId: "If the label is attached and you either do not specify this parameter, or the version ID does not match, then the operation fails."',
  putRetry:
    'PutSecretValue: a request repeated with the same ClientRequestToken and value "is ignored" and answers the version it created, with its VersionStages.',
  createRetry:
    'CreateSecret ClientRequestToken: "If the ClientRequestToken value matches an existing version\'s VersionId, and you specify the same secret data, the operation succeeds but does nothing"; ResourceExistsException only for different data.',
  describeDeprecated:
    'DescribeSecret VersionIdsToStages: "A list of the versions of the secret that have staging labels attached. Versions that don\'t have staging labels are considered deprecated".',
  includeDeprecated:
    'ListSecretVersionIds IncludeDeprecated: "Specifies whether to include versions of secrets that don\'t have any staging labels attached to them. ... By default, versions without staging labels aren\'t included."',
  listArn: 'ListSecretVersionIds response ARN: "The ARN of the secret."',
  listMissing:
    'ListSecretVersionIds errors: ResourceNotFoundException, "Secrets Manager can\'t find the resource that you asked for."',
  rotatePending:
    'RotateSecret: "If the AWSPENDING staging label is present but not attached to the same version as AWSCURRENT, then any later invocation of RotateSecret assumes that a previous rotation request is still in progress and returns an error" (InvalidRequestException: "A previous rotation isn\'t complete").',
  createScheduled:
    'CreateSecret InvalidRequestException: "A parameter value is not valid for the current state of the resource", e.g. a secret with the same name is scheduled for deletion ("You can\'t create this secret because a secret with this name is already scheduled for deletion").',
  putScheduled:
    'PutSecretValue InvalidRequestException, possible causes: "The secret is scheduled for deletion."',
};

export const knownDeviations: Record<TargetName, Partial<Record<DeviationId, KnownDeviation>>> = {
  endpoint: {},
  moto: {
    'error-status-is-400': {
      reason: 'moto 5.2.1 answers ResourceNotFoundException with HTTP 404.',
      awsDocs: AWS.errorStatus,
      evidence: 'observed',
    },
    'get-value-version-and-stage-mismatch': {
      reason:
        'moto answers InvalidRequestException ("You provided a VersionStage that is not associated to the provided VersionId").',
      awsDocs: AWS.mismatch,
      evidence: 'observed',
    },
    'put-same-token-new-value-on-pending-version': {
      reason: "moto lets a token that names an AWSPENDING version overwrite that version's value.",
      awsDocs: AWS.token,
      evidence: 'observed',
    },
    'move-attached-stage-needs-remove-from': {
      reason:
        'moto checks RemoveFromVersionId only for AWSCURRENT; any other label ends up attached to both versions.',
      awsDocs: AWS.removeFrom,
      evidence: 'observed',
    },
    'describe-hides-deprecated-versions': {
      reason: 'moto lists deprecated versions in VersionIdsToStages with an empty list of labels.',
      awsDocs: AWS.describeDeprecated,
      evidence: 'observed',
    },
    'list-versions-hides-deprecated': {
      reason: 'moto ignores IncludeDeprecated and always lists deprecated versions.',
      awsDocs: AWS.includeDeprecated,
      evidence: 'observed',
    },
    'list-versions-arn': {
      reason: 'moto returns the secret name in the ARN field of ListSecretVersionIds.',
      awsDocs: AWS.listArn,
      evidence: 'observed',
    },
    'list-versions-unknown-secret': {
      reason: 'moto fails with HTTP 500 for ListSecretVersionIds on an unknown secret.',
      awsDocs: AWS.listMissing,
      evidence: 'observed',
    },
    'rotate-refused-while-pending': {
      reason:
        "moto's in-progress check is inverted (it refuses when AWSPENDING is on AWSCURRENT and lets a stuck AWSPENDING through), so the call goes on to look up the Lambda and fails with ResourceNotFoundException.",
      awsDocs: AWS.rotatePending,
      evidence: 'observed',
    },
    'create-name-scheduled-for-deletion': {
      reason: 'moto answers ResourceExistsException.',
      awsDocs: AWS.createScheduled,
      evidence: 'observed',
    },
    'put-value-scheduled-for-deletion': {
      reason: 'moto stores the new version on a secret scheduled for deletion.',
      awsDocs: AWS.putScheduled,
      evidence: 'observed',
    },
  },
  // Read from LocalStack's secretsmanager provider (which patches moto); not run here for want of a
  // Docker engine. Re-check these where Docker is available.
  localstack: {
    'put-retry-answers-no-stages': {
      reason:
        'LocalStack 4.14.0 answers the repeated PutSecretValue without VersionStages (the version and its stages are unchanged).',
      awsDocs: AWS.putRetry,
      evidence: 'observed',
    },
    'create-retry-not-idempotent': {
      reason:
        'LocalStack 4.14.0 answers a retried CreateSecret (same token, same value) with ResourceExistsException, as for any other retry.',
      awsDocs: AWS.createRetry,
      evidence: 'observed',
    },
    'get-value-version-and-stage-mismatch': {
      reason: 'LocalStack answers InvalidRequestException, as moto does.',
      awsDocs: AWS.mismatch,
      evidence: 'observed',
    },
    'put-same-token-new-value-on-pending-version': {
      reason: "LocalStack keeps moto's overwrite of an AWSPENDING version.",
      awsDocs: AWS.token,
      evidence: 'observed',
    },
    'move-attached-stage-needs-remove-from': {
      reason: "LocalStack keeps moto's check, which covers AWSCURRENT only.",
      awsDocs: AWS.removeFrom,
      evidence: 'observed',
    },
    'list-versions-keeps-deprecated-when-asked': {
      reason:
        'LocalStack deletes a version as soon as its last label is removed, so IncludeDeprecated finds nothing.',
      awsDocs: AWS.includeDeprecated,
      evidence: 'observed',
    },
    'rotate-refused-while-pending': {
      reason:
        'LocalStack looks the rotation Lambda up first and answers ResourceNotFoundException when it does not exist.',
      awsDocs: AWS.rotatePending,
      evidence: 'observed',
    },
    'put-value-scheduled-for-deletion': {
      reason: "LocalStack keeps moto's PutSecretValue, which does not check for a scheduled deletion.",
      awsDocs: AWS.putScheduled,
      evidence: 'observed',
    },
  },
};
