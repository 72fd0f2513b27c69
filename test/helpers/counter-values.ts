import type { Registry } from 'prom-client';

/** A counter's values by one of its labels, from a metrics registry: `{ recovered: 1, retry: 2 }`. */
export async function counterValues(
  registry: Registry,
  name: string,
  label: string,
): Promise<Record<string, number>> {
  const metric = await registry.getSingleMetric(name)?.get();
  return Object.fromEntries((metric?.values ?? []).map((v) => [String(v.labels[label]), v.value]));
}
