import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { MetricsApi as MetricsApiV1 } from '@datadog/datadog-api-client/dist/packages/datadog-api-client-v1/apis/MetricsApi.js';
import { JsonTextGenerator, mutate, withInvalidUtf8 } from '../../../test/support/json-text.js';
import { DecodeError, type DDSeries, type DecodedPayload, type IdentitySeriesBatch } from '../../model/datadog.js';
import { HostTagCache, Mapper, type MapResult } from '../../mapping/index.js';
import { decodeSeriesV1Json, decodeSeriesV1JsonByParse } from './series-v1-json.js';
import { decodeSeriesV2Proto } from './series-v2-proto.js';
import { encodeMetricPayload } from '../../../test/support/proto-writer.js';
import { assertDecodeError, onlyDecodeErrors, series } from '../../../test/support/decoder-testing.js';
import { seededRandom } from '../../../test/support/random.js';
import { captureClientRequests } from '../../../test/support/official-client-capture.js';

const json = (v: unknown) => Buffer.from(JSON.stringify(v));

describe('v1 series JSON', () => {
  test('what the official client’s MetricsApi v1 submitMetrics sends (text/json, float timestamps)', async () => {
    const [req] = await captureClientRequests((conf) =>
      new MetricsApiV1(conf).submitMetrics({
        body: {
          series: [
            {
              metric: 'blog.app.testcounter',
              points: [[1_700_000_000.25, 10]],
              type: 'rate',
              interval: 10,
              host: 'app-1',
              tags: ['env:dev'],
            },
            {
              metric: 'blog.app.gauge',
              points: [
                [1_700_000_000, 1.5],
                [1_700_000_010, -2],
              ],
            },
          ],
        },
      }),
    );
    assert.equal(req!.headers['Content-Type'], 'text/json');
    assert.ok(sameAsParse(req!.body, 'official client'), 'scanned');
    assert.deepEqual(decodeSeriesV1Json(req!.body).series, [
      series({
        metric: 'blog.app.testcounter',
        type: 'rate',
        interval: 10,
        host: 'app-1',
        tags: ['env:dev'],
        timestamps: [1_700_000_000.25],
        values: [10],
      }),
      series({ metric: 'blog.app.gauge', timestamps: [1_700_000_000, 1_700_000_010], values: [1.5, -2] }),
    ]);
  });

  test('what the Agent sends with v2 series off: device, source_type_name, "tags": null, count type', () => {
    const body = json({
      series: [
        {
          metric: 'system.disk.free',
          points: [[1_700_000_000, 123]],
          tags: null,
          host: 'h',
          device: '/dev/sda1',
          type: 'gauge',
          interval: 0,
          source_type_name: 'System',
        },
        {
          metric: 'app.hits',
          points: [[1_700_000_000, 4]],
          tags: ['a:b'],
          host: 'h',
          type: 'count',
          interval: 10,
          source_type_name: '',
        },
      ],
    });
    assert.ok(sameAsParse(body, 'agent'), 'scanned');
    assert.deepEqual(decodeSeriesV1Json(body).series, [
      series({
        metric: 'system.disk.free',
        host: 'h',
        device: '/dev/sda1',
        type: 'gauge',
        sourceTypeName: 'System',
        timestamps: [1_700_000_000],
        values: [123],
      }),
      series({
        metric: 'app.hits',
        host: 'h',
        tags: ['a:b'],
        type: 'count',
        interval: 10,
        timestamps: [1_700_000_000],
        values: [4],
      }),
    ]);
  });

  test('null values become NaN, unknown or empty types read as unspecified, a body without series is empty', () => {
    const body = json({
      series: [
        { metric: 'm', points: [[1, null]], type: 'distribution' },
        { metric: 'n', points: [], type: '' },
      ],
    });
    for (const b of [body, json({}), json({ series: null }), Buffer.from('\ufeff{"series":[]}')])
      assert.ok(sameAsParse(b, b.toString()), 'scanned');
    const [a, b] = decodeSeriesV1Json(body).series;
    assert.ok(Number.isNaN(a!.values[0]));
    assert.equal(a!.type, 'unspecified');
    assert.equal(b!.type, 'unspecified');
    assert.deepEqual(decodeSeriesV1Json(json({})).series, []);
    assert.deepEqual(decodeSeriesV1Json(json({ series: null })).series, []);
    assert.deepEqual(decodeSeriesV1Json(Buffer.from('\ufeff{"series":[]}')).series, [], 'a UTF-8 BOM is tolerated');
  });

  test('wrong types are refused with the path of the value', () => {
    const cases: [unknown, string][] = [
      [
        { series: [{ metric: 'm', points: 'x' }] },
        'series[0].points: expected an array of [timestamp, value], got string',
      ],
      [
        {
          series: [
            {
              metric: 'm',
              points: [
                [1, 2],
                [3, '4'],
              ],
            },
          ],
        },
        'series[0].points[1][1]: expected a number, got string',
      ],
      [{ series: [{ metric: 'm', points: [['1', 2]] }] }, 'series[0].points[0][0]: expected a number, got string'],
      [
        { series: [{ metric: 'm', points: [[1, 2, 3]] }] },
        'series[0].points[0]: expected [timestamp, value], got an array of 3',
      ],
      [{ series: [{ metric: 'm', points: [5] }] }, 'series[0].points[0]: expected [timestamp, value], got number'],
      [{ series: [{ metric: 'm', points: [] }, { points: [] }] }, 'series[1].metric: missing'],
      [{ series: [{ metric: 7, points: [] }] }, 'series[0].metric: expected a string, got number'],
      [
        { series: [{ metric: 'm', points: [], tags: 'a:b' }] },
        'series[0].tags: expected an array of strings, got string',
      ],
      [{ series: [{ metric: 'm', points: [], tags: ['a', 1] }] }, 'series[0].tags[1]: expected a string, got number'],
      [{ series: [{ metric: 'm', points: [], host: ['h'] }] }, 'series[0].host: expected a string, got array'],
      [{ series: [{ metric: 'm', points: [], type: 3 }] }, 'series[0].type: expected a string, got number'],
      [{ series: [{ metric: 'm', points: [], interval: '10' }] }, 'series[0].interval: expected a number, got string'],
      [{ series: ['m'] }, 'series[0]: expected an object, got string'],
      [{ series: {} }, 'series: expected an array, got object'],
      [[], 'series payload: expected an object, got array'],
    ];
    for (const [body, message] of cases) {
      assertDecodeError(() => decodeSeriesV1Json(json(body)), message);
      sameAsParse(json(body), message);
    }
  });

  test('invalid JSON names the position; every truncation of a body is refused', () => {
    assertDecodeError(
      () => decodeSeriesV1Json(Buffer.from('{"series":[{"metric":"m",}]}')),
      'series payload: invalid JSON: Expected double-quoted property name in JSON at position 25',
    );
    assertDecodeError(
      () => decodeSeriesV1Json(Buffer.alloc(0)),
      'series payload: invalid JSON: Unexpected end of JSON input (body is 0 bytes)',
    );
    const body = json({ series: [{ metric: 'm', points: [[1, 2]], tags: ['a:b'], host: 'h' }] });
    for (let cut = 0; cut < body.length; cut++) {
      assert.equal(
        onlyDecodeErrors(() => decodeSeriesV1Json(body.subarray(0, cut)), `cut ${cut}`),
        'error',
        `cut ${cut}`,
      );
      sameAsParse(body.subarray(0, cut), `cut ${cut}`);
    }
  });
});

