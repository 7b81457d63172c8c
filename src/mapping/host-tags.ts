import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../durable/atomic-file.js';
import type { DDHostMetadata } from '../model/datadog.js';

/** What the cache knows about one host, from its last metadata payload. */
export interface HostInfo {
  readonly host: string;
  /** Host tags as sent (`key:value` or bare), unique, sorted. */
  readonly tags: readonly string[];
  readonly agentVersion: string;
  readonly os: string;
  /** When its last metadata payload arrived (ms since epoch). */
  readonly updatedMs: number;
}

/** pino-compatible subset, so the server can pass its logger. */
export interface WarnLogger {
  warn(obj: object, msg: string): void;
}

export interface HostTagCacheOptions {
  /** Delay between a change and the file write that saves it; changes in between share one write. */
  flushDelayMs?: number;
  /** Hosts without metadata for this long are forgotten (the Agent resends host metadata every 30 minutes). */
  maxAgeMs?: number;
  logger?: WarnLogger;
}

/** Called synchronously when a host's tags change (or the host is forgotten). */
export type HostTagsListener = (tenant: string, host: string) => void;

export const HOST_TAGS_FILE = 'host-tags.json';
const FILE_VERSION = 1;
const DEFAULT_FLUSH_DELAY_MS = 2000;
const DEFAULT_MAX_AGE_MS = 7 * 24 * 3600 * 1000;
const SAVE_REFRESH_MS = 3600 * 1000;
const EMPTY: readonly string[] = Object.freeze([]);

const consoleLogger: WarnLogger = { warn: (obj, msg) => console.warn(msg, obj) };

/**
 * Per tenant, host → the host tags it reported in its `/intake/` metadata. The mapper joins them onto that host's
 * series. Persisted as `<dataDir>/host-tags.json` (debounced atomic writes) so tags survive restarts; a missing or
 * unreadable file starts the cache empty.
 */
export class HostTagCache {
  private readonly tenants = new Map<string, Map<string, HostInfo>>();
  private readonly listeners = new Set<HostTagsListener>();
  private readonly file: string | null;
  private readonly flushDelayMs: number;
  private readonly maxAgeMs: number;
  private readonly logger: WarnLogger;
  private dirty = false;
  private timer: NodeJS.Timeout | null = null;
  /** The write in progress (or settled); writes run one after the other. */
  private writing: Promise<void> = Promise.resolve();
  private hostCount = 0;
  /** Per host and tenant, the updatedMs last scheduled for saving. */
  private readonly savedUpdatedMs = new Map<string, number>();
  private lastPruneMs = 0;

  /** Loads `<dataDir>/host-tags.json` synchronously (start-up only); `null` keeps the cache in memory. */
  constructor(dataDir: string | null, opts: HostTagCacheOptions = {}) {
    this.file = dataDir === null ? null : join(dataDir, HOST_TAGS_FILE);
    this.flushDelayMs = opts.flushDelayMs ?? DEFAULT_FLUSH_DELAY_MS;
    this.maxAgeMs = opts.maxAgeMs ?? DEFAULT_MAX_AGE_MS;
    this.logger = opts.logger ?? consoleLogger;
    if (this.file !== null) this.load(this.file);
  }

  /** Number of hosts over all tenants. */
  get size(): number {
    return this.hostCount;
  }

  hosts(tenant: string): HostInfo[] {
    const hosts = this.tenants.get(tenant);
    return hosts ? [...hosts.values()] : [];
  }

  /** The host's tags, empty when unknown. The array is frozen and replaced (never mutated) on change. */
  tags(tenant: string, host: string): readonly string[] {
    return this.tenants.get(tenant)?.get(host)?.tags ?? EMPTY;
  }

  /** What the cache knows about the host; undefined when it has no metadata of it. */
  info(tenant: string, host: string): HostInfo | undefined {
    return this.tenants.get(tenant)?.get(host);
  }

  /** Tenants with at least one host. */
  tenantNames(): string[] {
    return [...this.tenants.keys()];
  }

