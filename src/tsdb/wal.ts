import { open, readdir, readFile, rename, rm, stat, truncate } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import type { Label } from '../model/prometheus.js';
import { fsyncDir, type TsdbLogger } from './fsutil.js';

// Write-ahead log: numbered segment files of CRC32-checked records, appended with group commit.
//
// Record framing (every record starts and ends 8-byte aligned, so typed-array views work on a read file):
//   u32 LE len   bytes after this 8-byte header (type + pad + payload + alignment pad), a multiple of 8, > 0
//   u32 LE crc   CRC32 (IEEE) of those `len` bytes
//   u8 type, 7 zero bytes, payload, zero padding to a multiple of 8
// Record payloads: see encodeSeriesRecord, encodeSamplesRecord and histogram-wal.ts.
// A record whose length runs past the end of the file or whose CRC does not match ends the log: replay truncates
// the segment there (a torn write from a crash) and removes any later segment.

export const RECORD_SERIES = 1;
export const RECORD_SAMPLES = 2;
/** Native histogram samples: see histogram-wal.ts. */
export const RECORD_HISTOGRAM_SAMPLES = 3;

/** Bytes before a record's payload: length, CRC, type and padding. */
export const HEADER = 16;

export interface SeriesRecordEntry {
  id: number;
  labels: Label[];
}

function pad8(n: number): number {
  return (n + 7) & ~7;
}

/** Fills in the framing of a record built with HEADER bytes of room before its payload. */
export function finishRecord(buf: Uint8Array, type: number): Uint8Array {
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  dv.setUint32(0, buf.length - 8, true);
  buf[8] = type;
  dv.setUint32(4, crc32(buf.subarray(8)), true);
  return buf;
}

/** Writes a zigzag varint (|x| <= 2^52) at `off`; returns the new offset. */
function writeVarint(buf: Uint8Array, off: number, x: number): number {
  let z = x >= 0 ? x * 2 : -x * 2 - 1;
  while (z >= 0x80) {
    buf[off++] = (z % 128) | 0x80;
    z = Math.floor(z / 128);
  }
  buf[off++] = z;
  return off;
}

/**
 * A samples record. Payload: u32 n, u32 0, n × f64 value (aligned, so replay reads them as a typed-array view), then
 * per sample zigzag varints of (series ID − previous ID) and (timestamp − previous timestamp): a batch of one
 * sample per series at one timestamp costs ~10 bytes/sample instead of 20.
 */
export function encodeSamplesRecord(ids: Uint32Array, ts: Float64Array, vs: Float64Array, n: number): Uint8Array {
  const valuesEnd = HEADER + 8 + n * 8;
  const ab = new ArrayBuffer(pad8(valuesEnd + n * 13));
  const buf = new Uint8Array(ab);
  new DataView(ab).setUint32(HEADER, n, true);
  new Float64Array(ab, HEADER + 8, n).set(vs.subarray(0, n));
  let off = valuesEnd;
  let prevId = 0;
  let prevT = 0;
  for (let i = 0; i < n; i++) {
    const id = ids[i]!;
    const d = id - prevId;
    // Small IDs deltas (the common case) take the one-byte path without calls.
    if (d >= 0 && d < 64) buf[off++] = d * 2;
    else off = writeVarint(buf, off, d);
    prevId = id;
    const t = ts[i]!;
    const dt = t - prevT;
    if (dt === 0) buf[off++] = 0;
    else off = writeVarint(buf, off, dt);
    prevT = t;
  }
  return finishRecord(buf.subarray(0, pad8(off)), RECORD_SAMPLES);
}

export interface SamplesView {
  ids: Uint32Array;
  ts: Float64Array;
  vs: Float64Array;
}

/** Where the last uvarintAt() ended. */
let uvarintEnd = 0;

/** The unsigned varint at `off` of `buf`; sets uvarintEnd. */
function uvarintAt(buf: Uint8Array, off: number): number {
  let x = 0;
  let mul = 1;
  for (;;) {
    const b = buf[off++]!;
    x += (b & 0x7f) * mul;
    if (b < 0x80) break;
    mul *= 128;
  }
  uvarintEnd = off;
  return x;
}

/** The signed value of a zigzag varint. */
function unzigzag(z: number): number {
  return z % 2 === 0 ? z / 2 : -(z + 1) / 2;
}

