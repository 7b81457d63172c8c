import type { DDMetricType, DDResource, DDSeries, DecodedPayload, IdentitySeriesBatch } from '../../model/datadog.js';
import {
  ScannedSeriesBatch,
  batchPayload,
  type SeriesBatchTransfer,
  type TransferableSeriesBatch,
} from './batch-transfer.js';
import {
  IDENTITY_HASH_SEED,
  doubled,
  hashRun,
  identityHashOf,
  runEquals,
  runWords,
  writeRun,
} from './identity-runs.js';
import { ProtoReader, rethrowInMessage, rethrowInPath } from './protobuf.js';

// Decoder for the Agent's `/api/v2/series` protobuf body (agent-payload `MetricPayload`, field numbers in
// docs/datadog-protocol.md). Zero-valued fields are absent on the wire, so every field starts at its default ('' / 0).
// Metadata (field 9) and fields this version does not know are skipped; a known field arriving with an unexpected
// wire type is skipped too, as protobuf's own parsers treat it as an unknown field.

// Tags (field number << 3 | wire type) of the fields read.
const PAYLOAD_SERIES = (1 << 3) | 2;
const SERIES_RESOURCES = (1 << 3) | 2;
const SERIES_METRIC = (2 << 3) | 2;
const SERIES_TAGS = (3 << 3) | 2;
const SERIES_POINTS = (4 << 3) | 2;
const SERIES_TYPE = (5 << 3) | 0;
const SERIES_UNIT = (6 << 3) | 2;
const SERIES_SOURCE_TYPE_NAME = (7 << 3) | 2;
const SERIES_INTERVAL = (8 << 3) | 0;
const RESOURCE_TYPE = (1 << 3) | 2;
const RESOURCE_NAME = (2 << 3) | 2;
const POINT_VALUE = (1 << 3) | 1;
const POINT_TIMESTAMP = (2 << 3) | 0;
const HOST_BYTES = Buffer.from('host');

/**
 * `MetricType` enum → model type. An enum value this version does not know (the enum may grow) is read as
 * 'unspecified', which Datadog itself treats as a gauge, rather than refusing the whole payload: proto3 keeps
 * unknown enum values, and dropping an agent's payload over one new type would lose all its other series.
 */
const METRIC_TYPES: readonly DDMetricType[] = ['unspecified', 'count', 'rate', 'gauge'];

export function metricTypeFromEnum(n: number): DDMetricType {
  return METRIC_TYPES[n] ?? 'unspecified';
}

/**
 * Decodes a decompressed `MetricPayload`. Points are kept as sent (unsorted, duplicates); mapping sorts them.
 *
 * The body is checked in full here (a malformed one throws DecodeError), but strings are created lazily: the
 * result carries a {@link IdentitySeriesBatch} in `seriesBatch` (identity bytes + decoded points), and `series`
 * decodes every string the first time it is read. The mapper reads `seriesBatch` and decodes a series' strings only
 * when it has not seen its identity bytes before, which for the Agent (same series every flush) is rarely.
 */
export function decodeSeriesV2Proto(body: Buffer): DecodedPayload {
  const batch = new ProtoSeriesBatch(body);
  const r = new ProtoReader(body);
  const end = r.length;
  try {
    while (r.pos < end) {
      const tag = r.tag(end);
      if (tag === PAYLOAD_SERIES) {
        const stop = r.lengthEnd(end);
        try {
          scanSeries(r, stop, batch);
        } catch (err) {
          rethrowInPath(err, `series[${batch.count}]`);
        }
      } else r.skip(tag, end);
    }
  } catch (err) {
    rethrowInMessage(err, 'MetricPayload');
  }
  return batchPayload(batch);
}

/** The scanned series of one body; see IdentitySeriesBatch. */
export class ProtoSeriesBatch extends ScannedSeriesBatch implements TransferableSeriesBatch {
  readonly encoding = 'v2-protobuf';
  // index: per series i, at 4i: [start, end) of its MetricSeries message in the body, its first run in `extra`, its
  // first point in timestamps/values. One partial record more than series, so series i's runs and points end where
  // series i + 1's start.
  // extra: [start, end) byte ranges of identity fields (the runs between point fields), of all series in turn.
  private runCount: number;
  private reader: ProtoReader | null = null;

  constructor(body: Buffer, from?: SeriesBatchTransfer) {
    // Typed arrays sized for an Agent-like body (~130 bytes and two runs per series), doubled when short: growing
    // plain arrays by one element at a time showed as a tenth of the whole decode + map time.
    super(body, from, { index: 8 + (body.length >>> 5), extra: 8 + (body.length >>> 5) });
    this.runCount = from ? from.extra.length : 0;
  }

  protected used(): { index: number; extra: number } {
    // One partial record past the last series: where its runs and points end.
    return { index: 4 * this.count + 8, extra: this.runCount };
  }

  /** Identity bytes [start, end) of the series being scanned; empty runs are left out. */
  addRun(start: number, end: number): void {
    if (end <= start) return;
    const n = this.runCount;
    if (n + 2 > this.extra.length) this.extra = doubled(this.extra);
    this.extra[n] = start;
    this.extra[n + 1] = end;
    this.runCount = n + 2;
  }

