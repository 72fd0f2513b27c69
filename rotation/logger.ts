/**
 * A small structured logger for the rotation function: one JSON object per line on stdout, which
 * Lambda sends to CloudWatch Logs as it is. Fields are chosen by the caller and never include a
 * secret value; as a second line of defence, keys that usually hold one are dropped, and errors are
 * reduced to their name, message and code.
 */

export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';

export type LogFields = Record<string, unknown>;

export interface RotationLogger {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
  /** A logger that adds `bindings` to every line. */
  child(bindings: LogFields): RotationLogger;
}

export interface LoggerOptions {
  level?: LogLevel;
  /** Where each line goes (without the newline); stdout by default. */
  write?: (line: string) => void;
  bindings?: LogFields;
}

const SEVERITY: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };

/** Keys never written, whatever the caller passes. */
const DROPPED_KEYS = new Set([
  'password',
  'secret',
  'secretstring',
  'secretbinary',
  'rotationtoken',
  'randompassword',
  'verifier',
]);

function sanitize(value: unknown, depth: number): unknown {
  if (value instanceof Error) {
    const code = (value as { code?: unknown }).code;
    return { name: value.name, message: value.message, ...(typeof code === 'string' && { code }) };
  }
  if (value === null || typeof value !== 'object') return value;
  if (depth > 3) return '[object]';
  if (Array.isArray(value)) return value.map((item) => sanitize(item, depth + 1));
  const out: LogFields = {};
  for (const [key, item] of Object.entries(value)) {
    if (DROPPED_KEYS.has(key.toLowerCase())) continue;
    out[key] = sanitize(item, depth + 1);
  }
  return out;
}

export function createLogger(options: LoggerOptions = {}): RotationLogger {
  const threshold = SEVERITY[options.level ?? 'info'];
  const write =
    options.write ??
    ((line: string): void => {
      process.stdout.write(`${line}\n`);
    });
  const bindings = options.bindings ?? {};

  const emit = (level: Exclude<LogLevel, 'silent'>, message: string, fields: LogFields = {}): void => {
    if (SEVERITY[level] < threshold) return;
    const entry = sanitize({ ...bindings, ...fields }, 0) as LogFields;
    write(JSON.stringify({ time: new Date().toISOString(), level, message, ...entry }));
  };

  return {
    debug: (message, fields) => {
      emit('debug', message, fields);
    },
    info: (message, fields) => {
      emit('info', message, fields);
    },
    warn: (message, fields) => {
      emit('warn', message, fields);
    },
    error: (message, fields) => {
      emit('error', message, fields);
    },
    child: (more) => createLogger({ ...options, bindings: { ...bindings, ...more } }),
  };
}
