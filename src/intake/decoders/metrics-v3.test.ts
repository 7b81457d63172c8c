import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { DDSketch, IdentitySeriesBatch } from '../../model/datadog.js';
import { PayloadTooLargeError } from '../body.js';
import { decodeMetricsV3 } from './metrics-v3.js';
import { decodeSeriesV2Proto } from './series-v2-proto.js';
import { decodeSketches } from './sketches-proto.js';
import { agentLikeSeries } from './series-v2-proto.bench.js';
import {
  ProtoWriter,
  encodeMetricPayload,
  encodeSketchPayload,
  type MetricSeriesInput,
  type SketchInput,
} from '../../../test/support/proto-writer.js';
import {
  V3_COLUMNS as C,
  assembleV3Parts,
  buildV3Columns,
  encodeV3Payload,
  zigzag,
  type V3Columns,
} from '../../../test/support/v3-writer.js';
import { assertDecodeError, series } from '../../../test/support/decoder-testing.js';
import { decodedBody, loadFixture, seriesInput } from '../../../test/support/fixtures.js';

/** promdog's default decompressed-size limit, which also bounds what a v3 body expands to. */
const LIMITS = { maxDecompressedBytes: 64 << 20 };
const decode = (body: Buffer, limits = LIMITS) => decodeMetricsV3(body, limits);

/** A string dictionary column: each string as uvarint length + bytes. */
function dictionary(strings: string[]): Buffer {
  const w = new ProtoWriter();
  for (const s of strings) w.varint(Buffer.byteLength(s)).raw(Buffer.from(s));
  return w.finish();
}

const varints = (values: number[]) => {
  const w = new ProtoWriter();
  for (const v of values) w.varint(v);
  return w.finish();
};
const sints = (values: number[]) => varints(values.map(zigzag));
const floats = (values: number[]) => Buffer.concat(values.map((v) => Buffer.from(new Float32Array([v]).buffer)));
const doubles = (values: number[]) => Buffer.concat(values.map((v) => Buffer.from(new Float64Array([v]).buffer)));

/** A payload whose columns are written by hand from the wire facts (not by the test writer). */
function handWritten(): V3Columns {
  return new Map<number, Buffer>([
    [C.dictNameStr, dictionary(['cpu.user', 'net.bytes', 'lat'])],
    [C.dictTagStr, dictionary(['env:prod', 'role:web', 'dev:eth0', 'team:a'])],
    // Set 1: tags 1, 2. Set 2: splice of set 1 (-1), then tag 3 (-1 + 4). Set 3: tag 4.
    [C.dictTagsets, sints([2, 1, 1, 2, -1, 4, 1, 4])],
    [C.dictResourceStr, dictionary(['host', 'web-1', 'device', 'eth0'])],
    [C.dictResourceLen, varints([1, 2])],
    // Set 1: (host, web-1). Set 2: (host, web-1), (device, eth0); deltas restart per set.
    [C.dictResourceType, sints([1, 1, 2])],
    [C.dictResourceName, sints([2, 2, 2])],
    [C.dictSourceTypeName, dictionary(['System'])],
    [C.dictOriginInfo, varints([10, 0, 0])],
    [C.dictUnitStr, dictionary(['byte'])],
    // sint64 gauge; float64 rate with a unit; zero count; float32 sketch.
    [C.types, varints([0x13, 0x232, 0x01, 0x24])],
    [C.nameRefs, sints([1, 1, -1, 2])],
    [C.tagsetRefs, sints([1, 1, 1, -2])],
    [C.resourcesRefs, sints([1, 1, -2, 1])],
    [C.intervals, sints([0, 10, 0, -10])],
    [C.numPoints, varints([2, 1, 1, 1])],
    [C.sourceTypeNameRefs, sints([1, -1, 0, 0])],
    [C.originInfoRefs, sints([1, 0, 0, 0])],
    [C.unitRefs, sints([1])],
    [C.timestamps, sints([1_700_000_000, 10, 0, 0, 10])],
    // Metric 0's two values, then the sketch's count.
    [C.valsSint64, sints([5, -3, 3])],
    [C.valsFloat32, floats([6, 1, 3])],
    [C.valsFloat64, doubles([0.1])],
    [C.sketchNumBins, varints([3])],
    [C.sketchBinKeys, sints([1338, 44, 27])],
    [C.sketchBinCnts, varints([1, 1, 1])],
  ]);
}

const payloadOf = (columns: V3Columns, opts: Parameters<typeof assembleV3Parts>[1] = {}) =>
  Buffer.concat(assembleV3Parts(columns, opts));

