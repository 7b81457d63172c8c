import { access, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Registry } from 'prom-client';
import type { DDEvent } from '../model/datadog.js';
import type { TsdbLogger } from '../tsdb/fsutil.js';
import { EVENT_LIMITS, normalizeEvent, type EventRejectReason, type StoredEvent } from './event.js';
import { eventStoreMetrics, type EventStoreMetrics } from './metrics.js';
import { compareEvents, compileConditions, isAfter, type EventPage, type EventQuery } from './query.js';
import { encodeEventRecord, scanEventRecords } from './record.js';
import { TenantEventLog, type AppendRecord, type SegmentSummary } from './tenant-log.js';

// The event store: one append-only log per tenant under <data-dir>/events/<tenant>/, in both modes (in gateway mode
// it is the only data promdog keeps besides tenant keys and the host-tag cache). Events are durable before append()
// resolves, kept for the retention and within a size per tenant (whole segments, oldest first, go when either is
// passed, and are counted). A read looks only at the segments whose event times overlap its range, newest (or
// oldest) first, and stops as soon as no further segment can change its page.

export interface EventStoreOptions {
  dataDir: string;
  retentionMs: number;
  /** Bytes of segments per tenant; past it the oldest segments are deleted. */
  maxBytesPerTenant: number;
  registry: Registry;
  logger: TsdbLogger;
  /** Clock (ms). Default Date.now. */
  now?: () => number;
  /** How long a segment takes appends. Default: the retention / 10, at most 1 h. */
  segmentSpanMs?: number;
}

/** What append() did with each event. */
export interface EventAppendResult {
  /** The events stored, in the order given (those refused left out). */
  stored: StoredEvent[];
  /** The events refused: their index in the input, why, and a message for the client. */
  rejected: { index: number; reason: EventRejectReason; detail: string }[];
}

/** Where the intake writes events. */
export interface EventWriter {
  append(tenant: string, events: readonly DDEvent[]): Promise<EventAppendResult>;
}

/** What the APIs and the console read. */
export interface EventReader {
  query(tenant: string, q: EventQuery): Promise<EventPage>;
  /** The event with this id, undefined when the tenant has none (or it is past the retention). */
  get(tenant: string, id: number): Promise<StoredEvent | undefined>;
}

/** The store could not make events durable (a disk error): the client should retry. */
export class EventStoreUnavailableError extends Error {
  override name = 'EventStoreUnavailableError';
}

const TENANT_RE = /^[a-zA-Z0-9_-]{1,64}$/;
const MiB = 1024 * 1024;
const RETENTION_CHECK_MS = 60_000;

export class EventStore implements EventWriter, EventReader {
  private readonly root: string;
  private readonly logs = new Map<string, Promise<TenantEventLog>>();
  /** Logs already open, for the size gauges (read synchronously at collect time). */
  private readonly open = new Map<string, TenantEventLog>();
  private readonly metrics: EventStoreMetrics;
  private readonly now: () => number;
  private readonly maxAgeMs: number;
  private readonly segmentBytes: number;
  private readonly segmentSpanMs: number;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  private lastId = 0;

  constructor(private readonly opts: EventStoreOptions) {
    this.root = join(opts.dataDir, 'events');
    this.now = opts.now ?? Date.now;
    this.maxAgeMs = Math.min(EVENT_LIMITS.maxAgeMs, opts.retentionMs);
    // At least 16 segments fit in the size bound, so deleting the oldest frees a small part of it.
    this.segmentBytes = Math.max(64 * 1024, Math.min(8 * MiB, Math.floor(opts.maxBytesPerTenant / 16)));
    this.segmentSpanMs = opts.segmentSpanMs ?? Math.min(3600_000, opts.retentionMs / 10);
    this.metrics = eventStoreMetrics(opts.registry, () =>
      [...this.open].map(([tenant, log]) => ({ tenant, bytes: log.totalBytes, events: log.eventCount })),
    );
  }

  private dirOf(tenant: string): string {
    if (!TENANT_RE.test(tenant)) throw new Error(`invalid tenant name ${JSON.stringify(tenant)}`);
    return join(this.root, tenant);
  }

  /** Opens every tenant with events on disk and applies the retention; then checks it every minute. */
  async start(): Promise<void> {
    let names: string[] = [];
    try {
      names = await readdir(this.root);
    } catch {
      // No events yet.
    }
    for (const n of names) if (TENANT_RE.test(n)) await this.tenant(n);
    await this.applyRetention();
    this.timer = setInterval(() => {
      this.applyRetention().catch((err: unknown) =>
        this.opts.logger.error({ err: String(err) }, 'events: retention pass failed'),
      );
    }, RETENTION_CHECK_MS);
    this.timer.unref();
  }

  private tenant(name: string): Promise<TenantEventLog> {
    if (this.closed) return Promise.reject(new EventStoreUnavailableError('event store is closed'));
    let p = this.logs.get(name);
    if (!p) {
      p = TenantEventLog.open(this.dirOf(name), {
        segmentBytes: this.segmentBytes,
        segmentSpanMs: this.segmentSpanMs,
        logger: this.opts.logger,
      }).then((log) => {
        this.open.set(name, log);
        this.lastId = Math.max(this.lastId, log.openedMaxId);
        return log;
      });
      // A failed open is retried by the next call.
      p.catch(() => this.logs.delete(name));
      this.logs.set(name, p);
    }
    return p;
  }

  /** The tenant's log if it has one (open or on disk), without creating it. */
  private async existing(name: string): Promise<TenantEventLog | undefined> {
    if (this.logs.has(name)) return this.tenant(name);
    try {
      await access(this.dirOf(name));
    } catch {
      return undefined;
    }
    return this.tenant(name);
  }

