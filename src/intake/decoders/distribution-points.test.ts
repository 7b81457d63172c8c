import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { MetricsApi } from '@datadog/datadog-api-client/dist/packages/datadog-api-client-v1/apis/MetricsApi.js';
import { decodeDistributionPoints } from './distribution-points.js';
import { assertDecodeError } from '../../../test/support/decoder-testing.js';
import { captureClientRequests } from '../../../test/support/official-client-capture.js';

const json = (v: unknown) => Buffer.from(JSON.stringify(v));

describe('/api/v1/distribution_points JSON', () => {
  test('what the official client’s submitDistributionPoints sends', async () => {
    const [req] = await captureClientRequests((conf) =>
      new MetricsApi(conf).submitDistributionPoints({
        body: {
          series: [
            {
              metric: 'blog.app.latency',
              points: [
                [1_700_000_000, [1, 2, 2.5]],
                [1_700_000_010.5, []],
              ],
              host: 'app-1',
              tags: ['env:dev'],
              type: 'distribution',
            },
            { metric: 'blog.app.size', points: [[1_700_000_000, [7]]] },
          ],
        },
      }),
    );
    assert.match(req!.url, /\/api\/v1\/distribution_points$/);
    const payload = decodeDistributionPoints(req!.body);
    assert.deepEqual(payload.distributions, [
      {
        metric: 'blog.app.latency',
        host: 'app-1',
        tags: ['env:dev'],
        points: [
          { ts: 1_700_000_000, values: [1, 2, 2.5] },
          { ts: 1_700_000_010.5, values: [] },
        ],
      },
      { metric: 'blog.app.size', host: '', tags: [], points: [{ ts: 1_700_000_000, values: [7] }] },
    ]);
    assert.deepEqual(payload.series, []);
  });

  test('wrong shapes are refused with the path of the value', () => {
    const cases: [unknown, string][] = [
      [
        { series: [{ metric: 'm', points: [[1, 2]] }] },
        'series[0].points[0][1]: expected an array of numbers, got number',
      ],
      [
        { series: [{ metric: 'm', points: [[1, [2, '3']]] }] },
        'series[0].points[0][1][1]: expected a number, got string',
      ],
      [{ series: [{ metric: 'm', points: [[null, [2]]] }] }, 'series[0].points[0][0]: expected a number, got null'],
      [
        { series: [{ metric: 'm', points: [[1]] }] },
        'series[0].points[0]: expected [timestamp, [values]], got an array of 1',
      ],
      [
        { series: [{ metric: 'm', points: 'x' }] },
        'series[0].points: expected an array of [timestamp, [values]], got string',
      ],
      [
        { series: [{ metric: 'm', points: [], type: 'gauge' }] },
        'series[0].type: expected "distribution", got string "gauge"',
      ],
      [{ series: [{ points: [] }] }, 'series[0].metric: missing'],
      ['x', 'distribution points payload: expected an object, got string'],
    ];
    for (const [body, message] of cases) assertDecodeError(() => decodeDistributionPoints(json(body)), message);
    assertDecodeError(
      () => decodeDistributionPoints(Buffer.from('{"series":[')),
      /^distribution points payload: invalid JSON: /,
    );
  });
});
