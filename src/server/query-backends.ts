// Gateway mode's query backends: one query client per configured query URL (--query-url for every tenant without
// its own, tenants.<name>.query_url), shared by the ruler and the query API, and the one message that says how to
// configure one when a tenant has none.
import type { ServeConfig } from '../config/config.js';
import { QueryClient } from '../query-client/query-client.js';
import { VERSION } from './version.js';

/** Why `tenant` cannot be queried through promdog in gateway mode, and what to set. */
export function noQueryUrlMessage(tenant: string): string {
  return (
    `promdog runs in gateway mode (--remote-write-url) and tenant "${tenant}" has no query backend: set --query-url ` +
    `(query_url in the --config file, or tenants.${tenant}.query_url for this tenant alone) to the Prometheus-compatible ` +
    "query API of the store it writes to (Prometheus, Mimir's /prometheus, VictoriaMetrics, Thanos Query)"
  );
}

export class QueryBackends {
  private readonly fallback: QueryClient | undefined;
  private readonly own = new Map<string, QueryClient>();

  constructor(cfg: ServeConfig) {
    const userAgent = `promdog/${VERSION}`;
    if (cfg.queryUrl) this.fallback = new QueryClient({ ...cfg.queryUrl, userAgent });
    for (const t of cfg.tenants) if (t.queryUrl) this.own.set(t.name, new QueryClient({ ...t.queryUrl, userAgent }));
  }

  /** The tenant's own query backend, else the default one. */
  clientFor(tenant: string): QueryClient | undefined {
    return this.own.get(tenant) ?? this.fallback;
  }

  backendFor(tenant: string): QueryClient | { unavailable: string } {
    return this.clientFor(tenant) ?? { unavailable: noQueryUrlMessage(tenant) };
  }

  async close(): Promise<void> {
    await Promise.all([this.fallback, ...this.own.values()].map((c) => c?.close()));
  }
}
