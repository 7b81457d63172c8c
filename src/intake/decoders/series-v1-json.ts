import { emptyPayload, type DDMetricType, type DDSeries, type DecodedPayload } from '../../model/datadog.js';
import {
  expectObject,
  fail,
  jsonPath,
  jsonTypeName,
  optionalNumber,
  optionalString,
  optionalTags,
  parseJsonBody,
  pointValue,
  requiredString,
  seriesArray,
  type JsonObject,
} from './json.js';
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
import {
  CLOSE_BRACE,
  CLOSE_BRACKET,
  COMMA,
  JsonScanner,
  LOWER_N,
  NOT_SCANNED,
  OPEN_BRACE,
  OPEN_BRACKET,
  QUOTE,
  keyName,
} from './json-scanner.js';
import { ProtoReader } from './protobuf.js';

// `/api/v1/series` JSON (the Agent with use_v2_api.series=false, the public API client's MetricsApi v1
// submitMetrics, datadogpy): {"series":[{metric, points:[[ts, value], ...], type, interval, host, device, tags,
// source_type_name}]}. The API client's v1 model only declares host/interval/metric/points/tags/type; the Agent and
// datadogpy also send device and source_type_name.
// - A point value of null becomes NaN (see pointValue).
// - A type string this version does not know (the empty string included) reads as 'unspecified', which Datadog
//   treats as a gauge.
// - Timestamps are Unix seconds and may be fractional (datadogpy sends time.time()).

/** A v1 type string; any other (the empty string included) reads as 'unspecified'. */
function v1Type(raw: string): DDMetricType {
  return raw === 'gauge' || raw === 'rate' || raw === 'count' ? raw : 'unspecified';
}

/**
 * `/api/v1/series` JSON. Scanned by hand (see V1JsonSeriesBatch) into a batch whose series identities are raw bytes,
 * like the v2 protobuf decoder; a body the scanner does not take (a rare shape, or anything malformed) goes through
 * {@link decodeSeriesV1JsonByParse}, so results and error messages are always JSON.parse's.
 */
export function decodeSeriesV1Json(body: Buffer): DecodedPayload {
  const batch = scanV1Series(body);
  return batch === null ? decodeSeriesV1JsonByParse(body) : batchPayload(batch);
}

/** `/api/v1/series` JSON through JSON.parse and an object tree: the reference semantics and every error message. */
export function decodeSeriesV1JsonByParse(body: Buffer): DecodedPayload {
  const items = seriesArray(parseJsonBody(body, 'series payload'), 'series payload');
  const out = emptyPayload();
  for (let i = 0; i < items.length; i++)
    out.series.push(readV1Series(expectObject(items[i], jsonPath('series', i)), i));
  return out;
}

function readV1Series(s: JsonObject, i: number): DDSeries {
  const metric = requiredString(s, 'metric', 'series', i);
  const rawType = optionalString(s, 'type', 'series', i);
  const points = s.points;
  if (!Array.isArray(points))
    fail(jsonPath('series', i, 'points'), `expected an array of [timestamp, value], got ${jsonTypeName(points)}`);
  const timestamps = new Array<number>(points.length);
  const values = new Array<number>(points.length);
  for (let j = 0; j < points.length; j++) {
    const p = points[j];
    if (!Array.isArray(p) || p.length !== 2) {
      const got = Array.isArray(p) ? `an array of ${p.length}` : jsonTypeName(p);
      fail(`${jsonPath('series', i, 'points')}[${j}]`, `expected [timestamp, value], got ${got}`);
    }
    const ts = p[0];
    const v = p[1];
    if (typeof ts !== 'number')
      fail(`${jsonPath('series', i, 'points')}[${j}][0]`, `expected a number, got ${jsonTypeName(ts)}`);
    timestamps[j] = ts;
    values[j] = pointValue(v, i, j, '[1]');
  }
  return {
    metric,
    type: v1Type(rawType),
    host: optionalString(s, 'host', 'series', i),
    device: optionalString(s, 'device', 'series', i),
    resources: [],
    tags: optionalTags(s, 'tags', 'series', i),
    sourceTypeName: optionalString(s, 'source_type_name', 'series', i),
    interval: optionalNumber(s, 'interval', 'series', i),
    unit: '',
    timestamps,
    values,
  };
}