/** Decodes v2 and v3 bodies of the same input and compares what the mapper reads (tags as sets: v3 sorts them). */
function assertSameSeries(v2Body: Buffer, v3Body: Buffer): void {
  const byTags = (s: { tags: string[] }) => ({ ...s, tags: [...s.tags].sort() });
  assert.deepEqual(decode(v3Body).series.map(byTags), decodeSeriesV2Proto(v2Body).series.map(byTags));
}

describe('intake_v3 payload written by hand', () => {
  test('series: dictionaries, splices, resources, units, every value type; delta columns', () => {
    const d = decode(payloadOf(handWritten()));
    assert.deepEqual(d.series, [
      series({
        metric: 'cpu.user',
        type: 'gauge',
        host: 'web-1',
        tags: ['env:prod', 'role:web'],
        sourceTypeName: 'System',
        timestamps: [1_700_000_000, 1_700_000_010],
        values: [5, -3],
      }),
      series({
        metric: 'net.bytes',
        type: 'rate',
        host: 'web-1',
        device: 'eth0',
        tags: ['env:prod', 'role:web', 'dev:eth0'],
        interval: 10,
        unit: 'byte',
        timestamps: [1_700_000_010],
        values: [0.1],
      }),
      series({
        metric: 'cpu.user',
        type: 'count',
        tags: ['team:a'],
        interval: 10,
        timestamps: [1_700_000_010],
        values: [0],
      }),
    ]);
    assert.deepEqual(d.sketches, [
      {
        metric: 'lat',
        host: 'web-1',
        tags: ['env:prod', 'role:web'],
        points: [
          { ts: 1_700_000_020, cnt: 3, min: 1, max: 3, avg: 2, sum: 6, keys: [1338, 1382, 1409], counts: [1, 1, 1] },
        ],
      },
    ] satisfies DDSketch[]);
  });

  test('column order does not matter; unknown fields are skipped', () => {
    const columns = handWritten();
    const reversed = [...columns.keys()].reverse();
    const expected = decode(payloadOf(columns));
    const withUnknown = Buffer.concat([
      new ProtoWriter().varintField(9, 1).bytesField(7, Buffer.from('future')).finish(),
      payloadOf(columns, { order: reversed }),
    ]);
    const got = decode(withUnknown);
    assert.deepEqual(got.series, expected.series);
    assert.deepEqual(got.sketches, expected.sketches);
  });

  test('payload metadata: tags join every tag set (set 0 too) unless there; resources every resource set', () => {
    const d = decode(
      payloadOf(handWritten(), {
        metadata: { tags: ['role:web', 'region:eu'], resources: [{ type: 'cluster', name: 'c1' }] },
      }),
    );
    assert.deepEqual(
      d.series.map((s) => [s.tags, s.resources]),
      [
        [['env:prod', 'role:web', 'region:eu'], [{ type: 'cluster', name: 'c1' }]],
        [['env:prod', 'role:web', 'dev:eth0', 'region:eu'], [{ type: 'cluster', name: 'c1' }]],
        [['team:a', 'role:web', 'region:eu'], [{ type: 'cluster', name: 'c1' }]],
      ],
    );
    assert.deepEqual(d.sketches[0]!.tags, ['env:prod', 'role:web', 'region:eu']);
    const untagged = handWritten();
    untagged.set(C.tagsetRefs, sints([0, 0, 0, 0]));
    assert.deepEqual(
      decode(payloadOf(untagged, { metadata: { tags: ['a', 'b'] } })).series.map((s) => s.tags),
      [
        ['a', 'b'],
        ['a', 'b'],
        ['a', 'b'],
      ],
    );
  });

  test('an empty body and a payload without metricData decode to nothing', () => {
    for (const body of [Buffer.alloc(0), payloadOf(new Map())]) {
      const d = decode(body);
      assert.deepEqual([d.series, d.sketches], [[], []]);
    }
  });
});

