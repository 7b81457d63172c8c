import { DecodeError, type DDSketch, type DDSketchPoint, type DecodedPayload } from '../../model/datadog.js';
import { PayloadTooLargeError, type BodyLimits } from '../body.js';
import { batchPayload } from './batch-transfer.js';
import { doubled } from './identity-runs.js';
import { COLUMN_NAMES, LAST_COLUMN, V3Column, V3_COLUMNS, readStringDictionary } from './metrics-v3-columns.js';
import { H_NAMES, V3SeriesBatch } from './metrics-v3-batch.js';
import { ProtoReader, WIRE_LEN, rethrowInMessage, rethrowInPath } from './protobuf.js';

// Decoder for the Agent's columnar `intake_v3.Payload` (`/api/intake/metrics/v3/series` and `/v3/sketches`; the
// wire format is in docs/datadog-protocol.md). Series become a V3SeriesBatch (the mapper's identity fast path, as for
// v2 protobuf), sketches DDSketch values like `/api/beta/sketches`, so v3 maps exactly as v2 does. The whole body is
// checked here: every reference within its dictionary, every column holding exactly the entries the others call
// for; a malformed body throws a DecodeError naming the column, the entry and the byte.

const PAYLOAD_METADATA = (2 << 3) | WIRE_LEN;
const PAYLOAD_METRIC_DATA = (3 << 3) | WIRE_LEN;
/** Reserved in intake_v3 "for compatibility with agentpayload.MetricPayload.series". */
const V2_SERIES_FIELD = 1;
const METADATA_TAGS = (1 << 3) | WIRE_LEN;
const METADATA_RESOURCES = (2 << 3) | WIRE_LEN;

const TYPE_SKETCH = 4;
const VALUE_SINT64 = 0x10;
const VALUE_FLOAT32 = 0x20;
const VALUE_FLOAT64 = 0x30;
const FLAG_HAS_UNIT = 0x200;
const UINT32_MAX = 0xffffffff;

/**
 * A v3 body is small for what it carries: one tag set serves any number of series, and sets splice earlier sets.
 * What it expands to is counted in the bytes /api/v2/series would carry it in (each string and FRAMING, each resource
 * RESOURCE_FRAMING more) and held to the decompressed-size limit a v2 body has, so a crafted body cannot make the
 * work or the memory (the mapper keeps each new series' identity) grow past what an allowed v2 body could.
 */
const FRAMING = 2;
const RESOURCE_FRAMING = 2;

const C = V3_COLUMNS;

/** Columns with one entry per metric (series or sketch), like `types`. */
const PER_METRIC = [
  C.nameRefs,
  C.tagsetRefs,
  C.resourcesRefs,
  C.intervals,
  C.numPoints,
  C.sourceTypeNameRefs,
  C.originInfoRefs,
];

/**
 * Decodes a decompressed intake_v3.Payload. What it expands to is held to `limits.maxDecompressedBytes` (see
 * FRAMING): over it, PayloadTooLargeError.
 */
export function decodeMetricsV3(body: Buffer, limits: Pick<BodyLimits, 'maxDecompressedBytes'>): DecodedPayload {
  try {
    return decodePayload(body, new ExpansionBudget(limits.maxDecompressedBytes));
  } catch (err) {
    rethrowInMessage(err, 'intake_v3.Payload');
  }
}

/** Payload-level strings that apply to every metric: [start, end) pairs in the body. */
interface Metadata {
  tags: number[];
  resources: number[];
}

/** How many more bytes the payload may expand to (see FRAMING). */
class ExpansionBudget {
  private left: number;

  constructor(private readonly limit: number) {
    this.left = limit;
  }

  /** Takes n bytes; false when that goes over the budget. */
  take(n: number): boolean {
    this.left -= n;
    return this.left >= 0;
  }

  /** The error for going over at `place` (a column entry and its byte). */
  error(place: string): PayloadTooLargeError {
    return new PayloadTooLargeError(
      `intake_v3.Payload: ${place}: the payload expands to more than the decompressed size limit of ${this.limit} ` +
        'bytes (counted as /api/v2/series would carry it)',
    );
  }
}

