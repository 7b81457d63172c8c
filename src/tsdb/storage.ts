import { access, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Label, MetricMetadata, PromSeries } from '../model/prometheus.js';
import type { LabelMatcher, ReadHints, SelectHints, SeriesColumns, SeriesData, SeriesHints } from '../model/storage.js';
import { emptyColumns } from '../model/series-columns.js';
import {
  DEFAULT_TSDB_OPTIONS,
  TenantDb,
  type AppendResult,
  type TenantStats,
  type TsdbOptions,
  type TsdbQuerier,
} from './db.js';

export interface StorageOptions extends Partial<TsdbOptions> {
  /** The data directory; tenants live in `<dataDir>/tenants/<tenant>/`. */
  dataDir: string;
}

const TENANT_RE = /^[a-zA-Z0-9_-]{1,64}$/;

/** A database that failed (WAL I/O error) is reopened at most this often. */
const REOPEN_BACKOFF_MS = 1000;

/**
 * The embedded store: one database per tenant, opened on first use. Tenant isolation is by construction: each
 * tenant has its own directory, WAL, head and blocks, and a querier only ever reads one of them.
 */
export class Storage {
  private readonly dbs = new Map<string, Promise<TenantDb>>();
  private readonly failedAt = new Map<string, number>();
  private readonly root: string;
  private readonly opts: Partial<TsdbOptions>;
  private closed = false;

  constructor(options: StorageOptions) {
    const { dataDir, ...opts } = options;
    this.root = join(dataDir, 'tenants');
    this.opts = opts;
  }

  private dirOf(tenant: string): string {
    if (!TENANT_RE.test(tenant)) throw new Error(`invalid tenant name ${JSON.stringify(tenant)}`);
    return join(this.root, tenant);
  }

  /** Opens every tenant that has data on disk (replays their WALs); call at startup so queries see all data. */
  async openAll(): Promise<void> {
    let names: string[] = [];
    try {
      names = await readdir(this.root);
    } catch {
      return;
    }
    for (const n of names) if (TENANT_RE.test(n)) await this.tenant(n);
  }

  /** The tenant's database, created on first use. A database whose WAL failed is reopened (replayed from disk). */
  async tenant(name: string): Promise<TenantDb> {
    if (this.closed) throw new Error('storage is closed');
    const dir = this.dirOf(name);
    let p = this.dbs.get(name);
    if (p) {
      const db = await p.catch(() => undefined);
      if (db && !db.failed) return db;
      const last = this.failedAt.get(name) ?? 0;
      if (Date.now() - last < REOPEN_BACKOFF_MS && this.dbs.get(name) === p) return p;
      if (this.dbs.get(name) !== p) return this.tenant(name);
      this.failedAt.set(name, Date.now());
      const logger = this.opts.logger ?? DEFAULT_TSDB_OPTIONS.logger;
      logger.warn({ tenant: name }, 'reopening tenant database after a failure');
      p = (async () => {
        await db?.close().catch(() => {});
        return TenantDb.open(dir, this.opts);
      })();
    } else p = TenantDb.open(dir, this.opts);
    this.dbs.set(name, p);
    return p;
  }

  /** The tenant's database if it exists (on disk or open), without creating it. */
  private async existing(name: string): Promise<TenantDb | undefined> {
    if (this.dbs.has(name)) return this.tenant(name);
    try {
      await access(this.dirOf(name));
    } catch {
      return undefined;
    }
    return this.tenant(name);
  }

  /** Appends to the tenant's database (see TenantDb.append) and records the batch's metric metadata. */
  append(
    tenant: string,
    series: readonly PromSeries[],
    metadata: readonly MetricMetadata[] = [],
  ): Promise<AppendResult> {
    return this.tenant(tenant).then((db) => {
      if (metadata.length > 0) db.setMetadata(metadata);
      return db.append(series);
    });
  }

  /** A querier over one tenant's data; a tenant without data answers empty results. */
  querier(tenant: string): TsdbQuerier {
    this.dirOf(tenant);
    const withDb = async <T>(empty: T, fn: (db: TenantDb) => Promise<T>): Promise<T> => {
      const db = await this.existing(tenant);
      return db ? fn(db) : empty;
    };
    return {
      select: (m: LabelMatcher[], mint: number, maxt: number, hints?: SelectHints) =>
        withDb<SeriesColumns>(emptyColumns(), (db) => db.select(m, mint, maxt, hints)),
      exportSeries: (m: LabelMatcher[], mint: number, maxt: number, hints?: ReadHints) =>
        withDb<SeriesData[]>([], (db) => db.exportSeries(m, mint, maxt, hints)),
      series: (m: LabelMatcher[], mint: number, maxt: number, hints?: SeriesHints) =>
        withDb<Label[][]>([], (db) => db.series(m, mint, maxt, hints)),
      labelNames: (m: LabelMatcher[], mint: number, maxt: number, hints?: ReadHints) =>
        withDb<string[]>([], (db) => db.labelNames(m, mint, maxt, hints)),
      labelValues: (name: string, m: LabelMatcher[], mint: number, maxt: number, hints?: ReadHints) =>
        withDb<string[]>([], (db) => db.labelValues(name, m, mint, maxt, hints)),
      metricMetadata: () => withDb<MetricMetadata[]>([], (db) => db.metricMetadata()),
    };
  }

  /** Stats of every open tenant database. */
  async stats(): Promise<Record<string, TenantStats>> {
    const out: Record<string, TenantStats> = {};
    for (const [name, p] of this.dbs) {
      const db = await p.catch(() => undefined);
      if (db) out[name] = db.stats();
    }
    return out;
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const p of this.dbs.values()) {
      const db = await p.catch(() => undefined);
      await db?.close();
    }
    this.dbs.clear();
  }
}