// ---- The scanner path ----
//
// For the Agent's one-point-per-series bodies, JSON.parse's object tree was most of the decode cost and a tenth of
// the process in GC. The scanner (json-scanner.ts) decodes the points into a batch and notes where each series
// object and its `points` value lie; strings are only created when a series is decoded. Besides what the scanner
// refuses (invalid JSON, an escaped key, deep nesting), a body with a member of the wrong type or a repeated
// `points` or `series` is left to the JSON.parse path.

/** The members of a v1 series object the decoder reads. */
const enum Member {
  Other,
  Metric,
  Points,
  Type,
  Host,
  Device,
  Tags,
  SourceTypeName,
  Interval,
}

const METRIC_KEY = keyName('metric');
const POINTS_KEY = keyName('points');
const TYPE_KEY = keyName('type');
const HOST_KEY = keyName('host');
const DEVICE_KEY = keyName('device');
const TAGS_KEY = keyName('tags');
const SOURCE_TYPE_NAME_KEY = keyName('source_type_name');
const INTERVAL_KEY = keyName('interval');
const SERIES_KEY = keyName('series');

/** The series member the scanner's last key names. */
function memberOf(s: JsonScanner): Member {
  switch (s.keyEnd - s.keyStart) {
    case 4:
      return s.keyIs(TYPE_KEY)
        ? Member.Type
        : s.keyIs(HOST_KEY)
          ? Member.Host
          : s.keyIs(TAGS_KEY)
            ? Member.Tags
            : Member.Other;
    case 6:
      return s.keyIs(METRIC_KEY)
        ? Member.Metric
        : s.keyIs(POINTS_KEY)
          ? Member.Points
          : s.keyIs(DEVICE_KEY)
            ? Member.Device
            : Member.Other;
    case 8:
      return s.keyIs(INTERVAL_KEY) ? Member.Interval : Member.Other;
    case 16:
      return s.keyIs(SOURCE_TYPE_NAME_KEY) ? Member.SourceTypeName : Member.Other;
    default:
      return Member.Other;
  }
}

/** Scans a v1 body into a batch; null when the scanner does not take it (then JSON.parse decides). */
function scanV1Series(body: Buffer): V1JsonSeriesBatch | null {
  // A UTF-8 byte-order mark is skipped, as parseJsonBody does.
  const bom = body.length >= 3 && body[0] === 0xef && body[1] === 0xbb && body[2] === 0xbf ? 3 : 0;
  const s = new JsonScanner(body, bom);
  const batch = new V1JsonSeriesBatch(body);
  try {
    s.expect(OPEN_BRACE);
    if (s.next() === CLOSE_BRACE) s.pos++;
    else {
      let seenSeries = false;
      do {
        s.key();
        if (s.keyIs(SERIES_KEY)) {
          // A repeated `series` (JSON.parse keeps the last) is left to JSON.parse.
          if (seenSeries) throw NOT_SCANNED;
          seenSeries = true;
          if (s.next() === OPEN_BRACKET) scanSeriesArray(s, batch);
          else s.null();
        } else s.value(0);
      } while (s.more(CLOSE_BRACE));
    }
    if (s.next() !== -1) throw NOT_SCANNED;
  } catch (err) {
    if (err === NOT_SCANNED) return null;
    throw err;
  }
  return batch;
}

/** The `series` array at s.pos. */
function scanSeriesArray(s: JsonScanner, batch: V1JsonSeriesBatch): void {
  s.pos++;
  if (s.next() === CLOSE_BRACKET) {
    s.pos++;
    return;
  }
  do {
    if (s.next() !== OPEN_BRACE) throw NOT_SCANNED;
    scanSeries(s, batch);
  } while (s.more(CLOSE_BRACKET));
}

