import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { DecodeError, type IdentitySeriesBatch } from '../../model/datadog.js';
import { decodedBody, loadFixture } from '../../../test/support/fixtures.js';
import { decodeSeriesV2Proto } from './series-v2-proto.js';
import {
  encodeMetricPayload,
  ProtoWriter,
  writeMetricSeries,
  type MetricSeriesInput,
} from '../../../test/support/proto-writer.js';
import { assertDecodeError, onlyDecodeErrors, series } from '../../../test/support/decoder-testing.js';
import { seededRandom } from '../../../test/support/random.js';

const SMALL: MetricSeriesInput[] = [
  {
    metric: 'system.load.1',
    type: 3,
    resources: [{ type: 'host', name: 'web-1' }],
    tags: ['env:prod', 'role:web'],
    points: [{ timestamp: 1_700_000_000, value: 0.75 }],
    sourceTypeName: 'System',
  },
  {
    metric: 'app.requests',
    type: 2,
    resources: [
      { type: 'host', name: 'web-1' },
      { type: 'device', name: 'eth0' },
    ],
    points: [
      { timestamp: 1_700_000_010, value: 12.5 },
      { timestamp: 1_700_000_000, value: 3 },
    ],
    interval: 10,
    unit: 'request',
  },
];

describe('MetricPayload captured from a real Agent', () => {
  const payloads = loadFixture('api_v2_series_response.json').filter((p) => p.encoding === 'deflate');

  test('the three deflate payloads hold 155, 529 and 635 series with 264 distinct metric names', () => {
    const decoded = payloads.map((p) => decodeSeriesV2Proto(decodedBody(p)));
    assert.deepEqual(
      decoded.map((d) => d.series.length),
      [155, 529, 635],
    );
    const names = new Set(decoded.flatMap((d) => d.series.map((s) => s.metric)));
    assert.equal(names.size, 264);
    for (const n of [
      'system.load.1',
      'system.mem.used',
      'snmp.ifHCInOctets',
      'datadog.dogstatsd.client.metrics_by_type',
      'ntp.offset',
    ]) {
      assert.ok(names.has(n), `has ${n}`);
    }
    const all = decoded.flatMap((d) => d.series);
    // Counts from walking the raw wire fields independently of this decoder.
    assert.equal(
      all.reduce((n, s) => n + s.timestamps.length, 0),
      1369,
      'points',
    );
    assert.equal(
      all.reduce((n, s) => n + s.tags.length, 0),
      4563,
      'tags',
    );
    assert.equal(all.filter((s) => s.interval !== 0).length, 78, 'series with an interval');
    assert.equal(all.filter((s) => s.sourceTypeName !== '').length, 1241, 'series with a source type name');
    for (const s of all) {
      assert.equal(s.timestamps.length, s.values.length);
      assert.ok(s.host === 'COMP-N52P6N99MH' || s.host.startsWith('device:COMP-N52P6N99MH:'), `host ${s.host}`);
      assert.ok(s.timestamps.every((t) => t >= 1_677_840_000 && t <= 1_677_850_000));
      assert.ok(['gauge', 'rate', 'count'].includes(s.type));
    }
    // The SNMP check reports its device under a host name of its own.
    assert.equal(all.filter((s) => s.host === 'COMP-N52P6N99MH').length, 801);
    assert.equal(all.filter((s) => s.host === 'device:COMP-N52P6N99MH:172.25.0.3').length, 518);
  });

  test('the first series decodes field by field', () => {
    const first = decodeSeriesV2Proto(decodedBody(payloads[0]!)).series[0]!;
    assert.deepEqual(
      first,
      series({
        metric: 'datadog.dogstatsd.client.metrics_by_type',
        type: 'rate',
        host: 'COMP-N52P6N99MH',
        tags: ['client:go', 'client_version:5.1.1', 'client_transport:udp', 'metrics_type:distribution'],
        interval: 10,
        timestamps: [1_677_840_590, 1_677_840_600],
        values: [0, 0],
      }),
    );
  });
});

