import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { MetricsApi as MetricsApiV1 } from '@datadog/datadog-api-client/dist/packages/datadog-api-client-v1/apis/MetricsApi.js';
import { MetricsApi as MetricsApiV2 } from '@datadog/datadog-api-client/dist/packages/datadog-api-client-v2/apis/MetricsApi.js';
import { decodedBody, loadFixture } from '../../../test/support/fixtures.js';
import { DecodeError, type DDSeries, type IdentitySeriesBatch } from '../../model/datadog.js';
import { HostTagCache, Mapper, type MapResult } from '../../mapping/index.js';
import { decodeSeriesV1Json, decodeSeriesV1JsonByParse, decodeSeriesV2, decodeSeriesV2Json } from './series-json.js';
import { decodeSeriesV2Proto } from './series-v2-proto.js';
import { encodeMetricPayload, ProtoWriter } from './proto-writer.js';
import { assertDecodeError, onlyDecodeErrors, seededRandom, series } from './decoder-testing.js';
import { captureClientRequests } from './official-client-capture.js';

const json = (v: unknown) => Buffer.from(JSON.stringify(v));

describe('v1 series JSON', () => {
  test('what the official client’s MetricsApi v1 submitMetrics sends (text/json, float timestamps)', async () => {
    const [req] = await captureClientRequests((conf) =>
      new MetricsApiV1(conf).submitMetrics({
        body: {
          series: [
            { metric: 'blog.app.testcounter', points: [[1_700_000_000.25, 10]], type: 'rate', interval: 10, host: 'app-1', tags: ['env:dev'] },
            { metric: 'blog.app.gauge', points: [[1_700_000_000, 1.5], [1_700_000_010, -2]] },
          ],
        },
      }),
    );
    assert.equal(req!.headers['Content-Type'], 'text/json');
    assert.ok(sameAsParse(req!.body, 'official client'), 'scanned');
    assert.deepEqual(decodeSeriesV1Json(req!.body).series, [
      series({ metric: 'blog.app.testcounter', type: 'rate', interval: 10, host: 'app-1', tags: ['env:dev'], timestamps: [1_700_000_000.25], values: [10] }),
      series({ metric: 'blog.app.gauge', timestamps: [1_700_000_000, 1_700_000_010], values: [1.5, -2] }),
    ]);
  });

  test('what the Agent sends with v2 series off: device, source_type_name, "tags": null, count type', () => {
    const body = json({
      series: [
        { metric: 'system.disk.free', points: [[1_700_000_000, 123]], tags: null, host: 'h', device: '/dev/sda1', type: 'gauge', interval: 0, source_type_name: 'System' },
        { metric: 'app.hits', points: [[1_700_000_000, 4]], tags: ['a:b'], host: 'h', type: 'count', interval: 10, source_type_name: '' },
      ],
    });
    assert.ok(sameAsParse(body, 'agent'), 'scanned');
    assert.deepEqual(decodeSeriesV1Json(body).series, [
      series({ metric: 'system.disk.free', host: 'h', device: '/dev/sda1', type: 'gauge', sourceTypeName: 'System', timestamps: [1_700_000_000], values: [123] }),
      series({ metric: 'app.hits', host: 'h', tags: ['a:b'], type: 'count', interval: 10, timestamps: [1_700_000_000], values: [4] }),
    ]);
  });

  test('null values become NaN, unknown or empty types read as unspecified, a body without series is empty', () => {
    const body = json({ series: [{ metric: 'm', points: [[1, null]], type: 'distribution' }, { metric: 'n', points: [], type: '' }] });
    for (const b of [body, json({}), json({ series: null }), Buffer.from('\ufeff{"series":[]}')]) assert.ok(sameAsParse(b, b.toString()), 'scanned');
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
      [{ series: [{ metric: 'm', points: 'x' }] }, 'series[0].points: expected an array of [timestamp, value], got string'],
      [{ series: [{ metric: 'm', points: [[1, 2], [3, '4']] }] }, 'series[0].points[1][1]: expected a number, got string'],
      [{ series: [{ metric: 'm', points: [['1', 2]] }] }, 'series[0].points[0][0]: expected a number, got string'],
      [{ series: [{ metric: 'm', points: [[1, 2, 3]] }] }, 'series[0].points[0]: expected [timestamp, value], got an array of 3'],
      [{ series: [{ metric: 'm', points: [5] }] }, 'series[0].points[0]: expected [timestamp, value], got number'],
      [{ series: [{ metric: 'm', points: [] }, { points: [] }] }, 'series[1].metric: missing'],
      [{ series: [{ metric: 7, points: [] }] }, 'series[0].metric: expected a string, got number'],
      [{ series: [{ metric: 'm', points: [], tags: 'a:b' }] }, 'series[0].tags: expected an array of strings, got string'],
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
    assertDecodeError(() => decodeSeriesV1Json(Buffer.from('{"series":[{"metric":"m",}]}')), 'series payload: invalid JSON: Expected double-quoted property name in JSON at position 25');
    assertDecodeError(() => decodeSeriesV1Json(Buffer.alloc(0)), 'series payload: invalid JSON: Unexpected end of JSON input (body is 0 bytes)');
    const body = json({ series: [{ metric: 'm', points: [[1, 2]], tags: ['a:b'], host: 'h' }] });
    for (let cut = 0; cut < body.length; cut++) {
      assert.equal(onlyDecodeErrors(() => decodeSeriesV1Json(body.subarray(0, cut)), `cut ${cut}`), 'error', `cut ${cut}`);
      sameAsParse(body.subarray(0, cut), `cut ${cut}`);
    }
  });
});