/** Decodes a samples record payload (`payload` must be 8-byte aligned in its buffer). */
export function decodeSamplesPayload(payload: Uint8Array): SamplesView {
  const n = new DataView(payload.buffer, payload.byteOffset, 8).getUint32(0, true);
  const vs = new Float64Array(payload.buffer, payload.byteOffset + 8, n);
  const ids = new Uint32Array(n);
  const ts = new Float64Array(n);
  let off = 8 + n * 8;
  let id = 0;
  let t = 0;
  for (let i = 0; i < n; i++) {
    id += unzigzag(uvarintAt(payload, off));
    ids[i] = id;
    t += unzigzag(uvarintAt(payload, uvarintEnd));
    off = uvarintEnd;
    ts[i] = t;
  }
  return { ids, ts, vs };
}

const textDecoder = new TextDecoder();

function writeUvarint(buf: Uint8Array, off: number, x: number): number {
  while (x >= 0x80) {
    buf[off++] = (x & 0x7f) | 0x80;
    x = Math.floor(x / 128);
  }
  buf[off++] = x;
  return off;
}

/** Writes uvarint byte length + UTF-8 bytes of `str` at `off`; a short ASCII string (the usual label) in one pass. */
function writeString(buf: Buffer, off: number, str: string): number {
  const n = str.length;
  if (n < 0x80) {
    let o = off + 1;
    for (let i = 0; i < n; i++) {
      const c = str.charCodeAt(i);
      if (c > 0x7f) return writeUtf8String(buf, off, str);
      buf[o++] = c;
    }
    buf[off] = n;
    return o;
  }
  return writeUtf8String(buf, off, str);
}

function writeUtf8String(buf: Buffer, off: number, str: string): number {
  const len = Buffer.byteLength(str, 'utf8');
  off = writeUvarint(buf, off, len);
  return off + buf.write(str, off, len, 'utf8');
}

export function encodeSeriesRecord(entries: readonly SeriesRecordEntry[]): Uint8Array {
  let max = HEADER + 8;
  for (const e of entries) {
    max += 20;
    for (const l of e.labels) max += (l.name.length + l.value.length) * 3 + 10;
  }
  // Sized for the worst case (3 UTF-8 bytes a character) and not zeroed: only [0, pad8(off)) is used, and its
  // header and padding are zeroed here (zeroing the whole worst case was most of this function's time).
  const buf = Buffer.allocUnsafe(pad8(max));
  buf.fill(0, 0, HEADER + 8);
  new DataView(buf.buffer, buf.byteOffset, buf.length).setUint32(HEADER, entries.length, true);
  let off = HEADER + 8;
  for (const e of entries) {
    off = writeUvarint(buf, off, e.id);
    off = writeUvarint(buf, off, e.labels.length);
    for (const l of e.labels) {
      off = writeString(buf, off, l.name);
      off = writeString(buf, off, l.value);
    }
  }
  buf.fill(0, off, pad8(off));
  const record = buf.subarray(0, pad8(off));
  return finishRecord(record, RECORD_SERIES);
}

/**
 * Turns the label pairs of series records into pair objects (`make` gives the object for a pair seen for the first
 * time), one per distinct pair: a WAL repeats most pairs (job, __name__, host) over many series, and decoding each
 * occurrence into new strings was most of a replay's garbage.
 */
export class LabelPairDecoder<P extends { readonly label: Label }> {
  /** By FNV-1a hash of the pair's bytes (both length prefixes included); collisions chained. */
  private readonly byHash = new Map<number, P | P[]>();

  constructor(private readonly make: (name: string, value: string) => P) {}

  /** The pair encoded in bytes [from, to) of `buf`: name [from + 1.., nameEnd), value [valueStart, to). */
  pair(buf: Uint8Array, from: number, nameStart: number, nameEnd: number, valueStart: number, to: number): P {
    let h = 0x811c9dc5;
    for (let i = from; i < to; i++) h = Math.imul(h ^ buf[i]!, 0x01000193);
    const hit = this.byHash.get(h);
    if (hit !== undefined) {
      if (!Array.isArray(hit)) {
        if (isPair(hit.label, buf, nameStart, nameEnd, valueStart, to)) return hit;
      } else {
        for (const p of hit) if (isPair(p.label, buf, nameStart, nameEnd, valueStart, to)) return p;
      }
    }
    const pair = this.make(
      textDecoder.decode(buf.subarray(nameStart, nameEnd)),
      textDecoder.decode(buf.subarray(valueStart, to)),
    );
    if (hit === undefined) this.byHash.set(h, pair);
    else if (Array.isArray(hit)) hit.push(pair);
    else this.byHash.set(h, [hit, pair]);
    return pair;
  }
}