describe('MetricPayload round trips', () => {
  test('every field, host and device resources taken out of resources, points kept unsorted', () => {
    const { series: got } = decodeSeriesV2Proto(encodeMetricPayload(SMALL));
    assert.deepEqual(got, [
      series({
        metric: 'system.load.1',
        type: 'gauge',
        host: 'web-1',
        tags: ['env:prod', 'role:web'],
        sourceTypeName: 'System',
        timestamps: [1_700_000_000],
        values: [0.75],
      }),
      series({
        metric: 'app.requests',
        type: 'rate',
        host: 'web-1',
        device: 'eth0',
        interval: 10,
        unit: 'request',
        timestamps: [1_700_000_010, 1_700_000_000],
        values: [12.5, 3],
      }),
    ]);
  });

  test('zero-valued fields are absent on the wire and read as defaults', () => {
    const body = encodeMetricPayload([{ metric: 'm', points: [{ timestamp: 0, value: 0 }] }, { metric: '' }]);
    // Point message is empty: tag 0x22, length 0.
    assert.ok(body.includes(Buffer.from([0x22, 0x00])));
    assert.deepEqual(decodeSeriesV2Proto(body).series, [
      series({ metric: 'm', timestamps: [0], values: [0] }),
      series({}),
    ]);
    assert.deepEqual(decodeSeriesV2Proto(Buffer.alloc(0)).series, []);
  });

  test('other resources keep wire order; the last host wins; duplicate and negative points are kept', () => {
    const body = encodeMetricPayload([
      {
        metric: 'k8s.pods',
        resources: [
          { type: 'host', name: 'a' },
          { type: 'kube_cluster', name: 'c1' },
          { type: '', name: 'no-type' },
          { type: 'host', name: 'b' },
          { type: 'namespace', name: 'n1' },
        ],
        points: [
          { timestamp: 20, value: 1 },
          { timestamp: 20, value: 2 },
          { timestamp: -5, value: -1e300 },
        ],
        interval: -1,
      },
    ]);
    assert.deepEqual(decodeSeriesV2Proto(body).series, [
      series({
        metric: 'k8s.pods',
        host: 'b',
        resources: [
          { type: 'kube_cluster', name: 'c1' },
          { type: '', name: 'no-type' },
          { type: 'namespace', name: 'n1' },
        ],
        interval: -1,
        timestamps: [20, 20, -5],
        values: [1, 2, -1e300],
      }),
    ]);
  });

  test('MetricType: 0-3 map to names, unknown values (new or negative) read as unspecified', () => {
    const types = [0, 1, 2, 3, 4, 99, -1];
    const body = encodeMetricPayload(types.map((t) => ({ metric: `t${t}`, type: t })));
    assert.deepEqual(
      decodeSeriesV2Proto(body).series.map((s) => s.type),
      ['unspecified', 'count', 'rate', 'gauge', 'unspecified', 'unspecified', 'unspecified'],
    );
  });

  test('unknown and reserved fields of every wire type are skipped at every level, metadata too', () => {
    const unknowns = (w: ProtoWriter) =>
      w
        .varintField(90, 2 ** 40)
        .doubleField(91, 1.5)
        .stringField(92, 'x')
        .fixed32Field(93, 9)
        .group(94, (g) => g.stringField(1, 'in group').group(2, (g2) => g2.varintField(1, 1)))
        .varintField(536_870_911, 1); // the largest field number: a five-byte tag
    const w = new ProtoWriter();
    unknowns(w);
    w.message(1, (m) => {
      unknowns(m);
      m.message(1, (r) => {
        unknowns(r);
        r.stringField(1, 'host').stringField(2, 'h1');
      });
      m.stringField(2, 'metric.a');
      // A known field with an unexpected wire type is an unknown field to protobuf parsers.
      m.varintField(2, 12345);
      m.message(4, (p) => {
        unknowns(p);
        p.doubleField(1, 4.5).varintField(2, 1_700_000_000);
      });
      // Metadata (9) with an origin, and field 10, which agent-payload reserves.
      m.message(9, (md) => md.message(1, (o) => o.varintField(3, 10).varintField(4, 1)));
      m.varintField(10, 7);
      m.stringField(3, 'tag:1');
      m.varintField(5, 3);
    });
    unknowns(w);
    assert.deepEqual(decodeSeriesV2Proto(w.finish()).series, [
      series({
        metric: 'metric.a',
        type: 'gauge',
        host: 'h1',
        tags: ['tag:1'],
        timestamps: [1_700_000_000],
        values: [4.5],
      }),
    ]);
  });

  test('a series with thousands of points and tags, then small ones', () => {
    const points = Array.from({ length: 10_000 }, (_, i) => ({ timestamp: 1_700_000_000 + i, value: i / 4 }));
    const tags = Array.from({ length: 5000 }, (_, i) => `t${i}:v`);
    const body = encodeMetricPayload([
      { metric: 'big', tags, points },
      SMALL[1]!,
      { metric: 'big', tags, points },
      SMALL[0]!,
    ]);
    const got = decodeSeriesV2Proto(body).series;
    assert.deepEqual(got[0]!.tags, tags);
    assert.deepEqual(
      got[0]!.timestamps,
      points.map((p) => p.timestamp),
    );
    assert.deepEqual(
      got[0]!.values,
      points.map((p) => p.value),
    );
    assert.deepEqual(got[2], got[0]);
    assert.deepEqual(
      [got[1]!.timestamps, got[1]!.values, got[3]!.tags],
      [
        [1_700_000_010, 1_700_000_000],
        [12.5, 3],
        ['env:prod', 'role:web'],
      ],
    );
  });

  test('a series split in two messages is two series (no merging across messages)', () => {
    const w = new ProtoWriter();
    w.message(1, (m) => writeMetricSeries(m, { metric: 'a', points: [{ timestamp: 1, value: 1 }] }));
    w.message(1, (m) => writeMetricSeries(m, { metric: 'a', points: [{ timestamp: 2, value: 2 }] }));
    assert.equal(decodeSeriesV2Proto(w.finish()).series.length, 2);
  });
});

