// The host info series: a host's metadata (host tags, Agent version, OS) as one Prometheus series,
// `datadog_host_info{instance="<host>", job="ddagent", agent_version, os, <host tags>} 1`, written when the metadata
// arrives. Replicas of a gateway read it back to learn host tags another replica received, and the Hosts page lists
// hosts from it. The labels round-trip: the host tags read back from them give every series of the host the labels
// the original tags give (docs/mapping.md, "The host info series").
import type { Label } from '../model/prometheus.js';
import type { HostInfo } from './host-tags.js';
import { JOB, type FamilyRule } from './label-rules.js';
import { sanitizeLabelName, tagKey, tagValue } from './names.js';

export const HOST_INFO_METRIC = 'datadog_host_info';
export const HOST_INFO_FAMILY: FamilyRule = {
  suffix: '',
  type: 'gauge',
  help: () =>
    'Datadog host metadata: one sample of 1 each time a host sends it; host tags, Agent version and OS as labels.',
};
/**
 * How far back a host's metadata is looked for: the Agent sends it every 30 minutes, so two hours hold several
 * samples of every host whose Agent runs.
 */
export const HOST_INFO_LOOKBACK_MS = 2 * 3600_000;

/** Labels of the info series itself; a host tag with one of these names is written `exported_<name>`. */
const INFO_LABELS: ReadonlySet<string> = new Set(['__name__', 'instance', 'job', 'agent_version', 'os']);
const EXPORTED = 'exported_';

/** A host's info series labels, sorted by name. */
export function hostInfoLabels(info: HostInfo): Label[] {
  // A Set per name: one key with n values is linear work, not n² (issue 13's hostile tags).
  const values = new Map<string, Set<string>>();
  for (const tag of info.tags) {
    const name = infoLabelName(sanitizeLabelName(tagKey(tag)));
    const have = values.get(name);
    if (have === undefined) values.set(name, new Set([tagValue(tag)]));
    else have.add(tagValue(tag));
  }
  const labels: Label[] = [
    { name: '__name__', value: HOST_INFO_METRIC },
    { name: 'instance', value: info.host },
    { name: 'job', value: JOB },
  ];
  if (info.agentVersion !== '') labels.push({ name: 'agent_version', value: info.agentVersion });
  if (info.os !== '') labels.push({ name: 'os', value: info.os });
  // Several values for one name are joined as on any series, so the tag read back gives the same label.
  for (const [name, v] of values) labels.push({ name, value: [...v].sort().join(',') });
  return labels.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/**
 * A host tag's label name on the info series: `exported_` is added to the info series' own names, to names starting
 * with `__` (reserved), and to names that already start with `exported_`, so that removing one `exported_` always
 * gives the tag's key back.
 */
function infoLabelName(name: string): string {
  return INFO_LABELS.has(name) || name.startsWith('__') || name.startsWith(EXPORTED) ? EXPORTED + name : name;
}

/** A series with its samples in time order, as a range selector (`m[2h]`) returns it. */
export interface SampledSeries {
  readonly labels: readonly Label[];
  readonly timestamps: readonly number[];
}

/**
 * Hosts from info series (a query of `datadog_host_info[…]`): per host, the series with the newest sample (a host
 * whose tags changed has one series per set of tags), its time as `updatedMs`. Host tags come back as `name:value`
 * with the label names, which give every series of the host the same labels as the tags the Agent sent.
 */
export function hostsFromInfoSeries(series: readonly SampledSeries[]): HostInfo[] {
  const newest = new Map<string, HostInfo>();
  for (const s of series) {
    const updatedMs = s.timestamps[s.timestamps.length - 1];
    if (updatedMs === undefined) continue;
    let host = '';
    let agentVersion = '';
    let os = '';
    const tags: string[] = [];
    for (const { name, value } of s.labels) {
      if (name === 'instance') host = value;
      else if (name === 'agent_version') agentVersion = value;
      else if (name === 'os') os = value;
      else if (name !== '__name__' && name !== 'job')
        tags.push(`${name.startsWith(EXPORTED) ? name.slice(EXPORTED.length) : name}:${value}`);
    }
    if (host === '') continue;
    const have = newest.get(host);
    if (have === undefined || have.updatedMs < updatedMs)
      newest.set(host, { host, tags: Object.freeze(tags.sort()), agentVersion, os, updatedMs });
  }
  return [...newest.values()];
}

/** Runs `expr` (an instant query of a range selector) for `tenant` at `timeMs` and resolves to the series. */
export type RangeSelect = (tenant: string, expr: string, timeMs: number) => Promise<readonly SampledSeries[]>;

/**
 * The tenant's hosts with metadata in the `windowMs` before `nowMs`, from the info series, sorted by name; with
 * `hosts`, only those. What the Hosts page and the replicas' host-tag lookups read.
 */
export async function readHostInfo(
  select: RangeSelect,
  tenant: string,
  nowMs: number,
  windowMs: number,
  hosts?: readonly string[],
): Promise<HostInfo[]> {
  const found = hostsFromInfoSeries(await select(tenant, hostInfoSelector(windowMs, hosts), nowMs));
  return found.sort((a, b) => (a.host < b.host ? -1 : a.host > b.host ? 1 : 0));
}

/** `datadog_host_info{instance=~"a|b"}[7200s]`; the host names as regex literals in a PromQL string. */
export function hostInfoSelector(windowMs: number, hosts?: readonly string[]): string {
  const range = `[${Math.max(1, Math.ceil(windowMs / 1000))}s]`;
  if (hosts === undefined) return HOST_INFO_METRIC + range;
  const matcher =
    hosts.length === 1
      ? `instance=${JSON.stringify(hosts[0])}`
      : `instance=~${JSON.stringify(hosts.map(quoteRegex).join('|'))}`;
  return `${HOST_INFO_METRIC}{${matcher}}${range}`;
}

/** A literal in an RE2 regular expression. */
function quoteRegex(s: string): string {
  return s.replace(/[\\.+*?()|[\]{}^$]/g, '\\$&');
}
