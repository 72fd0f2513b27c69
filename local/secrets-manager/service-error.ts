/**
 * Errors as Secrets Manager reports them: an exception name (the `__type` on the wire) and a message.
 * Every modelled Secrets Manager exception is HTTP 400; only the service-side failures are 5xx.
 */
export type ErrorType =
  | 'ResourceNotFoundException'
  | 'InvalidParameterException'
  | 'InvalidRequestException'
  | 'ResourceExistsException'
  | 'LimitExceededException'
  | 'ValidationException'
  | 'SerializationException'
  | 'UnknownOperationException'
  | 'ThrottlingException'
  | 'InternalServiceError'
  | 'ServiceUnavailable';

const statusByType: Partial<Record<ErrorType, number>> = {
  InternalServiceError: 500,
  ServiceUnavailable: 503,
};

export class ServiceError extends Error {
  readonly type: ErrorType;
  readonly status: number;

  constructor(type: ErrorType, message: string) {
    super(message);
    this.name = type;
    this.type = type;
    this.status = statusByType[type] ?? 400;
  }
}

export const secretNotFound = (): ServiceError =>
  new ServiceError('ResourceNotFoundException', "Secrets Manager can't find the specified secret.");

export const markedForDeletion = (): ServiceError =>
  new ServiceError(
    'InvalidRequestException',
    "You can't perform this operation on the secret because it was marked for deletion.",
  );

export const invalidParameter = (message: string): ServiceError =>
  new ServiceError('InvalidParameterException', message);

export const invalidRequest = (message: string): ServiceError =>
  new ServiceError('InvalidRequestException', message);

/**
 * The message format the service front end uses for a model constraint (required member, length, range).
 * A sensitive member's value is never echoed back, as the service does for SecretString.
 */
export const validationError = (
  member: string,
  constraint: string,
  value: string | number | undefined,
  options: { sensitive?: boolean } = {},
): ServiceError => {
  let shown = 'Value';
  if (!options.sensitive) shown = value === undefined ? 'Value null' : `Value '${value}'`;
  return new ServiceError(
    'ValidationException',
    `1 validation error detected: ${shown} at '${member}' failed to satisfy constraint: ${constraint}`,
  );
};