describe('the test writer against the v2 decoders', () => {
  test('Agent-like series: v3 decodes to the v2 decode, in every writer variant', () => {
    const input = agentLikeSeries(3000, 7);
    const v2 = encodeMetricPayload(input);
    assertSameSeries(v2, encodeV3Payload({ series: input }));
    assertSameSeries(v2, encodeV3Payload({ series: input }, { splitTags: (tags) => Math.min(2, tags.length - 1) }));
    assertSameSeries(v2, encodeV3Payload({ series: input }, { valueType: 'float64', noIndex: (i) => i % 2 === 0 }));
    const columns = buildV3Columns({ series: input }, { origin: (i) => [i % 5, 1, 2] });
    assertSameSeries(v2, payloadOf(columns, { order: [...columns.keys()].reverse() }));
  });

  test('the Agent capture re-encoded: every series as v2 decoded it', () => {
    for (const p of loadFixture('api_v2_series_response.json').filter((x) => x.encoding === 'deflate')) {
      const v2 = decodedBody(p);
      const input = decodeSeriesV2Proto(v2).series.map((s) => seriesInput(s));
      assertSameSeries(v2, encodeV3Payload({ series: input }, { splitTags: (tags) => tags.length >>> 1 }));
    }
  });

  test('values: each value type holds them exactly; -0 is zero, as the Agent writes it', () => {
    const values = [0, 1, -1, 2 ** 48 - 1, -(2 ** 48), 2 ** 48, 0.5, 0.1, 1e300, -7.25, Infinity, -Infinity, NaN];
    const input: MetricSeriesInput[] = values.map((value, i) => ({
      metric: `v.${i}`,
      type: 3,
      points: [{ timestamp: 1_700_000_000 + i, value }],
    }));
    for (const valueType of ['smallest', 'float64'] as const) {
      const got = decode(encodeV3Payload({ series: input }, { valueType })).series.map((s) => s.values[0]);
      assert.deepEqual(got, values, valueType);
    }
    const negativeZero = decode(encodeV3Payload({ series: [{ metric: 'z', points: [{ timestamp: 1, value: -0 }] }] }));
    assert.ok(Object.is(negativeZero.series[0]!.values[0], 0));
  });

  test('sketches: v3 decodes to the /api/beta/sketches decode, the average being sum / count', () => {
    const input: SketchInput[] = [];
    for (let i = 0; i < 50; i++) {
      const cnt = i % 7;
      const sum = i % 3 === 0 ? 2.5 * i : i * 4;
      input.push({
        metric: `dist.${i % 9}`,
        host: i % 4 ? `host-${i % 3}` : '',
        tags: i % 5 ? [`env:e${i % 2}`, `k:${i % 4}`] : [],
        dogsketches: Array.from({ length: 1 + (i % 3) }, (_, j) => ({
          ts: 1_700_000_000 + 10 * j,
          cnt,
          min: i % 2 ? -1.5 : 0,
          max: i,
          avg: cnt > 0 ? sum / cnt : 0,
          sum,
          k: Array.from({ length: cnt }, (_, b) => 1300 + 3 * b - 20 * (i % 2)),
          n: Array.from({ length: cnt }, (_, b) => 1 + b * 1000),
        })),
      });
    }
    const byTags = (s: DDSketch) => ({ ...s, tags: [...s.tags].sort() });
    const v2 = decodeSketches(encodeSketchPayload(input)).sketches.map(byTags);
    for (const valueType of ['smallest', 'float64'] as const)
      assert.deepEqual(decode(encodeV3Payload({ sketches: input }, { valueType })).sketches.map(byTags), v2);
  });
});

describe('series identities', () => {
  /** The identity words of series i. */
  const words = (b: IdentitySeriesBatch, i: number) => {
    const w = new Int32Array(b.identityWords(i));
    b.writeIdentity(i, w, 0);
    return w;
  };

  test('the same series has the same identity whatever the dictionary order; others differ', () => {
    const input = agentLikeSeries(400, 3);
    const a = decode(encodeV3Payload({ series: input })).seriesBatch!;
    // Reversed: every dictionary is interned in another order, so every reference differs.
    const reversed = decode(encodeV3Payload({ series: [...input].reverse() })).seriesBatch!;
    assert.equal(a.encoding, 'v3-columnar');
    const n = a.count;
    for (let i = 0; i < n; i++) {
      const j = n - 1 - i;
      assert.ok(reversed.identityEquals(j, words(a, i), 0), `series ${i}`);
      assert.equal(reversed.identityHash(j), a.identityHash(i));
      assert.deepEqual(words(reversed, j), words(a, i));
    }
    const distinct = new Set<string>();
    for (let i = 0; i < n; i++) distinct.add(words(a, i).join(','));
    const v2Distinct = new Set(decodeSeriesV2Proto(encodeMetricPayload(input)).series.map((s) => JSON.stringify(s)));
    assert.equal(distinct.size, v2Distinct.size);
    assert.ok(!a.identityEquals(1, words(a, 0), 0));
  });

  test('a different unit, type or tag split point changes nothing but what it should', () => {
    const base: MetricSeriesInput = {
      metric: 'm',
      type: 3,
      tags: ['a:1', 'b:2', 'c:3'],
      points: [{ timestamp: 1, value: 1 }],
    };
    const batch = (s: MetricSeriesInput, split = 0) =>
      decode(encodeV3Payload({ series: [s] }, { splitTags: () => split })).seriesBatch!;
    const w = words(batch(base), 0);
    assert.ok(batch(base, 2).identityEquals(0, w, 0), 'a splice expands to the same tags');
    assert.ok(!batch({ ...base, unit: 'byte' }).identityEquals(0, w, 0));
    assert.ok(!batch({ ...base, type: 2 }).identityEquals(0, w, 0));
    assert.ok(!batch({ ...base, tags: ['a:1', 'b:2'] }).identityEquals(0, w, 0));
    assert.ok(!batch({ ...base, resources: [{ type: 'host', name: 'h' }] }).identityEquals(0, w, 0));
  });
});