describe('v2 series JSON', () => {
  test('what the official client’s MetricsApi v2 submitMetrics sends (type as an integer, point objects)', async () => {
    const [req] = await captureClientRequests((conf) =>
      new MetricsApiV2(conf).submitMetrics({
        body: {
          series: [
            {
              metric: 'blog.app.bytes',
              type: 3,
              points: [{ timestamp: 1_700_000_000, value: 2.5 }, { timestamp: 1_700_000_010 }],
              resources: [
                { name: 'app-1', type: 'host' },
                { name: 'eth0', type: 'device' },
                { name: 'c1', type: 'cluster' },
              ],
              tags: ['env:dev'],
              unit: 'byte',
              sourceTypeName: 'my_app',
              interval: 10,
              metadata: { origin: {} },
            },
            { metric: 'blog.app.count', type: 1, points: [{ timestamp: 1_700_000_000, value: 3 }] },
          ],
        },
      }),
    );
    const text = req!.body.toString();
    assert.match(text, /"type":3/, 'the client writes the type as an integer');
    assert.deepEqual(decodeSeriesV2Json(req!.body).series, [
      series({
        metric: 'blog.app.bytes',
        type: 'gauge',
        host: 'app-1',
        device: 'eth0',
        resources: [{ type: 'cluster', name: 'c1' }],
        tags: ['env:dev'],
        unit: 'byte',
        sourceTypeName: 'my_app',
        interval: 10,
        timestamps: [1_700_000_000, 1_700_000_010],
        values: [2.5, 0],
      }),
      series({ metric: 'blog.app.count', type: 'count', timestamps: [1_700_000_000], values: [3] }),
    ]);
    assert.deepEqual(decodeSeriesV2(req!.body).series, decodeSeriesV2Json(req!.body).series, 'sniffed as JSON');
  });

  test('type: unknown integers read as unspecified, other kinds are refused', () => {
    const body = json({ series: [{ metric: 'm', type: 9, points: [{ timestamp: 1, value: null }] }, { metric: 'n', points: [] }] });
    const [a, b] = decodeSeriesV2Json(body).series;
    assert.equal(a!.type, 'unspecified');
    assert.ok(Number.isNaN(a!.values[0]));
    assert.equal(b!.type, 'unspecified');
    assertDecodeError(() => decodeSeriesV2Json(json({ series: [{ metric: 'm', type: 'gauge', points: [] }] })), 'series[0].type: expected an integer 0-3, got string "gauge"');
    assertDecodeError(() => decodeSeriesV2Json(json({ series: [{ metric: 'm', type: 1.5, points: [] }] })), 'series[0].type: expected an integer 0-3, got number 1.5');
  });

  test('wrong types are refused with the path of the value', () => {
    const cases: [unknown, string][] = [
      [{ series: [{ metric: 'm', points: 'x' }] }, 'series[0].points: expected an array of {timestamp, value}, got string'],
      [{ series: [{ metric: 'm', points: [[1, 2]] }] }, 'series[0].points[0]: expected an object {timestamp, value}, got array'],
      [{ series: [{ metric: 'm', points: [{ timestamp: 1, value: '2' }] }] }, 'series[0].points[0].value: expected a number, got string'],
      [{ series: [{ metric: 'm', points: [{ timestamp: '1', value: 2 }] }] }, 'series[0].points[0].timestamp: expected a number, got string'],
      [{ series: [{ metric: 'm', points: [], resources: {} }] }, 'series[0].resources: expected an array, got object'],
      [{ series: [{ metric: 'm', points: [], resources: [{ type: 'host', name: 5 }] }] }, 'series[0].resources[0].name: expected a string, got number'],
      [{ series: [{ metric: 'm', points: [], unit: 1 }] }, 'series[0].unit: expected a string, got number'],
    ];
    for (const [body, message] of cases) assertDecodeError(() => decodeSeriesV2Json(json(body)), message);
  });
});

