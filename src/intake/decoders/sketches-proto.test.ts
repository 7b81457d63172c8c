import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { DDSketchPoint } from '../../model/datadog.js';
import { DDSketchBuilder, sketchKey } from '../../mapping/ddsketch.js';
import { decodeSketches } from './sketches-proto.js';
import {
  encodeSketchPayload,
  ProtoWriter,
  writeDogsketch,
  zigzag32,
  type SketchInput,
} from '../../../test/support/proto-writer.js';
import { assertDecodeError, onlyDecodeErrors } from '../../../test/support/decoder-testing.js';
import { seededRandom } from '../../../test/support/random.js';

const SKETCHES: SketchInput[] = [
  {
    metric: 'blog.app.latency',
    host: 'web-1',
    tags: ['env:prod', 'endpoint:/home'],
    dogsketches: [
      {
        ts: 1_700_000_000,
        cnt: 10,
        min: -2.5,
        max: 3,
        avg: 2.2,
        sum: 22,
        k: [-1350, 0, 1338, 1382, 1382],
        n: [1, 2, 3, 65535, 4_000_000_000],
      },
      { ts: 1_700_000_010, cnt: 1, min: 1, max: 1, avg: 1, sum: 1, k: [1338], n: [1] },
    ],
  },
  {
    metric: 'blog.app.size',
    host: 'web-2',
    dogsketches: [{ ts: 1_700_000_000, cnt: 3, min: 1, max: 3, avg: 2, sum: 6, k: [1338, 1382, 1409], n: [1, 1, 1] }],
  },
];

function point(d: SketchInput['dogsketches'][number]): DDSketchPoint {
  return { ts: d.ts, cnt: d.cnt, min: d.min, max: d.max, avg: d.avg, sum: d.sum, keys: d.k, counts: d.n };
}

describe('SketchPayload', () => {
  test('round trip: negative (zigzag) and repeated keys, counts up to 2^32-1, kept as sent', () => {
    const { sketches } = decodeSketches(encodeSketchPayload(SKETCHES));
    assert.deepEqual(sketches, [
      {
        metric: 'blog.app.latency',
        host: 'web-1',
        tags: ['env:prod', 'endpoint:/home'],
        points: SKETCHES[0]!.dogsketches.map(point),
      },
      { metric: 'blog.app.size', host: 'web-2', tags: [], points: [point(SKETCHES[1]!.dogsketches[0]!)] },
    ]);
  });

  test('a sketch built with the Agent mapping survives the wire', () => {
    const b = new DDSketchBuilder();
    for (const v of [1, 2, 2, 2, 2, 2, 2, 3, 3, 3]) b.add(v);
    const p = b.toPoint(1_700_000_000);
    const body = encodeSketchPayload([
      {
        metric: 'blog.app.testhist',
        host: 'h',
        dogsketches: [{ ts: p.ts, cnt: p.cnt, min: p.min, max: p.max, avg: p.avg, sum: p.sum, k: p.keys, n: p.counts }],
      },
    ]);
    const got = decodeSketches(body).sketches[0]!.points[0]!;
    assert.deepEqual(got, p);
    assert.ok(got.keys.includes(sketchKey(2)));
  });

  test('zero-valued fields are absent and read as defaults', () => {
    const body = encodeSketchPayload([
      { metric: 'm', dogsketches: [{ ts: 0, cnt: 0, min: 0, max: 0, avg: 0, sum: 0, k: [], n: [] }] },
    ]);
    assert.deepEqual(decodeSketches(body).sketches, [
      {
        metric: 'm',
        host: '',
        tags: [],
        points: [{ ts: 0, cnt: 0, min: 0, max: 0, avg: 0, sum: 0, keys: [], counts: [] }],
      },
    ]);
  });

  test('unpacked k and n (one tag per value) and a mix of packed and unpacked runs are accepted', () => {
    const w = new ProtoWriter().message(1, (s) => {
      s.stringField(1, 'm');
      s.message(7, (d) => {
        d.varintField(1, 100).varintField(2, 4);
        d.sint32Field(7, -5).sint32Field(7, 1400);
        d.packedVarints(7, [zigzag32(1338)]);
        d.varintField(8, 1).packedVarints(8, [2, 3]);
      });
    });
    assert.deepEqual(decodeSketches(w.finish()).sketches[0]!.points, [
      { ts: 100, cnt: 4, min: 0, max: 0, avg: 0, sum: 0, keys: [-5, 1400, 1338], counts: [1, 2, 3] },
    ]);
  });

  test('deprecated distributions, metadata and unknown fields are skipped', () => {
    const w = new ProtoWriter();
    w.message(2, (md) => md.stringField(1, 'common metadata'));
    w.message(1, (s) => {
      s.stringField(1, 'm').stringField(2, 'h');
      s.message(3, (dist) => dist.varintField(1, 5).doubleField(2, 1)); // Distribution (deprecated)
      s.stringField(4, 't:1');
      s.message(5, (x) => x.varintField(1, 1)); // reserved
      s.varintField(6, 9); // reserved
      s.message(8, (md) => md.message(1, (o) => o.varintField(4, 10))); // Metadata
      s.group(20, (g) => g.fixed32Field(1, 1));
      s.message(7, (d) => {
        writeDogsketch(d, { ts: 7, cnt: 1, min: 1, max: 1, avg: 1, sum: 1, k: [1338], n: [1] });
        d.stringField(50, 'unknown in a dogsketch');
      });
    });
    assert.deepEqual(decodeSketches(w.finish()).sketches, [
      {
        metric: 'm',
        host: 'h',
        tags: ['t:1'],
        points: [{ ts: 7, cnt: 1, min: 1, max: 1, avg: 1, sum: 1, keys: [1338], counts: [1] }],
      },
    ]);
  });

  test('keys and counts of different lengths are refused with the path', () => {
    const body = encodeSketchPayload([
      SKETCHES[1]!,
      { metric: 'bad', dogsketches: [point1(), { ...point1(), n: [1] }] },
    ]);
    assertDecodeError(
      () => decodeSketches(body),
      'SketchPayload: sketches[1].dogsketches[1]: 2 bin keys (k) but 1 bin counts (n)',
    );
    function point1() {
      return { ts: 1, cnt: 2, min: 1, max: 1, avg: 1, sum: 2, k: [1338, 1339], n: [1, 1] };
    }
  });

  test('truncation at every byte offset and random mutations only give DecodeError', () => {
    const body = encodeSketchPayload(SKETCHES);
    const boundaries = new Set([0, encodeSketchPayload([SKETCHES[0]!]).length]);
    for (let cut = 0; cut < body.length; cut++) {
      const outcome = onlyDecodeErrors(() => decodeSketches(body.subarray(0, cut)), `cut at ${cut}`);
      assert.equal(outcome, boundaries.has(cut) ? 'ok' : 'error', `cut at ${cut}`);
      if (outcome === 'error')
        assertDecodeError(() => decodeSketches(body.subarray(0, cut)), /^SketchPayload: .* at byte \d+$/);
    }
    const rand = seededRandom(3);
    for (let i = 0; i < 3000; i++) {
      const m = Buffer.from(body);
      for (let e = 0; e < 3; e++) m[Math.floor(rand() * m.length)] = Math.floor(rand() * 256);
      onlyDecodeErrors(() => decodeSketches(m), `mutation ${m.toString('hex')}`);
    }
  });
});
