/**
 * CloudWatch metrics without an agent or a sidecar: counts and durations are aggregated in memory
 * and written to stdout as embedded metric format (EMF) records once per interval and on close.
 * On Fargate the awslogs driver ships stdout to CloudWatch Logs, which extracts the metrics.
 *
 * aws-embedded-metrics serializes and validates the records (names, units, dimension values, 100
 * metrics per record). Its environment detection and sinks are not used: they would probe the ECS
 * metadata endpoint or an agent, and its console sink would write past the log scrubber, beside
 * pino's asynchronous writes to the same file descriptor. Here the records go through `write`,
 * which main.ts points at the logger's own destination.
 *
 * Only the package's logger and serializer modules are imported, never its main module: that one
 * starts detecting the environment when it loads, which probes the EC2 instance metadata service
 * (169.254.169.254) from every process that imports it, whatever the configuration says. The app
 * contacts only the endpoints it is configured for; the egress guard's tests hold it to that.
 */
import { MetricsLogger } from 'aws-embedded-metrics/lib/logger/MetricsLogger.js';
import type { IEnvironment } from 'aws-embedded-metrics/lib/environment/IEnvironment.js';
import type { MetricsContext } from 'aws-embedded-metrics/lib/logger/MetricsContext.js';
import { LogSerializer } from 'aws-embedded-metrics/lib/serializers/LogSerializer.js';
import { EMF_NAMESPACE, SERVICE_DIMENSION, type AppMetricDefinition } from './metric-names.js';

export interface EmfRecorderOptions {
  /** The Service dimension's value. */
  service: string;
  /** One complete line (no newline) per record. */
  write: (line: string) => void;
  /** Default 60 s: CloudWatch's standard resolution, so one record per metric per task per minute. */
  intervalMs?: number;
  /** A record that cannot be written (an invalid dimension value): reported, never thrown. */
  onError?: (err: unknown) => void;
  now?: () => number;
}

/** The values one metric collected in one interval for one set of dimension values. */
interface Series {
  metric: AppMetricDefinition;
  dimensions: Record<string, string>;
  /** Counters: one running sum. Durations: each observation, up to MAX_VALUES. Gauges: the highest value. */
  values: number[];
}

/** CloudWatch takes at most 100 values per metric per record; later ones in an interval are dropped. */
const MAX_VALUES = 100;
/** One record per metric a minute: CloudWatch's finest standard resolution, and one log line per minute per task. */
const FLUSH_INTERVAL_MS = 60_000;

export class EmfRecorder {
  readonly #opts: Required<Omit<EmfRecorderOptions, 'onError'>> & Pick<EmfRecorderOptions, 'onError'>;
  readonly #series = new Map<string, Series>();
  /** Gauges: the value now, carried into every interval; the interval reports the highest seen. */
  readonly #gauges = new Map<string, { series: Series; current: number }>();
  readonly #environment: IEnvironment;
  #timer: NodeJS.Timeout | undefined;
  #flushing: Promise<void> = Promise.resolve();

  constructor(options: EmfRecorderOptions) {
    this.#opts = { intervalMs: FLUSH_INTERVAL_MS, now: Date.now, ...options };
    this.#environment = stdoutEnvironment(options.service, (line) => {
      this.#opts.write(line);
    });
  }

  /** Adds `value` to a counter. */
  count(metric: AppMetricDefinition, labels: Record<string, string>, value = 1): void {
    const series = this.#seriesFor(metric, labels, () => [0]);
    series.values[0] = (series.values[0] ?? 0) + value;
  }

  /** Records one observation (a duration, in the metric's unit). */
  observe(metric: AppMetricDefinition, labels: Record<string, string>, value: number): void {
    const series = this.#seriesFor(metric, labels, () => []);
    if (series.values.length < MAX_VALUES) series.values.push(value);
  }

  /** Sets a gauge; each interval reports the highest value it held, so a short spell is not missed. */
  gauge(metric: AppMetricDefinition, labels: Record<string, string>, value: number): void {
    const series = this.#seriesFor(metric, labels, () => [value]);
    series.values[0] = Math.max(series.values[0] ?? value, value);
    this.#gauges.set(series.metric.name + keyOf(series.dimensions), { series, current: value });
  }

  start(): void {
    this.#timer = setInterval(() => {
      void this.flush();
    }, this.#opts.intervalMs);
    this.#timer.unref();
  }

  /** Writes what the interval collected (one record per set of dimension values) and starts a new one. */
  flush(): Promise<void> {
    this.#flushing = this.#flushing.then(() => this.#flushNow());
    return this.#flushing;
  }

  /** Stops the timer and writes the last interval (shutdown). */
  async close(): Promise<void> {
    clearInterval(this.#timer);
    await this.flush();
  }

  #seriesFor(metric: AppMetricDefinition, labels: Record<string, string>, initial: () => number[]): Series {
    const dimensions: Record<string, string> = { [SERVICE_DIMENSION]: this.#opts.service };
    for (const [label, dimension] of Object.entries(metric.labels))
      dimensions[dimension] = labels[label] ?? '';
    const key = metric.name + keyOf(dimensions);
    let series = this.#series.get(key);
    if (!series) {
      series = { metric, dimensions, values: initial() };
      this.#series.set(key, series);
    }
    return series;
  }

  async #flushNow(): Promise<void> {
    const collected = [...this.#series.values()];
    this.#series.clear();
    // Gauges report in every interval, at the value they hold now unless they go higher.
    for (const [key, gauge] of this.#gauges) {
      this.#series.set(key, { ...gauge.series, values: [gauge.current] });
    }
    const timestamp = this.#opts.now();
    const byDimensions = new Map<string, Series[]>();
    for (const series of collected) {
      if (series.values.length === 0) continue;
      const key = keyOf(series.dimensions);
      byDimensions.set(key, [...(byDimensions.get(key) ?? []), series]);
    }
    for (const group of byDimensions.values()) {
      try {
        const logger = new MetricsLogger(() => Promise.resolve(this.#environment));
        logger.setNamespace(EMF_NAMESPACE);
        logger.setDimensions(group[0]?.dimensions ?? {}, false);
        logger.setTimestamp(timestamp);
        for (const series of group) {
          for (const value of series.values) logger.putMetric(series.metric.name, value, series.metric.unit);
        }
        await logger.flush();
      } catch (err) {
        this.#opts.onError?.(err);
      }
    }
  }
}

function keyOf(dimensions: Record<string, string>): string {
  return JSON.stringify(Object.entries(dimensions));
}

/**
 * An aws-embedded-metrics environment that never probes anything: no metadata endpoint, no agent.
 * Its default dimensions are never used (every record sets its own).
 */
function stdoutEnvironment(service: string, write: (line: string) => void): IEnvironment {
  const serializer = new LogSerializer();
  return {
    probe: () => Promise.resolve(true),
    getName: () => service,
    getType: () => 'ECS',
    getLogGroupName: () => service,
    configureContext: () => undefined,
    getSink: () => ({
      name: 'StdoutSink',
      accept(context: MetricsContext) {
        for (const record of serializer.serialize(context)) write(record);
        return Promise.resolve();
      },
    }),
  };
}