// ---- The v1 scanner against the JSON.parse path ----

/**
 * Decodes `body` with the scanner (decodeSeriesV1Json) and with JSON.parse (decodeSeriesV1JsonByParse): the same
 * series, points bit for bit (deepEqual compares numbers with Object.is: -0 is not 0), through `series` and through
 * the batch's decode(i) and points; or the same DecodeError message. Returns whether the scanner took the body.
 */
function sameAsParse(body: Buffer, context: string): boolean {
  let expected: DDSeries[] | string;
  try {
    expected = decodeSeriesV1JsonByParse(body).series;
  } catch (err) {
    assert.ok(err instanceof DecodeError, `${context}: JSON.parse path threw ${String(err)}`);
    expected = err.message;
  }
  let decoded: DecodedPayload;
  try {
    decoded = decodeSeriesV1Json(body);
  } catch (err) {
    assert.ok(err instanceof DecodeError, `${context}: threw ${String(err)}`);
    assert.equal(err.message, expected, context);
    return false;
  }
  assert.ok(
    typeof expected !== 'string',
    `${context}: decoded a body the JSON.parse path refuses with ${String(expected)}`,
  );
  const batch = decoded.seriesBatch;
  if (batch !== undefined) {
    assert.equal(batch.encoding, 'v1-json');
    assert.equal(batch.count, expected.length, context);
    for (let i = 0; i < batch.count; i++) {
      assert.deepEqual(batch.decode(i), expected[i], `${context}: decode(${i})`);
      assert.equal(batch.tagCount(i), expected[i]!.tags.length, `${context}: tagCount(${i})`);
      const from = batch.pointsStart(i);
      const to = batch.pointsStart(i + 1);
      assert.deepEqual(
        [batch.timestamps.slice(from, to), batch.values.slice(from, to)],
        [expected[i]!.timestamps, expected[i]!.values],
        `${context}: points of ${i}`,
      );
    }
  }
  assert.deepEqual(decoded.series, expected, context);
  return batch !== undefined;
}

