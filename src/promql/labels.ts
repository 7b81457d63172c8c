import type { Label } from '../model/prometheus.js';

export const METRIC_NAME = '__name__';

export function getLabel(labels: readonly Label[], name: string): string {
  for (const l of labels) if (l.name === name) return l.value;
  return '';
}

export function dropLabel(labels: readonly Label[], name: string): Label[] {
  return labels.filter((l) => l.name !== name);
}

/** Sets (or with an empty value deletes) a label, keeping the set sorted. */
export function setLabel(labels: readonly Label[], name: string, value: string): Label[] {
  const out: Label[] = [];
  let done = false;
  for (const l of labels) {
    if (!done && l.name >= name) {
      done = true;
      if (value !== '') out.push({ name, value });
      if (l.name === name) continue;
    }
    out.push(l);
  }
  if (!done && value !== '') out.push({ name, value });
  return out;
}

export function formatLabels(labels: readonly Label[]): string {
  let name = '';
  const parts: string[] = [];
  for (const l of labels) {
    if (l.name === METRIC_NAME) name = l.value;
    else parts.push(`${l.name}=${JSON.stringify(l.value)}`);
  }
  return `${name}{${parts.join(', ')}}`;
}

const labelNameRe = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
/** Prometheus 3 accepts any UTF-8 label name; the legacy charset is still what label_replace etc. check. */
export function isValidLabelName(name: string): boolean {
  return name.length > 0 && (labelNameRe.test(name) || isValidUtf8Name(name));
}
function isValidUtf8Name(name: string): boolean {
  // Prometheus 3 (UTF-8 names): any valid UTF-8 string; JS strings from UTF-8 input always are, unless they
  // hold lone surrogates (the decoder's replacement of invalid bytes shows up as U+FFFD).
  return !/[\ud800-\udfff]/.test(name.replace(/[\ud800-\udbff][\udc00-\udfff]/g, '')) && !name.includes('\ufffd');
}

/** Drops __name__ and the metadata labels __type__/__unit__, as Prometheus does when an operation changes meaning. */
export function dropMetricNameAndMetadata(labels: readonly Label[]): Label[] {
  return labels.filter((l) => l.name !== METRIC_NAME && l.name !== '__type__' && l.name !== '__unit__');
}
