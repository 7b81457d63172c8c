// Host metadata shared by gateway replicas: with a query URL, what the other replicas received is read back from the
// backend's datadog_host_info series (mapping/host-info-sync.ts), through the tenant's own query backend. A lookup
// holds an Agent's request for at most the sync's wait; the query itself goes on up to the backend's timeout.
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { ServeConfig } from '../config/config.js';
import {
  HOST_INFO_LOOKBACK_MS,
  HostInfoSync,
  readHostInfo,
  type HostInfo,
  type HostTagCache,
  type RangeSelect,
} from '../mapping/index.js';
import type { QueryClient } from '../query-client/query-client.js';
import type { QueryBackends } from './query-backends.js';

export interface HostInfoWiring {
  sync: HostInfoSync;
  /** The tenant's hosts with metadata in the backend's lookback, whichever replica received it (the Hosts page). */
  hosts(tenant: string): Promise<HostInfo[]>;
  close(): Promise<void>;
}

/** Gateway mode with a query URL only: embedded mode's cache is the only one, and without a query URL none is read. */
export function createHostInfoSync(
  cfg: ServeConfig,
  deps: { hostTags: HostTagCache; registry: Registry; logger: Logger; queryBackends: QueryBackends },
): HostInfoWiring | undefined {
  if (cfg.remoteWrite.length === 0 || !(cfg.queryUrl || cfg.tenants.some((t) => t.queryUrl))) return undefined;
  const select = rangeSelectThrough((tenant) => deps.queryBackends.clientFor(tenant));
  const sync = new HostInfoSync({
    hostTags: deps.hostTags,
    select,
    registry: deps.registry,
    logger: deps.logger.child({ component: 'host-info' }),
  });
  return {
    sync,
    hosts: (tenant) => readHostInfo(select, tenant, Date.now(), HOST_INFO_LOOKBACK_MS),
    close: () => sync.stop(),
  };
}

/** A range selector queried through the tenant's query client: its matrix answer. */
export function rangeSelectThrough(clientFor: (tenant: string) => QueryClient | undefined): RangeSelect {
  return async (tenant, expr, timeMs) => {
    const client = clientFor(tenant);
    if (client === undefined) throw new Error(`tenant "${tenant}" has no query URL`);
    const r = await client.instantQuery(tenant, expr, timeMs);
    if (r.resultType !== 'matrix') throw new Error(`${expr}: the query path answered a ${r.resultType}, not a matrix`);
    return r.series;
  };
}