describe('MetricPayload bad input', () => {
  const body = encodeMetricPayload(SMALL);

  test('truncation at every byte offset is a DecodeError unless the cut falls between two series', () => {
    const boundaries = new Set<number>([0]);
    let pos = 0;
    for (const s of SMALL) {
      pos += encodeMetricPayload([s]).length;
      boundaries.add(pos);
    }
    for (let cut = 0; cut < body.length; cut++) {
      const outcome = onlyDecodeErrors(() => decodeSeriesV2Proto(body.subarray(0, cut)), `cut at ${cut}`);
      assert.equal(outcome, boundaries.has(cut) ? 'ok' : 'error', `cut at ${cut}`);
    }
  });

  test('errors say which series, which field and which byte', () => {
    // Cut inside the second series: its length prefix (at the byte after its tag) promises more than is left.
    const second = encodeMetricPayload([SMALL[0]!]).length;
    const cut = second + 40;
    assertDecodeError(
      () => decodeSeriesV2Proto(body.subarray(0, cut)),
      `MetricPayload: length 92 runs past the end of its message (byte ${cut}) at byte ${second + 1}`,
    );
    // Lengths consistent, but the second point's double is cut short inside its own message.
    const broken = new ProtoWriter()
      .message(1, (m) => {
        m.stringField(2, 'm');
        m.message(4, (p) => p.doubleField(1, 1).varintField(2, 1));
        m.tag(4, 2)
          .varint(5)
          .raw(Buffer.from([0x09, 0, 0, 0, 0]));
      })
      .finish();
    // series tag+len (2) + metric (3) + point 0 (2 + 11) + point 1 tag+len (2) + double tag (1) = byte 21.
    assertDecodeError(
      () => decodeSeriesV2Proto(broken),
      'MetricPayload: series[0].points[1]: truncated fixed64 at byte 21',
    );
    const badTag = new ProtoWriter()
      .message(1, (m) => m.stringField(2, 'm').stringField(3, 'ok').tag(3, 2).varint(200))
      .finish();
    assertDecodeError(
      () => decodeSeriesV2Proto(badTag),
      'MetricPayload: series[0].tags[1]: length 200 runs past the end of its message (byte 12) at byte 10',
    );
  });

  test('garbage bytes only ever give DecodeError (or an accidental valid payload)', () => {
    const rand = seededRandom(7);
    let errors = 0;
    for (let i = 0; i < 2000; i++) {
      const junk = Buffer.alloc(1 + Math.floor(rand() * 200));
      for (let j = 0; j < junk.length; j++) junk[j] = Math.floor(rand() * 256);
      if (onlyDecodeErrors(() => decodeSeriesV2Proto(junk).series, `junk ${junk.toString('hex')}`) === 'error')
        errors++;
    }
    assert.ok(errors > 1000, `most random buffers are refused (${errors})`);
    assert.throws(() => decodeSeriesV2Proto(Buffer.from('{"series":[]}')), DecodeError, 'JSON is not a MetricPayload');
  });

  test('random mutations of a valid payload only ever give DecodeError', () => {
    const rand = seededRandom(42);
    const base = encodeMetricPayload([
      ...SMALL,
      ...SMALL,
      { metric: 'x', tags: ['a', 'b'], points: [{ timestamp: 5, value: 5 }] },
    ]);
    for (let i = 0; i < 5000; i++) {
      const bytes = Array.from(base);
      const edits = 1 + Math.floor(rand() * 4);
      for (let e = 0; e < edits; e++) {
        const at = Math.floor(rand() * bytes.length);
        const op = rand();
        if (op < 0.5) bytes[at] = Math.floor(rand() * 256);
        else if (op < 0.7) bytes.splice(at, 1);
        else if (op < 0.85) bytes.splice(at, 0, Math.floor(rand() * 256));
        else bytes[at] = [0x00, 0x7f, 0x80, 0xff, 0x0b, 0x0c, 0x0e, 0x0f][Math.floor(rand() * 8)]!;
      }
      const mutated = Buffer.from(bytes);
      // Reading `series` decodes the strings the scan skipped: nothing it accepted may fail then.
      onlyDecodeErrors(() => decodeSeriesV2Proto(mutated).series, `mutation ${mutated.toString('hex')}`);
    }
  });
});

