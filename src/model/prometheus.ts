// Prometheus' data model: what mapping/ produces and every sink (remote write, embedded store) consumes.

export interface Label {
  name: string;
  value: string;
}

/**
 * One series with its samples. Invariants the mapping guarantees and sinks rely on:
 * labels sorted by name (JS string order, which is byte order for the ASCII names the default mapping makes),
 * names unique, `__name__` present; timestamps in milliseconds, strictly increasing.
 */
export interface PromSeries {
  labels: Label[];
  timestamps: number[];
  values: number[];
}

/** Prometheus metric type for metadata, derived from the Datadog type. */
export type PromMetricType = 'gauge' | 'counter' | 'summary' | 'unknown';

export interface MetricMetadata {
  metricFamilyName: string;
  type: PromMetricType;
  unit: string;
  help: string;
}

/** A unit of write: everything one request produced for one tenant. */
export interface WriteBatch {
  tenant: string;
  series: PromSeries[];
  metadata: MetricMetadata[];
}

export function sampleCount(series: PromSeries[]): number {
  let n = 0;
  for (const s of series) n += s.timestamps.length;
  return n;
}