function isPair(l: Label, buf: Uint8Array, nameStart: number, nameEnd: number, valueStart: number, to: number) {
  return sameString(l.name, buf, nameStart, nameEnd) && sameString(l.value, buf, valueStart, to);
}

/** Whether UTF-8 bytes [from, to) of `buf` spell `str`. */
function sameString(str: string, buf: Uint8Array, from: number, to: number): boolean {
  if (to - from < str.length) return false;
  for (let i = from, j = 0; i < to; i++, j++) {
    const b = buf[i]!;
    if (b >= 0x80) return textDecoder.decode(buf.subarray(from, to)) === str;
    if (b !== str.charCodeAt(j)) return false;
  }
  return to - from === str.length;
}

/** Whether bytes [a, a + n) and [b, b + n) of `buf` are equal. */
function sameBytes(buf: Uint8Array, a: number, b: number, n: number): boolean {
  for (let i = 0; i < n; i++) if (buf[a + i] !== buf[b + i]) return false;
  return true;
}

/**
 * Calls `onSeries` with the ID and label pairs of each series of a series record payload: the pairs as `pairs` gives
 * them, the first `n` of `found` (an array reused for the next series). A pair with the same bytes at the same
 * position as in the series before is taken from it without a lookup: a record's series come from one request and
 * share most pairs position by position (job, host, __name__).
 */
export function forEachSeriesInRecord<P extends { readonly label: Label }>(
  payload: Uint8Array,
  pairs: LabelPairDecoder<P>,
  onSeries: (id: number, found: readonly P[], n: number) => void,
): void {
  const n = new DataView(payload.buffer, payload.byteOffset, 8).getUint32(0, true);
  // No closure over the offset: a captured, reassigned variable lives in the closure's context, not a register.
  let off = 8;
  const found: P[] = [];
  // Where each position's pair was in the series before: [from, to) of its bytes.
  const prevFrom: number[] = [];
  const prevTo: number[] = [];
  let prevN = 0;
  for (let i = 0; i < n; i++) {
    const id = uvarintAt(payload, off);
    off = uvarintEnd;
    const nl = uvarintAt(payload, off);
    off = uvarintEnd;
    for (let j = 0; j < nl; j++) {
      const from = off;
      const nameLen = uvarintAt(payload, off);
      off = uvarintEnd;
      const nameStart = off;
      off += nameLen;
      const valueLen = uvarintAt(payload, off);
      off = uvarintEnd;
      const valueStart = off;
      off += valueLen;
      const pf = j < prevN ? prevFrom[j]! : -1;
      if (pf < 0 || prevTo[j]! - pf !== off - from || !sameBytes(payload, pf, from, off - from)) {
        found[j] = pairs.pair(payload, from, nameStart, nameStart + nameLen, valueStart, off);
      }
      prevFrom[j] = from;
      prevTo[j] = off;
    }
    prevN = nl;
    onSeries(id, found, nl);
  }
}

/**
 * Decodes a series record payload; `pairs` gives the label objects (shared across calls when it is). Without it
 * each call shares pairs only within the payload.
 */
export function decodeSeriesPayload(
  payload: Uint8Array,
  pairs = new LabelPairDecoder((name, value) => ({ label: { name, value } })),
): SeriesRecordEntry[] {
  const out: SeriesRecordEntry[] = [];
  forEachSeriesInRecord(payload, pairs, (id, found, n) => {
    const labels = new Array<Label>(n);
    for (let j = 0; j < n; j++) labels[j] = found[j]!.label;
    out.push({ id, labels });
  });
  return out;
}

/** Called for each record during replay; returns the record's newest sample timestamp (or -Infinity). */
export type RecordHandler = (type: number, payload: Uint8Array) => number;

interface Pending {
  seg: number;
  data: Uint8Array;
  resolve: () => void;
  reject: (err: Error) => void;
}

export class WalError extends Error {
  override name = 'WalError';
}

const SEGMENT_RE = /^\d{8}$/;
const CHECKPOINT_RE = /^checkpoint\.(\d{8})$/;

function segName(n: number): string {
  return String(n).padStart(8, '0');
}

/**
 * Parses the records of one file; returns the offset where valid records end (file length when all are valid).
 */
export function scanRecords(buf: Uint8Array, onRecord: (type: number, payload: Uint8Array) => void): number {
  let aligned = buf;
  if (buf.byteOffset % 8 !== 0) aligned = new Uint8Array(buf); // copy so typed-array views are aligned
  const dv = new DataView(aligned.buffer, aligned.byteOffset, aligned.byteLength);
  let off = 0;
  while (off + HEADER <= aligned.length) {
    const len = dv.getUint32(off, true);
    if (len < 8 || len % 8 !== 0 || off + 8 + len > aligned.length) return off;
    const body = aligned.subarray(off + 8, off + 8 + len);
    if (crc32(body) !== dv.getUint32(off + 4, true)) return off;
    onRecord(body[0]!, body.subarray(8));
    off += 8 + len;
  }
  return off;
}

