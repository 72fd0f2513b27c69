import { pino, type DestinationStream, type Logger, type LevelWithSilent } from 'pino';

const REDACTED = '[REDACTED]';

/**
 * Remembers every secret string this process has held and blanks it out of each log line before
 * it is written. Key-based redaction below covers the expected places; this covers accidents
 * (a password inside an error message, a stringified object under an unexpected key).
 */
export class SecretScrubber {
  /** Each secret, and the same secret as it appears inside a JSON string when that differs. */
  readonly #forms = new Map<string, string[]>();

  add(secret: string | undefined | null): void {
    // Very short values would blank ordinary words; real secrets here are long generated strings.
    if (!secret || secret.length < 6 || this.#forms.has(secret)) return;
    // Quotes and backslashes escaped, as JSON.stringify writes the secret into a log line.
    const escaped = JSON.stringify(secret).slice(1, -1);
    this.#forms.set(secret, escaped === secret ? [secret] : [secret, escaped]);
  }

  scrub(text: string): string {
    let out = text;
    for (const forms of this.#forms.values())
      for (const form of forms) if (out.includes(form)) out = out.replaceAll(form, REDACTED);
    return out;
  }
}

/** Keys whose values are never written, wherever they appear in a log object (two levels deep). */
export const REDACT_PATHS = [
  'password',
  'secret',
  'SecretString',
  'SecretBinary',
  'connectionString',
  'credentials.password',
  'req.headers.authorization',
  'req.headers.cookie',
  'headers.authorization',
  '*.password',
  '*.secret',
  '*.SecretString',
  '*.SecretBinary',
  '*.connectionString',
  '*.*.password',
  '*.*.SecretString',
];

export interface LoggerOptions {
  level: LevelWithSilent;
  scrubber: SecretScrubber;
  name?: string;
  /** Defaults to stdout; tests pass a stream to read what would have been written. */
  destination?: DestinationStream;
}

export function createLogger(options: LoggerOptions): Logger {
  return pino(
    {
      level: options.level,
      ...(options.name ? { name: options.name } : {}),
      redact: { paths: REDACT_PATHS, censor: REDACTED },
      hooks: { streamWrite: (line) => options.scrubber.scrub(line) },
    },
    options.destination ?? pino.destination({ fd: 1, sync: false }),
  );
}
