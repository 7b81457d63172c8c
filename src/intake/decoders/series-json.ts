import { DecodeError, emptyPayload, type DDMetricType, type DDResource, type DDSeries, type DecodedPayload } from '../../model/datadog.js';
import {
  describeValue,
  expectObject,
  fail,
  isObject,
  jsonPath,
  jsonTypeName,
  optionalNumber,
  optionalString,
  optionalTags,
  parseJsonBody,
  requiredString,
  seriesArray,
  type JsonObject,
} from './json.js';
import { ScannedSeriesBatch, batchPayload, type SeriesBatchTransfer, type TransferableSeriesBatch } from './batch-transfer.js';
import { IDENTITY_HASH_SEED, doubled, hashRun, identityHashOf, runEquals, runWords, writeRun } from './identity-runs.js';
import { ProtoReader } from './protobuf.js';
import { decodeSeriesV2Proto, metricTypeFromEnum } from './series-v2-proto.js';

// JSON series bodies:
// - v1 (`/api/v1/series`; the Agent with use_v2_api.series=false, the public API client's MetricsApi v1
//   submitMetrics, datadogpy): {"series":[{metric, points:[[ts, value], ...], type, interval, host, device, tags,
//   source_type_name}]}. The API client's v1 model only declares host/interval/metric/points/tags/type; the Agent
//   and datadogpy also send device and source_type_name.
// - v2 (`/api/v2/series` with a JSON body; the public API client's MetricsApi v2 submitMetrics):
//   {"series":[{metric, type: 0..3, points:[{timestamp, value}], resources:[{name, type}], tags, unit,
//   source_type_name, interval, metadata}]}. `type` is the MetricIntakeType enum serialized as an integer.
// Rules shared by both:
// - A point value of null becomes NaN rather than failing the whole body: JSON has no NaN, so null is how a
//   serializer writes one. Mapping decides what a NaN sample becomes and counts it.
// - A type this version does not know (v1 string, v2 integer) reads as 'unspecified', which Datadog treats as a
//   gauge; see metricTypeFromEnum.
// - Timestamps are Unix seconds and may be fractional (datadogpy sends time.time()).

/** A v1 type string; any other (the empty string included) reads as 'unspecified'. */
function v1Type(raw: string): DDMetricType {
  return raw === 'gauge' || raw === 'rate' || raw === 'count' ? raw : 'unspecified';
}

/**
 * `/api/v1/series` JSON. Scanned by hand (see JsonSeriesBatch) into a batch whose series identities are raw bytes,
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
  for (let i = 0; i < items.length; i++) out.series.push(readV1Series(expectObject(items[i], jsonPath('series', i)), i));
  return out;
}

function readV1Series(s: JsonObject, i: number): DDSeries {
  const metric = requiredString(s, 'metric', 'series', i);
  const rawType = optionalString(s, 'type', 'series', i);
  const points = s.points;
  if (!Array.isArray(points)) fail(jsonPath('series', i, 'points'), `expected an array of [timestamp, value], got ${jsonTypeName(points)}`);
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
    if (typeof ts !== 'number') fail(`${jsonPath('series', i, 'points')}[${j}][0]`, `expected a number, got ${jsonTypeName(ts)}`);
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

function pointValue(v: unknown, i: number, j: number, suffix: string): number {
  if (typeof v === 'number') return v;
  if (v === null) return NaN;
  return fail(`${jsonPath('series', i, 'points')}[${j}]${suffix}`, `expected a number, got ${jsonTypeName(v)}`);
}

/** `/api/v2/series` JSON (the public API's v2 submitMetrics). */
export function decodeSeriesV2Json(body: Buffer): DecodedPayload {
  const items = seriesArray(parseJsonBody(body, 'series payload'), 'series payload');
  const out = emptyPayload();
  for (let i = 0; i < items.length; i++) out.series.push(readV2Series(expectObject(items[i], jsonPath('series', i)), i));
  return out;
}

