import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeMetricsV3 } from './metrics-v3.js';
import { PayloadTooLargeError } from '../body.js';
import { agentLikeSeries } from './series-v2-proto.bench.js';
import { HostTagCache } from '../../mapping/host-tags.js';
import { Mapper } from '../../mapping/mapper.js';
import { ProtoWriter, type MetricSeriesInput } from '../../../test/support/proto-writer.js';
import { V3_COLUMNS as C, assembleV3Parts, buildV3Columns, type V3Columns } from '../../../test/support/v3-writer.js';
import { onlyDecodeErrors } from '../../../test/support/decoder-testing.js';
import { seededRandom } from '../../../test/support/random.js';

/** promdog's default decompressed-size limit, which also bounds what a v3 body expands to. */
const LIMITS = { maxDecompressedBytes: 64 << 20 };
const decode = (body: Buffer, limits = LIMITS) => decodeMetricsV3(body, limits);

// Seeded fuzzing of the v3 decoder: damaged payloads of every kind the issue names (truncated columns, references
// past a dictionary, counts that disagree, splices out of range, huge lengths, varint overflow) and random damage.
// Each must decode or throw a DecodeError that says where; what decodes must map without throwing. Bounded: a few
// thousand small bodies.

const rand = seededRandom(0x5eed_0003);
const int = (n: number) => Math.floor(rand() * n);
const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)]!;

/** A payload using every part of the format: series of each value type with units, splices, metadata, sketches. */
function baseColumns(): {
  columns: V3Columns;
  metadata: { tags: string[]; resources: { type: string; name: string }[] };
  seriesCount: number;
} {
  const series: MetricSeriesInput[] = agentLikeSeries(60, 11).map((s, i) => ({
    ...s,
    unit: i % 4 === 0 ? 'byte' : '',
  }));
  series.push({ metric: 'zero', type: 1, points: [{ timestamp: 1_700_000_000, value: 0 }] });
  series.push({ metric: 'f32', type: 3, points: [{ timestamp: 1_700_000_000, value: 0.5 }] });
  const sketches = Array.from({ length: 6 }, (_, i) => ({
    metric: `lat.${i}`,
    host: `h${i % 2}`,
    tags: ['env:prod', `k:${i}`, 'team:a'],
    dogsketches: [
      { ts: 1_700_000_000, cnt: 3, min: 0.5 * i, max: i + 1, avg: 1, sum: 3, k: [1300, 1338, 1350 + i], n: [1, 1, 1] },
    ],
  }));
  const metadata = { tags: ['dc:eu'], resources: [{ type: 'cluster', name: 'c1' }] };
  return {
    columns: buildV3Columns({ series, sketches }, { splitTags: (_tags, i) => (i % 3 ? 2 : 0) }),
    metadata,
    seriesCount: series.length,
  };
}

function readVarints(buf: Buffer): number[] {
  const out: number[] = [];
  let v = 0;
  let scale = 1;
  for (const b of buf) {
    v += (b & 0x7f) * scale;
    scale *= 128;
    if (b < 0x80) {
      out.push(v);
      v = 0;
      scale = 1;
    }
  }
  return out;
}

function writeVarints(values: number[]): Buffer {
  const w = new ProtoWriter();
  for (const v of values) w.varint(v);
  return w.finish();
}

const VARINT_COLUMNS = [
  C.dictTagsets,
  C.dictResourceLen,
  C.dictResourceType,
  C.dictResourceName,
  C.dictOriginInfo,
  C.types,
  C.nameRefs,
  C.tagsetRefs,
  C.resourcesRefs,
  C.intervals,
  C.numPoints,
  C.timestamps,
  C.valsSint64,
  C.sketchNumBins,
  C.sketchBinKeys,
  C.sketchBinCnts,
  C.sourceTypeNameRefs,
  C.originInfoRefs,
  C.unitRefs,
];

type Damage = (columns: V3Columns) => void;

