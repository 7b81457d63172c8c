// Prometheus' data model: what mapping/ produces and every sink (remote write, embedded store) consumes.
import type { FloatHistogram } from './histogram.js';

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
  /**
   * Native histogram samples, when the series has any (float-only series leave it out, so their path is unchanged).
   * Their timestamps are apart from the float samples' and never equal to one of them. A sink that cannot store
   * them reports them refused, never drops them silently.
   */
  histograms?: PromHistogramSamples;
  /** Set when the producer will hand out the same label set again (the mapper's cached series). */
  ref?: SeriesRef;
}

/** A written series' native histogram samples: timestamps (ms) strictly increasing, one histogram each. */
export interface PromHistogramSamples {
  timestamps: number[];
  histograms: FloatHistogram[];
}

/**
 * A label set's identity across requests: the mapper gives every PromSeries of one cached label set of a tenant the
 * same object, with the same frozen `labels` array. A sink keeps its own per-series state in it, so a known series
 * is not looked up by its labels again (the store keeps its series there, as Prometheus' Appender returns a
 * SeriesRef). Sinks check that the state is theirs and still valid before using it.
 */
export interface SeriesRef {
  sinkState: unknown;
}

/** Prometheus metric type for metadata, derived from the Datadog type (`histogram`: promdog's own self-metrics). */
export type PromMetricType = 'gauge' | 'counter' | 'histogram' | 'summary' | 'unknown';

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

/** A series' float and histogram samples together. */
export function seriesSampleCount(s: PromSeries): number {
  return s.timestamps.length + (s.histograms?.timestamps.length ?? 0);
}

/** Float and histogram samples together. */
export function sampleCount(series: readonly PromSeries[]): number {
  let n = 0;
  for (const s of series) n += seriesSampleCount(s);
  return n;
}