describe('malformed payloads: DecodeError with the column, the entry and the byte', () => {
  const broken = (change: (c: V3Columns) => void) => {
    const c = handWritten();
    change(c);
    return payloadOf(c);
  };
  const cases: [string, Buffer, RegExp][] = [
    [
      'reference past a dictionary',
      broken((c) => c.set(C.nameRefs, sints([1, 1, -1, 3]))),
      /^intake_v3\.Payload: metricData\.nameRefs\[3\]: reference 4 outside dictNameStr \(4 entries, entry 0 the empty one\) at byte \d+$/,
    ],
    [
      'negative reference',
      broken((c) => c.set(C.tagsetRefs, sints([-1, 1, 1, -2]))),
      /metricData\.tagsetRefs\[0\]: reference -1 outside dictTagsets/,
    ],
    [
      'splice of a set that is not earlier',
      broken((c) => c.set(C.dictTagsets, sints([2, 1, 1, 2, -2, 4, 1, 4]))),
      /metricData\.dictTagsets\[4\]: tag set 2 splices set 2, which is not an earlier set at byte \d+/,
    ],
    [
      'tag past dictTagStr',
      broken((c) => c.set(C.dictTagsets, sints([2, 1, 4]))),
      /metricData\.dictTagsets\[2\]: tag 5 outside dictTagStr/,
    ],
    [
      'numPoints more than timestamps',
      broken((c) => c.set(C.numPoints, varints([2, 1, 1, 2]))),
      /metricData\.numPoints\[3\]: 2 points, but timestamps has 1 left at byte \d+/,
    ],
    [
      'timestamps left over',
      broken((c) => c.set(C.numPoints, varints([1, 1, 1, 1]))),
      /metricData\.(valsSint64|timestamps)\[\d+\]: .*left over/,
    ],
    [
      'a per-metric column shorter than types',
      broken((c) => c.set(C.intervals, sints([0, 10, 0]))),
      /metricData\.intervals: 3 entries, but types has 4 \(one per metric\)/,
    ],
    [
      'sketchNumBins more than bin keys',
      broken((c) => c.set(C.sketchNumBins, varints([4]))),
      /metricData\.sketchNumBins\[0\]: 4 bins, but sketchBinKeys has 3 left/,
    ],
    [
      'bin keys and counts disagree',
      broken((c) => c.set(C.sketchBinCnts, varints([1, 1]))),
      /sketchBinKeys has 3 entries, but sketchBinCnts 2/,
    ],
    [
      'values missing',
      broken((c) => c.set(C.valsFloat64, Buffer.alloc(0))),
      /metricData\.valsFloat64\[0\]: metric 1 needs 1 values, 0 left/,
    ],
    [
      'truncated float column',
      broken((c) => c.set(C.valsFloat32, floats([6, 1, 3]).subarray(0, 11))),
      /metricData\.valsFloat32: 11 bytes is not a whole number of 4-byte values/,
    ],
    [
      'truncated varint column',
      broken((c) => c.set(C.types, Buffer.from([0x13, 0xb2]))),
      /types\[1\]: truncated varint/,
    ],
    [
      'varint overflow',
      broken((c) =>
        c.set(C.numPoints, Buffer.from([2, 1, 1, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f])),
      ),
      /metricData\.numPoints\[3\]: varint overflows 64 bits at byte \d+/,
    ],
    [
      'varint longer than 10 bytes',
      broken((c) => c.set(C.numPoints, Buffer.from([2, 1, 1, ...Array(11).fill(0x80), 1]))),
      /metricData\.numPoints\[3\]: varint longer than 10 bytes/,
    ],
    [
      'huge string length in a dictionary',
      broken((c) => c.set(C.dictNameStr, varints([2 ** 40]))),
      /metricData\.dictNameStr\[1\]: string of 1099511627776 bytes runs past the end of the column/,
    ],
    [
      'unknown value type',
      broken((c) => c.set(C.types, varints([0x43, 0x232, 0x01, 0x24]))),
      /metricData\.types\[0\]: value type 0x40 is not 0x00, 0x10, 0x20 or 0x30/,
    ],
    [
      'unit flag without a unit reference',
      broken((c) => c.set(C.unitRefs, Buffer.alloc(0))),
      /metricData\.unitRefs\[0\]: types\[1\] has the unit flag, but the column has no entry left/,
    ],
    [
      'resource sets and their type column disagree',
      broken((c) => c.set(C.dictResourceLen, varints([1, 3]))),
      /dictResourceLen\[1\]: resource set 2 of 3 resources, but dictResourceType has 2 left/,
    ],
    [
      'origin info not in triples',
      broken((c) => c.set(C.dictOriginInfo, varints([10, 0]))),
      /dictOriginInfo: 2 values, not \(product, category, service\) triples/,
    ],
  ];
  for (const [name, body, expected] of cases) test(name, () => assertDecodeError(() => decode(body), expected));

  test('the payload structure: a v2 body, a column twice, a column not length-delimited', () => {
    assertDecodeError(
      () => decode(encodeMetricPayload([{ metric: 'x', points: [{ timestamp: 1, value: 1 }] }])),
      /^intake_v3\.Payload: field 1 is MetricPayload\.series: a \/api\/v2\/series body, not intake_v3 at byte 0$/,
    );
    const twice = new ProtoWriter()
      .message(3, (m) => m.bytesField(C.types, varints([3])).bytesField(C.types, varints([3])))
      .finish();
    assertDecodeError(() => decode(twice), /metricData\.types appears twice/);
    const unpacked = new ProtoWriter().message(3, (m) => m.varintField(C.types, 3)).finish();
    assertDecodeError(() => decode(unpacked), /metricData\.types: wire type 0, but a column is one length-delimited/);
    const odd = payloadOf(new Map(), { metadata: {} });
    assert.deepEqual(decode(odd).series, []);
    const oddResources = new ProtoWriter().message(2, (m) => m.stringField(2, 'host')).finish();
    assertDecodeError(() => decode(oddResources), /metadata\.resources: 1 strings, not \[type, name\] pairs/);
  });

  test('tag sets that splice their way to exponential size are refused, not expanded (413)', () => {
    // Set k splices set k - 1 twice: 2^60 tags from a few hundred bytes.
    const sets = [1, 1];
    for (let k = 2; k <= 60; k++) sets.push(2, -(k - 1), 0);
    const c = handWritten();
    c.set(C.dictTagsets, sints(sets));
    assert.throws(
      () => decode(payloadOf(c)),
      (err: Error) =>
        err instanceof PayloadTooLargeError &&
        /^intake_v3\.Payload: metricData\.dictTagsets\[\d+\] \(byte \d+\): the payload expands to more than the decompressed size limit of 67108864 bytes/.test(
          err.message,
        ),
    );
  });

  test('series that expand past the limit through one shared set are refused before their words are built', () => {
    const many = 5000;
    const c = handWritten();
    c.set(C.dictTagStr, dictionary(Array.from({ length: 100 }, (_, i) => `tag-number-${i}`)));
    c.set(C.dictTagsets, sints([100, 1, ...Array(99).fill(1)]));
    c.set(C.types, varints(Array(many).fill(0x03)));
    for (const f of [C.nameRefs, C.resourcesRefs, C.intervals, C.sourceTypeNameRefs, C.originInfoRefs])
      c.set(f, sints(Array(many).fill(0)));
    c.set(C.tagsetRefs, sints([1, ...Array(many - 1).fill(0)]));
    c.set(C.numPoints, varints(Array(many).fill(0)));
    for (const f of [
      C.timestamps,
      C.valsSint64,
      C.valsFloat32,
      C.valsFloat64,
      C.unitRefs,
      C.sketchNumBins,
      C.sketchBinKeys,
      C.sketchBinCnts,
    ])
      c.delete(f);
    const body = payloadOf(c);
    // ~1.4 kB of tags per series as v2 would carry them, 7 MB in all, from a body of 40 kB.
    assert.equal(decode(body, { maxDecompressedBytes: 8 << 20 }).series.length, many);
    assert.throws(
      () => decode(body, { maxDecompressedBytes: 4 << 20 }),
      (err: Error) =>
        err instanceof PayloadTooLargeError &&
        /metricData\.types\[\d+\] \(byte \d+\): the payload expands/.test(err.message),
    );
  });
});
