import type { DDMetricType, DDResource, DDSeries } from '../../model/datadog.js';
import { ScannedSeriesBatch, type SeriesBatchTransfer, type TransferableSeriesBatch } from './batch-transfer.js';
import { IDENTITY_HASH_SEED, identityHashOf } from './identity-runs.js';
import { V3Column } from './metrics-v3-columns.js';
import { ProtoReader } from './protobuf.js';

// The series of an intake_v3 payload (metrics-v3.ts decodes and checks it) as an IdentitySeriesBatch: per series,
// references into the payload's dictionaries; the dictionaries as byte ranges of the body. A series' identity is
// the bytes of the strings it references, so it is the same in every payload whatever the dictionary indexes.

/**
 * Ints per series in `index`: its metric type; its name, source type name, unit, tag set and resource set as section
 * numbers (see sectionBases: one numbering across the five dictionaries, so an identity is five sections); where its
 * points start; its entry number.
 */
export const SERIES_STRIDE = 8;
const S_TYPE = 0;
/** The first of the five section slots, in identity order. */
const S_SECTIONS = 1;
const S_NAME = 1;
const S_SOURCE_TYPE = 2;
const S_UNIT = 3;
const S_TAGSET = 4;
const S_RESOURCES = 5;
const S_POINTS = 6;
/** Position among all entries of the payload, sketches included (the intervals column has one per entry). */
const S_ENTRY = 7;

// `extra` starts with a header of section offsets. A string dictionary is [start, end) pairs of body offsets, entry
// 0 the empty string; a set dictionary is its starts (set k is entries [starts[k], starts[k + 1])) then its entries:
// tag strings (indexes into TAGS) or resource (type, name) pairs (indexes into RESOURCES).
export const H_NAMES = 0;
export const H_TAGS = 1;
export const H_RESOURCES = 2;
export const H_SOURCE_TYPES = 3;
export const H_UNITS = 4;
export const H_TAGSET_STARTS = 5;
export const H_TAGSET_ENTRIES = 6;
export const H_RESOURCE_SET_STARTS = 7;
export const H_RESOURCE_SET_ENTRIES = 8;
/** Where the sections end. */
export const H_END = 9;
/** The intervals column's bytes, read only when a series is decoded (the mapping does not use intervals). */
export const H_INTERVALS_START = 10;
export const H_INTERVALS_END = 11;
/** Entries in the payload (series and sketches). */
export const H_ENTRIES = 12;
const HEADER_INTS = 13;

/** What metrics-v3.ts builds: the dictionaries, resolved (splices expanded, payload metadata applied). */
export interface V3Dictionaries {
  names: Int32Array;
  tags: Int32Array;
  resources: Int32Array;
  sourceTypes: Int32Array;
  units: Int32Array;
  tagsetStarts: Int32Array;
  tagsetEntries: Int32Array;
  resourceSetStarts: Int32Array;
  resourceSetEntries: Int32Array;
  intervals: { start: number; end: number; entries: number };
}

/** The v3 metric type nibble (1 count, 2 rate, 3 gauge, 4 sketch) as the model's type; others read as unspecified. */
const METRIC_TYPES: readonly DDMetricType[] = ['unspecified', 'count', 'rate', 'gauge'];

export function v3MetricType(nibble: number): DDMetricType {
  return METRIC_TYPES[nibble] ?? 'unspecified';
}

/** Bytes of the varint encoding of n (n < 2^31). */
function varintBytes(n: number): number {
  return n < 0x80 ? 1 : n < 0x4000 ? 2 : n < 0x200000 ? 3 : n < 0x10000000 ? 4 : 5;
}

/**
 * Where each dictionary's entries start in the section numbering: names from 0, then source type names, units, tag
 * sets and resource sets.
 */
function sectionBases(e: Int32Array): [number, number, number, number, number] {
  const names = (e[H_TAGS]! - e[H_NAMES]!) >>> 1;
  const sourceTypes = (e[H_UNITS]! - e[H_SOURCE_TYPES]!) >>> 1;
  const units = (e[H_TAGSET_STARTS]! - e[H_UNITS]!) >>> 1;
  const tagsets = e[H_TAGSET_ENTRIES]! - e[H_TAGSET_STARTS]! - 1;
  return [0, names, names + sourceTypes, names + sourceTypes + units, names + sourceTypes + units + tagsets];
}

