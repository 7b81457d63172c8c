import type { DDMetricType, DDResource } from '../model/datadog.js';
import type { Label, PromMetricType } from '../model/prometheus.js';
import { tagKey, tagValue } from './names.js';

// The naming and labelling rules of docs/mapping.md: which Prometheus series, with which names and labels, a Datadog
// series, distribution or service check becomes, and the metric families they belong to. Plain functions of the
// identity, its host's tags and the Naming: the mapper runs them once per identity and caches what they return.

export const JOB = 'ddagent';
export const SERVICE_CHECK_METRIC = 'datadog_service_check_status';
/** What a distribution point becomes (`mapping.distributions`): quantile gauges, a native histogram, or both. */
export type DistributionsMode = 'quantiles' | 'native_histogram' | 'both';
/** The series of a distribution point after its quantiles, in this order (see sketchValues). */
export const SKETCH_SUFFIXES = ['_count', '_sum', '_min', '_max', '_avg'] as const;
/** The gauges a distribution point becomes beside its native histogram when there are no quantiles. */
const EXTREMA_SUFFIXES = ['_min', '_max'] as const;
/**
 * The native histogram's series: its own name in every mode, so that `both` never mixes it with the quantile
 * gauges under one name and turning the quantiles off later renames nothing.
 */
export const HISTOGRAM_SUFFIX = '_histogram';
export const NO_RESOURCES: readonly DDResource[] = Object.freeze([]);

const TYPE_LABEL: Record<DDMetricType, string> = { unspecified: 'gauge', gauge: 'gauge', rate: 'rate', count: 'count' };
const SERIES_RESERVED: ReadonlySet<string> = new Set(['__name__', 'instance', 'job', 'type']);
const SKETCH_RESERVED: ReadonlySet<string> = new Set(['__name__', 'instance', 'job', 'type', 'quantile']);
const CHECK_RESERVED: ReadonlySet<string> = new Set(['__name__', 'instance', 'job', 'check']);

/** How names are sanitized (names.ts; NameCache caches it). */
export interface Naming {
  /** A Datadog metric name as a Prometheus metric name; '' when it cannot be one. */
  metricName(raw: string): string;
  /** A tag key or resource type as a label name. */
  labelName(raw: string): string;
}

/** A distribution's quantile as its `quantile` label value: a JavaScript number (`0.5`, `0.999`). */
export function quantileLabel(q: number): string {
  return String(q);
}

/** What the labels of a metric series come from. */
export interface SeriesIdentity {
  readonly metric: string;
  readonly host: string;
  readonly device: string;
  readonly sourceTypeName: string;
  /** A DDMetricType; anything else labels like unspecified. */
  readonly type: string;
  readonly resources: readonly DDResource[];
  readonly tags: readonly string[];
}

/** What the labels of a distribution or a service check come from (a check's name in `metric`). */
export interface TaggedIdentity {
  readonly metric: string;
  readonly host: string;
  readonly tags: readonly string[];
}

/**
 * A metric family of an identity's series, named after the identity's Prometheus name plus `suffix`. `help` (of the
 * Datadog metric name) is only asked for a family new to the caller: most series share one.
 */
export interface FamilyRule {
  readonly suffix: string;
  readonly type: PromMetricType;
  help(metric: string): string;
}

/** A metric series' family: a gauge, whatever the Datadog type. */
export const SERIES_FAMILY: FamilyRule = { suffix: '', type: 'gauge', help: (metric) => `Datadog metric ${metric}.` };
const SUMMARY_FAMILY: FamilyRule = {
  suffix: '',
  type: 'summary',
  help: (m) => `Datadog distribution ${m}: quantiles, _count and _sum of each interval.`,
};
const MIN_FAMILY: FamilyRule = {
  suffix: '_min',
  type: 'gauge',
  help: (m) => `Smallest value of Datadog distribution ${m} in each interval.`,
};
const MAX_FAMILY: FamilyRule = {
  suffix: '_max',
  type: 'gauge',
  help: (m) => `Largest value of Datadog distribution ${m} in each interval.`,
};
const AVG_FAMILY: FamilyRule = {
  suffix: '_avg',
  type: 'gauge',
  help: (m) => `Average of Datadog distribution ${m} in each interval.`,
};
const HISTOGRAM_FAMILY: FamilyRule = {
  suffix: HISTOGRAM_SUFFIX,
  type: 'histogram',
  help: (m) => `Datadog distribution ${m}: every value sent since the series began, as a native histogram.`,
};

