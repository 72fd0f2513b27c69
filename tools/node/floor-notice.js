// @ts-check
/**
 * Loaded first (`node --import ./tools/node/floor-notice.js`) by `npm start`, `npm run stack` and
 * `npm run demo`: on a Node that does not meet engines.node it prints one line naming both versions
 * and what to do, then lets the command go on.
 *
 * It also turns off the AWS SDK's own Node-version warning (a multi-line block per process, through
 * process.emitWarning) with the switch the SDK checks, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED:
 * the line above says the same and names the fix. Only then, and never over a value already set.
 * The production image runs `node dist/app/src/main.js` without this file.
 */
import { readFileSync } from 'node:fs';
import process from 'node:process';
import { URL } from 'node:url';
import { floorNotice } from './floor.js';

const root = new URL('../../', import.meta.url);
const pkg = /** @type {{ engines: { node: string } }} */ (
  JSON.parse(readFileSync(new URL('package.json', root), 'utf8'))
);
const event = process.env.npm_lifecycle_event;
const notice = floorNotice({
  version: process.version,
  engines: pkg.engines.node,
  recommended: readFileSync(new URL('.node-version', root), 'utf8').trim(),
  command: event === undefined ? 'this command' : event === 'start' ? '`npm start`' : `\`npm run ${event}\``,
});
if (notice !== undefined) {
  process.stderr.write(`${notice}\n`);
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
}
