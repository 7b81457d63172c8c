import type { DDResource } from '../model/datadog.js';
import type { Label } from '../model/prometheus.js';

// The bounds on one series as the mapper makes it (docs/configuration.md, "Limits"): a series over one is refused,
// counted by reason, and the rest of its request is stored. Checked once per new identity, never per sample.

/** Bounds on one Datadog series, distribution or service check and on the Prometheus series made of it; 0 = none. */
export interface SeriesLimits {
  /** UTF-8 bytes of the Datadog metric name (Datadog's own limit: 200 characters). */
  maxMetricNameLength: number;
  /** Tags and resources of one series as sent: bounds the work and the cache memory of one identity. */
  maxTagsPerSeries: number;
  /** Label names of a mapped series: its tags and resources merged by name, its host's tags, promdog's labels. */
  maxLabelNamesPerSeries: number;
  /** UTF-8 bytes of a label name (Mimir's default: 1,024). */
  maxLabelNameLength: number;
  /** UTF-8 bytes of a label value, several values of one name joined (Mimir's default: 2,048). */
  maxLabelValueLength: number;
}

export const DEFAULT_SERIES_LIMITS: Readonly<SeriesLimits> = Object.freeze({
  maxMetricNameLength: 200,
  maxTagsPerSeries: 1000,
  maxLabelNamesPerSeries: 100,
  maxLabelNameLength: 1024,
  maxLabelValueLength: 2048,
});

/** Every bound off. */
export const NO_SERIES_LIMITS: Readonly<SeriesLimits> = Object.freeze({
  maxMetricNameLength: 0,
  maxTagsPerSeries: 0,
  maxLabelNamesPerSeries: 0,
  maxLabelNameLength: 0,
  maxLabelValueLength: 0,
});

/** Why a series was refused (the `reason` label of the rejected counters). */
export type SeriesRefusal =
  | 'invalid_metric_name'
  | 'metric_name_too_long'
  | 'too_many_tags'
  | 'too_many_labels'
  | 'label_name_too_long'
  | 'label_value_too_long'
  | 'too_many_series_in_request';

/** What a refusal says to the client, naming the limit (its YAML key) and its value. */
export function describeRefusal(reason: SeriesRefusal, limits: SeriesLimits, maxSeriesPerRequest: number): string {
  switch (reason) {
    case 'invalid_metric_name':
      return 'the metric name is empty';
    case 'metric_name_too_long':
      return `the metric name is longer than ${limits.maxMetricNameLength} bytes (limits.max_metric_name_length)`;
    case 'too_many_tags':
      return `more than ${limits.maxTagsPerSeries} tags (limits.max_tags_per_series)`;
    case 'too_many_labels':
      return `more than ${limits.maxLabelNamesPerSeries} label names (limits.max_label_names_per_series)`;
    case 'label_name_too_long':
      return `a label name is longer than ${limits.maxLabelNameLength} bytes (limits.max_label_name_length)`;
    case 'label_value_too_long':
      return `a label value is longer than ${limits.maxLabelValueLength} bytes (limits.max_label_value_length)`;
    case 'too_many_series_in_request':
      return `more than ${maxSeriesPerRequest} series in one request (limits.max_series_per_request)`;
  }
}

/** Whether `s` takes more than `max` bytes in UTF-8 (false when max is 0: no bound). Reads `s` at most once. */
export function longerThan(s: string, max: number): boolean {
  if (max === 0 || s.length * 3 <= max) return false;
  return s.length > max || Buffer.byteLength(s) > max;
}

/**
 * The bounds a Datadog identity breaks as sent, checked before anything of it is built or cached: its metric name,
 * its number of tags, and the names and values they would give (the mapped labels are checked again exactly, see
 * labelRefusal). null when it keeps them.
 */
export function identityRefusal(
  limits: SeriesLimits,
  metric: string,
  host: string,
  device: string,
  sourceTypeName: string,
  resources: readonly DDResource[],
  tags: readonly string[],
): SeriesRefusal | null {
  if (longerThan(metric, limits.maxMetricNameLength)) return 'metric_name_too_long';
  if (limits.maxTagsPerSeries > 0 && tags.length + resources.length > limits.maxTagsPerSeries) return 'too_many_tags';
  const maxValue = limits.maxLabelValueLength;
  if (longerThan(host, maxValue) || longerThan(device, maxValue) || longerThan(sourceTypeName, maxValue))
    return 'label_value_too_long';
  for (const r of resources) {
    if (longerThan(r.type, limits.maxLabelNameLength)) return 'label_name_too_long';
    if (longerThan(r.name, maxValue)) return 'label_value_too_long';
  }
  // A tag no longer than the smaller bound keeps both; only a longer one is split into its key and value.
  const screen = smallerBound(limits.maxLabelNameLength, maxValue);
  for (const tag of tags) {
    if (!longerThan(tag, screen)) continue;
    const colon = tag.indexOf(':');
    if (longerThan(colon < 0 ? tag : tag.slice(0, colon), limits.maxLabelNameLength)) return 'label_name_too_long';
    if (colon >= 0 && longerThan(tag.slice(colon + 1), maxValue)) return 'label_value_too_long';
  }
  return null;
}

/** The smaller of two bounds, 0 meaning none. */
function smallerBound(a: number, b: number): number {
  return a === 0 ? b : b === 0 ? a : Math.min(a, b);
}

/** The bounds mapped labels break: their count, then each name and value. null when they keep them. */
export function labelRefusal(limits: SeriesLimits, labels: readonly Label[]): SeriesRefusal | null {
  if (limits.maxLabelNamesPerSeries > 0 && labels.length > limits.maxLabelNamesPerSeries) return 'too_many_labels';
  for (const l of labels) {
    if (longerThan(l.name, limits.maxLabelNameLength)) return 'label_name_too_long';
    if (longerThan(l.value, limits.maxLabelValueLength)) return 'label_value_too_long';
  }
  return null;
}