describe('seriesBatch: identities as bytes, strings on demand', () => {
  /** A series with its points between its other fields, so its identity is two runs of bytes. */
  function body(tag: string, points: [number, number][]): Buffer {
    return new ProtoWriter()
      .message(1, (m) => {
        m.message(1, (r) => r.stringField(1, 'host').stringField(2, 'web-1'));
        m.stringField(2, 'm').stringField(3, 'env:prod');
        for (const [ts, v] of points) m.message(4, (p) => p.doubleField(1, v).varintField(2, ts));
        m.stringField(3, tag).varintField(5, 3).stringField(6, 'byte');
      })
      .message(1, (m) => writeMetricSeries(m, { metric: 'n', points: [{ timestamp: 9, value: 9 }] }))
      .finish();
  }

  function identityOf(b: IdentitySeriesBatch, i: number): Int32Array {
    const words = new Int32Array(b.identityWords(i) + 2);
    b.writeIdentity(i, words, 2);
    return words;
  }

  test('the same identity with other points is equal, and hashes alike; any other identity byte is not', () => {
    const a = decodeSeriesV2Proto(body('k:v', [[1, 1]])).seriesBatch!;
    const b = decodeSeriesV2Proto(
      body('k:v', [
        [2, 5],
        [3, 6],
      ]),
    ).seriesBatch!;
    const c = decodeSeriesV2Proto(body('k:w', [[1, 1]])).seriesBatch!;
    const d = decodeSeriesV2Proto(body('k:vv', [[1, 1]])).seriesBatch!;
    assert.equal(a.count, 2);
    assert.ok(b.identityEquals(0, identityOf(a, 0), 2));
    assert.equal(b.identityHash(0), a.identityHash(0));
    assert.ok(!c.identityEquals(0, identityOf(a, 0), 2));
    assert.ok(!d.identityEquals(0, identityOf(a, 0), 2));
    assert.ok(!a.identityEquals(1, identityOf(a, 0), 2));
    assert.ok(a.identityEquals(1, identityOf(a, 1), 2));
    assert.notEqual(c.identityHash(0), a.identityHash(0));
  });

  test('points are decoded into flat arrays; decode(i) and series give the same series', () => {
    const decoded = decodeSeriesV2Proto(
      body('k:v', [
        [2, 5],
        [3, 6],
      ]),
    );
    const b = decoded.seriesBatch!;
    assert.deepEqual([b.pointsStart(0), b.pointsStart(1), b.pointsStart(2)], [0, 2, 3]);
    assert.deepEqual(
      [b.timestamps, b.values],
      [
        [2, 3, 9],
        [5, 6, 9],
      ],
    );
    assert.deepEqual(
      b.decode(0),
      series({
        metric: 'm',
        host: 'web-1',
        type: 'gauge',
        tags: ['env:prod', 'k:v'],
        unit: 'byte',
        timestamps: [2, 3],
        values: [5, 6],
      }),
    );
    assert.deepEqual(decoded.series, [b.decode(0), b.decode(1)]);
    assert.equal(decoded.series, decoded.series, 'decoded once');
    assert.throws(() => {
      decoded.series = [];
    }, TypeError);
  });

  test('a malformed resource is refused at decode time, though its strings are not created then', () => {
    const bad = new ProtoWriter()
      .message(1, (m) => m.stringField(2, 'm').message(1, (r) => r.stringField(1, 'host').tag(2, 2).varint(50)))
      .finish();
    assertDecodeError(
      () => decodeSeriesV2Proto(bad),
      'MetricPayload: series[0].resources[0]: length 50 runs past the end of its message (byte 15) at byte 14',
    );
  });
});
