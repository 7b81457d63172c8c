// Native histograms as the query API writes them (Prometheus' JSON: count, sum and buckets as text, each bucket
// `[boundary_rule, lower, upper, count]` with the empty ones left out), read into numbers. No DOM here: the unit
// tests run it under Node.

/** Prometheus' boundary rules, which ends belong to a bucket: 0 open left, 1 open right, 2 open both, 3 closed both. */
export type BoundaryRule = 0 | 1 | 2 | 3;

export interface HistogramJson {
  count: string;
  sum: string;
  buckets?: [BoundaryRule, string, string, string][];
}

export interface Bucket {
  rule: BoundaryRule;
  lower: number;
  upper: number;
  count: number;
}

export interface Histogram {
  count: number;
  sum: number;
  /** As the API lists them: ascending by lower bound. */
  buckets: Bucket[];
}

/** A sample value as the HTTP API writes it (`+Inf`, `-Inf`, `NaN`, `1e+308`...) as a number. */
export function sampleNumber(s: string): number {
  if (s === '+Inf' || s === 'Inf') return Infinity;
  if (s === '-Inf') return -Infinity;
  return Number(s);
}

export function parseHistogram(json: HistogramJson): Histogram {
  return {
    count: sampleNumber(json.count),
    sum: sampleNumber(json.sum),
    buckets: (json.buckets ?? []).map(([rule, lower, upper, count]) => ({
      rule,
      lower: sampleNumber(lower),
      upper: sampleNumber(upper),
      count: sampleNumber(count),
    })),
  };
}

/** A bucket's bounds in interval notation, its boundary rule as brackets: `(0.5, 1]`, `[-0.001, 0.001]`. */
export function bucketText(b: Pick<Bucket, 'rule' | 'lower' | 'upper'>, format: (v: number) => string): string {
  const leftOpen = b.rule === 0 || b.rule === 2;
  const rightOpen = b.rule === 1 || b.rule === 2;
  return `${leftOpen ? '(' : '['}${format(b.lower)}, ${format(b.upper)}${rightOpen ? ')' : ']'}`;
}

/** A bound written as the API writes it (exact digits, `+Inf`), for tables. */
export function boundText(v: number): string {
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}