function decodePayload(body: Buffer, budget: ExpansionBudget): DecodedPayload {
  const r = new ProtoReader(body);
  const end = r.length;
  const metadata: Metadata = { tags: [], resources: [] };
  let dataStart = -1;
  let dataEnd = -1;
  while (r.pos < end) {
    const at = r.pos;
    const tag = r.tag(end);
    if (tag === PAYLOAD_METRIC_DATA) {
      if (dataStart >= 0) r.fail('metricData appears twice (a payload has one)', at);
      dataEnd = r.lengthEnd(end);
      dataStart = r.pos;
      r.pos = dataEnd;
    } else if (tag === PAYLOAD_METADATA) {
      const stop = r.lengthEnd(end);
      try {
        readMetadata(r, stop, metadata);
      } catch (err) {
        rethrowInPath(err, 'metadata');
      }
    } else if (tag >>> 3 === V2_SERIES_FIELD) {
      r.fail('field 1 is MetricPayload.series: a /api/v2/series body, not intake_v3', at);
    } else r.skip(tag, end);
  }
  if (metadata.resources.length % 4 !== 0)
    throw new DecodeError(`metadata.resources: ${metadata.resources.length / 2} strings, not [type, name] pairs`);
  return decodeMetricData(body, columnsOf(r, dataStart, dataEnd), metadata, budget);
}

function readMetadata(r: ProtoReader, end: number, into: Metadata): void {
  while (r.pos < end) {
    const tag = r.tag(end);
    const list = tag === METADATA_TAGS ? into.tags : tag === METADATA_RESOURCES ? into.resources : null;
    if (list === null) r.skip(tag, end);
    else {
      const stop = r.lengthEnd(end);
      list.push(r.pos, stop);
      r.pos = stop;
    }
  }
}

/** Where each column of MetricData [start, end) is: column f at [bounds[2f], bounds[2f + 1]); absent ones empty. */
function columnsOf(r: ProtoReader, start: number, end: number): Int32Array {
  const bounds = new Int32Array(2 * (LAST_COLUMN + 1));
  const seen = new Uint8Array(LAST_COLUMN + 1);
  if (start < 0) return bounds;
  r.pos = start;
  while (r.pos < end) {
    const at = r.pos;
    const tag = r.tag(end);
    const field = tag >>> 3;
    if (field < 1 || field > LAST_COLUMN) {
      r.skip(tag, end);
      continue;
    }
    const name = COLUMN_NAMES[field];
    if ((tag & 7) !== WIRE_LEN)
      r.fail(`metricData.${name}: wire type ${tag & 7}, but a column is one length-delimited (packed) field`, at);
    if (seen[field]) r.fail(`metricData.${name} appears twice (a payload has each column once)`, at);
    seen[field] = 1;
    bounds[2 * field + 1] = r.lengthEnd(end);
    bounds[2 * field] = r.pos;
    r.pos = bounds[2 * field + 1]!;
  }
  return bounds;
}

/** The tag strings of the body, then the metadata tags: their indexes follow the dictionary's. */
function withMetadata(dictionary: Int32Array, extra: readonly number[]): Int32Array {
  if (extra.length === 0) return dictionary;
  const out = new Int32Array(dictionary.length + extra.length);
  out.set(dictionary);
  out.set(extra, dictionary.length);
  return out;
}

