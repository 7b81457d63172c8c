import { describe, test } from 'node:test';
import type { DecodedPayload } from '../model/datadog.js';
import { HostTagCache } from '../mapping/host-tags.js';
import { Mapper } from '../mapping/mapper.js';
import { NO_SERIES_LIMITS } from '../mapping/limits.js';
import { decodeSeriesV1Json } from './decoders/series-v1-json.js';
import { decodeSeriesV2 } from './decoders/series-v2.js';
import { decodeMetricsV3 } from './decoders/metrics-v3.js';
import { decodeSketches } from './decoders/sketches-proto.js';
import { decodeDistributionPoints } from './decoders/distribution-points.js';
import { decodeCheckRun } from './decoders/check-run.js';
import { decodeIntake } from './decoders/intake.js';
import { decodeEvent, decodeEventV2 } from './decoders/events.js';
import { decodeInventories } from './decoders/inventories.js';
import { encodeMetricPayload, encodeSketchPayload, type MetricSeriesInput } from '../../test/support/proto-writer.js';
import { encodeV3Payload } from '../../test/support/v3-writer.js';
import { assertLinearWork } from '../../test/support/growth.js';
import { series } from '../../test/support/decoder-testing.js';

// Every decoder and the mapping after it do work proportional to the request (issue: one v1 series whose 100k tags
// shared one key froze the server 13.7 s). Each hostile shape is measured at n and 16n items: its CPU time per byte
// must stay flat. The mapper runs with every limit off, so the shapes reach the code the limits would spare.

const NOW_S = 1_700_000_000;
const LIMITS = { maxDecompressedBytes: 1 << 30 };

function mapped(payload: DecodedPayload): void {
  const mapper = new Mapper({ keepUtf8Names: false, limits: NO_SERIES_LIMITS }, new HostTagCache(null));
  mapper.map('t', payload, NOW_S * 1000);
}

interface Shape {
  name: string;
  /** Items (tags, series, points...) at the small size; large is GROWTH_FACTOR times that. */
  n: number;
  body: (n: number) => Buffer;
  /** What the work is proportional to, when not the body's length: what a v3 body's dictionaries expand to. */
  bytes?: (n: number, body: Buffer) => number;
  decode: (body: Buffer) => DecodedPayload;
}

const range = (n: number, f: (i: number) => string): string[] => Array.from({ length: n }, (_, i) => f(i));
const json = (v: unknown) => Buffer.from(JSON.stringify(v));
const v1 = (series: object[]) => json({ series });
const point: [number, number] = [NOW_S, 1];