/** Series i's identity words. */
function identityOf(batch: IdentitySeriesBatch, i: number): Int32Array {
  const words = new Int32Array(batch.identityWords(i));
  batch.writeIdentity(i, words, 0);
  return words;
}

/** Random v1 JSON text, every shape a client may send and some it should not. */
class V1Generator extends JsonTextGenerator {
  /** `[[ts, value], ...]` (values sometimes null). */
  points(): string {
    const n = this.pick([0, 1, 1, 1, 2, 3]);
    const points = Array.from(
      { length: n },
      () =>
        `[${this.ws()}${this.number()}${this.ws()},${this.ws()}${this.rand() < 0.1 ? 'null' : this.number()}${this.ws()}]`,
    );
    return `[${this.ws()}${points.join(`${this.ws()},${this.ws()}`)}${this.ws()}]`;
  }

  /** A member value: usually of the right type, with `wrongTypes` sometimes not. */
  member(name: string, wrongTypes: boolean): string {
    if (wrongTypes && this.rand() < 0.05) return this.value();
    switch (name) {
      case 'metric':
        return this.string();
      case 'type':
        return this.pick([
          '"gauge"',
          '"rate"',
          '"count"',
          '""',
          '"distribution"',
          '"toString"',
          '"__proto__"',
          '"g\\u0061uge"',
          'null',
        ]);
      case 'tags':
        return this.rand() < 0.2
          ? 'null'
          : `[${this.ws()}${Array.from({ length: Math.floor(this.rand() * 5) }, () => this.string()).join(`${this.ws()},${this.ws()}`)}${this.ws()}]`;
      case 'interval':
        return this.rand() < 0.2 ? 'null' : this.number();
      default:
        return this.rand() < 0.2 ? 'null' : this.string();
    }
  }

  /** A series object split around its (last) points value: before + points + after is the object's text. */
  series(wrongTypes: boolean): { before: string; points: string; after: string } {
    const names = ['metric', 'points'];
    for (const optional of ['type', 'host', 'device', 'tags', 'source_type_name', 'interval', 'unit'])
      if (this.rand() < 0.6) names.push(optional);
    for (let k = Math.floor(this.rand() * 2.5); k > 0; k--)
      names.push(this.pick(['extra', 'Metric', '__proto__', 'constructor', 'metrics', 'points_', '']));
    // Repeated members: JSON.parse keeps the last value. A repeated points is a shape the scanner leaves to JSON.parse.
    if (this.rand() < 0.15) names.push(this.pick(['metric', 'host', 'tags', 'type', 'interval', 'device']));
    if (this.rand() < 0.02) names.push('points');
    if (wrongTypes && this.rand() < 0.05) names.splice(names.indexOf(this.pick(['metric', 'points'])), 1);
    for (let k = names.length - 1; k > 0; k--) {
      const j = Math.floor(this.rand() * (k + 1));
      [names[k], names[j]] = [names[j]!, names[k]!];
    }
    const lastPoints = names.lastIndexOf('points');
    let before = `{${this.ws()}`;
    let points = '';
    let after = '';
    names.forEach((name, k) => {
      const key = `${JSON.stringify(name)}${this.ws()}:${this.ws()}`;
      const sep = k < names.length - 1 ? `${this.ws()},${this.ws()}` : this.ws();
      const known = ['metric', 'type', 'host', 'device', 'tags', 'source_type_name', 'interval', 'unit'].includes(name);
      if (name === 'points') {
        const value = wrongTypes && this.rand() < 0.05 ? this.value() : this.points();
        if (k === lastPoints) {
          before += key;
          points = value;
          after += sep;
          return;
        }
        (lastPoints < 0 || k < lastPoints ? (s: string) => (before += s) : (s: string) => (after += s))(
          `${key}${value}${sep}`,
        );
        return;
      }
      const text = `${key}${known ? this.member(name, wrongTypes) : this.value()}${sep}`;
      if (lastPoints < 0 || k < lastPoints) before += text;
      else after += text;
    });
    return { before, points, after: `${after}}` };
  }