  async append(tenant: string, events: readonly DDEvent[]): Promise<EventAppendResult> {
    const result: EventAppendResult = { stored: [], rejected: [] };
    if (events.length === 0) return result;
    const m = this.metrics;
    const now = this.now();
    let log: TenantEventLog;
    try {
      log = await this.tenant(tenant);
    } catch (err) {
      m.rejected.inc({ tenant, reason: 'unavailable' }, events.length);
      throw new EventStoreUnavailableError(`event store unavailable: ${(err as Error).message}`);
    }
    const records: AppendRecord[] = [];
    events.forEach((e, index) => {
      const n = normalizeEvent(e, now, this.maxAgeMs);
      if (!n.ok) {
        result.rejected.push({ index, reason: n.reason, detail: n.detail });
        m.rejected.inc({ tenant, reason: n.reason });
        return;
      }
      for (const field of n.truncated) m.truncated.inc({ tenant, field });
      const stored: StoredEvent = { id: this.nextId(now), ...n.event };
      records.push({ id: stored.id, timestampMs: stored.timestampMs, data: encodeEventRecord(stored) });
      result.stored.push(stored);
    });
    if (records.length === 0) return result;
    try {
      await log.append(records, now);
    } catch (err) {
      m.rejected.inc({ tenant, reason: 'unavailable' }, records.length);
      throw new EventStoreUnavailableError(`event store unavailable: ${(err as Error).message}`);
    }
    m.stored.inc({ tenant }, records.length);
    if (log.totalBytes > this.opts.maxBytesPerTenant) {
      const dropped = await log.deleteOldest((_s, remaining) => remaining > this.opts.maxBytesPerTenant);
      if (dropped > 0) m.dropped.inc({ tenant, reason: 'size' }, dropped);
    }
    return result;
  }

  /**
   * A new event id, unique over every tenant: increasing, and from the clock (ms × 1024, below 2^53 until the year
   * 2248) so that ids stay apart over restarts even when every segment was deleted.
   */
  private nextId(nowMs: number): number {
    this.lastId = Math.max(this.lastId + 1, nowMs * 1024);
    return this.lastId;
  }

  /** Deletes every segment whose events are all older than the retention (oldest first), and counts them. */
  async applyRetention(): Promise<void> {
    const cutoff = this.now() - this.opts.retentionMs;
    for (const [tenant, log] of this.open) {
      const dropped = await log.deleteOldest((s) => s.maxTs < cutoff);
      if (dropped > 0) {
        this.metrics.dropped.inc({ tenant, reason: 'retention' }, dropped);
        this.opts.logger.info({ tenant, events: dropped, cutoff }, 'events: retention deleted segments');
      }
    }
  }

  async query(tenant: string, q: EventQuery): Promise<EventPage> {
    const log = await this.existing(tenant);
    if (!log || q.limit <= 0) return { events: [] };
    const fromMs = Math.max(q.fromMs, this.now() - this.opts.retentionMs);
    const toMs = q.toMs;
    const newest = q.order === 'newest';
    const compare = compareEvents(q.order);
    const matches = compileConditions(q.conditions);
    const after = q.after;
    // With a cursor, a segment whose events all come before it in the order (a previous page's) is skipped too.
    const beforeCursor = (s: SegmentSummary) =>
      after !== undefined && (newest ? s.minTs > after.timestampMs : s.maxTs < after.timestampMs);
    const candidates = log
      .segments()
      .filter((s) => s.maxTs >= fromMs && s.minTs <= toMs && !beforeCursor(s))
      .sort(newest ? (a, b) => b.maxTs - a.maxTs : (a, b) => a.minTs - b.minTs);
    // One more than asked: whether it exists says whether there is a next page.
    const want = q.limit + 1;
    let found: StoredEvent[] = [];
    for (const s of candidates) {
      if (found.length >= want) {
        // Segments come in order of their newest (oldest) event: once one cannot beat the page's last event,
        // no later one can.
        const last = found[found.length - 1]!;
        if (newest ? s.maxTs < last.timestampMs : s.minTs > last.timestampMs) break;
      }
      const buf = await log.read(s);
      if (!buf) continue;
      // Events behind the page's last one so far are not parsed.
      const worst = found.length >= want ? found[found.length - 1] : undefined;
      scanEventRecords(buf, (r) => {
        if (r.timestampMs < fromMs || r.timestampMs > toMs) return;
        if (after && !isAfter(q.order, r, after)) return;
        if (worst && compare(r, worst) > 0) return;
        const e = r.event();
        if (matches(e)) found.push(e);
      });
      found.sort(compare);
      if (found.length > want) found = found.slice(0, want);
    }
    if (found.length <= q.limit) return { events: found };
    const events = found.slice(0, q.limit);
    const last = events[events.length - 1]!;
    return { events, next: { timestampMs: last.timestampMs, id: last.id } };
  }

  async get(tenant: string, id: number): Promise<StoredEvent | undefined> {
    const log = await this.existing(tenant);
    if (!log) return undefined;
    const segment = log.segments().find((s) => id >= s.minId && id <= s.maxId);
    const buf = segment && (await log.read(segment));
    if (!buf) return undefined;
    let hit: StoredEvent | undefined;
    scanEventRecords(buf, (r) => {
      if (r.id === id) hit = r.event();
    });
    return hit && hit.timestampMs >= this.now() - this.opts.retentionMs ? hit : undefined;
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.timer);
    for (const p of this.logs.values()) await (await p.catch(() => undefined))?.close();
  }
}