  onChange(listener: HostTagsListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Records a host's metadata: its tags replace the previous ones (the Agent always sends the full set), empty
   * agent version / OS keep the previous values. Metadata without a host name is ignored.
   */
  update(tenant: string, md: DDHostMetadata, nowMs = Date.now()): void {
    this.record(tenant, md, nowMs, nowMs);
  }

  /**
   * Takes a host's metadata that another promdog received (read back from the backend's host info series): applied
   * as update() would have applied it at `info.updatedMs`, unless the cache already has metadata of the host as new
   * or newer. Returns whether it was applied.
   */
  learn(tenant: string, info: HostInfo, nowMs = Date.now()): boolean {
    const prev = this.info(tenant, info.host);
    if (info.host === '' || (prev !== undefined && prev.updatedMs >= info.updatedMs)) return false;
    const md: DDHostMetadata = {
      host: info.host,
      hostTags: [...info.tags],
      agentVersion: info.agentVersion,
      os: info.os,
    };
    this.record(tenant, md, info.updatedMs, nowMs);
    return true;
  }

  private record(tenant: string, md: DDHostMetadata, updatedMs: number, nowMs: number): void {
    if (md.host === '') return;
    let hosts = this.tenants.get(tenant);
    if (!hosts) this.tenants.set(tenant, (hosts = new Map()));
    const prev = hosts.get(md.host);
    const tags = [...new Set(md.hostTags)].sort();
    const tagsChanged = prev === undefined || !sameStrings(prev.tags, tags);
    const info: HostInfo = {
      host: md.host,
      tags: tagsChanged ? Object.freeze(tags) : prev.tags,
      agentVersion: md.agentVersion || prev?.agentVersion || '',
      os: md.os || prev?.os || '',
      updatedMs,
    };
    hosts.set(md.host, info);
    if (prev === undefined) this.hostCount++;
    this.pruneStale(nowMs);
    // A refresh that changes nothing but the time is saved at most once per SAVE_REFRESH_MS, not on every payload.
    const changed = tagsChanged || info.agentVersion !== prev.agentVersion || info.os !== prev.os;
    if (changed || nowMs - (this.savedUpdatedMs.get(`${info.host}\u0000${tenant}`) ?? 0) > SAVE_REFRESH_MS) {
      this.savedUpdatedMs.set(`${info.host}\u0000${tenant}`, nowMs);
      this.markDirty();
    }
    if (tagsChanged) this.emit(tenant, md.host);
  }

  /** Writes pending changes now. Rejects if the write fails (the changes stay pending). */
  flush(): Promise<void> {
    if (this.timer !== null) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    const run = this.writing.then(() => this.writeIfDirty());
    this.writing = run.catch(() => undefined);
    return run;
  }

  /** Flushes; call on shutdown. */
  close(): Promise<void> {
    return this.flush();
  }

  private emit(tenant: string, host: string): void {
    for (const l of this.listeners) l(tenant, host);
  }

  private markDirty(): void {
    if (this.file === null) return;
    this.dirty = true;
    if (this.timer !== null) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.flush().catch((err: unknown) =>
        this.logger.warn({ err, file: this.file }, 'host-tag cache: write failed, will retry on the next change'),
      );
    }, this.flushDelayMs);
    this.timer.unref();
  }

  private pruneStale(nowMs: number): void {
    // A scan over every host: at most once a minute.
    if (nowMs - this.lastPruneMs < 60_000 && nowMs >= this.lastPruneMs) return;
    this.lastPruneMs = nowMs;
    const oldest = nowMs - this.maxAgeMs;
    for (const [tenant, hosts] of this.tenants) {
      for (const [host, info] of hosts) {
        if (info.updatedMs >= oldest) continue;
        hosts.delete(host);
        this.savedUpdatedMs.delete(`${host}\u0000${tenant}`);
        this.hostCount--;
        this.markDirty();
        this.emit(tenant, host);
      }
      if (hosts.size === 0) this.tenants.delete(tenant);
    }
  }

  private async writeIfDirty(): Promise<void> {
    if (!this.dirty || this.file === null) return;
    this.dirty = false;
    const body: { version: number; tenants: Record<string, HostInfo[]> } = { version: FILE_VERSION, tenants: {} };
    for (const [tenant, hosts] of this.tenants) body.tenants[tenant] = [...hosts.values()];
    try {
      await writeFileAtomic(this.file, JSON.stringify(body));
    } catch (err) {
      this.dirty = true;
      throw err;
    }
  }

  private load(file: string): void {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT')
        this.logger.warn({ err, file }, 'host-tag cache: cannot read the file, starting empty');
      return;
    }
    try {
      const parsed = parseFile(JSON.parse(text));
      for (const [tenant, infos] of parsed) {
        const hosts = new Map<string, HostInfo>();
        for (const info of infos) hosts.set(info.host, info);
        this.tenants.set(tenant, hosts);
        this.hostCount += hosts.size;
      }
    } catch (err) {
      this.logger.warn(
        { err: String(err), file },
        'host-tag cache: file is corrupt, ignoring it (it is rewritten on the next change)',
      );
      this.tenants.clear();
      this.hostCount = 0;
      return;
    }
    this.pruneStale(Date.now());
  }
}

function sameStrings(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function parseFile(doc: unknown): Map<string, HostInfo[]> {
  const fail = (what: string): never => {
    throw new Error(`host-tags.json: ${what}`);
  };
  if (typeof doc !== 'object' || doc === null) fail('not an object');
  const { version, tenants } = doc as { version?: unknown; tenants?: unknown };
  if (version !== FILE_VERSION) fail(`unsupported version ${String(version)}`);
  if (typeof tenants !== 'object' || tenants === null) fail('no tenants');
  const out = new Map<string, HostInfo[]>();
  for (const [tenant, list] of Object.entries(tenants as Record<string, unknown>)) {
    if (!Array.isArray(list)) fail(`tenants.${tenant} is not a list`);
    out.set(
      tenant,
      (list as unknown[]).map((raw, i) => {
        const r = raw as Partial<Record<keyof HostInfo, unknown>>;
        const ok =
          typeof r === 'object' &&
          r !== null &&
          typeof r.host === 'string' &&
          r.host !== '' &&
          Array.isArray(r.tags) &&
          r.tags.every((t) => typeof t === 'string') &&
          typeof r.agentVersion === 'string' &&
          typeof r.os === 'string' &&
          typeof r.updatedMs === 'number';
        if (!ok) fail(`tenants.${tenant}[${i}] is not a host record`);
        return {
          host: r.host as string,
          tags: Object.freeze([...new Set(r.tags as string[])].sort()),
          agentVersion: r.agentVersion as string,
          os: r.os as string,
          updatedMs: r.updatedMs as number,
        };
      }),
    );
  }
  return out;
}
