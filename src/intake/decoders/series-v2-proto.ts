import { emptyPayload, type DDMetricType, type DDResource, type DDSeries, type DecodedPayload } from '../../model/datadog.js';
import { ProtoReader, rethrowInMessage, rethrowInPath } from './protobuf.js';

// Decoder for the Agent's `/api/v2/series` protobuf body (agent-payload `MetricPayload`, field numbers in
// PRODUCT.md). Zero-valued fields are absent on the wire, so every field starts at its default ('' / 0).
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

/** Decodes a decompressed `MetricPayload`. Points are kept as sent (unsorted, duplicates); mapping sorts them. */
export function decodeSeriesV2Proto(body: Buffer): DecodedPayload {
  const r = new ProtoReader(body);
  const end = r.length;
  const series: DDSeries[] = [];
  try {
    while (r.pos < end) {
      const tag = r.tag(end);
      if (tag === PAYLOAD_SERIES) {
        const stop = r.lengthEnd(end);
        try {
          series.push(readSeries(r, stop));
        } catch (err) {
          rethrowInPath(err, `series[${series.length}]`);
        }
      } else r.skip(tag, end);
    }
  } catch (err) {
    rethrowInMessage(err, 'MetricPayload');
  }
  const out = emptyPayload();
  out.series = series;
  return out;
}

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
  let resourceCount = 0;
  let field = 0;
  try {
    while (r.pos < end) {
      field = 0;
      const tag = r.tag(end);
      field = tag;
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
          resourceCount++;
          break;
        }
        case SERIES_METRIC:
          metric = r.string(end);
          break;
        case SERIES_TAGS: {
          const t = r.string(end);
          scratchTags[tagCount++] = t;
          break;
        }
        case SERIES_POINTS: {
          const stop = r.lengthEnd(end);
          let value = 0;
          let ts = 0;
          while (r.pos < stop) {
            const t = r.tag(stop);
            if (t === POINT_VALUE) value = r.double(stop);
            else if (t === POINT_TIMESTAMP) ts = r.int64(stop);
            else r.skip(t, stop);
          }
          scratchTimestamps[pointCount] = ts;
          scratchValues[pointCount++] = value;
          break;
        }
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
  } catch (err) {
    if (field === 0) throw err;
    rethrowInPath(err, seriesFieldPath(field, resourceCount, tagCount, pointCount));
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
