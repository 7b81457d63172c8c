// Gateway replicas share host metadata through the backend. Each replica writes the metadata it receives as the
// host info series (host-info-series.ts); this reads back what the others wrote, through the query path:
// - lookup: before a request's series of a host this replica has no metadata of are written, the host's newest
//   info series is read (hosts of one request in one query, a host already being looked up is not asked again).
//   The request waits for the answer for a bounded time only; a late answer still fills the cache for the next
//   requests. A failure is counted and logged, and the series are written without host tags.
// - sync: every minute, per tenant, the metadata written since the last sync (all of the lookback at first, and
//   again after a failed lookup), so tags that changed on another replica reach this one within about a minute.
// What is read goes into the host-tag cache when it is newer than what the cache has (HostTagCache.learn).
import { Counter, type Registry } from 'prom-client';
import { HOST_INFO_LOOKBACK_MS, readHostInfo, type RangeSelect } from './host-info-series.js';
import type { HostTagCache, WarnLogger } from './host-tags.js';

/** What the intake asks before writing series of hosts it has no metadata of. */
export interface HostLookup {
  /** Looks the hosts' metadata up; resolves, by `deadline` at the latest, to whether any of them is known now. */
  resolve(tenant: string, hosts: readonly string[], deadline: number): Promise<boolean>;
}

export interface HostInfoSyncOptions {
  hostTags: HostTagCache;
  select: RangeSelect;
  registry: Registry;
  logger: WarnLogger;
  /** How often each tenant's new host metadata is read. Default 60 s. */
  syncIntervalMs?: number;
  /** Longest a request waits for the lookup of its hosts (never more than half of what is left of its deadline). */
  lookupWaitMs?: number;
}

export const DEFAULT_HOST_INFO_SYNC_INTERVAL_MS = 60_000;
export const DEFAULT_HOST_LOOKUP_WAIT_MS = 2_000;
/** Hosts looked up in one query. */
const LOOKUP_BATCH = 100;
/**
 * A sync reads back this much before the previous one: a backend may show a sample some time after it was written
 * (VictoriaMetrics' -search.latencyOffset is 30 s by default).
 */
const SYNC_OVERLAP_MS = 2 * 60_000;
const WARN_EVERY_MS = 60_000;
/** `syncedFrom` value: the next sync reads the whole lookback. */
const WHOLE_LOOKBACK = 0;

export class HostInfoSync implements HostLookup {
  private readonly hostTags: HostTagCache;
  private readonly select: RangeSelect;
  private readonly logger: WarnLogger;
  private readonly syncIntervalMs: number;
  private readonly lookupWaitMs: number;
  /** `tenant\0host` → the lookup in flight for it. */
  private readonly inflight = new Map<string, Promise<void>>();
  /** Per tenant: the time of the last successful sync, from which the next one reads. */
  private readonly syncedFrom = new Map<string, number>();
  private readonly reads: Counter<'kind' | 'outcome'>;
  private readonly lookedUp: Counter<'result'>;
  private readonly waitsExpired: Counter;
  private readonly learnt: Counter;
  private timer: NodeJS.Timeout | undefined;
  private syncing: Promise<void> | undefined;
  private stopped = false;
  private lastWarnMs = -Infinity;

  constructor(opts: HostInfoSyncOptions) {
    this.hostTags = opts.hostTags;
    this.select = opts.select;
    this.logger = opts.logger;
    this.syncIntervalMs = opts.syncIntervalMs ?? DEFAULT_HOST_INFO_SYNC_INTERVAL_MS;
    this.lookupWaitMs = opts.lookupWaitMs ?? DEFAULT_HOST_LOOKUP_WAIT_MS;
    const registers = [opts.registry];
    this.reads = new Counter({
      name: 'promdog_host_info_reads_total',
      help: 'Queries of datadog_host_info through the query path: lookups of new hosts and periodic syncs, by outcome.',
      labelNames: ['kind', 'outcome'] as const,
      registers,
    });
    this.lookedUp = new Counter({
      name: 'promdog_host_info_lookup_hosts_total',
      help: 'Hosts without metadata looked up before their series were written: found, not_found (written without host tags), failed (the query failed).',
      labelNames: ['result'] as const,
      registers,
    });
    this.waitsExpired = new Counter({
      name: 'promdog_host_info_lookup_waits_expired_total',
      help: 'Requests whose series were written before the lookup of their hosts answered (without the host tags it may bring).',
      registers,
    });
    this.learnt = new Counter({
      name: 'promdog_host_info_learnt_total',
      help: 'Hosts whose metadata this promdog took from the backend (written by another one), new or newer than its own.',
      registers,
    });
    for (const kind of ['lookup', 'sync']) for (const outcome of ['ok', 'error']) this.reads.inc({ kind, outcome }, 0);
    for (const result of ['found', 'not_found', 'failed']) this.lookedUp.inc({ result }, 0);
  }

