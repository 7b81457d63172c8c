import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { MetricsApi as MetricsApiV2 } from '@datadog/datadog-api-client/dist/packages/datadog-api-client-v2/apis/MetricsApi.js';
import { mutate } from '../../../test/support/json-text.js';
import { decodeSeriesV2Json } from './series-v2-json.js';
import { decodeSeriesV2 } from './series-v2.js';
import { assertDecodeError, onlyDecodeErrors, series } from '../../../test/support/decoder-testing.js';
import { seededRandom } from '../../../test/support/random.js';
import { captureClientRequests } from '../../../test/support/official-client-capture.js';

const json = (v: unknown) => Buffer.from(JSON.stringify(v));

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
    const body = json({
      series: [
        { metric: 'm', type: 9, points: [{ timestamp: 1, value: null }] },
        { metric: 'n', points: [] },
      ],
    });
    const [a, b] = decodeSeriesV2Json(body).series;
    assert.equal(a!.type, 'unspecified');
    assert.ok(Number.isNaN(a!.values[0]));
    assert.equal(b!.type, 'unspecified');
    assertDecodeError(
      () => decodeSeriesV2Json(json({ series: [{ metric: 'm', type: 'gauge', points: [] }] })),
      'series[0].type: expected an integer 0-3, got string "gauge"',
    );
    assertDecodeError(
      () => decodeSeriesV2Json(json({ series: [{ metric: 'm', type: 1.5, points: [] }] })),
      'series[0].type: expected an integer 0-3, got number 1.5',
    );
  });

  test('wrong types are refused with the path of the value', () => {
    const cases: [unknown, string][] = [
      [
        { series: [{ metric: 'm', points: 'x' }] },
        'series[0].points: expected an array of {timestamp, value}, got string',
      ],
      [
        { series: [{ metric: 'm', points: [[1, 2]] }] },
        'series[0].points[0]: expected an object {timestamp, value}, got array',
      ],
      [
        { series: [{ metric: 'm', points: [{ timestamp: 1, value: '2' }] }] },
        'series[0].points[0].value: expected a number, got string',
      ],
      [
        { series: [{ metric: 'm', points: [{ timestamp: '1', value: 2 }] }] },
        'series[0].points[0].timestamp: expected a number, got string',
      ],
      [{ series: [{ metric: 'm', points: [], resources: {} }] }, 'series[0].resources: expected an array, got object'],
      [
        { series: [{ metric: 'm', points: [], resources: [{ type: 'host', name: 5 }] }] },
        'series[0].resources[0].name: expected a string, got number',
      ],
      [{ series: [{ metric: 'm', points: [], unit: 1 }] }, 'series[0].unit: expected a string, got number'],
    ];
    for (const [body, message] of cases) assertDecodeError(() => decodeSeriesV2Json(json(body)), message);
  });

  test('random mutations of a valid body only ever give DecodeError', () => {
    const body = json({
      series: [
        {
          metric: 'm',
          type: 3,
          points: [{ timestamp: 1, value: 2 }],
          resources: [{ name: 'h', type: 'host' }],
          tags: ['a:b'],
          unit: 'u',
          interval: 5,
        },
      ],
    });
    const alphabet = Buffer.from('{}[]":,0123456789.-enulltruefalse \\x');
    const rand = seededRandom(11);
    for (let i = 0; i < 2000; i++) {
      const mutated = mutate(body, rand, { alphabet, alphabetShare: 0.8, maxEdits: 3, replaceShare: 0.6 });
      for (const decode of [decodeSeriesV2Json, decodeSeriesV2])
        onlyDecodeErrors(() => decode(mutated), `${decode.name} ${mutated.toString()}`);
    }
  });

  test('error messages quoting the client’s values stay short', () => {
    const huge = 'x'.repeat(100_000);
    assertDecodeError(
      () => decodeSeriesV2Json(json({ series: [{ metric: 'm', type: huge, points: [] }] })),
      'series[0].type: expected an integer 0-3, got a string of 100000 characters',
    );
  });
});
