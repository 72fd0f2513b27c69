/** The generator only ever targets this machine. */
const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]', '::1']);

export function assertLoopbackUrl(raw: string): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new Error(`not a URL: ${raw}`);
  }
  if (url.protocol !== 'http:') throw new Error(`only http:// targets are supported, got ${raw}`);
  if (!LOOPBACK.has(url.hostname)) throw new Error(`only loopback targets are allowed, got ${url.hostname}`);
  return url;
}
