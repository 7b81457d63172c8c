import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync, inflateSync } from 'node:zlib';
import { encodeMetricPayload, type MetricSeriesInput } from './proto-writer.js';
import type { DDSeries } from '../../src/model/datadog.js';

// The Datadog Agent captures in test/fixtures/datadog-agent (what each holds and where it comes from: PROVENANCE.md
// there): each file is {"payloads":[{timestamp, data (base64), encoding}]}, as Datadog's fakeintake recorded them.

export interface FixturePayload {
  timestamp: string;
  /** `deflate` (zlib-wrapped, as the Agent sends it), `gzip`, or `application/json` / '' for raw bytes. */
  encoding: string;
  /** The request body as received (still compressed). */
  data: Buffer;
}

export const FIXTURE_DIR = join(process.cwd(), 'test', 'fixtures', 'datadog-agent');

export function loadFixture(file: string): FixturePayload[] {
  const parsed = JSON.parse(readFileSync(join(FIXTURE_DIR, file), 'utf8')) as {
    payloads: { timestamp: string; data: string; encoding: string }[];
  };
  return parsed.payloads.map((p) => ({
    timestamp: p.timestamp,
    encoding: p.encoding,
    data: Buffer.from(p.data, 'base64'),
  }));
}

/** The decompressed request body of a fixture payload. */
export function decodedBody(p: FixturePayload): Buffer {
  switch (p.encoding) {
    case 'deflate':
      return inflateSync(p.data);
    case 'gzip':
      return gunzipSync(p.data);
    case '':
    case 'application/json':
      return p.data;
    default:
      throw new Error(`fixture payload with unknown encoding "${p.encoding}"`);
  }
}

const TYPE_ENUM = { unspecified: 0, count: 1, rate: 2, gauge: 3 } as const;

/** A decoded series as the payload writers' input (host and device as resources), its timestamps moved by `shiftSec`. */
export function seriesInput(s: DDSeries, shiftSec = 0): MetricSeriesInput {
  return {
    metric: s.metric,
    type: TYPE_ENUM[s.type],
    resources: [
      ...(s.host ? [{ type: 'host', name: s.host }] : []),
      ...(s.device ? [{ type: 'device', name: s.device }] : []),
      ...s.resources,
    ],
    tags: s.tags,
    unit: s.unit,
    sourceTypeName: s.sourceTypeName,
    interval: s.interval,
    points: s.timestamps.map((t, i) => ({ timestamp: Math.round(t + shiftSec), value: s.values[i]! })),
  };
}

/** How far to move timestamps so that the newest point of `series` is `newestSec`. */
export function shiftToNewest(series: readonly DDSeries[], newestSec: number): number {
  let max = 0;
  for (const s of series) for (const t of s.timestamps) max = Math.max(max, t);
  return newestSec - max;
}

/**
 * Decoded v2 series re-encoded as a MetricPayload (protobuf, not compressed) with every timestamp moved so that
 * the newest point is `newestSec`: captures are years old, and stores refuse samples that old.
 */
export function seriesPayloadAt(series: readonly DDSeries[], newestSec: number): Buffer {
  const shift = shiftToNewest(series, newestSec);
  return encodeMetricPayload(series.map((s) => seriesInput(s, shift)));
}