export interface WalOptions {
  segmentBytes: number;
  logger: TsdbLogger;
}

export class Wal {
  /** Segment new records are assigned to. */
  private current = 0;
  private currentBytes = 0;
  private segments: number[] = [];
  private readonly segMaxT = new Map<number, number>();
  private readonly segBytes = new Map<number, number>();
  private checkpointBytes = 0;
  private queue: Pending[] = [];
  private flushing: Promise<void> | undefined;
  private fh: FileHandle | undefined;
  private fhSeg = -1;
  private broken: Error | undefined;
  private closed = false;

  private constructor(
    private readonly dir: string,
    private readonly opts: WalOptions,
  ) {}

  /** Opens the WAL in `dir`, replaying the latest checkpoint and every later segment through `onRecord`. */
  static async open(dir: string, opts: WalOptions, onRecord: RecordHandler): Promise<Wal> {
    const wal = new Wal(dir, opts);
    await wal.replay(onRecord);
    return wal;
  }

  private async replay(onRecord: RecordHandler): Promise<void> {
    const names = await readdir(this.dir);
    let checkpoint = -1;
    for (const name of names) {
      const m = CHECKPOINT_RE.exec(name);
      if (m) checkpoint = Math.max(checkpoint, Number(m[1]));
      else if (name.endsWith('.tmp')) await rm(join(this.dir, name), { force: true, recursive: true });
    }
    const segs = names
      .filter((n) => SEGMENT_RE.test(n))
      .map(Number)
      .sort((a, b) => a - b);
    if (checkpoint >= 0) {
      const path = join(this.dir, `checkpoint.${segName(checkpoint)}`);
      const buf = await readFile(path);
      this.checkpointBytes = buf.length;
      const end = scanRecords(buf, (type, payload) => void onRecord(type, payload));
      if (end !== buf.length) throw new WalError(`corrupt WAL checkpoint ${path} at offset ${end}`);
    }
    let total = 0;
    for (const s of segs) if (s > checkpoint) total += (await stat(join(this.dir, segName(s)))).size;
    let done = 0;
    let lastLog = Date.now();
    for (let i = 0; i < segs.length; i++) {
      const s = segs[i]!;
      const path = join(this.dir, segName(s));
      if (s <= checkpoint) {
        await rm(path, { force: true }); // covered by the checkpoint; left over from an interrupted truncation
        continue;
      }
      const buf = await readFile(path);
      let maxT = -Infinity;
      const end = scanRecords(buf, (type, payload) => {
        const t = onRecord(type, payload);
        if (t > maxT) maxT = t;
      });
      this.segments.push(s);
      this.segMaxT.set(s, maxT);
      this.segBytes.set(s, end);
      done += buf.length;
      if (end !== buf.length) {
        this.opts.logger.warn(
          { segment: path, offset: end, size: buf.length },
          'WAL: torn or corrupt record; truncating the log there (records after it are lost)',
        );
        await truncate(path, end);
        for (const later of segs.slice(i + 1)) await rm(join(this.dir, segName(later)), { force: true });
        break;
      }
      if (total > 64 << 20 && Date.now() - lastLog > 5000) {
        lastLog = Date.now();
        this.opts.logger.info({ dir: this.dir, percent: Math.round((done / total) * 100) }, 'WAL replay progress');
      }
    }
    // Appends always start a fresh segment: a segment replay truncated stays as it is.
    this.current = Math.max(checkpoint, segs.length ? segs[segs.length - 1]! : -1) + 1;
  }

  /** Total bytes of segments and checkpoint on disk (including writes in flight). */
  get sizeBytes(): number {
    let n = this.checkpointBytes;
    for (const b of this.segBytes.values()) n += b;
    return n;
  }