function readV2Series(s: JsonObject, i: number): DDSeries {
  const metric = requiredString(s, 'metric', 'series', i);
  const rawType = s.type;
  let type: DDMetricType = 'unspecified';
  if (typeof rawType === 'number' && Number.isInteger(rawType)) type = metricTypeFromEnum(rawType);
  else if (rawType !== undefined && rawType !== null) fail(jsonPath('series', i, 'type'), `expected an integer 0-3, got ${describeValue(rawType)}`);

  const points = s.points;
  if (!Array.isArray(points)) fail(jsonPath('series', i, 'points'), `expected an array of {timestamp, value}, got ${jsonTypeName(points)}`);
  const timestamps = new Array<number>(points.length);
  const values = new Array<number>(points.length);
  const pointsPath = jsonPath('series', i, 'points');
  for (let j = 0; j < points.length; j++) {
    const p = points[j];
    if (!isObject(p)) fail(`${pointsPath}[${j}]`, `expected an object {timestamp, value}, got ${jsonTypeName(p)}`);
    timestamps[j] = optionalNumber(p, 'timestamp', pointsPath, j);
    values[j] = p.value === undefined ? 0 : pointValue(p.value, i, j, '.value');
  }

  let host = '';
  let device = '';
  const resources: DDResource[] = [];
  const rawResources = s.resources;
  if (rawResources !== undefined && rawResources !== null) {
    if (!Array.isArray(rawResources)) fail(jsonPath('series', i, 'resources'), `expected an array, got ${jsonTypeName(rawResources)}`);
    const resourcesPath = jsonPath('series', i, 'resources');
    for (let j = 0; j < rawResources.length; j++) {
      const r = expectObject(rawResources[j], `${resourcesPath}[${j}]`);
      const rtype = optionalString(r, 'type', resourcesPath, j);
      const name = optionalString(r, 'name', resourcesPath, j);
      // Like the protobuf body: host and device resources become the series' host and device.
      if (rtype === 'host') host = name;
      else if (rtype === 'device') device = name;
      else resources.push({ type: rtype, name });
    }
  }
  return {
    metric,
    type,
    host,
    device,
    resources,
    tags: optionalTags(s, 'tags', 'series', i),
    sourceTypeName: optionalString(s, 'source_type_name', 'series', i),
    interval: optionalNumber(s, 'interval', 'series', i),
    unit: optionalString(s, 'unit', 'series', i),
    timestamps,
    values,
  };
}

const WHITESPACE = new Set([0x20, 0x09, 0x0a, 0x0d]);

/**
 * `/api/v2/series`: protobuf from the Agent, JSON from the public API (Content-Type is not trusted). JSON when
 * the first non-whitespace byte is `{`. A MetricPayload starts with 0x0a (field 1, length-delimited), which is
 * also a newline, and a first series of exactly 123 bytes then looks like `\n{`: such a body fails JSON.parse
 * at once and is decoded as protobuf instead.
 */
export function decodeSeriesV2(body: Buffer): DecodedPayload {
  let i = 0;
  while (i < body.length && WHITESPACE.has(body[i]!)) i++;
  if (body[i] !== 0x7b) return decodeSeriesV2Proto(body);
  if (i === 0) return decodeSeriesV2Json(body);
  try {
    return decodeSeriesV2Json(body);
  } catch (jsonErr) {
    if (!(jsonErr instanceof DecodeError) || !jsonErr.message.includes('invalid JSON')) throw jsonErr;
    try {
      return decodeSeriesV2Proto(body);
    } catch (protoErr) {
      if (!(protoErr instanceof DecodeError)) throw protoErr;
      throw new DecodeError(`neither JSON (${jsonErr.message}) nor protobuf (${protoErr.message})`);
    }
  }
}

// ---- The v1 scanner ----
//
// JSON.parse builds an object tree per series that readV1Series then walks and the GC collects: for the Agent's
// one-point-per-series bodies that was most of the decode cost and a tenth of the process in GC. The scanner walks
// the bytes once instead, checking them as JSON.parse would, decoding points into the batch and noting where each
// series object and its `points` value lie; strings are only created when a series is decoded. It takes the shapes
// clients send, and throws NOT_SCANNED at anything else (invalid JSON, a wrong type, an escaped key, a repeated
// `points` or `series`, nesting deeper than MAX_DEPTH), which sends the body to the JSON.parse path.

