import { emptyPayload, type DDDistribution, type DecodedPayload } from '../../model/datadog.js';
import {
  describeValue,
  expectObject,
  fail,
  jsonPath,
  jsonTypeName,
  optionalString,
  optionalTags,
  parseJsonBody,
  requiredString,
  seriesArray,
  type JsonObject,
} from './json.js';

// `/api/v1/distribution_points` (public API DistributionPointsApi / MetricsApi v1 submitDistributionPoints):
// {"series":[{metric, points:[[ts, [v1, v2, ...]], ...], host, tags, type: "distribution"}]}. The raw values are
// kept; mapping sketches them with the Agent's mapping. `type` may only be "distribution" (the API's one enum value)
// when present.

export function decodeDistributionPoints(body: Buffer): DecodedPayload {
  const items = seriesArray(parseJsonBody(body, 'distribution points payload'), 'distribution points payload');
  const out = emptyPayload();
  for (let i = 0; i < items.length; i++)
    out.distributions.push(readDistribution(expectObject(items[i], jsonPath('series', i)), i));
  return out;
}

function readDistribution(s: JsonObject, i: number): DDDistribution {
  const metric = requiredString(s, 'metric', 'series', i);
  const type = optionalString(s, 'type', 'series', i);
  if (type !== '' && type !== 'distribution')
    fail(jsonPath('series', i, 'type'), `expected "distribution", got ${describeValue(type)}`);
  const rawPoints = s.points;
  const pointsPath = jsonPath('series', i, 'points');
  if (!Array.isArray(rawPoints))
    fail(pointsPath, `expected an array of [timestamp, [values]], got ${jsonTypeName(rawPoints)}`);
  const points: DDDistribution['points'] = new Array(rawPoints.length);
  for (let j = 0; j < rawPoints.length; j++) {
    const p = rawPoints[j];
    if (!Array.isArray(p) || p.length !== 2) {
      fail(
        `${pointsPath}[${j}]`,
        `expected [timestamp, [values]], got ${Array.isArray(p) ? `an array of ${p.length}` : jsonTypeName(p)}`,
      );
    }
    const ts = p[0];
    const values = p[1];
    if (typeof ts !== 'number') fail(`${pointsPath}[${j}][0]`, `expected a number, got ${jsonTypeName(ts)}`);
    if (!Array.isArray(values))
      fail(`${pointsPath}[${j}][1]`, `expected an array of numbers, got ${jsonTypeName(values)}`);
    for (let k = 0; k < values.length; k++) {
      if (typeof values[k] !== 'number')
        fail(`${pointsPath}[${j}][1][${k}]`, `expected a number, got ${jsonTypeName(values[k])}`);
    }
    points[j] = { ts, values: values as number[] };
  }
  return { metric, host: optionalString(s, 'host', 'series', i), tags: optionalTags(s, 'tags', 'series', i), points };
}