  /** A whole body of `n` series. */
  body(n: number, wrongTypes: boolean): string {
    const series = Array.from({ length: n }, () => {
      const s = this.series(wrongTypes);
      return s.before + s.points + s.after;
    });
    const extra =
      this.rand() < 0.2 ? `${this.ws()}${this.string()}${this.ws()}:${this.ws()}${this.value()}${this.ws()},` : '';
    return `${this.ws()}{${extra}${this.ws()}"series"${this.ws()}:${this.ws()}[${this.ws()}${series.join(`${this.ws()},${this.ws()}`)}${this.ws()}]${this.ws()}}${this.ws()}`;
  }
}

describe('v1 series JSON: the scanner decodes exactly as JSON.parse', () => {
  test('random bodies: member order, whitespace, escapes, unicode, invalid UTF-8, nulls, numbers, extra and repeated members', () => {
    const rand = seededRandom(2024);
    const gen = new V1Generator(rand);
    let scanned = 0;
    const bodies = 1500;
    for (let b = 0; b < bodies; b++) {
      const text = gen.body(1 + Math.floor(rand() * 4), false);
      if (sameAsParse(withInvalidUtf8(text, rand), text)) scanned++;
    }
    // Only the rare shapes (a repeated points, an escaped key) go to JSON.parse.
    assert.ok(scanned > bodies * 0.85, `${scanned} of ${bodies} bodies scanned`);
  });

  test('random bodies with wrong types and missing members give JSON.parse path errors, word for word', () => {
    const rand = seededRandom(7);
    const gen = new V1Generator(rand);
    let errors = 0;
    for (let b = 0; b < 1500; b++) {
      const text = gen.body(1 + Math.floor(rand() * 3), true);
      try {
        decodeSeriesV1JsonByParse(Buffer.from(text));
      } catch {
        errors++;
      }
      sameAsParse(Buffer.from(text), text);
    }
    assert.ok(errors > 100, `${errors} bodies refused`);
  });

  test('malformed JSON: mutations of valid bodies give the same error as JSON.parse or the same series', () => {
    const rand = seededRandom(5);
    const gen = new V1Generator(rand);
    const alphabet = Buffer.from('{}[]":,0123456789.-+eEnulltruefalse \\u\t\n');
    let refused = 0;
    for (let b = 0; b < 3000; b++) {
      const body = mutate(Buffer.from(gen.body(1 + Math.floor(rand() * 2), false)), rand, {
        alphabet,
        alphabetShare: 0.85,
        maxEdits: 2,
        replaceShare: 0.5,
      });
      if (
        !sameAsParse(body, body.toString('latin1')) &&
        onlyDecodeErrors(() => decodeSeriesV1Json(body), '') === 'error'
      )
        refused++;
    }
    assert.ok(refused > 1000, `${refused} refused`);
  });

  test('bodies that are not a series object at all', () => {
    const texts = [
      '',
      ' ',
      '[]',
      'null',
      '"series"',
      '{}',
      '{"series":[]} x',
      '{"series":[]}{}',
      '{"series":[],}',
      '{"series":[{"metric":"m","points":[]}]]}',
      '{"series":{}}',
      '{"series":[null]}',
      '{"series":[[]]}',
      '{"series":[{}]}',
      '{"series":null,"series":[{"metric":"m","points":[]}]}',
      '{"series":[{"metric":"m","points":[]}],"series":null}',
      '{"s\\u0065ries":[{"metric":"m","points":[[1,2]]}]}',
      '{"series":[{"m\\u0065tric":"m","points":[[1,2]]}]}',
      '{"series":[{"metric":"m","points":[[1,2]],"points":[[3,4]]}]}',
      '\ufeff\ufeff{"series":[]}',
      `{"series":[{"metric":"m","points":[[1,2]],"x":${'['.repeat(100)}${']'.repeat(100)}}]}`,
      `{"series":[{"metric":"m","points":[[1,2]],"x":${'['.repeat(10_000)}${']'.repeat(10_000)}}]}`,
      `{"series":[{"metric":"m","points":[[1,2]]}],"x":${'{"a":'.repeat(70)}1${'}'.repeat(70)}}`,
    ];
    for (const text of texts) sameAsParse(Buffer.from(text), text);
  });

  test('string escapes and control characters, valid and not, in values and keys', () => {
    // As written inside a JSON string (String.raw: one backslash is one byte).
    const contents = [
      String.raw`\u00e9`,
      String.raw`\u00E9`,
      String.raw`\uD83D\uDE00`,
      String.raw`\udead`,
      String.raw`\u00g0`,
      String.raw`\u00G0`,
      String.raw`\u0/00`,
      String.raw`\u00:0`,
      String.raw`\u00@0`,
      `${String.raw`\u00`}\`0`,
      String.raw`\u12`,
      String.raw`\u`,
      String.raw`\x41`,
      // Bytes 0x10-0x19 are not hex digits (they once passed for 0-9).
      `${String.raw`\u00`}\u00100`,
      `${String.raw`\u001`}\u0019`,
      String.raw`\a`,
      String.raw`\0`,
      String.raw`\'`,
      String.raw`\ `,
      String.raw`\\`,
      String.raw`\"`,
      String.raw`\/`,
      String.raw`\b\f\n\r\t`,
      String.raw`\\\"`,
      '\\',
      '\t',
      '\n',
      '\r',
      '\u0000',
      '\u001f',
      '\u007f',
      ' ',
      'abcdefgh\u0001',
      'abc\\"defgh',
    ];
    for (const c of contents) {
      for (const text of [
        `{"series":[{"metric":"a${c}b","points":[[1,2]]}]}`,
        `{"series":[{"metric":"m","points":[[1,2]],"tags":["${c}"]}]}`,
        `{"series":[{"metric":"m","points":[[1,2]],"x${c}":1}]}`,
        `{"series":[{"metric":"m","points":[[1,2]]}],"${c}":"${c}"}`,
      ]) {
        sameAsParse(Buffer.from(text), text);
      }
    }
  });
});