function decodeMetricData(
  body: Buffer,
  bounds: Int32Array,
  metadata: Metadata,
  budget: ExpansionBudget,
): DecodedPayload {
  const view = new DataView(body.buffer, body.byteOffset, body.byteLength);
  const column = (f: number) => new V3Column(body, view, COLUMN_NAMES[f]!, bounds[2 * f]!, bounds[2 * f + 1]!);

  const names = readStringDictionary(column(C.dictNameStr));
  const wireTags = readStringDictionary(column(C.dictTagStr));
  const wireResources = readStringDictionary(column(C.dictResourceStr));
  const sourceTypes = readStringDictionary(column(C.dictSourceTypeName));
  const units = readStringDictionary(column(C.dictUnitStr));
  const tags = withMetadata(wireTags, metadata.tags);
  const resources = withMetadata(wireResources, metadata.resources);
  const tagsets = readTagsets(column(C.dictTagsets), wireTags, budget);
  const withMetaTags = addMetadataTags(body, tagsets, tags, wireTags.length >>> 1, budget);
  const resourceSets = readResourceSets(
    column(C.dictResourceLen),
    column(C.dictResourceType),
    column(C.dictResourceName),
    resources,
    wireResources.length >>> 1,
    budget,
  );
  const origins = countOrigins(column(C.dictOriginInfo));

  const types = column(C.types);
  const count = types.countVarints();
  const perMetric = PER_METRIC.map(column);
  for (const col of perMetric) {
    const n = col.countVarints();
    if (n !== count)
      throw new DecodeError(`metricData.${col.name}: ${n} entries, but types has ${count} (one per metric)`);
  }
  const [nameRefs, tagsetRefs, resourcesRefs, intervals, numPoints, sourceTypeRefs, originRefs] = perMetric as [
    V3Column,
    V3Column,
    V3Column,
    V3Column,
    V3Column,
    V3Column,
    V3Column,
  ];

  const batch = new V3SeriesBatch(body, undefined, count);
  batch.setDictionaries({
    names,
    tags,
    resources,
    sourceTypes,
    units,
    tagsetStarts: withMetaTags.starts,
    tagsetEntries: withMetaTags.entries,
    resourceSetStarts: resourceSets.starts,
    resourceSetEntries: resourceSets.entries,
    intervals: { start: intervals.start, end: intervals.end, entries: count },
  });
  const points = new PointColumns(column);
  const unitRefs = column(C.unitRefs);
  const sketches: DDSketch[] = [];
  const nameCount = names.length >>> 1;
  const tagsetCount = withMetaTags.starts.length - 1;
  const resourceSetCount = resourceSets.starts.length - 1;
  const sourceTypeCount = sourceTypes.length >>> 1;
  const unitCount = units.length >>> 1;
  let nameRef = 0;
  let tagsetRef = 0;
  let resourcesRef = 0;
  let sourceTypeRef = 0;
  let originRef = 0;
  let unitRef = 0;
  for (let i = 0; i < count; i++) {
    const type = types.uvarint();
    const valueType = type & 0xf0;
    if (valueType > VALUE_FLOAT64)
      types.failLast(`value type 0x${valueType.toString(16)} is not 0x00, 0x10, 0x20 or 0x30`);
    nameRef = reference(nameRefs, nameRef, nameCount, 'dictNameStr');
    tagsetRef = reference(tagsetRefs, tagsetRef, tagsetCount, 'dictTagsets');
    resourcesRef = reference(resourcesRefs, resourcesRef, resourceSetCount, 'dictResourceLen');
    sourceTypeRef = reference(sourceTypeRefs, sourceTypeRef, sourceTypeCount, 'dictSourceTypeName');
    originRef = reference(originRefs, originRef, origins, 'dictOriginInfo');
    const hasUnit = (type & FLAG_HAS_UNIT) !== 0;
    if (hasUnit) {
      if (unitRefs.done) unitRefs.fail(`types[${i}] has the unit flag, but the column has no entry left`);
      unitRef = reference(unitRefs, unitRef, unitCount, 'dictUnitStr');
    }
    // Checked here (a varint of at most 10 bytes); the value is read when a series is decoded.
    intervals.sint64();
    const n = numPoints.uvarint();
    if (n > points.timestampsLeft) numPoints.failLast(`${n} points, but timestamps has ${points.timestampsLeft} left`);
    const expanded =
      names[2 * nameRef + 1]! -
      names[2 * nameRef]! +
      sourceTypes[2 * sourceTypeRef + 1]! -
      sourceTypes[2 * sourceTypeRef]! +
      (hasUnit ? units[2 * unitRef + 1]! - units[2 * unitRef]! : 0) +
      3 * FRAMING +
      withMetaTags.bytes[tagsetRef]! +
      resourceSets.bytes[resourcesRef]!;
    if (!budget.take(expanded)) throw budget.error(types.lastPlace());
    if ((type & 0xf) === TYPE_SKETCH) {
      sketches.push({
        metric: batch.stringOf(H_NAMES, nameRef),
        host: batch.resourcesOf(resourcesRef).host,
        tags: batch.tagsOf(tagsetRef),
        points: points.sketch(n, valueType, i),
      });
    } else {
      batch.setPoints(batch.count, batch.timestamps.length, i);
      batch.addSeries(type & 0xf, nameRef, tagsetRef, resourcesRef, sourceTypeRef, hasUnit ? unitRef : 0);
      points.series(n, valueType, i, batch.timestamps, batch.values);
    }
  }
  batch.setPoints(batch.count, batch.timestamps.length, count);
  if (!unitRefs.done)
    unitRefs.fail(`${unitRefs.countVarints(unitRefs.pos)} entries left over after the last series with the unit flag`);
  points.checkAllRead();
  const out = batchPayload(batch);
  out.sketches = sketches;
  return out;
}

