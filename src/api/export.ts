// `/api/v1/export` lines in VictoriaMetrics' JSON line format, so its tooling (vmctl, `/api/v1/import`) reads them:
// `{"metric":{...},"values":[...],"timestamps":[ms...]}`. Values are JSON numbers written without an exponent;
// NaN (staleness markers included) is `null` and ±Inf are the strings "Infinity"/"-Infinity", as VictoriaMetrics
// writes them (app/vmselect/prometheus/export.qtpl, convertValueToSpecialJSON; issue VictoriaMetrics#3161).
// VictoriaMetrics has no native histograms: a series' histogram samples follow as promdog's own fields,
// `histograms` (every field of each, so nothing is lost) and `histogram_timestamps`.
import { CounterResetHint, type BucketSpan, type FloatHistogram } from '../model/histogram.js';
import type { Label } from '../model/prometheus.js';
import type { SeriesData } from '../model/storage.js';
import { formatFloatPlain } from '../promql/format.js';

export function exportValue(v: number): string {
  if (Number.isNaN(v)) return 'null';
  if (v === Infinity) return '"Infinity"';
  if (v === -Infinity) return '"-Infinity"';
  return formatFloatPlain(v);
}

/** A label set as a JSON object, in label order (JS objects would move integer-like names first). */
export function labelsJson(labels: readonly Label[]): string {
  let out = '{';
  for (let i = 0; i < labels.length; i++) {
    if (i > 0) out += ',';
    out += `${JSON.stringify(labels[i]!.name)}:${JSON.stringify(labels[i]!.value)}`;
  }
  return `${out}}`;
}

export function exportLine(s: SeriesData): string {
  let out = `{"metric":${labelsJson(s.labels)},"values":[`;
  const n = s.timestamps.length;
  for (let i = 0; i < n; i++) out += (i > 0 ? ',' : '') + exportValue(s.values[i]!);
  out += '],"timestamps":[';
  for (let i = 0; i < n; i++) out += (i > 0 ? ',' : '') + s.timestamps[i]!;
  out += ']';
  const hs = s.histograms;
  if (hs && hs.timestamps.length > 0) {
    out += `,"histograms":[${hs.values.map(histogramJson).join(',')}],"histogram_timestamps":[${hs.timestamps.join(',')}]`;
  }
  return `${out}}\n`;
}

const HINT_NAMES: Record<CounterResetHint, string> = {
  [CounterResetHint.Unknown]: 'unknown',
  [CounterResetHint.CounterReset]: 'reset',
  [CounterResetHint.NotCounterReset]: 'not_reset',
  [CounterResetHint.Gauge]: 'gauge',
};

function histogramJson(h: FloatHistogram): string {
  const numbers = (xs: number[]) => `[${xs.map(exportValue).join(',')}]`;
  const spans = (ss: BucketSpan[]) => `[${ss.map((x) => `[${x.offset},${x.length}]`).join(',')}]`;
  return (
    `{"counter_reset_hint":"${HINT_NAMES[h.counterResetHint]}","schema":${h.schema},` +
    `"zero_threshold":${exportValue(h.zeroThreshold)},"zero_count":${exportValue(h.zeroCount)},` +
    `"count":${exportValue(h.count)},"sum":${exportValue(h.sum)},` +
    `"positive_spans":${spans(h.positiveSpans)},"positive_buckets":${numbers(h.positiveBuckets)},` +
    `"negative_spans":${spans(h.negativeSpans)},"negative_buckets":${numbers(h.negativeBuckets)},` +
    `"custom_values":${numbers(h.customValues)}}`
  );
}