describe('v1 series JSON: identities', () => {
  test('two series have equal identities iff their bytes other than the points value are equal', () => {
    const rand = seededRandom(31);
    const gen = new V1Generator(rand);
    // Few distinct objects, many points: most pairs share their identity, some differ in one byte of whitespace.
    const templates = Array.from({ length: 12 }, () => gen.series(false)).filter(
      (t) => !/"points"[\s\S]*"points"/.test(t.before + t.after),
    );
    templates.push({ ...templates[0]!, after: ` ${templates[0]!.after}` });
    const bodies = Array.from({ length: 3 }, () => {
      const chosen = Array.from({ length: 40 }, () => templates[Math.floor(rand() * templates.length)]!);
      const text = `{"series":[${chosen.map((t) => t.before + gen.points() + t.after).join(',')}]}`;
      const batch = decodeSeriesV1Json(Buffer.from(text)).seriesBatch;
      assert.ok(batch, 'scanned');
      return { chosen, batch };
    });
    let equalPairs = 0;
    for (const a of bodies) {
      for (const b of bodies) {
        for (let i = 0; i < a.batch.count; i++) {
          const words = identityOf(a.batch, i);
          for (let j = 0; j < b.batch.count; j++) {
            const same = a.chosen[i]!.before === b.chosen[j]!.before && a.chosen[i]!.after === b.chosen[j]!.after;
            assert.equal(b.batch.identityEquals(j, words, 0), same, `${i} vs ${j}`);
            assert.equal(
              words.length === b.batch.identityWords(j) && words.every((w, k) => w === identityOf(b.batch, j)[k]),
              same,
            );
            // Different identities (one differs only after the points) hash apart: a handful of seeded ones, no luck involved.
            assert.equal(b.batch.identityHash(j) === a.batch.identityHash(i), same);
            if (same) equalPairs++;
          }
        }
      }
    }
    assert.ok(equalPairs > 1000 && equalPairs < 120 * 120, `${equalPairs} equal pairs`);
  });

  test('identity words: two runs (up to the points value, after it), each its length and its bytes little-endian', () => {
    const body = Buffer.from('{"series":[{"metric":"abc","points":[[1,2]]}]}');
    const batch = decodeSeriesV1Json(body).seriesBatch!;
    const before = Buffer.from('{"metric":"abc","points":');
    const padded = Buffer.concat([before, Buffer.alloc(3)]);
    const expected = [
      2,
      before.length,
      ...Array.from({ length: Math.ceil(before.length / 4) }, (_, k) => padded.readInt32LE(4 * k)),
      1,
      0x7d,
    ];
    assert.deepEqual([...identityOf(batch, 0)], expected);
    assert.ok(batch.identityEquals(0, Int32Array.from([0, ...expected]), 1), 'compared at an offset');
    assert.equal(
      batch.identityEquals(0, Int32Array.from(expected.map((w, k) => (k === expected.length - 1 ? w + 1 : w))), 0),
      false,
    );
    assert.ok(batch.identityHash(0) >= 0 && batch.identityHash(0) < 2 ** 30);
  });

  test('encodings: v1 JSON and v2 protobuf batches say which they are', () => {
    assert.equal(decodeSeriesV1Json(json({ series: [] })).seriesBatch!.encoding, 'v1-json');
    assert.equal(decodeSeriesV2Proto(encodeMetricPayload([{ metric: 'm' }])).seriesBatch!.encoding, 'v2-protobuf');
  });

  test('series is decoded on first read and read-only', () => {
    const decoded = decodeSeriesV1Json(json({ series: [{ metric: 'm', points: [[1, 2]] }] }));
    assert.equal(decoded.series, decoded.series);
    assert.throws(() => {
      (decoded as { series: DDSeries[] }).series = [];
    }, TypeError);
  });
});