/** Reads the next delta of a reference column; the reference it makes must be within its dictionary of `size`. */
function reference(col: V3Column, previous: number, size: number, dictionary: string): number {
  const ref = previous + col.sint64();
  if (!(ref >= 0 && ref < size))
    col.failLast(`reference ${ref} outside ${dictionary} (${size} entries, entry 0 the empty one)`);
  return ref;
}

/** Sets of a set dictionary: set k is entries [starts[k], starts[k + 1]); `bytes[k]` what it expands to. */
interface SetDictionary {
  starts: Int32Array;
  entries: Int32Array;
  bytes: number[];
}

/**
 * `dictTagsets`: per set its size, then that many deltas whose running sum is an index into dictTagStr (`tagStrings`,
 * its [start, end) pairs) or, when negative, splices in the earlier set of that (negated) number. Expanded here: each
 * entry a tag string index; set 0 is empty.
 */
function readTagsets(col: V3Column, tagStrings: Int32Array, budget: ExpansionBudget): SetDictionary {
  const strings = tagStrings.length >>> 1;
  let starts: Int32Array = new Int32Array(16);
  let entries: Int32Array = new Int32Array(64);
  const bytes = [0];
  let n = 0;
  let set = 1;
  while (!col.done) {
    const size = col.sint64();
    if (size < 0) col.failLast(`tag set ${set} has a negative size ${size}`);
    let idx = 0;
    let setBytes = 0;
    for (let i = 0; i < size; i++) {
      if (col.done) col.fail(`tag set ${set} of ${size} entries ends after ${i}`);
      idx += col.sint64();
      if (idx < 0) {
        const from = -idx;
        if (from >= set) col.failLast(`tag set ${set} splices set ${from}, which is not an earlier set`);
        if (!budget.take(bytes[from]!)) throw budget.error(col.lastPlace());
        setBytes += bytes[from]!;
        const s0 = starts[from]!;
        const len = starts[from + 1]! - s0;
        while (n + len > entries.length) entries = doubled(entries);
        entries.copyWithin(n, s0, s0 + len);
        n += len;
      } else {
        if (idx >= strings) col.failLast(`tag ${idx} outside dictTagStr (${strings} entries, entry 0 the empty one)`);
        const cost = tagStrings[2 * idx + 1]! - tagStrings[2 * idx]! + FRAMING;
        if (!budget.take(cost)) throw budget.error(col.lastPlace());
        setBytes += cost;
        if (n + 1 > entries.length) entries = doubled(entries);
        entries[n++] = idx;
      }
    }
    if (set + 2 > starts.length) starts = doubled(starts);
    starts[++set] = n;
    bytes.push(setBytes);
  }
  return { starts: starts.slice(0, set + 1), entries: entries.subarray(0, n), bytes };
}

/**
 * Payload metadata tags apply to every set (set 0 too): each one the set does not have is appended, after splices
 * were expanded. `tags` holds them after the body's tag strings, from index `firstMetadata`.
 */
function addMetadataTags(
  body: Buffer,
  sets: SetDictionary,
  tags: Int32Array,
  firstMetadata: number,
  budget: ExpansionBudget,
): SetDictionary {
  const metaCount = (tags.length >>> 1) - firstMetadata;
  if (metaCount === 0) return sets;
  const bytesOf = (k: number) => body.toString('latin1', tags[2 * k]!, tags[2 * k + 1]!);
  const setCount = sets.starts.length - 1;
  let metaBytes = 0;
  for (let m = firstMetadata; m < firstMetadata + metaCount; m++)
    metaBytes += tags[2 * m + 1]! - tags[2 * m]! + FRAMING;
  if (!budget.take(setCount * metaBytes)) throw budget.error('metadata.tags');
  const starts = new Int32Array(setCount + 1);
  const entries = new Int32Array(sets.entries.length + setCount * metaCount);
  const bytes = [...sets.bytes];
  let n = 0;
  for (let k = 0; k < setCount; k++) {
    starts[k] = n;
    const own = new Set<string>();
    for (let p = sets.starts[k]!; p < sets.starts[k + 1]!; p++) {
      own.add(bytesOf(sets.entries[p]!));
      entries[n++] = sets.entries[p]!;
    }
    for (let m = firstMetadata; m < firstMetadata + metaCount; m++)
      if (!own.has(bytesOf(m))) {
        entries[n++] = m;
        bytes[k]! += tags[2 * m + 1]! - tags[2 * m]! + FRAMING;
      }
  }
  starts[setCount] = n;
  return { starts, entries: entries.subarray(0, n), bytes };
}