  /** Closes the series being scanned, whose message is [start, end) and whose points and runs were added. */
  endSeries(start: number, end: number): void {
    const at = 4 * this.count++;
    if (at + 8 > this.index.length) this.index = doubled(this.index);
    const perSeries = this.index;
    perSeries[at] = start;
    perSeries[at + 1] = end;
    perSeries[at + 6] = this.runCount;
    perSeries[at + 7] = this.timestamps.length;
  }

  /** Computed on demand: a mapper that finds series in the order it saw them last compares bytes without hashing. */
  identityHash(i: number): number {
    const runs = this.extra;
    let h = IDENTITY_HASH_SEED;
    for (let k = this.index[4 * i + 2]!, last = this.index[4 * i + 6]!; k < last; k += 2)
      h = hashRun(this.view, h, runs[k]!, runs[k + 1]!);
    return identityHashOf(h);
  }

  identityWords(i: number): number {
    const runs = this.extra;
    let n = 1;
    for (let k = this.index[4 * i + 2]!, last = this.index[4 * i + 6]!; k < last; k += 2)
      n += runWords(runs[k]!, runs[k + 1]!);
    return n;
  }

  writeIdentity(i: number, words: Int32Array, at: number): void {
    const runs = this.extra;
    const first = this.index[4 * i + 2]!;
    const last = this.index[4 * i + 6]!;
    words[at] = (last - first) >>> 1;
    let w = at + 1;
    for (let k = first; k < last; k += 2) w = writeRun(this.view, runs[k]!, runs[k + 1]!, words, w);
  }

  identityEquals(i: number, words: Int32Array, at: number): boolean {
    const runs = this.extra;
    const first = this.index[4 * i + 2]!;
    const last = this.index[4 * i + 6]!;
    if (words[at] !== (last - first) >>> 1) return false;
    let w = at + 1;
    for (let k = first; k < last && w >= 0; k += 2) w = runEquals(this.view, runs[k]!, runs[k + 1]!, words, w);
    return w >= 0;
  }

  decode(i: number): DDSeries {
    const r = (this.reader ??= new ProtoReader(this.body));
    r.pos = this.index[4 * i]!;
    return readSeries(r, this.index[4 * i + 1]!);
  }

  tagCount(i: number): number {
    // The runs hold whole fields: everything of the series but its points.
    const r = (this.reader ??= new ProtoReader(this.body));
    const runs = this.extra;
    let n = 0;
    for (let k = this.index[4 * i + 2]!, last = this.index[4 * i + 6]!; k < last; k += 2) {
      const stop = runs[k + 1]!;
      r.pos = runs[k]!;
      while (r.pos < stop) {
        const tag = r.tag(stop);
        if (tag === SERIES_TAGS) n++;
        r.skip(tag, stop);
      }
    }
    return n;
  }

  /** Every series, decoded. */
  decodeAll(): DDSeries[] {
    const series: DDSeries[] = [];
    for (let i = 0; i < this.count; i++) series.push(this.decode(i));
    return series;
  }

  pointsStart(i: number): number {
    return this.index[4 * i + 3]!;
  }
}

/**
 * Checks one MetricSeries message [r.pos, end) without creating strings: decodes its points into the batch and
 * notes the byte runs of its other fields (its identity). Every DecodeError of a malformed body comes from here.
 */
function scanSeries(r: ProtoReader, end: number, batch: ProtoSeriesBatch): void {
  const start = r.pos;
  let runStart = start;
  let tagCount = 0;
  let pointCount = 0;
  let resourceCount = 0;
  let field = 0;
  try {
    while (r.pos < end) {
      const fieldStart = r.pos;
      field = 0;
      const tag = r.tag(end);
      field = tag;
      switch (tag) {
        case SERIES_RESOURCES: {
          const stop = r.lengthEnd(end);
          while (r.pos < stop) {
            const t = r.tag(stop);
            if (t === RESOURCE_TYPE || t === RESOURCE_NAME) r.pos = r.lengthEnd(stop);
            else r.skip(t, stop);
          }
          resourceCount++;
          break;
        }
        case SERIES_TAGS:
          r.pos = r.lengthEnd(end);
          tagCount++;
          break;
        case SERIES_POINTS: {
          const stop = r.lengthEnd(end);
          readPoint(r, stop, batch.timestamps, batch.values, batch.timestamps.length);
          pointCount++;
          batch.addRun(runStart, fieldStart);
          runStart = stop;
          break;
        }
        case SERIES_TYPE:
          r.uint32(end);
          break;
        case SERIES_INTERVAL:
          r.int64(end);
          break;
        default:
          // Metric, unit and source type name are checked as any length-delimited field is.
          r.skip(tag, end);
      }
    }
  } catch (err) {
    if (field === 0) throw err;
    rethrowInPath(err, seriesFieldPath(field, resourceCount, tagCount, pointCount));
  }
  batch.addRun(runStart, end);
  batch.endSeries(start, end);
}

