import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { emptyPayload, type DDSeries, type DDSketch, type DecodedPayload } from '../model/datadog.js';
import { series } from '../../test/support/decoder-testing.js';
import { encodeMetricPayload } from '../../test/support/proto-writer.js';
import { decodeSeriesV2Proto } from '../intake/decoders/series-v2-proto.js';
import { decodeSeriesV1Json } from '../intake/decoders/series-v1-json.js';
import { decodeMetricsV3 } from '../intake/decoders/metrics-v3.js';
import { encodeV3Payload } from '../../test/support/v3-writer.js';
import { HostTagCache } from './host-tags.js';
import { Mapper, type MapResult } from './mapper.js';
import {
  DEFAULT_SERIES_LIMITS,
  NO_SERIES_LIMITS,
  longerThan,
  type SeriesLimits,
  type SeriesRefusal,
} from './limits.js';

const NOW = 1_700_000_999_000;
const TS = 1_700_000_000;

const point = { timestamps: [TS], values: [1] };
const ok = series({ metric: 'ok', host: 'h', ...point });
const payload = (p: Partial<DecodedPayload>): DecodedPayload => ({ ...emptyPayload(), ...p });
const mapper = (limits: SeriesLimits = DEFAULT_SERIES_LIMITS, cache = new HostTagCache(null)) =>
  new Mapper({ keepUtf8Names: false, limits }, cache);
const names = (r: MapResult) => r.series.map((s) => s.labels.find((l) => l.name === '__name__')!.value).sort();
const range = (n: number, f: (i: number) => string) => Array.from({ length: n }, (_, i) => f(i));