  /** Starts the periodic sync, with a first one now. */
  start(): void {
    const tick = () => {
      this.syncing ??= this.syncAll().finally(() => {
        this.syncing = undefined;
      });
    };
    tick();
    this.timer = setInterval(tick, this.syncIntervalMs);
    this.timer.unref();
  }

  /** Stops syncing; resolves once a sync in progress has ended. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.syncing;
  }

  async resolve(tenant: string, hosts: readonly string[], deadline: number): Promise<boolean> {
    if (!this.syncedFrom.has(tenant)) this.syncedFrom.set(tenant, WHOLE_LOOKBACK);
    const waits: Promise<void>[] = [];
    const todo: string[] = [];
    for (const host of hosts) {
      if (this.hostTags.info(tenant, host) !== undefined) continue;
      const pending = this.inflight.get(`${tenant}\u0000${host}`);
      if (pending !== undefined) waits.push(pending);
      else todo.push(host);
    }
    for (let i = 0; i < todo.length; i += LOOKUP_BATCH)
      waits.push(this.lookup(tenant, todo.slice(i, i + LOOKUP_BATCH)));
    if (waits.length > 0) {
      const waitMs = Math.min(this.lookupWaitMs, Math.max(0, (deadline - Date.now()) / 2));
      let timer: NodeJS.Timeout | undefined;
      const expired = new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(true), waitMs);
      });
      if (await Promise.race([Promise.all(waits).then(() => false), expired])) this.waitsExpired.inc();
      clearTimeout(timer);
    }
    return hosts.some((host) => this.hostTags.info(tenant, host) !== undefined);
  }

  /** Reads, per tenant, the host metadata written since its last sync. */
  async syncAll(nowMs = Date.now()): Promise<void> {
    const tenants = new Set([...this.hostTags.tenantNames(), ...this.syncedFrom.keys()]);
    for (const tenant of tenants) {
      if (this.stopped) return;
      const from = this.syncedFrom.get(tenant) ?? WHOLE_LOOKBACK;
      try {
        const windowMs = Math.min(HOST_INFO_LOOKBACK_MS, nowMs - from + SYNC_OVERLAP_MS);
        const found = await readHostInfo(this.select, tenant, nowMs, windowMs);
        this.reads.inc({ kind: 'sync', outcome: 'ok' });
        for (const info of found) if (this.hostTags.learn(tenant, info)) this.learnt.inc();
        // A lookup that failed meanwhile asked for the whole lookback next time.
        if ((this.syncedFrom.get(tenant) ?? WHOLE_LOOKBACK) === from) this.syncedFrom.set(tenant, nowMs);
      } catch (err) {
        this.reads.inc({ kind: 'sync', outcome: 'error' });
        this.warn(err, tenant, 'host info sync: reading datadog_host_info through the query path failed');
      }
    }
  }

  private lookup(tenant: string, hosts: string[]): Promise<void> {
    const run = (async () => {
      try {
        const found = await readHostInfo(this.select, tenant, Date.now(), HOST_INFO_LOOKBACK_MS, hosts);
        this.reads.inc({ kind: 'lookup', outcome: 'ok' });
        for (const info of found) if (this.hostTags.learn(tenant, info)) this.learnt.inc();
        this.lookedUp.inc({ result: 'found' }, found.length);
        this.lookedUp.inc({ result: 'not_found' }, hosts.length - found.length);
      } catch (err) {
        this.reads.inc({ kind: 'lookup', outcome: 'error' });
        this.lookedUp.inc({ result: 'failed' }, hosts.length);
        // The next sync reads all of the lookback, so the hosts' metadata is found then.
        this.syncedFrom.set(tenant, WHOLE_LOOKBACK);
        this.warn(err, tenant, 'host info lookup failed: series of these hosts are written without host tags', hosts);
      } finally {
        for (const host of hosts) this.inflight.delete(`${tenant}\u0000${host}`);
      }
    })();
    for (const host of hosts) this.inflight.set(`${tenant}\u0000${host}`, run);
    return run;
  }

  /** At most one warning a minute: a query path that is down would otherwise log on every request. */
  private warn(err: unknown, tenant: string, msg: string, hosts?: readonly string[]): void {
    const now = Date.now();
    if (now - this.lastWarnMs < WARN_EVERY_MS) return;
    this.lastWarnMs = now;
    this.logger.warn({ err: (err as Error).message, tenant, ...(hosts ? { hosts: hosts.slice(0, 10) } : {}) }, msg);
  }
}