/** Thrown by the scanner for a body it does not take (a preallocated non-Error: no stack trace to capture). */
const NOT_SCANNED = Object.freeze({ notScanned: true });
/** Unknown members nested deeper than this are left to JSON.parse (the scanner recurses). */
const MAX_DEPTH = 64;
/** 10^0 .. 10^22: every one exactly a double, which is what makes the fast number path exact. */
const POWERS_OF_TEN = Array.from({ length: 23 }, (_, i) => Number(`1e${i}`));
/** Significant digits a mantissa may have and still be exact: 10^15 < 2^53. */
const EXACT_DIGITS = 15;
/** Significant digits longDecimal takes: 10^19 < 2^64, so the digits split into two exact parts. */
const LONG_DIGITS = 19;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const COLON = 0x3a;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const MINUS = 0x2d;
const PLUS = 0x2b;
const DOT = 0x2e;
const ZERO = 0x30;
const NINE = 0x39;
/** The first byte of `null`. */
const LOWER_N = 0x6e;
const NULL_BYTES = Buffer.from('null');
const TRUE_BYTES = Buffer.from('true');
const FALSE_BYTES = Buffer.from('false');

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

/**
 * A member name to compare keys with, as little-endian words of its bytes at 0, 4, 8 ... and (overlapping) at its
 * length - 4: every name here is at least four bytes long.
 */
interface KeyName {
  length: number;
  offsets: Int32Array;
  words: Int32Array;
}