/** One Point message [r.pos, stop) into timestamps[at] and values[at]. */
function readPoint(r: ProtoReader, stop: number, timestamps: number[], values: number[], at: number): void {
  let value = 0;
  let ts = 0;
  while (r.pos < stop) {
    const t = r.tag(stop);
    if (t === POINT_VALUE) value = r.double(stop);
    else if (t === POINT_TIMESTAMP) ts = r.int64(stop);
    else r.skip(t, stop);
  }
  timestamps[at] = ts;
  values[at] = value;
}

/** Decodes one MetricSeries message [r.pos, end) that scanSeries has checked (so nothing here can fail). */
function readSeries(r: ProtoReader, end: number): DDSeries {
  let metric = '';
  let type: DDMetricType = 'unspecified';
  let host = '';
  let device = '';
  let unit = '';
  let sourceTypeName = '';
  let interval = 0;
  const resources: DDResource[] = [];
  let tagCount = 0;
  let pointCount = 0;
  while (r.pos < end) {
    const tag = r.tag(end);
    switch (tag) {
      case SERIES_RESOURCES: {
        const stop = r.lengthEnd(end);
        let rtype = '';
        let name = '';
        while (r.pos < stop) {
          const t = r.tag(stop);
          if (t === RESOURCE_TYPE) rtype = r.stringOrConstant(stop, HOST_BYTES, 'host');
          else if (t === RESOURCE_NAME) name = r.string(stop);
          else r.skip(t, stop);
        }
        // The agent sends host and device as resources; the model keeps them apart (last one wins).
        if (rtype === 'host') host = name;
        else if (rtype === 'device') device = name;
        else resources.push({ type: rtype, name });
        break;
      }
      case SERIES_METRIC:
        metric = r.string(end);
        break;
      case SERIES_TAGS:
        scratchTags[tagCount++] = r.string(end);
        break;
      case SERIES_POINTS:
        readPoint(r, r.lengthEnd(end), scratchTimestamps, scratchValues, pointCount++);
        break;
      case SERIES_TYPE:
        type = metricTypeFromEnum(r.uint32(end));
        break;
      case SERIES_UNIT:
        unit = r.string(end);
        break;
      case SERIES_SOURCE_TYPE_NAME:
        sourceTypeName = r.string(end);
        break;
      case SERIES_INTERVAL:
        interval = r.int64(end);
        break;
      default:
        r.skip(tag, end);
    }
  }
  const tags = copyTags(tagCount);
  const timestamps = pointCount === 1 ? [scratchTimestamps[0]!] : scratchTimestamps.slice(0, pointCount);
  const values = pointCount === 1 ? [scratchValues[0]!] : scratchValues.slice(0, pointCount);
  // One huge series must not pin megabytes of scratch space for the life of the process.
  if (pointCount > SCRATCH_KEEP) scratchTimestamps.length = scratchValues.length = 1;
  if (tagCount > SCRATCH_KEEP) scratchTags.length = 0;
  return { metric, type, host, device, resources, tags, sourceTypeName, interval, unit, timestamps, values };
}

// Tags and points are collected in reused scratch arrays and copied out at their exact size: growing fresh arrays
// by push over-allocates (a one-point series would get room for 17) and that garbage dominated decode time.
const scratchTags: string[] = [];
const scratchTimestamps: number[] = [0.5];
const scratchValues: number[] = [0.5];
/** Beyond this many tags or points the scratch arrays are released after use. */
const SCRATCH_KEEP = 4096;

/** The first n scratch tags as an exact-size packed array (literals beat slice() for the usual few tags). */
function copyTags(n: number): string[] {
  const t = scratchTags;
  switch (n) {
    case 0:
      return [];
    case 1:
      return [t[0]!];
    case 2:
      return [t[0]!, t[1]!];
    case 3:
      return [t[0]!, t[1]!, t[2]!];
    case 4:
      return [t[0]!, t[1]!, t[2]!, t[3]!];
    case 5:
      return [t[0]!, t[1]!, t[2]!, t[3]!, t[4]!];
    case 6:
      return [t[0]!, t[1]!, t[2]!, t[3]!, t[4]!, t[5]!];
    default:
      return t.slice(0, n);
  }
}

/** Where in a MetricSeries an error happened, from the tag of the field being read. */
function seriesFieldPath(tag: number, resourceIndex: number, tagIndex: number, pointIndex: number): string {
  switch (tag) {
    case SERIES_RESOURCES:
      return `resources[${resourceIndex}]`;
    case SERIES_METRIC:
      return 'metric';
    case SERIES_TAGS:
      return `tags[${tagIndex}]`;
    case SERIES_POINTS:
      return `points[${pointIndex}]`;
    case SERIES_TYPE:
      return 'type';
    case SERIES_UNIT:
      return 'unit';
    case SERIES_SOURCE_TYPE_NAME:
      return 'source_type_name';
    case SERIES_INTERVAL:
      return 'interval';
    default:
      return `field ${tag >>> 3}`;
  }
}