/**
 * A distribution's families by mode: the summary (quantiles, _count, _sum) and the _min, _max and _avg gauges;
 * or the native histogram with the _min and _max gauges; or all of them.
 */
export const SKETCH_FAMILIES: Readonly<Record<DistributionsMode, readonly FamilyRule[]>> = {
  quantiles: [SUMMARY_FAMILY, MIN_FAMILY, MAX_FAMILY, AVG_FAMILY],
  native_histogram: [MIN_FAMILY, MAX_FAMILY, HISTOGRAM_FAMILY],
  both: [SUMMARY_FAMILY, MIN_FAMILY, MAX_FAMILY, AVG_FAMILY, HISTOGRAM_FAMILY],
};

/** How many series a distribution point becomes (the label sets of sketchLabelSets). */
export function sketchSeriesCount(mode: DistributionsMode, quantiles: number): number {
  const summary = quantiles + SKETCH_SUFFIXES.length;
  return mode === 'quantiles' ? summary : mode === 'both' ? summary + 1 : EXTREMA_SUFFIXES.length + 1;
}
/** A service check's family (named SERVICE_CHECK_METRIC). */
export const CHECK_FAMILY: FamilyRule = {
  suffix: '',
  type: 'gauge',
  help: () => 'Datadog service check status: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN.',
};

/**
 * A metric series' labels: `__name__` is `name`, its metric name as Naming.metricName makes it (an empty one
 * cannot be stored: no series), then job, type, instance, device, source_type_name, resources and tags.
 */
export function seriesLabels(s: SeriesIdentity, name: string, hostTags: readonly string[], naming: Naming): Label[] {
  const fixed: Label[] = [
    { name: 'job', value: JOB },
    { name: 'type', value: TYPE_LABEL[s.type as DDMetricType] ?? 'gauge' },
  ];
  if (s.host !== '') fixed.push({ name: 'instance', value: s.host });
  if (s.device !== '') fixed.push({ name: 'device', value: s.device });
  if (s.sourceTypeName !== '') fixed.push({ name: 'source_type_name', value: s.sourceTypeName });
  const labels = labelsOf(fixed, SERIES_RESERVED, s.resources, s.tags, hostTags, naming);
  labels.push({ name: '__name__', value: name });
  return labels;
}

/**
 * A distribution's label sets (`name` as for seriesLabels), all with type="distribution": with quantiles, one per
 * quantile label, then one per SKETCH_SUFFIXES; without, _min and _max; then, unless `mode` is quantiles, the
 * native histogram's (HISTOGRAM_SUFFIX), always last.
 */
export function sketchLabelSets(
  s: TaggedIdentity,
  name: string,
  hostTags: readonly string[],
  quantileLabels: readonly string[],
  mode: DistributionsMode,
  naming: Naming,
): Label[][] {
  const fixed: Label[] = [
    { name: 'job', value: JOB },
    { name: 'type', value: 'distribution' },
  ];
  if (s.host !== '') fixed.push({ name: 'instance', value: s.host });
  const base = labelsOf(fixed, SKETCH_RESERVED, NO_RESOURCES, s.tags, hostTags, naming);
  const labelSets: Label[][] = [];
  const suffixes: readonly string[] = mode === 'native_histogram' ? EXTREMA_SUFFIXES : SKETCH_SUFFIXES;
  if (mode !== 'native_histogram')
    for (const q of quantileLabels)
      labelSets.push([{ name: '__name__', value: name }, { name: 'quantile', value: q }, ...base]);
  for (const suffix of suffixes) labelSets.push([{ name: '__name__', value: name + suffix }, ...base]);
  if (mode !== 'quantiles') labelSets.push([{ name: '__name__', value: name + HISTOGRAM_SUFFIX }, ...base]);
  return labelSets;
}