function keyName(name: string): KeyName {
  const bytes = Buffer.from(name, 'latin1');
  const offsets: number[] = [];
  for (let k = 0; k + 4 < bytes.length; k += 4) offsets.push(k);
  offsets.push(bytes.length - 4);
  return { length: bytes.length, offsets: Int32Array.from(offsets), words: Int32Array.from(offsets, (k) => bytes.readInt32LE(k)) };
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
/** Tag lists are collected here and copied out; beyond SCRATCH_KEEP tags it is released after use. */
const scratchStrings: string[] = [];
const SCRATCH_KEEP = 4096;

/** A cursor over JSON bytes that checks what it passes as strictly as JSON.parse (RFC 8259). */
class JsonScanner {
  pos: number;
  /** Set by string(): whether the string just passed holds escapes. */
  escaped = false;
  /** Set by key(): where the last key's bytes start and end (without its quotes). */
  keyStart = 0;
  keyEnd = 0;
  readonly end: number;
  /** The body as a plain Uint8Array (one map for every element load, whatever Buffer it came from). */
  private readonly bytes: Uint8Array;
  private readonly view: DataView;

  constructor(
    private readonly body: Buffer,
    start: number,
  ) {
    this.pos = start;
    this.end = body.length;
    this.bytes = new Uint8Array(body.buffer, body.byteOffset, body.byteLength);
    this.view = new DataView(body.buffer, body.byteOffset, body.byteLength);
  }

  /** Skips whitespace; the byte there, or -1 at the end. */
  next(): number {
    const bytes = this.bytes;
    const end = this.end;
    let p = this.pos;
    while (p < end) {
      const c = bytes[p]!;
      if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) {
        this.pos = p;
        return c;
      }
      p++;
    }
    this.pos = p;
    return -1;
  }

  /** Skips whitespace and then `c`, which must be there. */
  expect(c: number): void {
    if (this.next() !== c) throw NOT_SCANNED;
    this.pos++;
  }

  /** After a member or element: true at `,` (skipped), false at `close` (skipped). */
  more(close: number): boolean {
    const c = this.next();
    this.pos++;
    if (c === COMMA) return true;
    if (c === close) return false;
    throw NOT_SCANNED;
  }

  /** Passes the string whose opening quote is at pos; `escaped` tells whether it holds escapes. */
  string(): void {
    const bytes = this.bytes;
    const view = this.view;
    const end = this.end;
    let p = this.pos + 1;
    let escaped = false;
    for (;;) {
      // Four bytes at a time to the first quote, backslash or control character: SWAR "has a byte equal to / less
      // than" tests, whose lowest flagged byte is always a true one (borrows only run upwards, little-endian).
      while (p + 4 <= end) {
        const v = view.getInt32(p, true);
        const q = v ^ 0x22222222;
        const b = v ^ 0x5c5c5c5c;
        const hits = (((q - 0x01010101) & ~q) | ((b - 0x01010101) & ~b) | ((v - 0x20202020) & ~v)) & 0x80808080;
        if (hits !== 0) {
          p += (31 - Math.clz32(hits & -hits)) >>> 3;
          break;
        }
        p += 4;
      }
      if (p >= end) throw NOT_SCANNED;
      const c = bytes[p]!;
      if (c === QUOTE) break;
      if (c === BACKSLASH) {
        p = this.escape(p + 1);
        escaped = true;
      } else if (c < 0x20) throw NOT_SCANNED;
      else p++; // the last bytes of the body, fewer than four
    }
    this.pos = p + 1;
    this.escaped = escaped;
  }

  /** The escape whose first byte after the backslash is at p; where it ends. */
  private escape(p: number): number {
    const bytes = this.bytes;
    if (p >= this.end) throw NOT_SCANNED;
    switch (bytes[p]) {
      case QUOTE:
      case BACKSLASH:
      case 0x2f: // '/'
      case 0x62: // 'b'
      case 0x66: // 'f'
      case 0x6e: // 'n'
      case 0x72: // 'r'
      case 0x74: // 't'
        return p + 1;
      case 0x75: // 'u' and four hex digits; unpaired surrogates are valid JSON
        if (p + 4 >= this.end) throw NOT_SCANNED;
        for (let k = 1; k <= 4; k++) {
          const h = bytes[p + k]! | 0x20; // lower case for letters
          if (!((h >= ZERO && h <= NINE) || (h >= 0x61 && h <= 0x66))) throw NOT_SCANNED;
        }
        return p + 5;
      default:
        throw NOT_SCANNED;
    }
  }

  /** The string at pos as a JS string: unescaped by JSON.parse when it has escapes, else through `strings`. */
  stringValue(strings: ProtoReader): string {
    const open = this.pos;
    this.string();
    if (this.escaped) return JSON.parse(this.body.toString('utf8', open, this.pos)) as string;
    return strings.decodeString(open + 1, this.pos - 1);
  }

  /**
   * The number at pos, bit for bit what JSON.parse makes of it (V8 rounds correctly). Up to 15 significant digits
   * and a power of ten within ±22, one IEEE multiplication or division of two exact doubles is correctly rounded
   * (Clinger's fast path); 16-19 digits with a fraction go through longDecimal; anything else, once its grammar is
   * checked, through Number(), which reads every JSON number as JSON.parse does.
   */
  number(): number {
    const bytes = this.bytes;
    const end = this.end;
    const start = this.pos;
    let p = start;
    let c = p < end ? bytes[p]! : -1;
    const negative = c === MINUS;
    if (negative) c = ++p < end ? bytes[p]! : -1;
    let mantissa = 0;
    let digits = 0;
    let scale = 0;
    if (c === ZERO) c = ++p < end ? bytes[p]! : -1;
    else if (c > ZERO && c <= NINE) {
      do {
        mantissa = mantissa * 10 + (c - ZERO);
        digits++;
        c = ++p < end ? bytes[p]! : -1;
      } while (c >= ZERO && c <= NINE);
    } else throw NOT_SCANNED;
    if (c === DOT) {
      c = ++p < end ? bytes[p]! : -1;
      if (!(c >= ZERO && c <= NINE)) throw NOT_SCANNED;
      do {
        mantissa = mantissa * 10 + (c - ZERO);
        if (mantissa !== 0) digits++; // leading zeros of 0.00x are not significant
        scale--;
        c = ++p < end ? bytes[p]! : -1;
      } while (c >= ZERO && c <= NINE);
    }
    if (c === 0x65 || c === 0x45) {
      c = ++p < end ? bytes[p]! : -1;
      const negativeExponent = c === MINUS;
      if (negativeExponent || c === PLUS) c = ++p < end ? bytes[p]! : -1;
      if (!(c >= ZERO && c <= NINE)) throw NOT_SCANNED;
      let exponent = 0;
      do {
        if (exponent < 100_000) exponent = exponent * 10 + (c - ZERO);
        c = ++p < end ? bytes[p]! : -1;
      } while (c >= ZERO && c <= NINE);
      scale += negativeExponent ? -exponent : exponent;
    }
    this.pos = p;
    if (digits <= EXACT_DIGITS && scale >= -22 && scale <= 22) {
      const magnitude = scale === 0 ? mantissa : scale > 0 ? mantissa * POWERS_OF_TEN[scale]! : mantissa / POWERS_OF_TEN[-scale]!;
      return negative ? -magnitude : magnitude;
    }
    // 16-19 digits, as serializers write arbitrary doubles (a rate, a ratio): exact arithmetic on two doubles.
    if (digits <= LONG_DIGITS && scale >= -22 && scale <= 0) {
      const magnitude = longDecimal(this.bytes, negative ? start + 1 : start, p, scale);
      if (magnitude === magnitude) return negative ? -magnitude : magnitude;
    }
    return Number(this.body.toString('latin1', start, p));
  }

  /** The literal `null` at pos. */
  null(): void {
    this.literal(NULL_BYTES);
  }

  private literal(word: Uint8Array): void {
    const bytes = this.bytes;
    const p = this.pos;
    if (p + word.length > this.end) throw NOT_SCANNED;
    for (let k = 0; k < word.length; k++) if (bytes[p + k] !== word[k]) throw NOT_SCANNED;
    this.pos = p + word.length;
  }

  /** An array of strings at pos (its `[`). */
  stringArray(): void {
    this.pos++;
    if (this.next() === CLOSE_BRACKET) {
      this.pos++;
      return;
    }
    do {
      if (this.next() !== QUOTE) throw NOT_SCANNED;
      this.string();
    } while (this.more(CLOSE_BRACKET));
  }

  /** A string or null (→ '') after whitespace, as a JS string. */
  optionalString(strings: ProtoReader): string {
    if (this.next() === QUOTE) return this.stringValue(strings);
    this.null();
    return '';
  }

  /** A number or null (→ 0) after whitespace. */
  optionalNumber(): number {
    if (this.next() === LOWER_N) {
      this.null();
      return 0;
    }
    return this.number();
  }

  /** An array of strings or null (→ []) after whitespace, as JS strings. */
  optionalStringList(strings: ProtoReader): string[] {
    if (this.next() !== OPEN_BRACKET) {
      this.null();
      return [];
    }
    this.pos++;
    if (this.next() === CLOSE_BRACKET) {
      this.pos++;
      return [];
    }
    let n = 0;
    do {
      this.next();
      scratchStrings[n++] = this.stringValue(strings);
    } while (this.more(CLOSE_BRACKET));
    // Copied out at their exact size (a list grown by push keeps spare room for the life of the series).
    const list = scratchStrings.slice(0, n);
    if (n > SCRATCH_KEEP) scratchStrings.length = 0;
    return list;
  }

  /** Any JSON value at pos (after whitespace), checked and skipped. */
  value(depth: number): void {
    const c = this.next();
    switch (c) {
      case QUOTE:
        this.string();
        return;
      case OPEN_BRACE:
        if (depth >= MAX_DEPTH) throw NOT_SCANNED;
        this.pos++;
        if (this.next() === CLOSE_BRACE) {
          this.pos++;
          return;
        }
        do {
          if (this.next() !== QUOTE) throw NOT_SCANNED;
          this.string();
          this.expect(COLON);
          this.value(depth + 1);
        } while (this.more(CLOSE_BRACE));
        return;
      case OPEN_BRACKET:
        if (depth >= MAX_DEPTH) throw NOT_SCANNED;
        this.pos++;
        if (this.next() === CLOSE_BRACKET) {
          this.pos++;
          return;
        }
        do this.value(depth + 1);
        while (this.more(CLOSE_BRACKET));
        return;
      case LOWER_N:
        this.literal(NULL_BYTES);
        return;
      case 0x74: // t
        this.literal(TRUE_BYTES);
        return;
      case 0x66: // f
        this.literal(FALSE_BYTES);
        return;
      default:
        this.number();
    }
  }

  /**
   * A member's key at pos (after whitespace) and the colon after it. A key with escapes is not taken (JSON.parse
   * would read "\u006detric" as metric).
   */
  key(): void {
    if (this.next() !== QUOTE) throw NOT_SCANNED;
    this.keyStart = this.pos + 1;
    this.string();
    if (this.escaped) throw NOT_SCANNED;
    this.keyEnd = this.pos - 1;
    this.expect(COLON);
  }

  /** Whether the last key is `name`. */
  keyIs(name: KeyName): boolean {
    const start = this.keyStart;
    if (this.keyEnd - start !== name.length) return false;
    const view = this.view;
    const offsets = name.offsets;
    const words = name.words;
    for (let k = 0; k < offsets.length; k++) if (view.getInt32(start + offsets[k]!, true) !== words[k]) return false;
    return true;
  }

  /** The series member the last key names. */
  member(): Member {
    switch (this.keyEnd - this.keyStart) {
      case 4:
        return this.keyIs(TYPE_KEY) ? Member.Type : this.keyIs(HOST_KEY) ? Member.Host : this.keyIs(TAGS_KEY) ? Member.Tags : Member.Other;
      case 6:
        return this.keyIs(METRIC_KEY) ? Member.Metric : this.keyIs(POINTS_KEY) ? Member.Points : this.keyIs(DEVICE_KEY) ? Member.Device : Member.Other;
      case 8:
        return this.keyIs(INTERVAL_KEY) ? Member.Interval : Member.Other;
      case 16:
        return this.keyIs(SOURCE_TYPE_NAME_KEY) ? Member.SourceTypeName : Member.Other;
      default:
        return Member.Other;
    }
  }
}