const damages: Record<string, Damage> = {
  'truncated column': (c) => {
    const f = pick([...c.keys()]);
    c.set(f, c.get(f)!.subarray(0, int(c.get(f)!.length)));
  },
  'entry replaced (references past a dictionary, negative splices, bad types)': (c) => {
    const f = pick(VARINT_COLUMNS.filter((x) => c.has(x)));
    const v = readVarints(c.get(f)!);
    v[int(v.length)] = pick([0, 1, 2, 3, 255, 256, 2 ** 31, 2 ** 40, 2 ** 53 - 1, int(1000)]);
    c.set(f, writeVarints(v));
  },
  'entry dropped or added (counts that disagree)': (c) => {
    const f = pick(VARINT_COLUMNS.filter((x) => c.has(x)));
    const v = readVarints(c.get(f)!);
    if (rand() < 0.5) v.splice(int(v.length), 1);
    else v.splice(int(v.length + 1), 0, int(8));
    c.set(f, writeVarints(v));
  },
  'column removed': (c) => {
    c.delete(pick([...c.keys()]));
  },
  'huge dictionary string length': (c) => {
    const f = pick(
      [C.dictNameStr, C.dictTagStr, C.dictResourceStr, C.dictSourceTypeName, C.dictUnitStr].filter((x) => c.has(x)),
    );
    c.set(f, Buffer.concat([writeVarints([pick([2 ** 20, 2 ** 35, 2 ** 53 - 1])]), c.get(f)!]));
  },
  'varint overflow': (c) => {
    const f = pick(VARINT_COLUMNS.filter((x) => c.has(x)));
    const b = c.get(f)!;
    const at = int(b.length + 1);
    const long = Buffer.from(Array.from({ length: 10 + int(3) }, () => 0xff).concat([pick([0x01, 0x02, 0x7f])]));
    c.set(f, Buffer.concat([b.subarray(0, at), long, b.subarray(at)]));
  },
  'columns swapped': (c) => {
    const [a, b] = [pick([...c.keys()]), pick([...c.keys()])];
    const x = c.get(a)!;
    c.set(a, c.get(b)!);
    c.set(b, x);
  },
};

/** A failure must name where: a column or field, and usually the byte. */
function assertSaysWhere(body: Buffer, context: string): void {
  try {
    const d = decode(body);
    // What decodes must map and decode series by series without throwing.
    new Mapper({ keepUtf8Names: false }, new HostTagCache(null)).map('t', d, 1_700_000_100_000);
    const b = d.seriesBatch!;
    for (let i = 0; i < b.count; i++) {
      const words = new Int32Array(b.identityWords(i));
      b.writeIdentity(i, words, 0);
      assert.ok(b.identityEquals(i, words, 0), `${context}: series ${i} equals its own identity`);
      b.identityHash(i);
    }
    assert.equal(d.series.length, b.count);
  } catch (err) {
    // Over the size limit is a 413; anything else malformed a DecodeError (400).
    if (!(err instanceof PayloadTooLargeError))
      assert.equal(
        onlyDecodeErrors(() => {
          throw err;
        }, context),
        'error',
      );
    assert.match((err as Error).message, /^intake_v3\.Payload: (metricData|metadata|field \d|.* at byte \d+)/, context);
  }
}

describe('fuzzed intake_v3 payloads: a DecodeError that says where, or a payload that maps', () => {
  const { columns, metadata, seriesCount } = baseColumns();
  const order = [...columns.keys()];
  const assemble = (c: V3Columns) => Buffer.concat(assembleV3Parts(c, { metadata, order }));
  const good = assemble(columns);

  test('the undamaged payload decodes', () => {
    const d = decode(good);
    assert.equal(d.series.length, seriesCount);
    assert.equal(d.sketches.length, 6);
  });

  for (const [name, damage] of Object.entries(damages)) {
    test(name, () => {
      let errors = 0;
      for (let n = 0; n < 400; n++) {
        const c = new Map(columns);
        for (let k = 1 + int(2); k > 0; k--) damage(c);
        const body = assemble(c);
        try {
          decode(body);
        } catch {
          errors++;
        }
        assertSaysWhere(body, `${name} #${n}`);
      }
      assert.ok(errors > 0, `${name}: some damage is detected`);
    });
  }

  test('truncated bodies and random bytes flipped', () => {
    for (let n = 0; n < 1000; n++) {
      const body = Buffer.from(good);
      if (n % 2) for (let k = 1 + int(4); k > 0; k--) body[int(body.length)] = int(256);
      assertSaysWhere(n % 2 ? body : good.subarray(0, int(good.length)), `body #${n}`);
    }
  });
});
