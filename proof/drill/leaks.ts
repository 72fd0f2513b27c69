/** The secret-hygiene figure: how many times any password of the run appears in what the drill kept. */

export interface LeakScan {
  passwordsChecked: number;
  sourcesScanned: number;
  linesScanned: number;
  /** Of those lines, CloudWatch embedded metric format records (the tasks write them with CLOUDWATCH_EMF_SERVICE set). */
  emfRecordsScanned: number;
  /** Occurrences of any password (plain or JSON-escaped), per source; the values are never kept. */
  occurrences: number;
  bySource: Record<string, number>;
}

export function countOccurrences(text: string, needle: string): number {
  if (needle.length === 0) return 0;
  let count = 0;
  let at = text.indexOf(needle);
  while (at !== -1) {
    count++;
    at = text.indexOf(needle, at + needle.length);
  }
  return count;
}

/** Each password as it could appear: plain, JSON-escaped, URL-encoded (each form once). */
function needlesFor(passwords: ReadonlySet<string>): Set<string> {
  const needles = new Set<string>();
  for (const p of passwords) {
    needles.add(p);
    needles.add(JSON.stringify(p).slice(1, -1));
    needles.add(encodeURIComponent(p));
  }
  return needles;
}

/** Occurrences of any password, in any of its forms, in one text (a report file as written). */
export function countPasswordsIn(text: string, passwords: ReadonlySet<string>): number {
  let found = 0;
  for (const n of needlesFor(passwords)) found += countOccurrences(text, n);
  return found;
}

export function scanForPasswords(
  sources: readonly { source: string; lines: readonly string[] }[],
  passwords: ReadonlySet<string>,
): LeakScan {
  const needles = needlesFor(passwords);
  const scan: LeakScan = {
    passwordsChecked: passwords.size,
    sourcesScanned: 0,
    linesScanned: 0,
    emfRecordsScanned: 0,
    occurrences: 0,
    bySource: {},
  };
  for (const { source, lines } of sources) {
    scan.sourcesScanned++;
    let found = 0;
    for (const line of lines) {
      scan.linesScanned++;
      if (isEmfRecord(line)) scan.emfRecordsScanned++;
      for (const n of needles) found += countOccurrences(line, n);
    }
    scan.bySource[source] = (scan.bySource[source] ?? 0) + found;
    scan.occurrences += found;
  }
  return scan;
}

/** A CloudWatch embedded metric format record: one JSON object per line with `_aws.CloudWatchMetrics`. */
export function isEmfRecord(line: string): boolean {
  return line.startsWith('{') && line.includes('"_aws":') && line.includes('"CloudWatchMetrics":');
}