/**
 * `dictResourceLen` sizes, with `dictResourceType` and `dictResourceName` holding that many indexes into
 * dictResourceStr per set (deltas, restarting per set). Each entry of a set is a (type, name) pair; set 0 is empty.
 * Payload metadata resources, in `strings` from index `wireStrings` on, are appended to every set.
 */
function readResourceSets(
  sizes: V3Column,
  types: V3Column,
  names: V3Column,
  strings: Int32Array,
  wireStrings: number,
  budget: ExpansionBudget,
): SetDictionary {
  const setCount = sizes.countVarints() + 1;
  const pairs = types.countVarints();
  const nameCount = names.countVarints();
  if (nameCount !== pairs)
    throw new DecodeError(`metricData.dictResourceType has ${pairs} entries, but dictResourceName ${nameCount}`);
  const length = (k: number) => strings[2 * k + 1]! - strings[2 * k]!;
  const metaPairs = ((strings.length >>> 1) - wireStrings) >>> 1;
  let metaBytes = 0;
  for (let m = wireStrings; m < wireStrings + 2 * metaPairs; m++) metaBytes += length(m) + FRAMING;
  metaBytes += metaPairs * RESOURCE_FRAMING;
  if (!budget.take(setCount * metaBytes)) throw budget.error('metadata.resources');
  const starts = new Int32Array(setCount + 1);
  const entries = new Int32Array(2 * (pairs + setCount * metaPairs));
  const bytes: number[] = [];
  let n = 0;
  let left = pairs;
  for (let k = 0; k < setCount; k++) {
    starts[k] = n;
    let setBytes = metaBytes;
    if (k > 0) {
      const size = sizes.uvarint();
      if (size > left) sizes.failLast(`resource set ${k} of ${size} resources, but dictResourceType has ${left} left`);
      left -= size;
      let type = 0;
      let name = 0;
      for (let i = 0; i < size; i++) {
        type += types.sint64();
        name += names.sint64();
        if (!(type >= 0 && type < wireStrings))
          types.failLast(`resource type ${type} outside dictResourceStr (${wireStrings} entries)`);
        if (!(name >= 0 && name < wireStrings))
          names.failLast(`resource name ${name} outside dictResourceStr (${wireStrings} entries)`);
        const cost = length(type) + length(name) + 2 * FRAMING + RESOURCE_FRAMING;
        if (!budget.take(cost)) throw budget.error(types.lastPlace());
        setBytes += cost;
        entries[n++] = type;
        entries[n++] = name;
      }
    }
    for (let m = 0; m < metaPairs; m++) {
      entries[n++] = wireStrings + 2 * m;
      entries[n++] = wireStrings + 2 * m + 1;
    }
    bytes.push(setBytes);
  }
  starts[setCount] = n;
  if (left > 0) throw new DecodeError(`metricData.dictResourceType: ${left} entries left over after the last set`);
  return { starts, entries: entries.subarray(0, n), bytes };
}

/** Entries of `dictOriginInfo`: (product, category, service) triples, plus entry 0. Not mapped, only checked. */
function countOrigins(col: V3Column): number {
  const n = col.countVarints();
  if (n % 3 !== 0)
    throw new DecodeError(`metricData.dictOriginInfo: ${n} values, not (product, category, service) triples`);
  while (!col.done) col.uvarint();
  return n / 3 + 1;
}

/**
 * The point columns, read in step: timestamps (deltas over the whole payload), values in the column of each
 * metric's value type (none for zero), and for sketches the bins. Every column must be read to its end.
 */
class PointColumns {
  private readonly timestamps: V3Column;
  private readonly sint64: V3Column;
  private readonly float32: V3Column;
  private readonly float64: V3Column;
  private readonly numBins: V3Column;
  private readonly binKeys: V3Column;
  private readonly binCounts: V3Column;
  timestampsLeft: number;
  private sint64Left: number;
  private float32Left: number;
  private float64Left: number;
  private binsLeft: number;
  private ts = 0;

