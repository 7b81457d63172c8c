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

const V1_TYPES: Record<string, DDMetricType> = { gauge: 'gauge', rate: 'rate', count: 'count' };

/** `/api/v1/series` JSON. */
export function decodeSeriesV1Json(body: Buffer): DecodedPayload {
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
    type: V1_TYPES[rawType] ?? 'unspecified',
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