describe('series limits', () => {
  test('UTF-8 byte lengths, read at most once', () => {
    assert.equal(longerThan('a'.repeat(200), 200), false);
    assert.equal(longerThan('a'.repeat(201), 200), true);
    assert.equal(longerThan('é'.repeat(100), 200), false);
    assert.equal(longerThan('é'.repeat(101), 200), true);
    assert.equal(longerThan('x'.repeat(10_000), 0), false, '0 is no bound');
  });

  const refusedAs: [string, Partial<DDSeries>, SeriesRefusal][] = [
    ['a metric name over 200 bytes', { metric: 'm'.repeat(201) }, 'metric_name_too_long'],
    ['a non-ASCII metric name over 200 bytes', { metric: 'é'.repeat(101) }, 'metric_name_too_long'],
    ['over 1000 tags', { tags: range(1001, (i) => `k:v${i}`) }, 'too_many_tags'],
    [
      'tags and resources over 1000',
      {
        tags: range(999, () => 'k:v'),
        resources: [
          { type: 'a', name: 'b' },
          { type: 'c', name: 'd' },
        ],
      },
      'too_many_tags',
    ],
    ['over 100 label names', { tags: range(100, (i) => `k${i}:v`) }, 'too_many_labels'],
    ['a tag key over 1024 bytes', { tags: [`${'k'.repeat(1025)}:v`] }, 'label_name_too_long'],
    ['a bare tag over 1024 bytes', { tags: ['k'.repeat(1025)] }, 'label_name_too_long'],
    ['a name made longer than 1024 bytes by exported_', { tags: [`__${'k'.repeat(1020)}:v`] }, 'label_name_too_long'],
    ['a tag value over 2048 bytes', { tags: [`k:${'v'.repeat(2049)}`] }, 'label_value_too_long'],
    ['values of one key joined over 2048 bytes', { tags: range(300, (i) => `k:value${i}`) }, 'label_value_too_long'],
    ['a host over 2048 bytes', { host: 'h'.repeat(2049) }, 'label_value_too_long'],
    [
      'a resource name over 2048 bytes',
      { resources: [{ type: 'cluster', name: 'c'.repeat(2049) }] },
      'label_value_too_long',
    ],
  ];
  for (const [what, fields, reason] of refusedAs) {
    test(`a series with ${what} is refused as ${reason}; the rest of the request is mapped`, () => {
      const bad = series({ metric: 'bad', host: 'h', ...fields, timestamps: [TS, TS + 10], values: [1, 2] });
      const r = mapper().map('t', payload({ series: [ok, bad] }), NOW);
      assert.deepEqual(names(r), ['ok']);
      assert.deepEqual(r.refusedSeries, { [reason]: 1 });
      assert.equal(r.dropped[reason], 2);
      assert.equal(r.invalid, 2);
      assert.equal(names(mapper(NO_SERIES_LIMITS).map('t', payload({ series: [ok, bad] }), NOW)).length, 2);
    });
  }

  test('at the bounds exactly, a series is mapped', () => {
    const atBounds = series({
      metric: 'm'.repeat(200),
      host: 'h',
      // 100 label names: job, type, instance, __name__ and 96 tags; one of 1024 bytes with a value of 2048.
      tags: [...range(95, (i) => `k${i}:v`), `${'n'.repeat(1024)}:${'v'.repeat(2048)}`],
      ...point,
    });
    const r = mapper().map('t', payload({ series: [atBounds] }), NOW);
    assert.equal(r.series.length, 1);
    assert.equal(r.series[0]!.labels.length, 100);
  });

  test('a refused distribution counts every series it would have made; a refused check one', () => {
    const sketch: DDSketch = {
      metric: 'd'.repeat(201),
      host: 'h',
      tags: [],
      points: [{ ts: TS, cnt: 1, min: 1, max: 1, avg: 1, sum: 1, keys: [1338], counts: [1] }],
    };
    const check = { check: 'c', host: 'h', status: 0, timestamp: TS, message: '', tags: [`k:${'v'.repeat(2049)}`] };
    const r = mapper().map('t', payload({ sketches: [sketch], serviceChecks: [check] }), NOW);
    assert.deepEqual(r.series, []);
    assert.deepEqual(r.refusedSeries, { metric_name_too_long: 10, label_value_too_long: 1 });
  });

  test('an identity refused as sent is not cached; one refused by its mapped labels is, and stays refused', () => {
    const m = mapper();
    m.map(
      't',
      payload({ series: [series({ metric: 'bad', host: 'h', tags: range(1001, (i) => `k:${i}`), ...point })] }),
      NOW,
    );
    assert.equal(m.cachedIdentities().get('t'), 0);
    const joinedTooLong = series({ metric: 'bad', host: 'h', tags: range(300, (i) => `k:value${i}`), ...point });
    for (let i = 0; i < 2; i++) {
      const r = m.map('t', payload({ series: [joinedTooLong] }), NOW);
      assert.deepEqual(r.refusedSeries, { label_value_too_long: 1 });
    }
    assert.equal(m.cachedIdentities().get('t'), 1);
  });

  test('the v2 protobuf fast path refuses the same series, first seen and repeated', () => {
    const body = encodeMetricPayload([
      { metric: 'ok', type: 3, tags: ['env:a'], points: [{ timestamp: TS, value: 1 }] },
      { metric: 'bad', type: 3, tags: range(1001, (i) => `k:${i}`), points: [{ timestamp: TS, value: 1 }] },
      { metric: 'm'.repeat(300), type: 3, points: [{ timestamp: TS, value: 1 }] },
    ]);
    const m = mapper();
    for (let i = 0; i < 3; i++) {
      const r = m.map('t', decodeSeriesV2Proto(body), NOW);
      assert.deepEqual(names(r), ['ok']);
      assert.deepEqual(r.refusedSeries, { too_many_tags: 1, metric_name_too_long: 1 });
    }
  });

  test('every identity batch counts the tags decode() finds, without decoding them', () => {
    const tagLists = [[], ['a'], range(3, (i) => `k:${i}`), range(1200, (i) => `t${i}`), ['x', 'x']];
    const inputs = tagLists.map((tags, i) => ({
      metric: `m${i}`,
      type: 3,
      tags,
      resources: [{ type: 'cluster', name: 'c' }],
      points: [{ timestamp: TS, value: 1 }],
    }));
    const v1 = Buffer.from(
      JSON.stringify({
        series: [
          ...inputs.map((x) => ({ metric: x.metric, points: [[TS, 1]], tags: x.tags })),
          { metric: 'null', tags: null, points: [[TS, 1]] },
        ],
      }).replace('"metric":"m2"', '"tags":["dropped"],"metric":"m2"'),
    );
    const batches = {
      'v1 JSON': decodeSeriesV1Json(v1).seriesBatch!,
      'v2 protobuf': decodeSeriesV2Proto(encodeMetricPayload(inputs)).seriesBatch!,
      v3: decodeMetricsV3(encodeV3Payload({ series: inputs }), { maxDecompressedBytes: 1 << 26 }).seriesBatch!,
    };
    for (const [name, batch] of Object.entries(batches)) {
      assert.ok(batch.count >= tagLists.length, name);
      for (let i = 0; i < batch.count; i++)
        assert.equal(batch.tagCount(i), batch.decode(i).tags.length, `${name} series ${i}`);
    }
  });

  test('series past the request bound are refused as too_many_series_in_request, on both paths', () => {
    const three = [1, 2, 3].map((i) => series({ metric: `m${i}`, host: 'h', ...point }));
    const r = mapper().map('t', payload({ series: three }), NOW, 2);
    assert.deepEqual(names(r), ['m1', 'm2']);
    assert.deepEqual(r.refusedSeries, { too_many_series_in_request: 1 });
    const body = encodeMetricPayload(
      [1, 2, 3].map((i) => ({ metric: `m${i}`, type: 3, points: [{ timestamp: TS, value: 1 }] })),
    );
    const viaBatch = mapper().map('t', decodeSeriesV2Proto(body), NOW, 2);
    assert.deepEqual(names(viaBatch), ['m1', 'm2']);
    assert.deepEqual(viaBatch.refusedSeries, { too_many_series_in_request: 1 });
    assert.equal(mapper().map('t', payload({ series: three }), NOW, 0).series.length, 3, '0 is no bound');
  });

  test('host metadata whose tags break a bound is refused: the host keeps the tags it had', () => {
    const cache = new HostTagCache(null);
    const m = mapper(DEFAULT_SERIES_LIMITS, cache);
    const md = (hostTags: string[]) => ({ host: 'h', hostTags, agentVersion: '', os: '' });
    m.map('t', payload({ hostMetadata: [md(['env:prod'])] }), NOW);
    const r = m.map('t', payload({ hostMetadata: [md(range(1001, (i) => `k${i}:v`))] }), NOW);
    assert.deepEqual(r.refusedHostMetadata, { too_many_tags: 1 });
    assert.deepEqual(cache.tags('t', 'h'), ['env:prod']);
  });

  test('host tags that take a cached series over a bound refuse it; fewer map it again', () => {
    const cache = new HostTagCache(null);
    const m = mapper({ ...DEFAULT_SERIES_LIMITS, maxLabelNamesPerSeries: 6 }, cache);
    const s = series({ metric: 'm', host: 'h', tags: ['a:1'], ...point });
    const md = (hostTags: string[]) => ({ host: 'h', hostTags, agentVersion: '', os: '' });
    assert.equal(m.map('t', payload({ series: [s] }), NOW).series.length, 1);
    m.map('t', payload({ hostMetadata: [md(['b:1', 'c:1'])] }), NOW);
    assert.deepEqual(m.map('t', payload({ series: [s] }), NOW).refusedSeries, { too_many_labels: 1 });
    m.map('t', payload({ hostMetadata: [md(['b:1'])] }), NOW);
    assert.equal(m.map('t', payload({ series: [s] }), NOW).series[0]!.labels.length, 6);
  });
});
