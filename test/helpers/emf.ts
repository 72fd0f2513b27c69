/**
 * Reads CloudWatch embedded metric format records out of a process's output lines, the way
 * CloudWatch Logs does: a JSON object with `_aws.CloudWatchMetrics`; dimension and metric values
 * are top-level members named by it.
 */
/** A line CloudWatch Logs takes as an EMF record: a JSON object whose `_aws` lists `CloudWatchMetrics`. */
export function isEmfRecord(line: string): boolean {
  if (!line.startsWith('{')) return false;
  try {
    const body = JSON.parse(line) as { _aws?: { CloudWatchMetrics?: unknown } } | null;
    return Array.isArray(body?._aws?.CloudWatchMetrics);
  } catch {
    return false;
  }
}

export interface EmfRecord {
  namespace: string;
  timestamp: number;
  /** The one dimension set of the record, in order. */
  dimensionNames: string[];
  dimensions: Record<string, string>;
  metrics: { name: string; unit: string }[];
  values: Record<string, number | number[]>;
  line: string;
}

interface RawDirective {
  Namespace: string;
  Dimensions: string[][];
  Metrics: { Name: string; Unit: string }[];
}

export function parseEmfLines(lines: readonly string[]): EmfRecord[] {
  const records: EmfRecord[] = [];
  for (const line of lines) {
    if (!isEmfRecord(line)) continue;
    const body = JSON.parse(line) as Record<string, unknown> & {
      _aws: { Timestamp: number; CloudWatchMetrics: RawDirective[] };
    };
    const directives = body._aws.CloudWatchMetrics;
    if (directives.length !== 1) throw new Error(`expected one metric directive per record: ${line}`);
    const directive = directives[0] as RawDirective;
    if (directive.Dimensions.length !== 1) throw new Error(`expected one dimension set per record: ${line}`);
    const dimensionNames = directive.Dimensions[0] ?? [];
    const dimensions: Record<string, string> = {};
    for (const name of dimensionNames) {
      const value = body[name];
      if (typeof value !== 'string') throw new Error(`dimension ${name} has no string value: ${line}`);
      dimensions[name] = value;
    }
    const values: Record<string, number | number[]> = {};
    for (const m of directive.Metrics) values[m.Name] = body[m.Name] as number | number[];
    records.push({
      namespace: directive.Namespace,
      timestamp: body._aws.Timestamp,
      dimensionNames,
      dimensions,
      metrics: directive.Metrics.map((m) => ({ name: m.Name, unit: m.Unit })),
      values,
      line,
    });
  }
  return records;
}
