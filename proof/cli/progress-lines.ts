/**
 * The drill's and the bench's console lines: each prefixed with the seconds since the run started,
 * and kept, so the report can carry what was printed.
 */
export function progressLines(write: (line: string) => void): {
  say: (line: string) => void;
  printed: string[];
} {
  const printed: string[] = [];
  const clock0 = Date.now();
  const say = (line: string) => {
    const text = `${((Date.now() - clock0) / 1000).toFixed(1).padStart(6)}s  ${line}`;
    printed.push(text);
    write(text);
  };
  return { say, printed };
}
