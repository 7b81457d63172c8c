// Datadog's data model as the intake decoders produce it, before any mapping to Prometheus.
// Decoders fill these from the wire (protobuf or JSON); mapping/ turns them into Prometheus series.
// Absent string fields are '' and absent numbers 0, as on the protobuf wire, so consumers never test for undefined.

export type DDMetricType = 'unspecified' | 'count' | 'rate' | 'gauge';

export interface DDResource {
  type: string;
  name: string;
}

/** One metric series: v1 JSON, v2 JSON and v2 protobuf all decode to this. */
export interface DDSeries {
  metric: string;
  type: DDMetricType;
  /** From the `host` resource (v2) or the `host` field (v1). */
  host: string;
  /** From the `device` resource (v2) or the `device` field (v1). */
  device: string;
  /** v2 resources other than host and device, in wire order. */
  resources: DDResource[];
  tags: string[];
  sourceTypeName: string;
  /** Seconds; 0 when absent. */
  interval: number;
  unit: string;
  /** Unix seconds as sent (may be fractional, unsorted, duplicated); same length as values. */
  timestamps: number[];
  values: number[];
}

/** One Dogsketch: a DDSketch summary of one series over one interval, in the Agent's key mapping. */
export interface DDSketchPoint {
  /** Unix seconds. */
  ts: number;
  cnt: number;
  min: number;
  max: number;
  avg: number;
  sum: number;
  /** Bin keys (may repeat; counts of a repeated key add up). */
  keys: number[];
  /** Bin counts, same length as keys. */
  counts: number[];
}

export interface DDSketch {
  metric: string;
  host: string;
  tags: string[];
  points: DDSketchPoint[];
}

/** Raw distribution values (`/api/v1/distribution_points`); mapping sketches them with the Agent's mapping. */
export interface DDDistribution {
  metric: string;
  host: string;
  tags: string[];
  points: { ts: number; values: number[] }[];
}

export interface DDServiceCheck {
  check: string;
  host: string;
  /** Unix seconds; 0 when absent (the receiver uses its own clock then). */
  timestamp: number;
  /** 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN. */
  status: number;
  message: string;
  tags: string[];
}

/** What a host says about itself in its metadata payload on /intake/. */
export interface DDHostMetadata {
  host: string;
  /** Flattened `host-tags` of every source (system, cloud providers...). */
  hostTags: string[];
  agentVersion: string;
  os: string;
}

export interface DDEvent {
  title: string;
  text: string;
  host: string;
  tags: string[];
  /** Unix seconds; 0 when absent. */
  timestamp: number;
  alertType: string;
  priority: string;
  sourceTypeName: string;
  aggregationKey: string;
  /** Only events posted to `/api/v2/events`: their category and category-specific attributes, kept as sent. */
  v2?: { category: 'change' | 'alert'; attributes: Record<string, unknown> };
}

/**
 * Series scanned but not turned into strings: v2 protobuf (intake/decoders/series-v2-proto.ts), v1 JSON
 * (intake/decoders/series-v1-json.ts) and v3 columnar (intake/decoders/metrics-v3.ts). A series' identity is raw
 * bytes of the body other than its points (protobuf: the MetricSeries fields other than points, in wire order; JSON:
 * the series object's bytes before and after the `points` value; v3: the dictionary strings the series references);
 * points are decoded. The Agent re-sends the same identities every flush, so a mapper that remembers identity bytes
 * decodes strings only for new ones.
 */
export interface IdentitySeriesBatch {
  /** The wire format of the identity bytes: identities of different encodings are never compared. */
  readonly encoding: 'v2-protobuf' | 'v1-json' | 'v3-columnar';
  readonly count: number;
  /** Hash (30 bits) of series i's identity. */
  identityHash(i: number): number;
  /**
   * Series i's identity as 32-bit words, identityWords(i) long, laid out as the encoding defines. v2 protobuf and v1
   * JSON: the number of byte runs (the runs between point fields), then each run's byte length and its bytes,
   * little-endian, zero-padded to a whole word; v3 columnar: see V3SeriesBatch.
   */
  identityWords(i: number): number;
  /** Writes series i's identity words into words[at ...]. */
  writeIdentity(i: number, words: Int32Array, at: number): void;
  /** Whether words[at ...] hold exactly series i's identity words. */
  identityEquals(i: number, words: Int32Array, at: number): boolean;
  /** Series i with every field decoded, equal to the element of `DecodedPayload.series`. */
  decode(i: number): DDSeries;
  /** Series i's number of tags, counted without decoding them: a series with too many is refused undecoded. */
  tagCount(i: number): number;
  /** Series i's points are timestamps[pointsStart(i)] .. timestamps[pointsStart(i + 1) - 1] (values alike). */
  pointsStart(i: number): number;
  /** Points of all series, unix seconds as sent. */
  readonly timestamps: readonly number[];
  readonly values: readonly number[];
}

/** Everything one request decoded to. A decoder fills the parts its route carries and leaves the rest empty. */
export interface DecodedPayload {
  /** When `seriesBatch` is set: its series decoded, built on first read, read-only (the mapper reads `seriesBatch`). */
  series: DDSeries[];
  /** Set by the v2 protobuf, v1 JSON and v3 columnar decoders. */
  seriesBatch?: IdentitySeriesBatch;
  sketches: DDSketch[];
  distributions: DDDistribution[];
  serviceChecks: DDServiceCheck[];
  hostMetadata: DDHostMetadata[];
  events: DDEvent[];
  /** Inventory (`/api/v1/metadata`) payloads accepted; not turned into samples. */
  inventories: number;
}

export function emptyPayload(): DecodedPayload {
  return {
    series: [],
    sketches: [],
    distributions: [],
    serviceChecks: [],
    hostMetadata: [],
    events: [],
    inventories: 0,
  };
}

/** A malformed body. `message` says what is wrong and where (e.g. `series[3].points[1][0]: expected a number`). */
export class DecodeError extends Error {
  override name = 'DecodeError';
}
