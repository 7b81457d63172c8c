import { mkdir, open, readdir, readFile, rm, truncate } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { fsyncDir, type TsdbLogger } from '../tsdb/fsutil.js';
import { scanEventRecords } from './record.js';

// One tenant's events: numbered, append-only segment files of event records in the order they were stored.
// Appends are group-committed: every record handed in while a write runs goes out in the next write, and a caller's
// promise resolves only after its records are fdatasync'd (an acknowledged event survives kill -9). A segment is
// closed for appends when it reaches `segmentBytes` or is `segmentSpanMs` old, so each covers a bounded stretch of
// time; what the store knows of a segment without reading it is its summary (ids, event times, bytes).

export interface SegmentSummary {
  readonly n: number;
  /** Bytes written and synced: readers look at nothing after them. */
  bytes: number;
  count: number;
  minId: number;
  maxId: number;
  /** Event times (ms) of the segment's events. */
  minTs: number;
  maxTs: number;
}

export interface TenantLogOptions {
  segmentBytes: number;
  segmentSpanMs: number;
  logger: TsdbLogger;
}

/** An event record to append, with what its segment's summary needs. */
export interface AppendRecord {
  id: number;
  timestampMs: number;
  data: Buffer;
}

interface Pending {
  seg: number;
  records: AppendRecord[];
  resolve: () => void;
  reject: (err: Error) => void;
}

export class EventLogError extends Error {
  override name = 'EventLogError';
}

const SEGMENT_RE = /^(\d{8})\.events$/;
/** After a failed write, appends are refused this long before the log tries to recover. */
const RECOVER_BACKOFF_MS = 1000;

const segmentName = (n: number) => `${String(n).padStart(8, '0')}.events`;

function emptySummary(n: number): SegmentSummary {
  return { n, bytes: 0, count: 0, minId: Infinity, maxId: -Infinity, minTs: Infinity, maxTs: -Infinity };
}

function addToSummary(s: SegmentSummary, id: number, ts: number): void {
  s.count++;
  if (id < s.minId) s.minId = id;
  if (id > s.maxId) s.maxId = id;
  if (ts < s.minTs) s.minTs = ts;
  if (ts > s.maxTs) s.maxTs = ts;
}

export class TenantEventLog {
  /** Segments with at least one durable event, oldest first. */
  private readonly list: SegmentSummary[] = [];
  /** Segment new records go to, its bytes so far (pending included) and when it got its first record. */
  private current = 0;
  private currentBytes = 0;
  private currentOpenedMs = 0;
  private maxIdOnOpen = 0;
  private queue: Pending[] = [];
  private flushing: Promise<void> | undefined;
  /** Records handed in but not yet durable, by segment: such a segment is never deleted. */
  private readonly unsynced = new Map<number, number>();
  private fh: FileHandle | undefined;
  private fhSeg = -1;
  private broken: { error: Error; atMs: number; seg: number } | undefined;
  private closed = false;

  private constructor(
    readonly dir: string,
    private readonly opts: TenantLogOptions,
  ) {}

  /** Opens (creating) `dir` and reads every segment's summary; a torn tail is cut off, an empty segment removed. */
  static async open(dir: string, opts: TenantLogOptions): Promise<TenantEventLog> {
    await mkdir(dir, { recursive: true });
    const log = new TenantEventLog(dir, opts);
    const numbers = (await readdir(dir))
      .map((name) => SEGMENT_RE.exec(name))
      .filter((m) => m !== null)
      .map((m) => Number(m[1]))
      .sort((a, b) => a - b);
    for (const n of numbers) {
      const path = join(dir, segmentName(n));
      const buf = await readFile(path);
      const summary = emptySummary(n);
      const end = scanEventRecords(buf, (e) => addToSummary(summary, e.id, e.timestampMs));
      summary.bytes = end;
      if (end !== buf.length) {
        opts.logger.warn(
          { segment: path, offset: end, size: buf.length },
          'events: torn or corrupt record; cutting the segment there (it was never acknowledged)',
        );
        await truncate(path, end);
      }
      if (summary.count === 0) await rm(path, { force: true });
      else log.list.push(summary);
      log.maxIdOnOpen = Math.max(log.maxIdOnOpen, summary.maxId);
      log.current = n + 1;
    }
    return log;
  }

  /** Summaries of the segments holding events, oldest first (a snapshot). */
  segments(): SegmentSummary[] {
    return [...this.list];
  }

  get totalBytes(): number {
    let n = 0;
    for (const s of this.list) n += s.bytes;
    return n;
  }

  get eventCount(): number {
    let n = 0;
    for (const s of this.list) n += s.count;
    return n;
  }

  /** The highest id on disk when the log was opened. */
  get openedMaxId(): number {
    return this.maxIdOnOpen;
  }

