/** An error's first message line: what the bench prints and reports when a part could not run. */
export function firstLine(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  return message.split('\n')[0] || 'error';
}