/** A service check's labels (its name in `metric`): one datadog_service_check_status series, the name a label. */
export function checkLabels(c: TaggedIdentity, hostTags: readonly string[], naming: Naming): Label[] {
  const fixed: Label[] = [{ name: 'job', value: JOB }];
  if (c.metric !== '') fixed.push({ name: 'check', value: c.metric });
  if (c.host !== '') fixed.push({ name: 'instance', value: c.host });
  const labels = labelsOf(fixed, CHECK_RESERVED, NO_RESOURCES, c.tags, hostTags, naming);
  labels.push({ name: '__name__', value: SERVICE_CHECK_METRIC });
  return labels;
}

/**
 * `fixed` (the caller's fresh array) with resources, tags and host tags added as labels (without `__name__`). A resource or tag whose
 * label name is reserved for the kind, is a fixed label of this series, or starts with `__` becomes
 * `exported_<name>`; tags also yield to resource labels. Several values for one name are joined (unique, sorted,
 * `,`). Host tags only add names the series does not have.
 */
function labelsOf(
  fixed: Label[],
  reserved: ReadonlySet<string>,
  resources: readonly DDResource[],
  tags: readonly string[],
  hostTags: readonly string[],
  naming: Naming,
): Label[] {
  // Runs once per new series: one value per name is kept as a string, a second one makes it a list.
  const values = new Map<string, string | Set<string>>();
  const fixedCount = fixed.length;
  for (const r of resources)
    if (r.name !== '') addValue(values, labelName(r.type, fixed, fixedCount, reserved, null, naming), r.name);
  const resourceNames: ReadonlySet<string> | null = values.size > 0 ? new Set(values.keys()) : null;
  for (const tag of tags)
    addValue(values, labelName(tagKey(tag), fixed, fixedCount, reserved, resourceNames, naming), tagValue(tag));
  let fromHost: Map<string, string | Set<string>> | null = null;
  for (const tag of hostTags) {
    const n = labelName(tagKey(tag), fixed, fixedCount, reserved, resourceNames, naming);
    if (!values.has(n)) addValue((fromHost ??= new Map()), n, tagValue(tag));
  }
  for (const [name, v] of values) fixed.push({ name, value: joinedValue(v) });
  if (fromHost !== null) for (const [name, v] of fromHost) fixed.push({ name, value: joinedValue(v) });
  return fixed;
}

/**
 * The label name of a resource type or tag key: `exported_<name>` when the name is reserved for the kind, one of
 * the first `fixedCount` (fixed) labels, a resource label's, or starts with `__`.
 */
function labelName(
  raw: string,
  fixed: readonly Label[],
  fixedCount: number,
  reserved: ReadonlySet<string>,
  resourceNames: ReadonlySet<string> | null,
  naming: Naming,
): string {
  const n = naming.labelName(raw);
  let taken = reserved.has(n) || resourceNames?.has(n) === true || n.startsWith('__');
  for (let i = 0; !taken && i < fixedCount; i++) taken = fixed[i]!.name === n;
  return taken ? `exported_${n}` : n;
}

/** Adds a value to a name's values (unique: a set, so that many values of one name cost linear time). */
function addValue(into: Map<string, string | Set<string>>, name: string, value: string): void {
  const have = into.get(name);
  if (have === undefined) into.set(name, value);
  else if (typeof have === 'string') {
    if (have !== value) into.set(name, new Set([have, value]));
  } else have.add(value);
}

/** One value as is; several sorted and joined with `,`. */
function joinedValue(v: string | Set<string>): string {
  return typeof v === 'string' ? v : [...v].sort().join(',');
}