/**
 * The identity sections of every name, source type name, unit, tag set and resource set of a batch (its `extra`),
 * numbered as sectionBases says: a section is its byte length, then those bytes packed into words (little-endian,
 * zero-padded). A string's bytes are the string; a set's are its strings (tags in order; each resource's type, then
 * name), each preceded by its length as a varint, as in a dictionary column. Sets serve many series, and comparing
 * words in one loop costs far less than comparing strings one by one. Section k is words [starts[k], starts[k + 1]).
 */
function buildSections(body: Uint8Array, e: Int32Array): { words: Int32Array; starts: Int32Array } {
  const bases = sectionBases(e);
  const tagsetBase = bases[3];
  const total = bases[4] + e[H_RESOURCE_SET_ENTRIES]! - e[H_RESOURCE_SET_STARTS]! - 1;
  // Each section's strings as [start, end) pairs of offsets into `extra`: pairs [pairStarts[k], pairStarts[k + 1]).
  const setPairs = e[H_RESOURCE_SET_STARTS]! - e[H_TAGSET_ENTRIES]! + e[H_END]! - e[H_RESOURCE_SET_ENTRIES]!;
  const pairs = new Int32Array(tagsetBase + setPairs);
  const pairStarts = new Int32Array(total + 1);
  let n = 0;
  let k = 0;
  for (const h of [H_NAMES, H_SOURCE_TYPES, H_UNITS])
    for (let p = e[h]!, stop = p + 2 * ((e[h + 1]! - e[h]!) >>> 1); p < stop; p += 2) {
      pairs[n++] = p;
      pairStarts[++k] = n;
    }
  for (const [startsAt, entriesAt, dictionary, count] of [
    [e[H_TAGSET_STARTS]!, e[H_TAGSET_ENTRIES]!, e[H_TAGS]!, bases[4] - tagsetBase],
    [e[H_RESOURCE_SET_STARTS]!, e[H_RESOURCE_SET_ENTRIES]!, e[H_RESOURCES]!, total - bases[4]],
  ] as const)
    for (let set = 0; set < count; set++) {
      for (let p = entriesAt + e[startsAt + set]!, stop = entriesAt + e[startsAt + set + 1]!; p < stop; p++)
        pairs[n++] = dictionary + 2 * e[p]!;
      pairStarts[++k] = n;
    }
  const starts = new Int32Array(total + 1);
  const sizes = new Int32Array(total);
  for (k = 0; k < total; k++) {
    const prefixed = k >= tagsetBase;
    let size = 0;
    for (let q = pairStarts[k]!; q < pairStarts[k + 1]!; q++) {
      const len = e[pairs[q]! + 1]! - e[pairs[q]!]!;
      size += prefixed ? varintBytes(len) + len : len;
    }
    sizes[k] = size;
    starts[k + 1] = starts[k]! + 1 + ((size + 3) >>> 2);
  }
  const words = new Int32Array(starts[total]!);
  const bytes = new Uint8Array(words.buffer);
  for (k = 0; k < total; k++) {
    words[starts[k]!] = sizes[k]!;
    let b = 4 * (starts[k]! + 1);
    const prefixed = k >= tagsetBase;
    for (let q = pairStarts[k]!; q < pairStarts[k + 1]!; q++) {
      const from = e[pairs[q]!]!;
      const to = e[pairs[q]! + 1]!;
      if (prefixed)
        for (let len = to - from; ; len >>>= 7) {
          bytes[b++] = len < 0x80 ? len : (len & 0x7f) | 0x80;
          if (len < 0x80) break;
        }
      for (let p = from; p < to; p++) bytes[b++] = body[p]!;
    }
  }
  return { words, starts };
}

/**
 * The series of one v3 body. Identity words: the metric type, then the series' five sections (buildSections): its
 * name, source type name, unit, tag set and resource set.
 */
export class V3SeriesBatch extends ScannedSeriesBatch implements TransferableSeriesBatch {
  readonly encoding = 'v3-columnar';
  /** Where each dictionary's entries start in the section numbering (sectionBases). */
  private bases: [number, number, number, number, number];
  private reader: ProtoReader | null = null;
  /** Strings already decoded, by their pair's offset in `extra` / 2 (sized on first use: a sparse array is slow). */
  private strings: (string | undefined)[] | null = null;
  private intervals: Float64Array | null = null;
  // Built by buildSections on first use.
  private sectionWords: Int32Array | null = null;
  private sectionStarts: Int32Array | null = null;

  constructor(body: Buffer, from: SeriesBatchTransfer | undefined, seriesCapacity = 0) {
    super(body, from, { index: SERIES_STRIDE * (seriesCapacity + 1), extra: 0 });
    this.bases = from ? sectionBases(from.extra) : [0, 0, 0, 0, 0];
  }

