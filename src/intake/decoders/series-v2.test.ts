import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { decodedBody, loadFixture } from '../../../test/support/fixtures.js';
import { decodeSeriesV2 } from './series-v2.js';
import { encodeMetricPayload, ProtoWriter } from '../../../test/support/proto-writer.js';
import { assertDecodeError, series } from '../../../test/support/decoder-testing.js';

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
    assert.deepEqual(decodeSeriesV2(Buffer.from(body)).series, [
      series({ metric: 'j', type: 'rate', timestamps: [5], values: [1] }),
    ]);
  });

  test('a MetricPayload whose first series is 123 bytes long starts with "\\n{" and still decodes as protobuf', () => {
    const w = new ProtoWriter().message(1, (m) => m.stringField(2, 'x'.repeat(121)));
    const body = w.finish();
    assert.deepEqual([...body.subarray(0, 2)], [0x0a, 0x7b]);
    assert.equal(decodeSeriesV2(body).series[0]!.metric, 'x'.repeat(121));
  });

  test('a body that is neither says why for both', () => {
    assertDecodeError(
      () => decodeSeriesV2(Buffer.from('\n{"series": [')),
      /^neither JSON \(series payload: invalid JSON: .*\) nor protobuf \(MetricPayload: .* at byte \d+\)$/,
    );
    assertDecodeError(() => decodeSeriesV2(Buffer.from('{"series": [')), /^series payload: invalid JSON: /);
    // Valid JSON with a wrong shape is a JSON error, not a protobuf one.
    assertDecodeError(() => decodeSeriesV2(Buffer.from('\n{"series": 5}')), 'series: expected an array, got number');
  });
});
