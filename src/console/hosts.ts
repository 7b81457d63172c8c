// The console's host list: every host a tenant's Agents told about, from two sources — the host metadata the Agent
// posts to /intake/ (host tags, agent version, OS; kept by the HostTagCache) and the `instance` label of the Agent
// series in the store. Either source alone is enough for a host to be listed.
import type { HostInfo } from '../mapping/host-tags.js';
import { HOST_INFO_METRIC } from '../mapping/host-info-series.js';
import { JOB } from '../mapping/label-rules.js';
import type { LabelMatcher, Querier } from '../model/storage.js';
import type { HostRow, HostsAnswer } from './api-types.js';

/** Agent series: the `instance` label is the host (docs/mapping.md); the host info series is its metadata. */
const AGENT_SERIES: LabelMatcher[] = [
  { type: '=', name: 'job', value: JOB },
  { type: '!=', name: 'instance', value: '' },
  { type: '!=', name: '__name__', value: HOST_INFO_METRIC },
];

/**
 * The tenant's hosts, sorted by name; a host listed more than once in `metadata` shows its newest. `querier` undefined (gateway mode): metadata only, with `gatewayNotice` as a
 * warning. Series are counted from a `select` over the window: the Querier interface has no series-only read, so
 * the window is what bounds the samples read.
 */
export async function listHosts(opts: {
  metadata: readonly HostInfo[];
  querier: Querier | undefined;
  nowMs: number;
  windowMs: number;
  gatewayNotice: string;
}): Promise<HostsAnswer> {
  const rows = new Map<string, HostRow>();
  const rowOf = (host: string): HostRow => {
    let r = rows.get(host);
    if (!r) {
      r = {
        host,
        tags: [],
        agentVersion: '',
        os: '',
        metadataSeenMs: null,
        seriesSeenMs: null,
        lastSeenMs: 0,
        series: opts.querier ? 0 : null,
      };
      rows.set(host, r);
    }
    return r;
  };
  for (const info of opts.metadata) {
    const r = rowOf(info.host);
    // A host may come from several sources (this replica's cache, the backend): the newest metadata wins.
    if (r.metadataSeenMs !== null && r.metadataSeenMs >= info.updatedMs) continue;
    r.tags = [...info.tags];
    r.agentVersion = info.agentVersion;
    r.os = info.os;
    r.metadataSeenMs = info.updatedMs;
    r.lastSeenMs = Math.max(r.lastSeenMs, info.updatedMs);
  }
  const warnings: string[] = [];
  if (opts.querier) {
    const series = await opts.querier.select(AGENT_SERIES, opts.nowMs - opts.windowMs, opts.nowMs);
    for (let i = 0; i < series.labels.length; i++) {
      const instance = series.labels[i]!.find((l) => l.name === 'instance')!.value;
      const newest = series.timestamps[series.ends[i]! - 1]!;
      const r = rowOf(instance);
      r.series!++;
      r.seriesSeenMs = Math.max(r.seriesSeenMs ?? 0, newest);
      r.lastSeenMs = Math.max(r.lastSeenMs, newest);
    }
  } else {
    warnings.push(opts.gatewayNotice);
  }
  const hosts = [...rows.values()].sort((a, b) => (a.host < b.host ? -1 : a.host > b.host ? 1 : 0));
  return { hosts, windowMs: opts.windowMs, warnings };
}