  protected used(): { index: number; extra: number } {
    return { index: SERIES_STRIDE * (this.count + 1), extra: this.extra.length };
  }

  /** Packs the dictionaries into `extra` (once, before the first series is added). */
  setDictionaries(d: V3Dictionaries): void {
    const sections = [
      d.names,
      d.tags,
      d.resources,
      d.sourceTypes,
      d.units,
      d.tagsetStarts,
      d.tagsetEntries,
      d.resourceSetStarts,
      d.resourceSetEntries,
    ];
    let size = HEADER_INTS;
    for (const s of sections) size += s.length;
    const extra = new Int32Array(size);
    let at = HEADER_INTS;
    for (const [h, s] of sections.entries()) {
      extra[h] = at;
      extra.set(s, at);
      at += s.length;
    }
    extra[H_END] = at;
    extra[H_INTERVALS_START] = d.intervals.start;
    extra[H_INTERVALS_END] = d.intervals.end;
    extra[H_ENTRIES] = d.intervals.entries;
    this.extra = extra;
    this.bases = sectionBases(extra);
  }

  /** Adds a series (dictionary indexes); its points were appended to timestamps/values. */
  addSeries(type: number, name: number, tagset: number, resources: number, sourceType: number, unit: number): void {
    const at = SERIES_STRIDE * this.count++;
    const x = this.index;
    const b = this.bases;
    x[at + S_TYPE] = type;
    x[at + S_NAME] = name;
    x[at + S_SOURCE_TYPE] = b[1] + sourceType;
    x[at + S_UNIT] = b[2] + unit;
    x[at + S_TAGSET] = b[3] + tagset;
    x[at + S_RESOURCES] = b[4] + resources;
  }

  /** Sets where series i's points start and its entry number; i = count closes the last series' points. */
  setPoints(i: number, pointsStart: number, entry: number): void {
    this.index[SERIES_STRIDE * i + S_POINTS] = pointsStart;
    this.index[SERIES_STRIDE * i + S_ENTRY] = entry;
  }

  /** Offset in `extra` of the first entry of tagset k; the set ends at tagsetStart(k + 1). */
  private tagsetStart(k: number): number {
    const e = this.extra;
    return e[H_TAGSET_ENTRIES]! + e[e[H_TAGSET_STARTS]! + k]!;
  }

  /** Offset in `extra` of the first (type, name) pair of resource set k; the set ends at resourceSetStart(k + 1). */
  private resourceSetStart(k: number): number {
    const e = this.extra;
    return e[H_RESOURCE_SET_ENTRIES]! + e[e[H_RESOURCE_SET_STARTS]! + k]!;
  }

  /** String k of the string dictionary of header `h`, decoded once per batch. */
  stringOf(h: number, k: number): string {
    const pair = this.extra[h]! + 2 * k;
    const slot = pair >>> 1;
    const strings = (this.strings ??= new Array<string | undefined>(this.extra.length >>> 1).fill(undefined));
    const have = strings[slot];
    if (have !== undefined) return have;
    const r = (this.reader ??= new ProtoReader(this.body));
    const s = r.decodeString(this.extra[pair]!, this.extra[pair + 1]!);
    strings[slot] = s;
    return s;
  }

  /** Host (last `host` resource), device (last `device`) and the other resources of resource set k, as v2 reads them. */
  resourcesOf(k: number): { host: string; device: string; resources: DDResource[] } {
    const e = this.extra;
    let host = '';
    let device = '';
    const resources: DDResource[] = [];
    for (let p = this.resourceSetStart(k), stop = this.resourceSetStart(k + 1); p < stop; p += 2) {
      const type = this.stringOf(H_RESOURCES, e[p]!);
      const name = this.stringOf(H_RESOURCES, e[p + 1]!);
      if (type === 'host') host = name;
      else if (type === 'device') device = name;
      else resources.push({ type, name });
    }
    return { host, device, resources };
  }

  /** The tags of tag set k. */
  tagsOf(k: number): string[] {
    const e = this.extra;
    const from = this.tagsetStart(k);
    // Exact size: arrays grown by push keep spare room, and a first flush decodes every series' tags.
    const out = new Array<string>(this.tagsetStart(k + 1) - from);
    for (let j = 0; j < out.length; j++) out[j] = this.stringOf(H_TAGS, e[from + j]!);
    return out;
  }

  private sections(): Int32Array {
    if (this.sectionWords === null) {
      const built = buildSections(this.body, this.extra);
      this.sectionStarts = built.starts;
      this.sectionWords = built.words;
    }
    return this.sectionWords;
  }