/**
 * One series object at s.pos: checks every member's type as readV1Series does (anything it would refuse is not
 * taken), decodes the points into the batch and records where the object and its points value lie.
 */
function scanSeries(s: JsonScanner, batch: V1JsonSeriesBatch): void {
  const objectStart = s.pos;
  s.pos++;
  let hasMetric = false;
  let pointsStart = -1;
  let pointsEnd = -1;
  let tags = 0;
  do {
    s.key();
    const c = s.next();
    switch (memberOf(s)) {
      case Member.Metric:
        if (c !== QUOTE) throw NOT_SCANNED;
        s.string();
        hasMetric = true;
        break;
      case Member.Type:
      case Member.Host:
      case Member.Device:
      case Member.SourceTypeName:
        if (c === QUOTE) s.string();
        else s.null();
        break;
      case Member.Tags:
        // A repeated member counts with its last value, as decode() reads it.
        if (c === OPEN_BRACKET) tags = s.stringArray();
        else {
          s.null();
          tags = 0;
        }
        break;
      case Member.Interval:
        if (c === LOWER_N) s.null();
        else s.number();
        break;
      case Member.Points:
        // A repeated `points` would make the identity three runs; JSON.parse takes that rare body.
        if (pointsStart >= 0 || c !== OPEN_BRACKET) throw NOT_SCANNED;
        pointsStart = s.pos;
        scanPoints(s, batch.timestamps, batch.values);
        pointsEnd = s.pos;
        break;
      default:
        s.value(0);
    }
  } while (s.more(CLOSE_BRACE));
  if (!hasMetric || pointsStart < 0) throw NOT_SCANNED;
  batch.endSeries(objectStart, pointsStart, pointsEnd, s.pos, tags);
}

/** A points array `[[timestamp, value|null], ...]` at s.pos, appended to timestamps and values. */
function scanPoints(s: JsonScanner, timestamps: number[], values: number[]): void {
  s.pos++;
  if (s.next() === CLOSE_BRACKET) {
    s.pos++;
    return;
  }
  do {
    s.expect(OPEN_BRACKET);
    s.next();
    const ts = s.number();
    s.expect(COMMA);
    let value: number;
    if (s.next() === LOWER_N) {
      s.null();
      value = NaN;
    } else value = s.number();
    s.expect(CLOSE_BRACKET);
    timestamps.push(ts);
    values.push(value);
  } while (s.more(CLOSE_BRACKET));
}

/** Words of `index` per series (see V1JsonSeriesBatch). */
const STRIDE = 5;

/**
 * The scanned series of one v1 body; see IdentitySeriesBatch. A series' identity is its object's bytes without its
 * `points` value: two runs, from the `{` up to the points' `[`, and from after the points' `]` to the `}`.
 */
export class V1JsonSeriesBatch extends ScannedSeriesBatch implements TransferableSeriesBatch {
  readonly encoding = 'v1-json';
  // index: per series i, at 5i: where its object starts, its points value starts and ends, its object ends, and its
  // number of tags (counted by the scan, so the mapper's check of a new series' tags does not read it again).
  // extra: series i's points are [extra[i], extra[i + 1]).
  private reader: JsonScanner | null = null;
  private strings: ProtoReader | null = null;

  constructor(body: Buffer, from?: SeriesBatchTransfer) {
    // Sized for an Agent-like body (~200 bytes a series), doubled when short.
    super(body, from, { index: 8 + (body.length >>> 5), extra: 2 + (body.length >>> 7) });
  }

  protected used(): { index: number; extra: number } {
    return { index: STRIDE * this.count, extra: this.count + 1 };
  }

