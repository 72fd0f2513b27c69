// @ts-check
/**
 * Whether a Node.js version meets package.json's engines.node, and the one line to print when it
 * does not. Plain JavaScript on purpose: it is loaded with `node --import` before tsx, and must run
 * on a Node too old for the rest of the project.
 *
 * engines.node is read in the form this project uses: alternatives joined by `||`, each `^X.Y.Z` or
 * `>=X[.Y[.Z]]`. The first alternative is the floor.
 */

/** @param {string} text @returns {[number, number, number]} */
function parts(text) {
  const [major = 0, minor = 0, patch = 0] = text.replace(/^v/, '').split('.').map(Number);
  return [major, minor, patch];
}

/** @param {number[]} a @param {number[]} b */
const atLeast = (a, b) =>
  a[0] !== b[0]
    ? (a[0] ?? 0) > (b[0] ?? 0)
    : a[1] !== b[1]
      ? (a[1] ?? 0) > (b[1] ?? 0)
      : (a[2] ?? 0) >= (b[2] ?? 0);

/** @param {string} engines @returns {{ caret: boolean; min: [number, number, number] }[]} */
function ranges(engines) {
  return engines.split('||').map((alternative) => {
    const match = /^\s*(\^|>=)\s*v?(\d+(?:\.\d+){0,2})\s*$/.exec(alternative);
    if (match === null) throw new Error(`engines.node alternative not understood: "${alternative.trim()}"`);
    return { caret: match[1] === '^', min: parts(match[2] ?? '') };
  });
}

/** @param {string} version e.g. process.version @param {string} engines package.json's engines.node */
export function meetsEngines(version, engines) {
  const v = parts(version);
  return ranges(engines).some(({ caret, min }) => atLeast(v, min) && (!caret || v[0] === min[0]));
}

/**
 * The notice for `version`, or undefined when it meets `engines`.
 * @param {{ version: string; engines: string; recommended: string; command: string }} facts
 */
export function floorNotice({ version, engines, recommended, command }) {
  if (meetsEngines(version, engines)) return undefined;
  const floor = ranges(engines)[0]?.min.join('.') ?? engines;
  const older = !atLeast(parts(version), parts(floor));
  return (
    `node ${version} ${older ? `is older than this project's floor ${floor}` : 'is not a line this project supports'}` +
    ` (engines.node ${engines}): ${command} still runs, but install Node ${recommended} (see .node-version);` +
    ` AWS SDK releases from January 2027 on need Node 22 or newer.`
  );
}