  identityHash(i: number): number {
    const words = this.sections();
    const starts = this.sectionStarts!;
    const x = this.index;
    const s = SERIES_STRIDE * i;
    let h = Math.imul(IDENTITY_HASH_SEED ^ x[s + S_TYPE]!, 0x9e3779b1);
    for (let j = s + S_SECTIONS; j < s + S_SECTIONS + 5; j++)
      for (let w = starts[x[j]!]!, stop = starts[x[j]! + 1]!; w < stop; w++)
        h = Math.imul(((h << 13) | (h >>> 19)) ^ words[w]!, 0x85ebca6b);
    return identityHashOf(h);
  }

  identityWords(i: number): number {
    this.sections();
    const starts = this.sectionStarts!;
    const x = this.index;
    const s = SERIES_STRIDE * i;
    let n = 1;
    for (let j = s + S_SECTIONS; j < s + S_SECTIONS + 5; j++) n += starts[x[j]! + 1]! - starts[x[j]!]!;
    return n;
  }

  writeIdentity(i: number, words: Int32Array, at: number): void {
    const sections = this.sections();
    const starts = this.sectionStarts!;
    const x = this.index;
    const s = SERIES_STRIDE * i;
    words[at] = x[s + S_TYPE]!;
    let w = at + 1;
    for (let j = s + S_SECTIONS; j < s + S_SECTIONS + 5; j++) {
      const from = starts[x[j]!]!;
      const to = starts[x[j]! + 1]!;
      words.set(sections.subarray(from, to), w);
      w += to - from;
    }
  }

  identityEquals(i: number, words: Int32Array, at: number): boolean {
    const x = this.index;
    const s = SERIES_STRIDE * i;
    if (words[at] !== x[s + S_TYPE]) return false;
    const sections = this.sectionWords ?? this.sections();
    const starts = this.sectionStarts!;
    let w = at + 1;
    // Each section starts with its byte length: equal lengths, equal word counts.
    for (let j = s + S_SECTIONS; j < s + S_SECTIONS + 5; j++)
      for (let p = starts[x[j]!]!, to = starts[x[j]! + 1]!; p < to; p++, w++)
        if (words[w] !== sections[p]) return false;
    return true;
  }

  decode(i: number): DDSeries {
    const x = this.index;
    const b = this.bases;
    const s = SERIES_STRIDE * i;
    const { host, device, resources } = this.resourcesOf(x[s + S_RESOURCES]! - b[4]);
    const from = x[s + S_POINTS]!;
    const to = x[s + SERIES_STRIDE + S_POINTS]!;
    return {
      metric: this.stringOf(H_NAMES, x[s + S_NAME]!),
      type: v3MetricType(x[s + S_TYPE]!),
      host,
      device,
      resources,
      tags: this.tagsOf(x[s + S_TAGSET]! - b[3]),
      sourceTypeName: this.stringOf(H_SOURCE_TYPES, x[s + S_SOURCE_TYPE]! - b[1]),
      interval: this.intervalOf(x[s + S_ENTRY]!),
      unit: this.stringOf(H_UNITS, x[s + S_UNIT]! - b[2]),
      timestamps: to - from === 1 ? [this.timestamps[from]!] : this.timestamps.slice(from, to),
      values: to - from === 1 ? [this.values[from]!] : this.values.slice(from, to),
    };
  }

  tagCount(i: number): number {
    const k = this.index[SERIES_STRIDE * i + S_TAGSET]! - this.bases[3];
    return this.tagsetStart(k + 1) - this.tagsetStart(k);
  }

  decodeAll(): DDSeries[] {
    const series: DDSeries[] = [];
    for (let i = 0; i < this.count; i++) series.push(this.decode(i));
    return series;
  }

  pointsStart(i: number): number {
    return this.index[SERIES_STRIDE * i + S_POINTS]!;
  }

  /**
   * The interval of entry `entry`. The column (checked by the decoder) is decoded on first use: zigzag varints, each
   * the difference from the entry before, as the Agent writes it.
   */
  private intervalOf(entry: number): number {
    if (this.intervals === null) {
      const e = this.extra;
      const col = new V3Column(this.body, this.view, 'intervals', e[H_INTERVALS_START]!, e[H_INTERVALS_END]!);
      const out = new Float64Array(e[H_ENTRIES]!);
      let v = 0;
      for (let k = 0; k < out.length; k++) out[k] = v += col.sint64();
      this.intervals = out;
    }
    return this.intervals[entry]!;
  }
}