describe('decodeSeriesV2 tells JSON from protobuf by the body', () => {
  test('the captured payloads: three protobuf bodies and two `{}` JSON bodies', () => {
    const payloads = loadFixture('api_v2_series_response.json');
    assert.deepEqual(
      payloads.map((p) => [p.encoding, decodeSeriesV2(decodedBody(p)).series.length]),
      [
        ['deflate', 155],
        ['deflate', 529],
        ['deflate', 635],
        ['application/json', 0],
        ['application/json', 0],
      ],
    );
  });

  test('protobuf, JSON, and JSON after whitespace', () => {
    const proto = encodeMetricPayload([{ metric: 'p', type: 3, points: [{ timestamp: 5, value: 1 }] }]);
    assert.equal(decodeSeriesV2(proto).series[0]!.metric, 'p');
    const body = ' \r\n\t{"series":[{"metric":"j","type":2,"points":[{"timestamp":5,"value":1}]}]}';
    assert.deepEqual(decodeSeriesV2(Buffer.from(body)).series, [series({ metric: 'j', type: 'rate', timestamps: [5], values: [1] })]);
  });

  test('a MetricPayload whose first series is 123 bytes long starts with "\\n{" and still decodes as protobuf', () => {
    const w = new ProtoWriter().message(1, (m) => m.stringField(2, 'x'.repeat(121)));
    const body = w.finish();
    assert.deepEqual([...body.subarray(0, 2)], [0x0a, 0x7b]);
    assert.equal(decodeSeriesV2(body).series[0]!.metric, 'x'.repeat(121));
  });

  test('a body that is neither says why for both', () => {
    assertDecodeError(() => decodeSeriesV2(Buffer.from('\n{"series": [')), /^neither JSON \(series payload: invalid JSON: .*\) nor protobuf \(MetricPayload: .* at byte \d+\)$/);
    assertDecodeError(() => decodeSeriesV2(Buffer.from('{"series": [')), /^series payload: invalid JSON: /);
    // Valid JSON with a wrong shape is a JSON error, not a protobuf one.
    assertDecodeError(() => decodeSeriesV2(Buffer.from('\n{"series": 5}')), 'series: expected an array, got number');
  });
});