  /**
   * Appends records; resolves after they are written and fdatasync'd. Records passed in one call stay in order and
   * land in the same segment; calls made while a sync is running are committed together in the next one.
   */
  log(data: Uint8Array, maxT: number): Promise<void> {
    if (this.closed) return Promise.reject(new WalError('WAL is closed'));
    if (this.broken) return Promise.reject(this.broken);
    if (this.currentBytes > 0 && this.currentBytes + data.length > this.opts.segmentBytes) this.rotate();
    const seg = this.current;
    if (this.currentBytes === 0 && !this.segMaxT.has(seg)) {
      this.segments.push(seg);
      this.segMaxT.set(seg, -Infinity);
      this.segBytes.set(seg, 0);
    }
    this.currentBytes += data.length;
    this.segBytes.set(seg, this.segBytes.get(seg)! + data.length);
    if (maxT > this.segMaxT.get(seg)!) this.segMaxT.set(seg, maxT);
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ seg, data, resolve, reject });
      if (!this.flushing) this.flushing = this.flush();
    });
  }

  /** Starts a new segment for records logged from now on. */
  rotate(): void {
    this.current++;
    this.currentBytes = 0;
  }

  /** Resolves when every record logged so far has been written (or has failed). */
  async drain(): Promise<void> {
    while (this.flushing) await this.flushing;
  }

  private async flush(): Promise<void> {
    while (this.queue.length > 0) {
      const group = this.queue;
      this.queue = [];
      let err: Error | undefined;
      let i = 0;
      while (i < group.length && !err) {
        const seg = group[i]!.seg;
        let j = i;
        let bytes = 0;
        while (j < group.length && group[j]!.seg === seg) bytes += group[j++]!.data.length;
        const buf =
          j - i === 1
            ? group[i]!.data
            : Buffer.concat(
                group.slice(i, j).map((p) => p.data),
                bytes,
              );
        try {
          await this.writeSynced(seg, buf);
        } catch (e) {
          err = e instanceof Error ? e : new Error(String(e));
        }
        for (let k = i; k < j; k++) {
          if (err) group[k]!.reject(err);
          else group[k]!.resolve();
        }
        i = j;
      }
      for (; i < group.length; i++) group[i]!.reject(err!);
    }
    this.flushing = undefined;
  }

  private async writeSynced(seg: number, buf: Uint8Array): Promise<void> {
    if (this.broken) throw this.broken;
    if (this.fhSeg !== seg) {
      if (this.fh) await this.fh.close();
      this.fh = undefined;
      this.fh = await open(join(this.dir, segName(seg)), 'a');
      this.fhSeg = seg;
      await fsyncDir(this.dir);
    }
    const fh = this.fh!;
    try {
      let off = 0;
      while (off < buf.length) {
        const { bytesWritten } = await fh.write(buf, off, buf.length - off);
        off += bytesWritten;
      }
      await fh.datasync();
    } catch (e) {
      // After a failed write or sync the file's tail is unknown: stop appending. The owner reopens the database,
      // whose replay cuts a torn tail and rebuilds the head from what is durable.
      this.broken = new WalError(`WAL write failed: ${(e as Error).message}`);
      throw this.broken;
    }
  }

  /** The error that made the log stop accepting appends, if any. */
  get failure(): Error | undefined {
    return this.broken;
  }

  /**
   * Drops segments holding only samples older than `minT` (already in blocks). The series records they held are
   * kept in a checkpoint file written from `liveSeries` (every series still in the head).
   */
  async truncateBefore(minT: number, liveSeries: () => Uint8Array): Promise<number> {
    this.rotate();
    let upTo = -1;
    for (const s of this.segments) {
      if (s >= this.current || this.segMaxT.get(s)! >= minT) break;
      upTo = s;
    }
    if (upTo < 0) return 0;
    const records = liveSeries(); // taken now: every series whose record is in a segment <= upTo is in the head
    await this.drain();
    const name = `checkpoint.${segName(upTo)}`;
    const tmp = join(this.dir, `${name}.tmp`);
    const fh = await open(tmp, 'w');
    try {
      await fh.write(records);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, join(this.dir, name));
    await fsyncDir(this.dir);
    this.checkpointBytes = records.length;
    let removed = 0;
    for (const n of await readdir(this.dir)) {
      const m = CHECKPOINT_RE.exec(n);
      if ((m && Number(m[1]) < upTo) || (SEGMENT_RE.test(n) && Number(n) <= upTo)) {
        await rm(join(this.dir, n), { force: true });
        if (!m) removed++;
      }
    }
    this.segments = this.segments.filter((s) => s > upTo);
    for (const s of [...this.segMaxT.keys()]) {
      if (s <= upTo) {
        this.segMaxT.delete(s);
        this.segBytes.delete(s);
      }
    }
    return removed;
  }

  async close(): Promise<void> {
    await this.drain();
    this.closed = true;
    const fh = this.fh;
    this.fh = undefined;
    await fh?.close().catch(() => {}); // after a write failure the handle may be unusable; nothing left to save
  }
}