const SHAPES: Shape[] = [
  {
    name: 'v1: one series, n tags sharing one key',
    n: 4000,
    body: (n) => v1([{ metric: 'm', points: [point], tags: range(n, (i) => `k:v${i}`) }]),
    decode: decodeSeriesV1Json,
  },
  {
    name: 'v1: one series, n distinct tag keys',
    n: 4000,
    body: (n) => v1([{ metric: 'm', points: [point], tags: range(n, (i) => `k${i}:v`) }]),
    decode: decodeSeriesV1Json,
  },
  {
    name: 'v1: one series, the same tag n times',
    n: 4000,
    body: (n) => v1([{ metric: 'm', points: [point], tags: range(n, () => 'k:v') }]),
    decode: decodeSeriesV1Json,
  },
  {
    name: 'v1: n series of one metric',
    n: 1000,
    body: (n) => v1(range(n, (i) => `h${i}`).map((host) => ({ metric: 'm', host, points: [point] }))),
    decode: decodeSeriesV1Json,
  },
  {
    name: 'v1: one series, n points in descending time',
    n: 4000,
    body: (n) => v1([{ metric: 'm', points: Array.from({ length: n }, (_, i) => [NOW_S - i, i]) }]),
    decode: decodeSeriesV1Json,
  },
  {
    name: 'v1: one tag value of n escaped characters',
    n: 4000,
    body: (n) => Buffer.from(`{"series":[{"metric":"m","points":[[${NOW_S},1]],"tags":["k:${'\\u00e9'.repeat(n)}"]}]}`),
    decode: decodeSeriesV1Json,
  },
  {
    name: 'v1 through JSON.parse: one series, n tags sharing one key',
    n: 4000,
    // A null device makes the scanner hand the body to the JSON.parse decoder.
    body: (n) => v1([{ metric: 'm', device: null, points: [point], tags: range(n, (i) => `k:v${i}`) }]),
    decode: decodeSeriesV1Json,
  },
  {
    name: 'v2 JSON: one series, n tags sharing one key',
    n: 4000,
    body: (n) =>
      json({ series: [{ metric: 'm', points: [{ timestamp: NOW_S, value: 1 }], tags: range(n, (i) => `k:v${i}`) }] }),
    decode: decodeSeriesV2,
  },
  {
    name: 'v2 protobuf: one series, n tags sharing one key',
    n: 4000,
    body: (n) =>
      encodeMetricPayload([
        { metric: 'm', type: 3, tags: range(n, (i) => `k:v${i}`), points: [{ timestamp: NOW_S, value: 1 }] },
      ]),
    decode: decodeSeriesV2,
  },
  {
    name: 'v2 protobuf: one series, n resources of one type',
    n: 4000,
    body: (n) =>
      encodeMetricPayload([
        {
          metric: 'm',
          type: 3,
          resources: range(n, (i) => `r${i}`).map((name) => ({ type: 'host', name })),
          points: [{ timestamp: NOW_S, value: 1 }],
        },
      ]),
    decode: decodeSeriesV2,
  },
  {
    name: 'v2 protobuf: n series',
    n: 1000,
    body: (n) =>
      encodeMetricPayload(
        range(n, (i) => `m${i}`).map(
          (metric): MetricSeriesInput => ({
            metric,
            type: 3,
            tags: ['env:a'],
            points: [{ timestamp: NOW_S, value: 1 }],
          }),
        ),
      ),
    decode: decodeSeriesV2,
  },
  {
    name: 'v3: one series, n tags sharing one key',
    n: 4000,
    body: (n) =>
      encodeV3Payload({
        series: [{ metric: 'm', type: 3, tags: range(n, (i) => `k:v${i}`), points: [{ timestamp: NOW_S, value: 1 }] }],
      }),
    decode: (b) => decodeMetricsV3(b, LIMITS),
  },
  {
    name: 'v3: n series sharing n tags',
    n: 50,
    // Every series refers to the one tag set: the decoded series hold n² tags, counted against the size limit.
    bytes: (n) => n * n * `k${n}:v`.length,
    body: (n) =>
      encodeV3Payload({
        series: range(n, (i) => `m${i}`).map((metric) => ({
          metric,
          type: 3,
          tags: range(n, (i) => `k${i}:v`),
          points: [{ timestamp: NOW_S, value: 1 }],
        })),
      }),
    decode: (b) => decodeMetricsV3(b, LIMITS),
  },
  {
    name: 'sketches: one sketch, n tags sharing one key',
    n: 4000,
    body: (n) =>
      encodeSketchPayload([
        {
          metric: 'd',
          host: 'h',
          tags: range(n, (i) => `k:v${i}`),
          dogsketches: [{ ts: NOW_S, cnt: 1, min: 1, max: 1, avg: 1, sum: 1, k: [1338], n: [1] }],
        },
      ]),
    decode: decodeSketches,
  },
  {
    name: 'sketches: one sketch of n bins',
    n: 4000,
    body: (n) =>
      encodeSketchPayload([
        {
          metric: 'd',
          dogsketches: [
            {
              ts: NOW_S,
              cnt: n,
              min: 1,
              max: 2,
              avg: 1.5,
              sum: 1.5 * n,
              k: Array.from({ length: n }, (_, i) => i - n / 2),
              n: Array(n).fill(1),
            },
          ],
        },
      ]),
    decode: decodeSketches,
  },
  {
    name: 'distribution points: one point of n values',
    n: 4000,
    body: (n) => v1([{ metric: 'd', points: [[NOW_S, Array.from({ length: n }, (_, i) => (i * 7919) % 1000)]] }]),
    decode: decodeDistributionPoints,
  },
  {
    name: 'check_run: one check, n tags sharing one key',
    n: 4000,
    body: (n) => json([{ check: 'c', host_name: 'h', status: 0, timestamp: NOW_S, tags: range(n, (i) => `k:v${i}`) }]),
    decode: decodeCheckRun,
  },
  {
    name: 'check_run: n checks',
    n: 1000,
    body: (n) =>
      json(range(n, (i) => `c${i}`).map((check) => ({ check, host_name: 'h', status: 0, timestamp: NOW_S }))),
    decode: decodeCheckRun,
  },
  {
    name: 'intake: host metadata with n host tags, then a series of the host',
    n: 4000,
    body: (n) => json({ internalHostname: 'h', os: 'linux', 'host-tags': { system: range(n, (i) => `k:v${i}`) } }),
    decode: (b) => {
      const payload = decodeIntake(b);
      payload.series.push(series({ metric: 'm', host: 'h', timestamps: [NOW_S], values: [1] }));
      return payload;
    },
  },
  {
    name: 'intake: n events',
    n: 500,
    body: (n) =>
      json({
        internalHostname: 'h',
        events: {
          api: range(n, (i) => `e${i}`).map((t) => ({
            msg_title: t,
            msg_text: t,
            timestamp: NOW_S,
            host: 'h',
            tags: ['a:b'],
          })),
        },
      }),
    decode: decodeIntake,
  },
  {
    name: 'events v1: one event, n tags',
    n: 4000,
    body: (n) => json({ title: 't', text: 'x', tags: range(n, (i) => `k:v${i}`) }),
    decode: decodeEvent,
  },
  {
    name: 'events v2: one event, n tags',
    n: 4000,
    body: (n) =>
      json({
        data: {
          type: 'event',
          attributes: {
            title: 't',
            category: 'change',
            attributes: {
              author: { name: 'a', type: 'user' },
              changed_resource: { name: 'r', type: 'feature_flag' },
              new_value: {},
            },
            tags: range(n, (i) => `k:v${i}`),
          },
        },
      }),
    decode: decodeEventV2,
  },
  {
    name: 'metadata: inventories of n keys',
    n: 4000,
    body: (n) =>
      json({
        hostname: 'h',
        timestamp: NOW_S,
        agent_metadata: Object.fromEntries(range(n, (i) => `k${i}`).map((k) => [k, k])),
      }),
    decode: decodeInventories,
  },
];

describe('decode and map: work per byte stays flat as a hostile input grows 16×', () => {
  for (const shape of SHAPES) {
    test(shape.name, () => {
      assertLinearWork(
        shape.n,
        (n) => {
          const input = shape.body(n);
          return { input, bytes: shape.bytes?.(n, input) ?? input.length };
        },
        (body) => mapped(shape.decode(body)),
      );
    });
  }
});