describe('JSON series bodies under abuse', () => {
  test('random mutations of valid v1 and v2 bodies only ever give DecodeError', () => {
    const bodies = [
      json({ series: [{ metric: 'm', points: [[1, 2.5], [2, null]], tags: ['a:b', 'c'], host: 'h', type: 'rate', interval: 10, device: 'd', source_type_name: 's' }] }),
      json({ series: [{ metric: 'm', type: 3, points: [{ timestamp: 1, value: 2 }], resources: [{ name: 'h', type: 'host' }], tags: ['a:b'], unit: 'u', interval: 5 }] }),
    ];
    const alphabet = Buffer.from('{}[]":,0123456789.-enulltruefalse \\x');
    const rand = seededRandom(11);
    for (let i = 0; i < 4000; i++) {
      const base = bodies[i % 2]!;
      const bytes = Array.from(base);
      for (let e = 0; e < 1 + Math.floor(rand() * 3); e++) {
        const at = Math.floor(rand() * bytes.length);
        const c = rand() < 0.8 ? alphabet[Math.floor(rand() * alphabet.length)]! : Math.floor(rand() * 256);
        if (rand() < 0.6) bytes[at] = c;
        else if (rand() < 0.5) bytes.splice(at, 1);
        else bytes.splice(at, 0, c);
      }
      const body = Buffer.from(bytes);
      for (const decode of [decodeSeriesV1Json, decodeSeriesV2Json, decodeSeriesV2]) onlyDecodeErrors(() => decode(body), `${decode.name} ${body.toString()}`);
    }
  });

  test('error messages quoting the client’s values stay short', () => {
    const huge = 'x'.repeat(100_000);
    assertDecodeError(() => decodeSeriesV2Json(json({ series: [{ metric: 'm', type: huge, points: [] }] })), 'series[0].type: expected an integer 0-3, got a string of 100000 characters');
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
  let decoded;
  try {
    decoded = decodeSeriesV1Json(body);
  } catch (err) {
    assert.ok(err instanceof DecodeError, `${context}: threw ${String(err)}`);
    assert.equal(err.message, expected, context);
    return false;
  }
  assert.ok(typeof expected !== 'string', `${context}: decoded a body the JSON.parse path refuses with ${String(expected)}`);
  const batch = decoded.seriesBatch;
  if (batch !== undefined) {
    assert.equal(batch.encoding, 'v1-json');
    assert.equal(batch.count, expected.length, context);
    for (let i = 0; i < batch.count; i++) {
      assert.deepEqual(batch.decode(i), expected[i], `${context}: decode(${i})`);
      const from = batch.pointsStart(i);
      const to = batch.pointsStart(i + 1);
      assert.deepEqual([batch.timestamps.slice(from, to), batch.values.slice(from, to)], [expected[i]!.timestamps, expected[i]!.values], `${context}: points of ${i}`);
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
class V1Generator {
  constructor(private readonly rand: () => number) {}

  pick<T>(options: readonly T[]): T {
    return options[Math.floor(this.rand() * options.length)]!;
  }

  /** Whitespace (none most of the time). */
  ws(): string {
    return this.rand() < 0.75 ? '' : this.pick([' ', '\n', '\t', '\r\n  ', '  \t ']);
  }

  /** A JSON string literal: ASCII, every escape, raw UTF-8, and INVALID_UTF8_MARK where withInvalidUtf8 puts bad bytes. */
  string(): string {
    let text = '"';
    const parts = 1 + Math.floor(this.rand() * 4);
    for (let k = 0; k < parts; k++) {
      const r = this.rand();
      if (r < 0.55) text += this.pick(['system.cpu.user', 'env:prod', 'host-1', 'a', '', 'role:web', 'ip-10-0-1-2.ec2.internal', 'gauge', 'x y']);
      else if (r < 0.75) text += this.pick(['\\"', '\\\\', '\\/', '\\b', '\\f', '\\n', '\\r', '\\t', '\\u0041', '\\u00e9', '\\ud83d\\ude00', '\\ud800', '\\uDFFF', '\\u0000']);
      else if (r < 0.95) text += this.pick(['é', '中文', '😀', '\u2028', '\u00ff', '\ufeff']);
      else text += INVALID_UTF8_MARK;
    }
    return `${text}"`;
  }

  /** A JSON number in one of the forms clients write, and the edge cases of doubles. */
  number(): string {
    const r = this.rand();
    const digits = (n: number): string => Array.from({ length: n }, () => Math.floor(this.rand() * 10)).join('');
    if (r < 0.15) return String(1_700_000_000 + Math.floor(this.rand() * 1e6));
    if (r < 0.3) return String(Math.floor(this.rand() * 1e6) * (this.rand() < 0.2 ? -1 : 1));
    if (r < 0.45) return JSON.stringify((this.rand() - 0.3) * 10 ** Math.floor(this.rand() * 30 - 10));
    if (r < 0.55) return `${Math.floor(this.rand() * 1e5)}.${digits(1 + Math.floor(this.rand() * 4))}`;
    if (r < 0.65) {
      const int = this.rand() < 0.3 ? '0' : String(1 + Math.floor(this.rand() * 9)) + digits(Math.floor(this.rand() * 12));
      return `${this.rand() < 0.2 ? '-' : ''}${int}.${digits(1 + Math.floor(this.rand() * 20))}`;
    }
    if (r < 0.75) {
      const mantissa = `${1 + Math.floor(this.rand() * 9)}${this.rand() < 0.5 ? `.${digits(1 + Math.floor(this.rand() * 18))}` : digits(Math.floor(this.rand() * 4))}`;
      return `${this.rand() < 0.2 ? '-' : ''}${mantissa}${this.pick(['e', 'E'])}${this.pick(['', '+', '-'])}${Math.floor(this.rand() * 40)}`;
    }
    if (r < 0.85) return `${1 + Math.floor(this.rand() * 9)}${digits(15 + Math.floor(this.rand() * 15))}`;
    return this.pick([
      '0', '-0', '-0.0', '0.0', '0e5', '-0E-3', '0.000001', '1e22', '1e23', '9007199254740993', '9007199254740992.5',
      '999999999999999', '1000000000000000', '123456789012345.6', '1.7976931348623157e308', '1e309', '-1e400',
      '4.9e-324', '5e-324', '2e-324', '1e-400', '2.2250738585072011e-308', '0.1', '0.3', '1.5e-7', '123456789e-22',
      '123456789e-23', '1234567890123456e-22', '42e0', '100', '-5',
    ]);
  }

  /** Any JSON value, for members the decoder does not read. */
  value(depth = 0): string {
    const r = this.rand();
    if (depth < 3 && r < 0.15) return `[${this.ws()}${Array.from({ length: Math.floor(this.rand() * 3) }, () => this.value(depth + 1)).join(`${this.ws()},${this.ws()}`)}${this.ws()}]`;
    if (depth < 3 && r < 0.3) return `{${this.ws()}${Array.from({ length: Math.floor(this.rand() * 3) }, () => `${this.string()}${this.ws()}:${this.ws()}${this.value(depth + 1)}`).join(`${this.ws()},${this.ws()}`)}${this.ws()}}`;
    if (r < 0.5) return this.string();
    if (r < 0.7) return this.number();
    return this.pick(['null', 'true', 'false']);
  }

  /** `[[ts, value], ...]` (values sometimes null). */
  points(): string {
    const n = this.pick([0, 1, 1, 1, 2, 3]);
    const points = Array.from({ length: n }, () => `[${this.ws()}${this.number()}${this.ws()},${this.ws()}${this.rand() < 0.1 ? 'null' : this.number()}${this.ws()}]`);
    return `[${this.ws()}${points.join(`${this.ws()},${this.ws()}`)}${this.ws()}]`;
  }

  /** A member value: usually of the right type, with `wrongTypes` sometimes not. */
  member(name: string, wrongTypes: boolean): string {
    if (wrongTypes && this.rand() < 0.05) return this.value();
    switch (name) {
      case 'metric':
        return this.string();
      case 'type':
        return this.pick(['"gauge"', '"rate"', '"count"', '""', '"distribution"', '"toString"', '"__proto__"', '"g\\u0061uge"', 'null']);
      case 'tags':
        return this.rand() < 0.2 ? 'null' : `[${this.ws()}${Array.from({ length: Math.floor(this.rand() * 5) }, () => this.string()).join(`${this.ws()},${this.ws()}`)}${this.ws()}]`;
      case 'interval':
        return this.rand() < 0.2 ? 'null' : this.number();
      default:
        return this.rand() < 0.2 ? 'null' : this.string();
    }
  }

  /** A series object split around its (last) points value: before + points + after is the object's text. */
  series(wrongTypes: boolean): { before: string; points: string; after: string } {
    const names = ['metric', 'points'];
    for (const optional of ['type', 'host', 'device', 'tags', 'source_type_name', 'interval', 'unit']) if (this.rand() < 0.6) names.push(optional);
    for (let k = Math.floor(this.rand() * 2.5); k > 0; k--) names.push(this.pick(['extra', 'Metric', '__proto__', 'constructor', 'metrics', 'points_', '']));
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
        (lastPoints < 0 || k < lastPoints ? (s: string) => (before += s) : (s: string) => (after += s))(`${key}${value}${sep}`);
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
    const extra = this.rand() < 0.2 ? `${this.ws()}${this.string()}${this.ws()}:${this.ws()}${this.value()}${this.ws()},` : '';
    return `${this.ws()}{${extra}${this.ws()}"series"${this.ws()}:${this.ws()}[${this.ws()}${series.join(`${this.ws()},${this.ws()}`)}${this.ws()}]${this.ws()}}${this.ws()}`;
  }
}

/**
 * Decimals of 16-19 digits, 0.d…d with s fraction digits, within 1/2^k of a point halfway between two doubles
 * (k = 53 - e - s, far below what double arithmetic resolves): the halfway point o·2^(e-53) (o odd) times 10^s
 * is o·5^s / 2^k, closest to an integer when o·5^s ≡ ±1 (mod 2^k).
 */
function nearlyHalfway(): string[] {
  const inverse = (a: bigint, m: bigint): bigint => {
    let [r0, r1, s0, s1] = [a % m, m, 1n, 0n];
    while (r1 !== 0n) {
      const q = r0 / r1;
      [r0, r1, s0, s1] = [r1, r0 - q * r1, s1, s0 - q * s1];
    }
    return ((s0 % m) + m) % m;
  };
  const out: string[] = [];
  for (const s of [16n, 19n, 22n]) {
    for (const e of [-14n, -12n, -9n, -6n]) {
      const k = 53n - e - s;
      const mod = 1n << k;
      for (const sign of [1n, mod - 1n]) {
        const residue = (inverse(5n ** s % mod, mod) * sign) % mod;
        for (let t = 0n; t < 8n; t++) {
          const odd = (1n << 52n) + ((((residue - (1n << 52n)) % mod) + mod) % mod) + t * mod;
          if (odd >= 1n << 53n) break;
          for (const digits of [(odd * 5n ** s) / mod, (odd * 5n ** s) / mod + 1n]) {
            const text = digits.toString();
            if (text.length >= 16 && text.length <= 19 && text.length <= Number(s)) out.push(`0.${text.padStart(Number(s), '0')}`);
          }
        }
      }
    }
  }
  assert.ok(out.length > 100, `${out.length} nearly halfway decimals`);
  return out;
}

/** A private-use character the generator writes where withInvalidUtf8 puts bytes that are not UTF-8. */
const INVALID_UTF8_MARK = '\ue000';
const MARK_BYTES = Buffer.from(INVALID_UTF8_MARK);
const INVALID_UTF8 = [[0xff], [0x80], [0xc3], [0xe2, 0x82], [0xed, 0xa0, 0x80], [0xc0, 0xaf], [0xf0, 0x9f, 0x98], [0xf8, 0x88, 0x80, 0x80, 0x80]];

/** The UTF-8 of `text` with every INVALID_UTF8_MARK replaced by an invalid sequence. */
function withInvalidUtf8(text: string, rand: () => number): Buffer {
  const bytes = Buffer.from(text);
  const parts: Buffer[] = [];
  let from = 0;
  for (let at = bytes.indexOf(MARK_BYTES); at >= 0; at = bytes.indexOf(MARK_BYTES, from)) {
    parts.push(bytes.subarray(from, at), Buffer.from(INVALID_UTF8[Math.floor(rand() * INVALID_UTF8.length)]!));
    from = at + MARK_BYTES.length;
  }
  parts.push(bytes.subarray(from));
  return Buffer.concat(parts);
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

  test('numbers: every form, bit for bit (ints, decimals, exponents, -0, 16+ digits, overflow, underflow, subnormals)', () => {
    const rand = seededRandom(99);
    const gen = new V1Generator(rand);
    const forms: string[] = [];
    for (let k = 0; k < 20_000; k++) forms.push(gen.number());
    // Doubles written back in their shortest form, the way JSON serializers write them.
    const view = new DataView(new ArrayBuffer(8));
    for (let k = 0; k < 5_000; k++) {
      view.setUint32(0, Math.floor(rand() * 2 ** 32));
      view.setUint32(4, Math.floor(rand() * 2 ** 32));
      const d = view.getFloat64(0);
      if (Number.isFinite(d)) forms.push(JSON.stringify(d));
    }
    // Exactly halfway between two doubles (ties go to the even one) and just off it: 2^52..2^53 has ulp 1,
    // 2^51..2^52 ulp 1/2, 2^53..2^54 ulp 2.
    for (let k = 0; k < 2_000; k++) {
      const n = 2 ** 52 + Math.floor(rand() * 2 ** 40);
      const m = 2 ** 51 + Math.floor(rand() * 2 ** 40);
      const big = BigInt(2 ** 53) + BigInt(Math.floor(rand() * 2 ** 40)) * 2n + 1n;
      forms.push(`${n}.5`, `${n}.50`, `${n}.499`, `${n}.501`, `${m}.25`, `${m}.75`, `${m}.251`, `${big}`, `${big}.0`, `${big - 1n}.9`, `${n}5e-1`, `${m}75e-2`);
    }
    forms.push(...nearlyHalfway());
    const body = Buffer.from(`{"series":[${forms.map((f, k) => `{"metric":"m","interval":${f},"points":[[${f},${forms[forms.length - 1 - k]}]]}`).join(',')}]}`);
    assert.ok(sameAsParse(body, 'numbers'), 'scanned');
    const decoded = decodeSeriesV1Json(body).seriesBatch!;
    forms.forEach((f, k) => {
      const expected = JSON.parse(f) as number;
      assert.ok(Object.is(decoded.timestamps[k], expected), `${f}: ${decoded.timestamps[k]} instead of ${expected}`);
    });
  });

  test('malformed JSON: mutations of valid bodies give the same error as JSON.parse or the same series', () => {
    const rand = seededRandom(5);
    const gen = new V1Generator(rand);
    const alphabet = Buffer.from('{}[]":,0123456789.-+eEnulltruefalse \\u\t\n');
    let refused = 0;
    for (let b = 0; b < 3000; b++) {
      const bytes = Array.from(Buffer.from(gen.body(1 + Math.floor(rand() * 2), false)));
      for (let e = 0; e < 1 + Math.floor(rand() * 2); e++) {
        const at = Math.floor(rand() * bytes.length);
        const c = rand() < 0.85 ? alphabet[Math.floor(rand() * alphabet.length)]! : Math.floor(rand() * 256);
        if (rand() < 0.5) bytes[at] = c;
        else if (rand() < 0.5) bytes.splice(at, 1);
        else bytes.splice(at, 0, c);
      }
      const body = Buffer.from(bytes);
      if (!sameAsParse(body, body.toString('latin1')) && onlyDecodeErrors(() => decodeSeriesV1Json(body), '') === 'error') refused++;
    }
    assert.ok(refused > 1000, `${refused} refused`);
  });

  test('bodies that are not a series object at all', () => {
    const texts = ['', ' ', '[]', 'null', '"series"', '{}', '{"series":[]} x', '{"series":[]}{}', '{"series":[],}', '{"series":[{"metric":"m","points":[]}]]}',
      '{"series":{}}', '{"series":[null]}', '{"series":[[]]}', '{"series":[{}]}', '{"series":null,"series":[{"metric":"m","points":[]}]}', '{"series":[{"metric":"m","points":[]}],"series":null}',
      '{"s\\u0065ries":[{"metric":"m","points":[[1,2]]}]}', '{"series":[{"m\\u0065tric":"m","points":[[1,2]]}]}', '{"series":[{"metric":"m","points":[[1,2]],"points":[[3,4]]}]}',
      '\ufeff\ufeff{"series":[]}', '{"series":[{"metric":"m","points":[[1,2]],"x":' + '['.repeat(100) + ']'.repeat(100) + '}]}',
      '{"series":[{"metric":"m","points":[[1,2]],"x":' + '['.repeat(10_000) + ']'.repeat(10_000) + '}]}',
      '{"series":[{"metric":"m","points":[[1,2]]}],"x":' + '{"a":'.repeat(70) + '1' + '}'.repeat(70) + '}'];
    for (const text of texts) sameAsParse(Buffer.from(text), text);
  });

  test('string escapes and control characters, valid and not, in values and keys', () => {
    // As written inside a JSON string (String.raw: one backslash is one byte).
    const contents = [
      String.raw`\u00e9`, String.raw`\u00E9`, String.raw`\uD83D\uDE00`, String.raw`\udead`, String.raw`\u00g0`, String.raw`\u00G0`,
      String.raw`\u0/00`, String.raw`\u00:0`, String.raw`\u00@0`, String.raw`\u00` + '`0', String.raw`\u12`, String.raw`\u`, String.raw`\x41`,
      String.raw`\a`, String.raw`\0`, String.raw`\'`, String.raw`\ `, String.raw`\\`, String.raw`\"`, String.raw`\/`, String.raw`\b\f\n\r\t`,
      String.raw`\\\"`, '\\', '\t', '\n', '\r', '\u0000', '\u001f', '\u007f', ' ', 'abcdefgh\u0001', 'abc\\"defgh',
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
    const templates = Array.from({ length: 12 }, () => gen.series(false)).filter((t) => !/"points"[^]*"points"/.test(t.before + t.after));
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
            assert.equal(words.length === b.batch.identityWords(j) && words.every((w, k) => w === identityOf(b.batch, j)[k]), same);
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
    const expected = [2, before.length, ...Array.from({ length: Math.ceil(before.length / 4) }, (_, k) => padded.readInt32LE(4 * k)), 1, 0x7d];
    assert.deepEqual([...identityOf(batch, 0)], expected);
    assert.ok(batch.identityEquals(0, Int32Array.from([0, ...expected]), 1), 'compared at an offset');
    assert.equal(batch.identityEquals(0, Int32Array.from(expected.map((w, k) => (k === expected.length - 1 ? w + 1 : w))), 0), false);
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
    const templates = Array.from({ length: 30 }, () => gen.series(false)).filter((t) => !/"points"[^]*"points"/.test(t.before + t.after));
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
      const proto = encodeMetricPayload(decodeSeriesV1JsonByParse(body).series.map((s) => ({ metric: s.metric, tags: s.tags, resources: s.host ? [{ type: 'host', name: s.host }] : [], points: [] })));
      viaScanner.map('t', decodeSeriesV2Proto(proto), now);
      viaParse.map('t', decodeSeriesV2Proto(proto), now);
    }
    assert.ok(samples > 100, `${samples} samples`);
  });
});