  endSeries(objectStart: number, pointsStart: number, pointsEnd: number, objectEnd: number, tags: number): void {
    const at = STRIDE * this.count++;
    if (at + STRIDE > this.index.length) this.index = doubled(this.index);
    if (this.count + 1 > this.extra.length) this.extra = doubled(this.extra);
    const bounds = this.index;
    bounds[at] = objectStart;
    bounds[at + 1] = pointsStart;
    bounds[at + 2] = pointsEnd;
    bounds[at + 3] = objectEnd;
    bounds[at + 4] = tags;
    this.extra[this.count] = this.timestamps.length;
  }

  /** Computed on demand: a mapper that finds series in the order it saw them last compares bytes without hashing. */
  identityHash(i: number): number {
    const bounds = this.index;
    const at = STRIDE * i;
    const h = hashRun(this.view, IDENTITY_HASH_SEED, bounds[at]!, bounds[at + 1]!);
    return identityHashOf(hashRun(this.view, h, bounds[at + 2]!, bounds[at + 3]!));
  }

  identityWords(i: number): number {
    const bounds = this.index;
    const at = STRIDE * i;
    return 1 + runWords(bounds[at]!, bounds[at + 1]!) + runWords(bounds[at + 2]!, bounds[at + 3]!);
  }

  writeIdentity(i: number, words: Int32Array, at: number): void {
    const bounds = this.index;
    const b = STRIDE * i;
    words[at] = 2;
    const w = writeRun(this.view, bounds[b]!, bounds[b + 1]!, words, at + 1);
    writeRun(this.view, bounds[b + 2]!, bounds[b + 3]!, words, w);
  }

  identityEquals(i: number, words: Int32Array, at: number): boolean {
    const bounds = this.index;
    const b = STRIDE * i;
    if (words[at] !== 2) return false;
    const w = runEquals(this.view, bounds[b]!, bounds[b + 1]!, words, at + 1);
    return w >= 0 && runEquals(this.view, bounds[b + 2]!, bounds[b + 3]!, words, w) >= 0;
  }

  /** Series i's strings re-read from its object (checked by the scan, so nothing here can fail). */
  decode(i: number): DDSeries {
    const s = (this.reader ??= new JsonScanner(this.body, 0));
    const strings = (this.strings ??= new ProtoReader(this.body));
    const at = STRIDE * i;
    s.pos = this.index[at]! + 1;
    let metric = '';
    let type: DDMetricType = 'unspecified';
    let host = '';
    let device = '';
    let tags: string[] = [];
    let sourceTypeName = '';
    let interval = 0;
    // Members in body order, so a repeated one ends with its last value, as with JSON.parse.
    do {
      s.key();
      switch (memberOf(s)) {
        case Member.Metric:
          s.next();
          metric = s.stringValue(strings);
          break;
        case Member.Type:
          type = v1Type(s.optionalString(strings));
          break;
        case Member.Host:
          host = s.optionalString(strings);
          break;
        case Member.Device:
          device = s.optionalString(strings);
          break;
        case Member.Tags:
          tags = s.optionalStringList(strings);
          break;
        case Member.SourceTypeName:
          sourceTypeName = s.optionalString(strings);
          break;
        case Member.Interval:
          interval = s.optionalNumber();
          break;
        case Member.Points:
          s.pos = this.index[at + 2]!;
          break;
        default:
          s.value(0);
      }
    } while (s.more(CLOSE_BRACE));
    const from = this.extra[i]!;
    const to = this.extra[i + 1]!;
    return {
      metric,
      type,
      host,
      device,
      resources: [],
      tags,
      sourceTypeName,
      interval,
      unit: '',
      timestamps: this.timestamps.slice(from, to),
      values: this.values.slice(from, to),
    };
  }

  tagCount(i: number): number {
    return this.index[STRIDE * i + 4]!;
  }

  /** Every series, decoded. */
  decodeAll(): DDSeries[] {
    const series: DDSeries[] = [];
    for (let i = 0; i < this.count; i++) series.push(this.decode(i));
    return series;
  }

  pointsStart(i: number): number {
    return this.extra[i]!;
  }
}