describe('v1 series JSON: mapped through the scanner as through JSON.parse', () => {
  function mapped(r: MapResult): unknown {
    return {
      series: r.series.map((s) => [Object.fromEntries(s.labels.map((l) => [l.name, l.value])), s.timestamps, s.values]),
      metadata: r.metadata,
      invalid: r.invalid,
      dropped: r.dropped,
    };
  }

  test('first seen, repeated, reordered and changed series, with v2 protobuf of the same series in between', () => {
    const rand = seededRandom(77);
    const gen = new V1Generator(rand);
    const viaScanner = new Mapper({ keepUtf8Names: false }, new HostTagCache(null));
    const viaParse = new Mapper({ keepUtf8Names: false }, new HostTagCache(null));
    const templates = Array.from({ length: 30 }, () => gen.series(false)).filter(
      (t) => !/"points"[\s\S]*"points"/.test(t.before + t.after),
    );
    const now = 1_700_000_100_000;
    let samples = 0;
    for (let round = 0; round < 12; round++) {
      const order = round % 3 === 2 ? [...templates].reverse() : templates.slice(0, 10 + round * 2);
      const text = `{"series":[${order.map((t, k) => `${t.before}[[${1_700_000_000 + round * 10},${k + round}.5]]${t.after}`).join(',')}]}`;
      const body = withInvalidUtf8(text, rand);
      const scanned = decodeSeriesV1Json(body);
      assert.ok(scanned.seriesBatch, 'scanned');
      const a = viaScanner.map('t', scanned, now);
      const b = viaParse.map('t', decodeSeriesV1JsonByParse(body), now);
      assert.deepEqual(mapped(a), mapped(b), `round ${round}`);
      samples += a.series.length;
      // The same series as v2 protobuf: their identities never stand for JSON ones or the other way round.
      const proto = encodeMetricPayload(
        decodeSeriesV1JsonByParse(body).series.map((s) => ({
          metric: s.metric,
          tags: s.tags,
          resources: s.host ? [{ type: 'host', name: s.host }] : [],
          points: [],
        })),
      );
      viaScanner.map('t', decodeSeriesV2Proto(proto), now);
      viaParse.map('t', decodeSeriesV2Proto(proto), now);
    }
    assert.ok(samples > 100, `${samples} samples`);
  });
});
