// The native histogram sample shared by every layer that carries one (mapping, sinks, store, PromQL, the HTTP API):
// Prometheus' float histogram. Buckets are sparse: spans of consecutive bucket indexes with their counts. For the
// exponential schemas (-4…8) bucket index i of schema s holds (base^(i-1), base^i] with base = 2^(2^-s); positive
// buckets cover values above the zero bucket, negative buckets mirror them below. Schema -53 has custom bounds:
// `customValues` are the upper bounds, and bucket i holds (customValues[i-1], customValues[i]] (index 0 from -Inf,
// the last to +Inf), with no zero bucket and no negative buckets.

/** Whether a histogram's counts went down since the previous sample of its series (Prometheus' CounterResetHint). */
export enum CounterResetHint {
  /** Not known: a reader compares with the previous sample. */
  Unknown = 0,
  /** A counter reset happened before this sample. */
  CounterReset = 1,
  /** No counter reset: counts only grew. */
  NotCounterReset = 2,
  /** A gauge histogram: counts may go up and down; not a counter. */
  Gauge = 3,
}

/** A run of `length` consecutive buckets starting `offset` indexes after the end of the previous span. */
export interface BucketSpan {
  offset: number;
  length: number;
}

/** Schema number of the custom-bounds histograms (NHCB). */
export const CUSTOM_BUCKETS_SCHEMA = -53;

export interface FloatHistogram {
  counterResetHint: CounterResetHint;
  schema: number;
  /** Values with |v| ≤ zeroThreshold count in the zero bucket. */
  zeroThreshold: number;
  zeroCount: number;
  /** Observations in all buckets (zero bucket included); may be NaN-free float after rate(). */
  count: number;
  sum: number;
  positiveSpans: BucketSpan[];
  /** Absolute counts, one per bucket of positiveSpans in order. */
  positiveBuckets: number[];
  negativeSpans: BucketSpan[];
  negativeBuckets: number[];
  /** Upper bounds of schema -53's buckets, ascending; empty for exponential schemas. */
  customValues: number[];
}

/** A series' native histogram samples: timestamps (ms) strictly increasing, one histogram each. */
export interface HistogramSamples {
  timestamps: Float64Array;
  values: FloatHistogram[];
}
