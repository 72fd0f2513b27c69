/**
 * The rotation function's structured logger: one JSON object per line on stdout, which Lambda sends
 * to CloudWatch Logs as it is. A thin adapter over pino with pino's own call order, as in app/:
 * `log.info(fields, message)`, or `log.info(message)`.
 *
 * Fields are chosen by the caller and never include a secret value; as a second line of defence,
 * pino's redaction removes keys that usually hold one (in the spellings AWS and this code use, up to
 * four levels deep), and errors under `err` or `error` are reduced to their name, message and code.
 */
import { pino, type DestinationStream, type Logger } from 'pino';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';

export type LogFields = Record<string, unknown>;

/** pino's order: `log.info(fields, message)`, or `log.info(message)` alone. */
export interface LogMethod {
  (fields: LogFields, message: string): void;
  (message: string): void;
}

export interface RotationLogger {
  debug: LogMethod;
  info: LogMethod;
  warn: LogMethod;
  error: LogMethod;
  /** A logger that adds `bindings` to every line. */
  child(bindings: LogFields): RotationLogger;
}

export interface LoggerOptions {
  level?: LogLevel;
  /** Where each line goes (without the newline); stdout by default. */
  write?: (line: string) => void;
  bindings?: LogFields;
}

/** Keys never written, whatever the caller passes (camelCase; other casings are derived below). */
const DROPPED_KEYS = [
  'password',
  'secret',
  'secretString',
  'secretBinary',
  'rotationToken',
  'randomPassword',
  'verifier',
];

/** Redaction matches keys exactly, so each key is listed as lowercase, camelCase, PascalCase and UPPERCASE. */
const DROPPED_SPELLINGS = [
  ...new Set(
    DROPPED_KEYS.flatMap((key) => [
      key.toLowerCase(),
      key,
      key.charAt(0).toUpperCase() + key.slice(1),
      key.toUpperCase(),
    ]),
  ),
];

/** The field itself, and the same key inside nested objects or arrays, up to three levels down. */
const REDACT_PATHS = ['', '*.', '*.*.', '*.*.*.'].flatMap((prefix) =>
  DROPPED_SPELLINGS.map((key) => `${prefix}${key}`),
);

/** An error as name, message and (string) code only: no stack, no driver or SDK details. */
function errorFields(value: unknown): unknown {
  if (!(value instanceof Error)) return value;
  const code = (value as { code?: unknown }).code;
  return { name: value.name, message: value.message, ...(typeof code === 'string' && { code }) };
}

/** Stdout, written synchronously so that no line is lost when Lambda freezes the environment. */
let stdout: DestinationStream | undefined;

function destination(write: LoggerOptions['write']): DestinationStream {
  if (write === undefined) return (stdout ??= pino.destination({ fd: 1, sync: true }));
  return {
    write: (line: string) => {
      write(line.endsWith('\n') ? line.slice(0, -1) : line);
    },
  };
}

/** Every line is written as `(fields, message)`, with `{}` when there are none, whichever form the caller used. */
function method(logger: Logger, level: Exclude<LogLevel, 'silent'>): LogMethod {
  return (fieldsOrMessage: LogFields | string, message?: string): void => {
    if (typeof fieldsOrMessage === 'string') logger[level]({}, fieldsOrMessage);
    else logger[level](fieldsOrMessage, message);
  };
}

function adapt(logger: Logger): RotationLogger {
  return {
    debug: method(logger, 'debug'),
    info: method(logger, 'info'),
    warn: method(logger, 'warn'),
    error: method(logger, 'error'),
    child: (bindings) => adapt(logger.child(bindings)),
  };
}

export function createLogger(options: LoggerOptions = {}): RotationLogger {
  const logger = pino(
    {
      level: options.level ?? 'info',
      // No pid or hostname: Lambda's log stream already identifies the environment.
      base: undefined,
      messageKey: 'message',
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: { paths: REDACT_PATHS, remove: true },
      serializers: { err: errorFields, error: errorFields },
    },
    destination(options.write),
  );
  return adapt(options.bindings ? logger.child(options.bindings) : logger);
}