/** Scans a v1 body into a batch; null when the scanner does not take it (then JSON.parse decides). */
function scanV1Series(body: Buffer): JsonSeriesBatch | null {
  // A UTF-8 byte-order mark is skipped, as parseJsonBody does.
  const bom = body.length >= 3 && body[0] === 0xef && body[1] === 0xbb && body[2] === 0xbf ? 3 : 0;
  const s = new JsonScanner(body, bom);
  const batch = new JsonSeriesBatch(body);
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
function scanSeriesArray(s: JsonScanner, batch: JsonSeriesBatch): void {
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
function scanSeries(s: JsonScanner, batch: JsonSeriesBatch): void {
  const objectStart = s.pos;
  s.pos++;
  let hasMetric = false;
  let pointsStart = -1;
  let pointsEnd = -1;
  do {
    s.key();
    const c = s.next();
    switch (s.member()) {
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
        if (c === OPEN_BRACKET) s.stringArray();
        else s.null();
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
  batch.endSeries(objectStart, pointsStart, pointsEnd, s.pos);
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

/**
 * The scanned series of one v1 body; see IdentitySeriesBatch. A series' identity is its object's bytes without its
 * `points` value: two runs, from the `{` up to the points' `[`, and from after the points' `]` to the `}`.
 */
export class JsonSeriesBatch extends ScannedSeriesBatch implements TransferableSeriesBatch {
  readonly encoding = 'v1-json';
  // index: per series i, at 4i: where its object starts, its points value starts and ends, and its object ends.
  // extra: series i's points are [extra[i], extra[i + 1]).
  private reader: JsonScanner | null = null;
  private strings: ProtoReader | null = null;

  constructor(body: Buffer, from?: SeriesBatchTransfer) {
    // Sized for an Agent-like body (~200 bytes a series), doubled when short.
    super(body, from, { index: 8 + (body.length >>> 5), extra: 2 + (body.length >>> 7) });
  }

  protected used(): { index: number; extra: number } {
    return { index: 4 * this.count, extra: this.count + 1 };
  }

  endSeries(objectStart: number, pointsStart: number, pointsEnd: number, objectEnd: number): void {
    const at = 4 * this.count++;
    if (at + 4 > this.index.length) this.index = doubled(this.index);
    if (this.count + 1 > this.extra.length) this.extra = doubled(this.extra);
    const bounds = this.index;
    bounds[at] = objectStart;
    bounds[at + 1] = pointsStart;
    bounds[at + 2] = pointsEnd;
    bounds[at + 3] = objectEnd;
    this.extra[this.count] = this.timestamps.length;
  }

  /** Computed on demand: a mapper that finds series in the order it saw them last compares bytes without hashing. */
  identityHash(i: number): number {
    const bounds = this.index;
    const at = 4 * i;
    const h = hashRun(this.view, IDENTITY_HASH_SEED, bounds[at]!, bounds[at + 1]!);
    return identityHashOf(hashRun(this.view, h, bounds[at + 2]!, bounds[at + 3]!));
  }

  identityWords(i: number): number {
    const bounds = this.index;
    const at = 4 * i;
    return 1 + runWords(bounds[at]!, bounds[at + 1]!) + runWords(bounds[at + 2]!, bounds[at + 3]!);
  }

  writeIdentity(i: number, words: Int32Array, at: number): void {
    const bounds = this.index;
    const b = 4 * i;
    words[at] = 2;
    const w = writeRun(this.view, bounds[b]!, bounds[b + 1]!, words, at + 1);
    writeRun(this.view, bounds[b + 2]!, bounds[b + 3]!, words, w);
  }

  identityEquals(i: number, words: Int32Array, at: number): boolean {
    const bounds = this.index;
    const b = 4 * i;
    if (words[at] !== 2) return false;
    const w = runEquals(this.view, bounds[b]!, bounds[b + 1]!, words, at + 1);
    return w >= 0 && runEquals(this.view, bounds[b + 2]!, bounds[b + 3]!, words, w) >= 0;
  }

  /** Series i's strings re-read from its object (checked by the scan, so nothing here can fail). */
  decode(i: number): DDSeries {
    const s = (this.reader ??= new JsonScanner(this.body, 0));
    const strings = (this.strings ??= new ProtoReader(this.body));
    const at = 4 * i;
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
      switch (s.member()) {
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

// ---- Exact decimal → double for 16-19 significant digits ----
//
// The digits are an integer M < 10^19 and the number is M / 10^s (0 <= s <= 22). M is held exactly as the sum of
// two doubles; q1 = M / 10^s rounded, the remainder M - q1·10^s is computed exactly (error-free products and
// Sterbenz's lemma) and divided, giving q1 + q2 within ~2^-90 relative of the true quotient. Rounding q1 + q2 to a
// double is then the correctly rounded quotient unless q1 + q2 lies within that error of a point halfway between
// two doubles: longDecimal says NaN there (and for a power of two, whose neighbours are not evenly spaced) and
// Number() decides. Same technique as double-double libraries; see Dekker, "A floating-point technique for
// extending the available precision" (1971) for the error-free product.

/** Splitter for Dekker's product: 2^27 + 1. */
const SPLITTER = 134217729;
/** How close to halfway (in ulps of the result) longDecimal leaves the rounding to Number(): far above its error. */
const HALFWAY_MARGIN = 2 ** -24;
const bitsView = new DataView(new ArrayBuffer(8));

/** Low part of a·b: a·b - fl(a·b), exactly (Dekker's two-product; no overflow for the magnitudes used here). */
function productError(a: number, b: number, product: number): number {
  let t = SPLITTER * a;
  const aHigh = t - (t - a);
  const aLow = a - aHigh;
  t = SPLITTER * b;
  const bHigh = t - (t - b);
  const bLow = b - bHigh;
  return aHigh * bHigh - product + aHigh * bLow + aLow * bHigh + aLow * bLow;
}

/**
 * The number whose digits (with an optional `.`, then maybe an exponent) are bytes [p, stop), 16-19 of them
 * significant, times 10^scale (-22 <= scale <= 0: the `.` and the exponent counted in), correctly rounded; NaN when
 * too close to halfway between two doubles to be sure.
 */
function longDecimal(bytes: Uint8Array, p: number, stop: number, scale: number): number {
  // The first 15 significant digits, exact; then up to 4 more.
  let high = 0;
  let low = 0;
  let lowScale = 1;
  let significant = 0;
  for (; p < stop; p++) {
    const c = bytes[p]!;
    if (c === DOT) continue;
    if (c < ZERO || c > NINE) break;
    if (significant < EXACT_DIGITS) {
      high = high * 10 + (c - ZERO);
      if (high !== 0) significant++;
    } else {
      low = low * 10 + (c - ZERO);
      lowScale *= 10;
    }
  }
  // M = high·lowScale + low exactly, as mHigh + mLow: the product's rounding error and low are integers < 2^53.
  const product = high * lowScale;
  const rest = productError(high, lowScale, product) + low;
  const mHigh = product + rest;
  const mLow = rest - (mHigh - product);
  if (scale === 0) return mHigh;
  const divisor = POWERS_OF_TEN[-scale]!;
  const q1 = mHigh / divisor;
  const q1Times = q1 * divisor;
  // mHigh - q1·divisor is exact (the two are within a factor of 2); the remainder's rounding error is negligible.
  const remainder = mHigh - q1Times - productError(q1, divisor, q1Times) + mLow;
  const q2 = remainder / divisor;
  const result = q1 + q2;
  const roundingError = q2 - (result - q1);
  bitsView.setFloat64(0, result);
  const highBits = bitsView.getUint32(0);
  if ((highBits & 0xfffff) === 0 && bitsView.getUint32(4) === 0) return NaN;
  // The result's ulp: 2^(exponent - 52).
  bitsView.setUint32(0, (((highBits >>> 20) & 0x7ff) - 52) << 20);
  bitsView.setUint32(4, 0);
  const ulp = bitsView.getFloat64(0);
  if (Math.abs(Math.abs(roundingError) - ulp / 2) <= ulp * HALFWAY_MARGIN) return NaN;
  return result;
}
