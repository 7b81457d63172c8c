// Host metadata shared by gateway replicas: with --query-url, what the other replicas received is read back from the
// backend's datadog_host_info series (mapping/host-info-sync.ts). Its own query client, with a shorter timeout than
// the ruler's: a lookup holds an Agent's request (for at most the sync's wait, but the query goes on).
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { ServeConfig } from '../config/config.js';
import { HostInfoSync, type HostTagCache, type RangeSelect } from '../mapping/index.js';
import { QueryClient } from '../query-client/query-client.js';

const HOST_INFO_QUERY_TIMEOUT_MS = 10_000;

export interface HostInfoWiring {
  sync: HostInfoSync;
  close(): Promise<void>;
}

/** Gateway mode with a query URL only: embedded mode's cache is the only one, and without a query URL none is read. */
export function createHostInfoSync(
  cfg: ServeConfig,
  deps: { hostTags: HostTagCache; registry: Registry; logger: Logger },
): HostInfoWiring | undefined {
  if (cfg.remoteWrite.length === 0 || !cfg.queryUrl) return undefined;
  const client = new QueryClient({
    ...cfg.queryUrl,
    timeoutMs: Math.min(cfg.queryUrl.timeoutMs, HOST_INFO_QUERY_TIMEOUT_MS),
  });
  const sync = new HostInfoSync({
    hostTags: deps.hostTags,
    select: rangeSelectThrough(() => client),
    registry: deps.registry,
    logger: deps.logger.child({ component: 'host-info' }),
  });
  return {
    sync,
    async close() {
      await sync.stop();
      await client.close();
    },
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
