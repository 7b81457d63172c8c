import { mkdir, open, readFile, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import type { Label } from '../model/prometheus.js';
import type { FloatHistogram } from '../model/histogram.js';
import type { SeriesData } from '../model/storage.js';
import type { CompiledMatcher } from '../model/matcher.js';
import { EMPTY_POSTINGS, selectPostings, type Postings, type PostingsSource } from './postings.js';
import { ByteReader, ByteWriter } from './bytes.js';
import { fsyncDir } from './fsutil.js';
import { decodeChunks, chunkSampleCount } from './chunk.js';
import { decodeHistogramChunksIn, histogramChunkSampleCount, isHistogramChunk } from './histogram-chunk.js';

// An immutable block: <ulid>/meta.json, <ulid>/index, <ulid>/chunks/000001...
//
// chunks/NNNNNN: concatenated entries `chunk bytes, u32 LE CRC32 of them`; a chunk reference is
//   file number * 2^32 + byte offset, and the index stores each chunk's length. A chunk's first byte is its
//   encoding: float chunks (chunk.ts) and native histogram chunks (histogram-chunk.ts); a series lists its float
//   chunks, then its histogram chunks, each kind in time order.
// index (all integers uvarint unless noted; "sym" = index into the symbol table):
//   magic "PDIX", u8 version 1, 3 zero bytes
//   symbols:  count, then per string: byte length, UTF-8 bytes (sorted, unique)
//   series:   count, then per series (sorted by labels): label count, (name sym, value sym) pairs,
//             chunk count, per chunk: minT (zigzag varint for the first, then minT − previous maxT), maxT − minT,
//             reference (the first absolute, then minus the end of the previous chunk: 0 when contiguous),
//             byte length
//   postings: count of label pairs, then per pair (sorted): name sym, value sym, series count, series-index deltas
//   trailer:  u32 LE symbols offset, u32 series offset, u32 postings offset, u32 CRC32 of everything before it
//   (offsets are 32-bit: an index is limited to 4 GiB)
// meta.json: { ulid, minTime, maxTime (exclusive), stats, compaction: { level, sources }, version }

export const CHUNK_FILE_MAX_BYTES = 512 << 20;

export interface BlockMeta {
  ulid: string;
  minTime: number;
  maxTime: number;
  stats: { numSamples: number; numSeries: number; numChunks: number };
  compaction: { level: number; sources: string[] };
  version: 1;
}

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/** A ULID: 48-bit millisecond time then 80 random bits, Crockford base32, 26 characters, sortable by time. */
export function newUlid(now = Date.now()): string {
  let out = '';
  let t = now;
  for (let i = 0; i < 10; i++) {
    out = CROCKFORD[t % 32]! + out;
    t = Math.floor(t / 32);
  }
  const rnd = randomBytes(16);
  for (let i = 0; i < 16; i++) out += CROCKFORD[rnd[i]! & 31]!;
  return out;
}

export const ULID_RE = /^[0-9A-HJKMNP-TV-Z]{26}$/;

const textEncoder = new TextEncoder();
const textDecoder = new TextDecoder();

interface SeriesEntry {
  labels: Label[];
  firstChunk: number;
  numChunks: number;
}

/** Writes one block into `<parent>/<ulid>.tmp`, then renames it into place. Series must come in label order. */
export class BlockWriter {
  private readonly tmpDir: string;
  private chunkFile: FileHandle | undefined;
  private chunkFileNo = 0;
  private chunkFileBytes = 0;
  private readonly pending = new ByteWriter();
  private readonly series: SeriesEntry[] = [];
  private chunkMinT: number[] = [];
  private chunkMaxT: number[] = [];
  private chunkRef: number[] = [];
  private chunkLen: number[] = [];
  private numSamples = 0;

  private constructor(
    private readonly parent: string,
    readonly ulid: string,
  ) {
    this.tmpDir = join(parent, `${ulid}.tmp`);
  }

  static async create(parent: string, ulid = newUlid()): Promise<BlockWriter> {
    const w = new BlockWriter(parent, ulid);
    await mkdir(join(w.tmpDir, 'chunks'), { recursive: true });
    return w;
  }

  private async nextChunkFile(): Promise<void> {
    await this.flushChunks();
    if (this.chunkFile) {
      await this.chunkFile.sync();
      await this.chunkFile.close();
    }
    this.chunkFileNo++;
    this.chunkFileBytes = 0;
    this.chunkFile = await open(join(this.tmpDir, 'chunks', String(this.chunkFileNo).padStart(6, '0')), 'w');
  }

  private async flushChunks(): Promise<void> {
    if (!this.chunkFile || this.pending.len === 0) return;
    const data = this.pending.view();
    let off = 0;
    while (off < data.length) off += (await this.chunkFile.write(data, off, data.length - off)).bytesWritten;
    this.pending.len = 0;
  }

  async addSeries(
    labels: Label[],
    chunks: readonly Uint8Array[],
    minT: readonly number[],
    maxT: readonly number[],
  ): Promise<void> {
    if (chunks.length === 0) return;
    this.series.push({ labels, firstChunk: this.chunkRef.length, numChunks: chunks.length });
    for (let i = 0; i < chunks.length; i++) {
      const c = chunks[i]!;
      if (!this.chunkFile || this.chunkFileBytes + c.length + 4 > CHUNK_FILE_MAX_BYTES) await this.nextChunkFile();
      this.chunkRef.push(this.chunkFileNo * 2 ** 32 + this.chunkFileBytes);
      this.chunkLen.push(c.length);
      this.chunkMinT.push(minT[i]!);
      this.chunkMaxT.push(maxT[i]!);
      this.numSamples += isHistogramChunk(c) ? histogramChunkSampleCount(c) : chunkSampleCount(c);
      this.pending.bytes(c);
      this.pending.u32(crc32(c));
      this.chunkFileBytes += c.length + 4;
    }
    if (this.pending.len > 4 << 20) await this.flushChunks();
  }

  /** Writes index and meta.json, syncs, and renames the directory into place. Returns the meta. */
  async finish(minTime: number, maxTime: number, level: number, sources: string[]): Promise<BlockMeta> {
    if (this.chunkFile) {
      await this.flushChunks();
      await this.chunkFile.sync();
      await this.chunkFile.close();
    }
    const index = this.buildIndex();
    const fh = await open(join(this.tmpDir, 'index'), 'w');
    try {
      await fh.write(index);
      await fh.sync();
    } finally {
      await fh.close();
    }
    const meta: BlockMeta = {
      ulid: this.ulid,
      minTime,
      maxTime,
      stats: { numSamples: this.numSamples, numSeries: this.series.length, numChunks: this.chunkRef.length },
      compaction: { level, sources },
      version: 1,
    };
    const metaPath = join(this.tmpDir, 'meta.json');
    await writeFile(metaPath, JSON.stringify(meta, null, 2));
    const mfh = await open(metaPath, 'r');
    await mfh.sync();
    await mfh.close();
    await fsyncDir(join(this.tmpDir, 'chunks'));
    await fsyncDir(this.tmpDir);
    await rename(this.tmpDir, join(this.parent, this.ulid));
    await fsyncDir(this.parent);
    return meta;
  }

  async abort(): Promise<void> {
    if (this.chunkFile) await this.chunkFile.close().catch(() => {});
    await rm(this.tmpDir, { recursive: true, force: true });
  }

  private buildIndex(): Uint8Array {
    const symSet = new Set<string>();
    for (const s of this.series) for (const l of s.labels) symSet.add(l.name).add(l.value);
    const symbols = [...symSet].sort();
    const symId = new Map<string, number>();
    for (let i = 0; i < symbols.length; i++) symId.set(symbols[i]!, i);
    const w = new ByteWriter();
    w.bytes(textEncoder.encode('PDIX'));
    w.bytes(new Uint8Array([1, 0, 0, 0]));
    const symbolsOff = w.len;
    w.uvarint(symbols.length);
    for (const s of symbols) {
      const b = textEncoder.encode(s);
      w.uvarint(b.length);
      w.bytes(b);
    }
    const seriesOff = w.len;
    w.uvarint(this.series.length);
    const postings = new Map<string, Map<string, number[]>>();
    this.series.forEach((s, idx) => {
      w.uvarint(s.labels.length);
      for (const l of s.labels) {
        w.uvarint(symId.get(l.name)!);
        w.uvarint(symId.get(l.value)!);
        let values = postings.get(l.name);
        if (!values) postings.set(l.name, (values = new Map()));
        let list = values.get(l.value);
        if (!list) values.set(l.value, (list = []));
        list.push(idx);
      }
      w.uvarint(s.numChunks);
      let prevMax = 0;
      let prevEnd = 0;
      for (let c = s.firstChunk; c < s.firstChunk + s.numChunks; c++) {
        const mint = this.chunkMinT[c]!;
        const maxt = this.chunkMaxT[c]!;
        w.varint(c === s.firstChunk ? mint : mint - prevMax);
        w.uvarint(maxt - mint);
        w.uvarint(this.chunkRef[c]! - prevEnd);
        w.uvarint(this.chunkLen[c]!);
        prevMax = maxt;
        prevEnd = this.chunkRef[c]! + this.chunkLen[c]! + 4;
      }
    });
    const postingsOff = w.len;
    const pairs: [string, string, number[]][] = [];
    for (const [name, values] of postings) for (const [value, list] of values) pairs.push([name, value, list]);
    pairs.sort((a, b) => (a[0] !== b[0] ? (a[0] < b[0] ? -1 : 1) : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0));
    w.uvarint(pairs.length);
    for (const [name, value, list] of pairs) {
      w.uvarint(symId.get(name)!);
      w.uvarint(symId.get(value)!);
      w.uvarint(list.length);
      let prev = 0;
      for (const x of list) {
        w.uvarint(x - prev);
        prev = x;
      }
    }
    w.u32(symbolsOff);
    w.u32(seriesOff);
    w.u32(postingsOff);
    w.u32(crc32(w.view()));
    return w.view();
  }
}

export class CorruptBlockError extends Error {
  override name = 'CorruptBlockError';
}

/** A range of one chunk file to read: chunks of several series coalesced. */
interface ReadSpan {
  file: number;
  start: number;
  end: number;
}

/** A block opened for reading: the index lives in memory, chunk bytes are read on demand. */
export class BlockReader implements PostingsSource {
  readonly symbols: string[] = [];
  /** Per series: offsets into labelSyms (pairs) and into the chunk arrays. */
  private readonly labelStart: Uint32Array;
  private readonly labelSyms: Uint32Array;
  private readonly chunkStart: Uint32Array;
  readonly chunkMinT: Float64Array;
  readonly chunkMaxT: Float64Array;
  private readonly chunkRef: Float64Array;
  private readonly chunkLen: Uint32Array;
  private readonly postings = new Map<string, Map<string, Uint32Array>>();
  private readonly allSeries: Uint32Array;
  private readonly files = new Map<number, Promise<FileHandle>>();
  private refs = 0;
  private deleted = false;
  private removed = false;
  readonly sizeBytes: number;

  private constructor(
    readonly dir: string,
    readonly meta: BlockMeta,
    index: Uint8Array,
    chunkBytes: number,
  ) {
    const n = index.length;
    if (n < 24 || textDecoder.decode(index.subarray(0, 4)) !== 'PDIX' || index[4] !== 1) {
      throw new CorruptBlockError(`${dir}/index: bad magic or version`);
    }
    const dv = new DataView(index.buffer, index.byteOffset, n);
    if (crc32(index.subarray(0, n - 4)) !== dv.getUint32(n - 4, true))
      throw new CorruptBlockError(`${dir}/index: CRC mismatch`);
    const r = new ByteReader(index);
    r.off = dv.getUint32(n - 16, true);
    const nsym = r.uvarint();
    for (let i = 0; i < nsym; i++) {
      const len = r.uvarint();
      this.symbols.push(textDecoder.decode(index.subarray(r.off, r.off + len)));
      r.off += len;
    }
    r.off = dv.getUint32(n - 12, true);
    const nseries = r.uvarint();
    const labelStart = new Uint32Array(nseries + 1);
    const chunkStart = new Uint32Array(nseries + 1);
    const syms: number[] = [];
    const minT: number[] = [];
    const maxT: number[] = [];
    const refs: number[] = [];
    const lens: number[] = [];
    for (let i = 0; i < nseries; i++) {
      labelStart[i] = syms.length;
      const nl = r.uvarint();
      for (let j = 0; j < nl * 2; j++) syms.push(r.uvarint());
      chunkStart[i] = refs.length;
      const nc = r.uvarint();
      let prevMax = 0;
      let prevEnd = 0;
      for (let c = 0; c < nc; c++) {
        const mint = c === 0 ? r.varint() : prevMax + r.varint();
        const maxt = mint + r.uvarint();
        const ref = prevEnd + r.uvarint();
        const len = r.uvarint();
        minT.push(mint);
        maxT.push(maxt);
        refs.push(ref);
        lens.push(len);
        prevMax = maxt;
        prevEnd = ref + len + 4;
      }
    }
    labelStart[nseries] = syms.length;
    chunkStart[nseries] = refs.length;
    this.labelStart = labelStart;
    this.chunkStart = chunkStart;
    this.labelSyms = Uint32Array.from(syms);
    this.chunkMinT = Float64Array.from(minT);
    this.chunkMaxT = Float64Array.from(maxT);
    this.chunkRef = Float64Array.from(refs);
    this.chunkLen = Uint32Array.from(lens);
    this.allSeries = new Uint32Array(nseries);
    for (let i = 0; i < nseries; i++) this.allSeries[i] = i;
    r.off = dv.getUint32(n - 8, true);
    const npairs = r.uvarint();
    for (let i = 0; i < npairs; i++) {
      const name = this.symbols[r.uvarint()]!;
      const value = this.symbols[r.uvarint()]!;
      const cnt = r.uvarint();
      const list = new Uint32Array(cnt);
      let prev = 0;
      for (let k = 0; k < cnt; k++) list[k] = prev += r.uvarint();
      let values = this.postings.get(name);
      if (!values) this.postings.set(name, (values = new Map()));
      values.set(value, list);
    }
    this.sizeBytes = n + chunkBytes;
  }

  static async open(dir: string): Promise<BlockReader> {
    const meta = JSON.parse(await readFile(join(dir, 'meta.json'), 'utf8')) as BlockMeta;
    const index = await readFile(join(dir, 'index'));
    let chunkBytes = 0;
    for (const f of await readdir(join(dir, 'chunks'))) chunkBytes += (await stat(join(dir, 'chunks', f))).size;
    return new BlockReader(dir, meta, index, chunkBytes);
  }

  get numSeries(): number {
    return this.allSeries.length;
  }

  overlaps(mint: number, maxt: number): boolean {
    return this.meta.minTime <= maxt && this.meta.maxTime > mint;
  }

  labels(series: number): Label[] {
    const out: Label[] = [];
    for (let i = this.labelStart[series]!; i < this.labelStart[series + 1]!; i += 2) {
      out.push({ name: this.symbols[this.labelSyms[i]!]!, value: this.symbols[this.labelSyms[i + 1]!]! });
    }
    return out;
  }

  // PostingsSource
  allPostings(): Postings {
    return this.allSeries;
  }
  labelValuesOf(name: string): Iterable<string> {
    return this.postings.get(name)?.keys() ?? [];
  }
  postingsFor(name: string, value: string): Postings {
    return this.postings.get(name)?.get(value) ?? EMPTY_POSTINGS;
  }
  labelNamesAll(): string[] {
    return [...this.postings.keys()];
  }

  /** Whether the series has a chunk overlapping [mint, maxt]. */
  hasDataIn(series: number, mint: number, maxt: number): boolean {
    for (let c = this.chunkStart[series]!; c < this.chunkStart[series + 1]!; c++) {
      if (this.chunkMaxT[c]! >= mint && this.chunkMinT[c]! <= maxt) return true;
    }
    return false;
  }

  matchingSeries(matchers: readonly CompiledMatcher[], mint: number, maxt: number): number[] {
    const out: number[] = [];
    for (const s of selectPostings(this, matchers)) if (this.hasDataIn(s, mint, maxt)) out.push(s);
    return out;
  }

  /** Keeps the block on disk while a reader uses it; pair with release(). */
  acquire(): void {
    this.refs++;
  }

  release(): void {
    if (--this.refs === 0 && this.deleted) {
      this.remove().catch(() => {}); // a leftover directory is removed by the next open (compaction) or retention
    }
  }

  /**
   * Deletes the block: at once, or when the last reader releases it (readers may still open chunk files). The
   * directory is renamed away first so that a crash midway never leaves a half-deleted block under a block name.
   */
  async delete(): Promise<void> {
    this.deleted = true;
    if (this.refs === 0) await this.remove();
  }

  private async remove(): Promise<void> {
    if (this.removed) return;
    this.removed = true;
    await this.closeFiles();
    const doomed = `${this.dir}.deleted.tmp`;
    await rename(this.dir, doomed);
    await rm(doomed, { recursive: true, force: true });
  }

  async close(): Promise<void> {
    await this.closeFiles();
  }

  private async closeFiles(): Promise<void> {
    const handles = [...this.files.values()];
    this.files.clear();
    for (const h of handles) await (await h).close().catch(() => {});
  }

  private file(no: number): Promise<FileHandle> {
    let fh = this.files.get(no);
    if (!fh) {
      fh = open(join(this.dir, 'chunks', String(no).padStart(6, '0')), 'r');
      this.files.set(no, fh);
    }
    return fh;
  }

  /**
   * Raw chunks (with their time ranges) of the given series (ascending) that overlap [mint, maxt]. Chunks that lie
   * close together in the file are fetched with one positional read.
   */
  async readChunks(
    series: readonly number[],
    mint = -Infinity,
    maxt = Infinity,
  ): Promise<{ chunks: Uint8Array[]; minT: number[]; maxT: number[] }[]> {
    const want: number[] = [];
    const owner: number[] = [];
    series.forEach((s, i) => {
      for (let c = this.chunkStart[s]!; c < this.chunkStart[s + 1]!; c++) {
        if (this.chunkMaxT[c]! >= mint && this.chunkMinT[c]! <= maxt) {
          want.push(c);
          owner.push(i);
        }
      }
    });
    const spans: ReadSpan[] = [];
    const spanOf: number[] = [];
    const GAP = 64 << 10;
    for (const c of want) {
      const ref = this.chunkRef[c]!;
      const file = Math.floor(ref / 2 ** 32);
      const start = ref % 2 ** 32;
      const end = start + this.chunkLen[c]! + 4;
      const last = spans[spans.length - 1];
      if (
        last &&
        last.file === file &&
        start >= last.start &&
        start - last.end <= GAP &&
        end - last.start <= 16 << 20
      ) {
        if (end > last.end) last.end = end;
      } else spans.push({ file, start, end });
      spanOf.push(spans.length - 1);
    }
    const data = await Promise.all(
      spans.map(async (sp) => {
        const fh = await this.file(sp.file);
        const buf = Buffer.allocUnsafe(sp.end - sp.start);
        let off = 0;
        while (off < buf.length) {
          const { bytesRead } = await fh.read(buf, off, buf.length - off, sp.start + off);
          if (bytesRead === 0) throw new CorruptBlockError(`${this.dir}: chunk file ${sp.file} is truncated`);
          off += bytesRead;
        }
        return buf;
      }),
    );
    const out = series.map(() => ({ chunks: [] as Uint8Array[], minT: [] as number[], maxT: [] as number[] }));
    want.forEach((c, k) => {
      const sp = spans[spanOf[k]!]!;
      const start = (this.chunkRef[c]! % 2 ** 32) - sp.start;
      const buf = data[spanOf[k]!]!;
      const bytes = buf.subarray(start, start + this.chunkLen[c]!);
      if (crc32(bytes) !== buf.readUInt32LE(start + bytes.length)) {
        throw new CorruptBlockError(`${this.dir}: chunk CRC mismatch at reference ${this.chunkRef[c]}`);
      }
      const o = out[owner[k]!]!;
      o.chunks.push(bytes);
      o.minT.push(this.chunkMinT[c]!);
      o.maxT.push(this.chunkMaxT[c]!);
    });
    return out;
  }

  /** Samples in [mint, maxt] of the given series. */
  async samples(series: readonly number[], mint: number, maxt: number): Promise<SeriesData[]> {
    const raw = await this.readChunks(series, mint, maxt);
    const out: SeriesData[] = [];
    raw.forEach((r, i) => {
      const d = decodeSeriesChunks(this.labels(series[i]!), r.chunks, mint, maxt);
      if (d) out.push(d);
    });
    return out;
  }
}

/** One series' samples in [mint, maxt] from its block chunks of both kinds; undefined when none. */
export function decodeSeriesChunks(
  labels: Label[],
  chunks: readonly Uint8Array[],
  mint: number,
  maxt: number,
): SeriesData | undefined {
  const floats = chunks.filter((c) => !isHistogramChunk(c));
  const d = decodeChunks(floats, mint, maxt);
  if (floats.length === chunks.length) return d && { labels, ...d };
  const timestamps: number[] = [];
  const values: FloatHistogram[] = [];
  decodeHistogramChunksIn(
    chunks.filter((c) => isHistogramChunk(c)),
    mint,
    maxt,
    timestamps,
    values,
  );
  if (timestamps.length === 0) return d && { labels, ...d };
  return {
    labels,
    timestamps: d?.timestamps ?? new Float64Array(0),
    values: d?.values ?? new Float64Array(0),
    histograms: { timestamps: Float64Array.from(timestamps), values },
  };
}
