import helmet from '@fastify/helmet';
import fp from 'fastify-plugin';

/**
 * Security headers on every response, errors and 404s included (helmet's hook runs on `onRequest`,
 * before anything can fail). The API only ever returns JSON, so the policy forbids everything a
 * browser might do with a response: no sources of any kind (`default-src 'none'`), no framing
 * (`frame-ancestors 'none'`, and `X-Frame-Options: DENY` for browsers that predate it). HSTS is
 * helmet's default (one year, subdomains, no `preload`: preloading is a decision about a whole domain
 * that takes months to undo, not one for a template). The rest are helmet's defaults (`nosniff`,
 * `no-referrer`, same-origin resource and opener policies, ...).
 */
export default fp(
  async (fastify) => {
    await fastify.register(helmet, {
      contentSecurityPolicy: {
        useDefaults: false,
        directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] },
      },
      xFrameOptions: { action: 'deny' },
    });
  },
  { name: 'security-headers', fastify: '5.x' },
);

/**
 * The same headers as constants, for the few responses written where Fastify runs no hooks: a URL
 * the router cannot decode, a request Node's HTTP parser rejects. A test keeps them equal to what
 * the plugin sends.
 */
export const STATIC_SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy': "default-src 'none';frame-ancestors 'none'",
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
  'origin-agent-cluster': '?1',
  'referrer-policy': 'no-referrer',
  'strict-transport-security': 'max-age=31536000; includeSubDomains',
  'x-content-type-options': 'nosniff',
  'x-dns-prefetch-control': 'off',
  'x-download-options': 'noopen',
  'x-frame-options': 'DENY',
  'x-permitted-cross-domain-policies': 'none',
  'x-xss-protection': '0',
};
