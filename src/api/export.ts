// `/api/v1/export` lines in VictoriaMetrics' JSON line format, so its tooling (vmctl, `/api/v1/import`) reads them:
// `{"metric":{...},"values":[...],"timestamps":[ms...]}`. Values are JSON numbers written without an exponent;
// NaN (staleness markers included) is `null` and ±Inf are the strings "Infinity"/"-Infinity", as VictoriaMetrics
// writes them (app/vmselect/prometheus/export.qtpl, convertValueToSpecialJSON; issue VictoriaMetrics#3161).
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
  return `${out}]}\n`;
}