  /** Appends the records (in order, to one segment); resolves once they are durable. */
  append(records: AppendRecord[], nowMs: number): Promise<void> {
    if (this.closed) return Promise.reject(new EventLogError('event log is closed'));
    if (this.broken && !this.tryRecover(nowMs)) return Promise.reject(this.broken.error);
    let bytes = 0;
    for (const r of records) bytes += r.data.length;
    if (
      this.currentBytes > 0 &&
      (this.currentBytes + bytes > this.opts.segmentBytes || nowMs - this.currentOpenedMs >= this.opts.segmentSpanMs)
    )
      this.rotate();
    if (this.currentBytes === 0) this.currentOpenedMs = nowMs;
    this.currentBytes += bytes;
    const seg = this.current;
    this.unsynced.set(seg, (this.unsynced.get(seg) ?? 0) + 1);
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ seg, records, resolve, reject });
      this.flushing ??= this.flush();
    });
  }

  private rotate(): void {
    this.current++;
    this.currentBytes = 0;
  }

  /**
   * After a failed write the segment's tail is unknown: once the backoff has passed, it is cut back to what was
   * durable and appends continue in a new segment. Returns whether the log accepts appends again.
   */
  private tryRecover(nowMs: number): boolean {
    const b = this.broken!;
    if (nowMs - b.atMs < RECOVER_BACKOFF_MS || this.flushing) return false;
    this.broken = undefined;
    const durable = this.list.find((s) => s.n === b.seg)?.bytes ?? 0;
    void this.fh?.close().catch(() => {});
    this.fh = undefined;
    this.fhSeg = -1;
    this.rotate();
    // Cutting is best effort: a failure leaves a torn tail, which the next open cuts.
    void truncate(join(this.dir, segmentName(b.seg)), durable).catch(() => {});
    this.opts.logger.warn({ dir: this.dir, segment: b.seg }, 'events: appending again after a write failure');
    return true;
  }

  private async flush(): Promise<void> {
    while (this.queue.length > 0) {
      const group = this.queue;
      this.queue = [];
      let i = 0;
      while (i < group.length) {
        const seg = group[i]!.seg;
        let j = i;
        while (j < group.length && group[j]!.seg === seg) j++;
        const batch = group.slice(i, j);
        const data = Buffer.concat(batch.flatMap((p) => p.records.map((r) => r.data)));
        let err: Error | undefined;
        try {
          await this.writeSynced(seg, data);
          this.recordDurable(seg, batch, data.length);
        } catch (e) {
          err = e instanceof Error ? e : new Error(String(e));
        }
        for (const p of batch) {
          const left = this.unsynced.get(seg)! - 1;
          if (left === 0) this.unsynced.delete(seg);
          else this.unsynced.set(seg, left);
          if (err) p.reject(err);
          else p.resolve();
        }
        i = j;
      }
    }
    this.flushing = undefined;
  }

  private recordDurable(seg: number, batch: Pending[], bytes: number): void {
    let summary = this.list[this.list.length - 1];
    if (summary?.n !== seg) {
      summary = emptySummary(seg);
      this.list.push(summary);
    }
    for (const p of batch) for (const r of p.records) addToSummary(summary, r.id, r.timestampMs);
    summary.bytes += bytes;
  }

  private async writeSynced(seg: number, data: Buffer): Promise<void> {
    if (this.broken) throw this.broken.error;
    try {
      if (this.fhSeg !== seg) {
        await this.fh?.close();
        this.fh = undefined;
        this.fh = await open(join(this.dir, segmentName(seg)), 'a');
        this.fhSeg = seg;
        await fsyncDir(this.dir);
      }
      let off = 0;
      while (off < data.length) off += (await this.fh!.write(data, off, data.length - off)).bytesWritten;
      await this.fh!.datasync();
    } catch (e) {
      this.broken = {
        error: new EventLogError(`event segment write failed: ${(e as Error).message}`),
        atMs: Date.now(),
        seg,
      };
      throw this.broken.error;
    }
  }

  /** The segment's durable bytes, or undefined when it was deleted meanwhile. */
  async read(s: SegmentSummary): Promise<Uint8Array | undefined> {
    try {
      const buf = await readFile(join(this.dir, segmentName(s.n)));
      return buf.subarray(0, Math.min(buf.length, s.bytes));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw e;
    }
  }

  /**
   * Deletes segments, oldest first, while `drop` says so; a segment still being written is kept (the one receiving
   * appends is closed first when it is to go). Returns the number of events deleted.
   */
  async deleteOldest(drop: (s: SegmentSummary, remainingBytes: number) => boolean): Promise<number> {
    let events = 0;
    let remaining = this.totalBytes;
    while (this.list.length > 0) {
      const s = this.list[0]!;
      if (!drop(s, remaining) || this.unsynced.has(s.n)) break;
      if (s.n === this.current) this.rotate();
      this.list.shift();
      remaining -= s.bytes;
      events += s.count;
      if (this.fhSeg === s.n) {
        await this.fh?.close().catch(() => {});
        this.fh = undefined;
        this.fhSeg = -1;
      }
      await rm(join(this.dir, segmentName(s.n)), { force: true });
    }
    return events;
  }

  async close(): Promise<void> {
    while (this.flushing) await this.flushing;
    this.closed = true;
    await this.fh?.close().catch(() => {});
    this.fh = undefined;
  }
}
