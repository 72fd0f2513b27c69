/** A short, bounded label for an error: the SDK's exception name, a Node error code, or "error". */
export function errorName(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    if (err.name && err.name !== 'Error') return err.name.slice(0, 64);
    if (typeof code === 'string') return code.slice(0, 64);
  }
  return 'error';
}
