import type { HistogramSamples } from './histogram.js';
import type { Label } from './prometheus.js';

// The read interface between the storage engine (tsdb/) and its readers (PromQL engine, HTTP read API).
// Reads are async (blocks live on disk); the PromQL engine fetches every selector's data first, then evaluates
// synchronously over the materialized columns.

export type MatchType = '=' | '!=' | '=~' | '!~';

/** A label matcher as in PromQL (compiled and matched by matcher.ts: RE2 regexes, anchored as `^(?s:re)$`). */
export interface LabelMatcher {
  type: MatchType;
  name: string;
  value: string;
}

/**
 * What a read returns: the samples of many series in shared columns, so that a read of a million series holds a
 * few arrays rather than millions of small objects. Series i has the label set labels[i] (the store's own array:
 * readers never modify it), the float samples at timestamps/values[starts[i] .. ends[i]) (timestamps strictly
 * increasing; series may share no order in the columns) and, when it has any, the native histogram samples
 * histograms[i] (absent when no series has any). series-columns.ts builds, slices and converts them.
 */
export interface SeriesColumns {
  labels: Label[][];
  starts: Uint32Array;
  ends: Uint32Array;
  timestamps: Float64Array;
  values: Float64Array;
  histograms?: (HistogramSamples | undefined)[];
}

/** One series' samples in [mint, maxt] (ms, inclusive), timestamps strictly increasing. */
export interface SeriesData {
  labels: Label[];
  timestamps: Float64Array;
  values: Float64Array;
  /**
   * The series' native histogram samples in [mint, maxt], when it has any. A series may change between float and
   * histogram samples over time; a timestamp is in either the float or the histogram samples, never both.
   */
  histograms?: HistogramSamples;
}

/** What bounds any read: its deadline and its client, as one signal. */
export interface ReadHints {
  /** When aborted, the read stops at its next batch and rejects with the signal's reason (timeout, client gone). */
  signal?: AbortSignal;
  /**
   * How the read gives the event loop back between two batches of its work (default: setImmediate). A reader that
   * takes turns with other work (the PromQL engine) passes its own.
   */
  pause?: () => Promise<void>;
}

/** What a reader bounds one read with, and what it will do with the samples (so a store may read less). */
export interface SelectHints extends ReadHints {
  /** Samples the read may decode; past it the read rejects with SampleLimitError before decoding them. */
  maxSamples?: number;
  /** false: the series in any order (sorting a million label sets is most of a cheap query's cost). Default true. */
  sorted?: boolean;
  /**
   * Only the newest sample in [mint, maxt] is read (an instant vector selector evaluated at one time): a store may
   * return just that one per series.
   */
  latestOnly?: boolean;
}

export interface SeriesHints extends ReadHints {
  /** Only the first `limit` label sets in label order (0: all). */
  limit?: number;
}

/** A read refused by SelectHints.maxSamples. */
export class SampleLimitError extends Error {
  override name = 'SampleLimitError';
}

export interface Querier {
  /** Series matching every matcher with at least one sample in [mint, maxt], sorted by labels (see hints). */
  select(matchers: LabelMatcher[], mint: number, maxt: number, hints?: SelectHints): Promise<SeriesColumns>;
  /**
   * Label sets of series matching every matcher with a chunk overlapping [mint, maxt], sorted, without reading
   * samples (Prometheus' series API does the same: a chunk that spans the range counts even if no sample is in it).
   */
  series(matchers: LabelMatcher[], mint: number, maxt: number, hints?: SeriesHints): Promise<Label[][]>;
  /** Label names of series matching the matchers (all series when none) in [mint, maxt], sorted. */
  labelNames(matchers: LabelMatcher[], mint: number, maxt: number, hints?: ReadHints): Promise<string[]>;
  /** Values of one label over series matching the matchers in [mint, maxt], sorted. */
  labelValues(name: string, matchers: LabelMatcher[], mint: number, maxt: number, hints?: ReadHints): Promise<string[]>;
}
