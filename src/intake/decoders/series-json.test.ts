import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { MetricsApi as MetricsApiV1 } from '@datadog/datadog-api-client/dist/packages/datadog-api-client-v1/apis/MetricsApi.js';
import { MetricsApi as MetricsApiV2 } from '@datadog/datadog-api-client/dist/packages/datadog-api-client-v2/apis/MetricsApi.js';
import { decodedBody, loadFixture } from '../../../test/support/fixtures.js';
import { decodeSeriesV1Json, decodeSeriesV2, decodeSeriesV2Json } from './series-json.js';
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
    assert.deepEqual(decodeSeriesV1Json(body).series, [
      series({ metric: 'system.disk.free', host: 'h', device: '/dev/sda1', type: 'gauge', sourceTypeName: 'System', timestamps: [1_700_000_000], values: [123] }),
      series({ metric: 'app.hits', host: 'h', tags: ['a:b'], type: 'count', interval: 10, timestamps: [1_700_000_000], values: [4] }),
    ]);
  });

  test('null values become NaN, unknown or empty types read as unspecified, a body without series is empty', () => {
    const body = json({ series: [{ metric: 'm', points: [[1, null]], type: 'distribution' }, { metric: 'n', points: [], type: '' }] });
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
    for (const [body, message] of cases) assertDecodeError(() => decodeSeriesV1Json(json(body)), message);
  });

  test('invalid JSON names the position; every truncation of a body is refused', () => {
    assertDecodeError(() => decodeSeriesV1Json(Buffer.from('{"series":[{"metric":"m",}]}')), 'series payload: invalid JSON: Expected double-quoted property name in JSON at position 25');
    assertDecodeError(() => decodeSeriesV1Json(Buffer.alloc(0)), 'series payload: invalid JSON: Unexpected end of JSON input (body is 0 bytes)');
    const body = json({ series: [{ metric: 'm', points: [[1, 2]], tags: ['a:b'], host: 'h' }] });
    for (let cut = 0; cut < body.length; cut++) {
      assert.equal(onlyDecodeErrors(() => decodeSeriesV1Json(body.subarray(0, cut)), `cut ${cut}`), 'error', `cut ${cut}`);
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