  constructor(column: (f: number) => V3Column) {
    this.timestamps = column(C.timestamps);
    this.sint64 = column(C.valsSint64);
    this.float32 = column(C.valsFloat32);
    this.float64 = column(C.valsFloat64);
    this.numBins = column(C.sketchNumBins);
    this.binKeys = column(C.sketchBinKeys);
    this.binCounts = column(C.sketchBinCnts);
    this.timestampsLeft = this.timestamps.countVarints();
    this.sint64Left = this.sint64.countVarints();
    this.float32Left = this.float32.countFixed(4);
    this.float64Left = this.float64.countFixed(8);
    this.numBins.countVarints();
    this.binsLeft = this.binKeys.countVarints();
    const counts = this.binCounts.countVarints();
    if (counts !== this.binsLeft)
      throw new DecodeError(`metricData.sketchBinKeys has ${this.binsLeft} entries, but sketchBinCnts ${counts}`);
  }

  /** `n` points of metric i (not a sketch) into timestamps/values from `timestamps.length` on. */
  series(n: number, valueType: number, i: number, timestamps: number[], values: number[]): void {
    this.timestampsLeft -= n;
    this.take(valueType, n, i);
    const tsCol = this.timestamps;
    let ts = this.ts;
    for (let at = timestamps.length, stop = at + n; at < stop; at++) {
      timestamps[at] = ts += tsCol.sint64();
      values[at] = this.next(valueType);
    }
    this.ts = ts;
  }

  /** `n` sketch points of metric i: sum, min and max in the value type's column, the count in valsSint64. */
  sketch(n: number, valueType: number, i: number): DDSketchPoint[] {
    this.timestampsLeft -= n;
    const points: DDSketchPoint[] = [];
    for (let k = 0; k < n; k++) {
      this.ts += this.timestamps.sint64();
      this.take(valueType, 3, i);
      const sum = this.next(valueType);
      const min = this.next(valueType);
      const max = this.next(valueType);
      // The count comes last in valsSint64 (after sum, min and max when they are there too).
      this.take(VALUE_SINT64, 1, i);
      const cnt = this.sint64.sint64();
      if (this.numBins.done)
        this.numBins.fail(`metric ${i} needs bins for its sketch point ${k}, but the column has none left`);
      const bins = this.numBins.uvarint();
      if (bins > this.binsLeft) this.numBins.failLast(`${bins} bins, but sketchBinKeys has ${this.binsLeft} left`);
      this.binsLeft -= bins;
      const keys: number[] = [];
      const counts: number[] = [];
      let key = 0;
      for (let b = 0; b < bins; b++) {
        keys.push((key += this.binKeys.sint64()));
        const c = this.binCounts.uvarint();
        if (c > UINT32_MAX) this.binCounts.failLast(`bin count ${c} is not a uint32`);
        counts.push(c);
      }
      points.push({ ts: this.ts, cnt, min, max, avg: cnt > 0 ? sum / cnt : 0, sum, keys, counts });
    }
    return points;
  }

  /** Takes `n` values of the value type's column (none for zero) for metric i, failing when fewer are left. */
  private take(valueType: number, n: number, i: number): void {
    if (valueType === VALUE_SINT64) this.sint64Left = this.need(this.sint64, this.sint64Left, n, i);
    else if (valueType === VALUE_FLOAT32) this.float32Left = this.need(this.float32, this.float32Left, n, i);
    else if (valueType === VALUE_FLOAT64) this.float64Left = this.need(this.float64, this.float64Left, n, i);
  }

  /** The next value of the value type's column; zero for the zero type, which has none. */
  private next(valueType: number): number {
    if (valueType === VALUE_SINT64) return this.sint64.sint64();
    if (valueType === VALUE_FLOAT32) return this.float32.float32();
    if (valueType === VALUE_FLOAT64) return this.float64.float64();
    return 0;
  }

  private need(col: V3Column, left: number, n: number, i: number): number {
    if (n > left) col.fail(`metric ${i} needs ${n} values, ${left} left`);
    return left - n;
  }

  /** Every value read: a column with entries left over disagrees with the counts that call for them. */
  checkAllRead(): void {
    for (const [col, left] of [
      [this.timestamps, this.timestampsLeft],
      [this.sint64, this.sint64Left],
      [this.float32, this.float32Left],
      [this.float64, this.float64Left],
      [this.binKeys, this.binsLeft],
    ] as const)
      if (left > 0) col.fail(`${left} left over after the last metric`);
    if (!this.numBins.done) this.numBins.fail('entries left over after the last sketch point');
  }
}
