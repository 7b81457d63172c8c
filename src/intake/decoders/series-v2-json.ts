import {
  emptyPayload,
  type DDMetricType,
  type DDResource,
  type DDSeries,
  type DecodedPayload,
} from '../../model/datadog.js';
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
  pointValue,
  requiredString,
  seriesArray,
  type JsonObject,
} from './json.js';
import { metricTypeFromEnum } from './series-v2-proto.js';

// `/api/v2/series` with a JSON body (the public API client's MetricsApi v2 submitMetrics): {"series":[{metric,
// type: 0..3, points:[{timestamp, value}], resources:[{name, type}], tags, unit, source_type_name, interval,
// metadata}]}. `type` is the MetricIntakeType enum serialized as an integer.
// - A point value of null becomes NaN (see pointValue).
// - An integer type this version does not know reads as 'unspecified', which Datadog treats as a gauge; see
//   metricTypeFromEnum.
// - Timestamps are Unix seconds and may be fractional.

/** `/api/v2/series` JSON (the public API's v2 submitMetrics). */
export function decodeSeriesV2Json(body: Buffer): DecodedPayload {
  const items = seriesArray(parseJsonBody(body, 'series payload'), 'series payload');
  const out = emptyPayload();
  for (let i = 0; i < items.length; i++)
    out.series.push(readV2Series(expectObject(items[i], jsonPath('series', i)), i));
  return out;
}

function readV2Series(s: JsonObject, i: number): DDSeries {
  const metric = requiredString(s, 'metric', 'series', i);
  const rawType = s.type;
  let type: DDMetricType = 'unspecified';
  if (typeof rawType === 'number' && Number.isInteger(rawType)) type = metricTypeFromEnum(rawType);
  else if (rawType !== undefined && rawType !== null)
    fail(jsonPath('series', i, 'type'), `expected an integer 0-3, got ${describeValue(rawType)}`);

  const points = s.points;
  if (!Array.isArray(points))
    fail(jsonPath('series', i, 'points'), `expected an array of {timestamp, value}, got ${jsonTypeName(points)}`);
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
    if (!Array.isArray(rawResources))
      fail(jsonPath('series', i, 'resources'), `expected an array, got ${jsonTypeName(rawResources)}`);
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
