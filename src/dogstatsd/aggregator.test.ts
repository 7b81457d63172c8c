import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DDSketchBuilder, sketchQuantile } from '../mapping/ddsketch.js';
import type { DDSeries, DecodedPayload } from '../model/datadog.js';
import { DogStatsDAggregator, type AggregatorOptions } from './aggregator.js';
import { histogramOutputs } from './histogram.js';

/** A bucket start (multiple of 10 s). */
const T0 = 1_700_000_000;

function setup(opts: AggregatorOptions = {}) {
  let nowMs = T0 * 1000;
  const agg = new DogStatsDAggregator({ hostname: 'testhost', clock: () => nowMs, ...opts });
  return {
    agg,
    /** Sets the clock to T0 + sec seconds. */
    at(sec: number): void {
      nowMs = Math.round((T0 + sec) * 1000);
    },
    send(...lines: string[]): void {
      agg.ingest(Buffer.from(lines.join('\n')));
    },
    flushAt(sec: number): DecodedPayload | null {
      nowMs = Math.round((T0 + sec) * 1000);
      return agg.flush();
    },
  };
}

function find(p: DecodedPayload | null, metric: string, tags?: string[]): DDSeries | undefined {
  return p?.series.find((s) => s.metric === metric && (tags === undefined || s.tags.join() === tags.join()));
}

function only(p: DecodedPayload | null, metric: string, tags?: string[]): DDSeries {
  const s = find(p, metric, tags);
  assert.ok(s, `series ${metric} ${tags ?? ''} in ${JSON.stringify(p?.series.map((x) => x.metric))}`);
  return s;
}

describe('buckets', () => {
  test('bucket start is ts − ts mod 10; a bucket is flushed once now ≥ start + 10', () => {
    const a = setup();
    a.at(9.999);
    a.send('g:1|g');
    a.at(10);
    a.send('g:2|g');
    const first = a.flushAt(19.999);
    assert.deepEqual(only(first, 'g').timestamps, [T0]);
    assert.deepEqual(only(first, 'g').values, [1]);
    assert.equal(a.flushAt(19.999), null, 'bucket T0+10 is still open');
    const second = a.flushAt(20);
    assert.deepEqual(only(second, 'g').timestamps, [T0 + 10]);
    assert.deepEqual(only(second, 'g').values, [2]);
  });

  test('several closed buckets flushed at once merge into one series with a point per bucket', () => {
    const a = setup();
    a.send('g:1|g');
    a.at(15);
    a.send('g:2|g');
    const s = only(a.flushAt(25), 'g');
    assert.deepEqual(s.timestamps, [T0, T0 + 10]);
    assert.deepEqual(s.values, [1, 2]);
    assert.equal(s.interval, 10);
    assert.equal(s.host, 'testhost');
  });

  test('nothing to send → null', () => {
    assert.equal(setup().flushAt(100), null);
  });
});

describe('counters', () => {
  test('rate = sum / 10, type rate, interval 10; sample rate divides the value', () => {
    const a = setup();
    a.send('hits:2|c', 'hits:3|c', 'hits:1|c|@0.5', 'hits:1:1|c');
    const s = only(a.flushAt(10), 'hits');
    assert.equal(s.type, 'rate');
    assert.equal(s.interval, 10);
    assert.deepEqual(s.values, [(2 + 3 + 1 / 0.5 + 2) / 10]);
  });

  test('a rate outside (0, 1] counts as 1', () => {
    const a = setup();
    a.send('x:5|c|@0', 'x:5|c|@2', 'x:5|c|@-1');
    assert.deepEqual(only(a.flushAt(10), 'x').values, [1.5]);
  });

  test('zero-filled while seen within 300 s, then no longer sent and the context forgotten', () => {
    const a = setup();
    a.at(5);
    a.send('c:10|c');
    assert.deepEqual(only(a.flushAt(10), 'c').values, [1]);
    // Flushing every 10 s: zeros for buckets starting before lastSeen (5) + 300.
    let zeros = 0;
    let sec = 20;
    for (; sec <= 400; sec += 10) {
      const p = a.flushAt(sec);
      const s = find(p, 'c');
      if (!s) break;
      assert.deepEqual(s.values, [0]);
      assert.deepEqual(s.timestamps, [T0 + sec - 10]);
      zeros++;
    }
    // Buckets T0+10 … T0+300 (start < 305) get a zero: 30 of them.
    assert.equal(zeros, 30);
    assert.equal(a.agg.contextCount, 1, 'still tracked until 300 + 20 s after last seen');
    a.flushAt(330);
    assert.equal(a.agg.contextCount, 0);
  });

  test('a bucket flushed late still gets its zero, once', () => {
    const a = setup();
    a.send('c:1|c');
    a.flushAt(10);
    const p = a.flushAt(35); // buckets T0+10 and T0+20 closed since
    assert.deepEqual(only(p, 'c').timestamps, [T0 + 10, T0 + 20]);
    assert.deepEqual(only(p, 'c').values, [0, 0]);
    assert.equal(a.flushAt(39), null);
  });

  test('no zero for a bucket before the counter first appeared', () => {
    const a = setup();
    a.at(20.5); // bucket T0+10 is closed but not yet flushed when the counter appears
    a.send('late:1|c');
    const p = a.flushAt(21);
    assert.equal(find(p, 'late'), undefined);
    assert.deepEqual(only(a.flushAt(30), 'late').timestamps, [T0 + 20]);
  });

  test('a counter used again after being forgotten starts over', () => {
    const a = setup();
    a.send('c:1|c');
    for (let sec = 10; sec <= 330; sec += 10) a.flushAt(sec);
    assert.equal(a.agg.contextCount, 0);
    a.at(331);
    a.send('c:4|c');
    const p = a.flushAt(340);
    assert.deepEqual(only(p, 'c').values, [0.4]);
    assert.deepEqual(only(p, 'c').timestamps, [T0 + 330]);
  });
});

describe('gauges and sets', () => {
  test('gauge: last value; the sample rate is ignored', () => {
    const a = setup();
    a.send('temp:20|g', 'temp:21:22|g|@0.1', 'temp:23.5|g');
    const s = only(a.flushAt(10), 'temp');
    assert.equal(s.type, 'gauge');
    assert.deepEqual(s.values, [23.5]);
  });

  test('non-finite values are dropped and counted', () => {
    const a = setup();
    a.send('g:7|g', 'g:NaN|g', 'g:+Inf|g', 'h:inf|h', 'c:-inf|c', 'd:nan|d');
    const p = a.flushAt(10);
    assert.deepEqual(only(p, 'g').values, [7]);
    assert.equal(find(p, 'h.max'), undefined);
    // As in the Agent, the counter's context exists, so the zero-fill sends 0 for its bucket.
    assert.deepEqual(only(p, 'c').values, [0]);
    assert.equal(p!.sketches.length, 0);
    assert.equal(a.agg.stats.dropped.non_finite_value, 5);
  });

  test('gauges are not zero-filled', () => {
    const a = setup();
    a.send('g:1|g');
    a.flushAt(10);
    assert.equal(a.flushAt(20), null);
  });

  test('set: number of unique members per bucket, as a gauge', () => {
    const a = setup();
    a.send('users:alice|s', 'users:bob|s', 'users:alice|s|@0.5', 'users:carol|s');
    a.at(12);
    a.send('users:alice|s');
    const s = only(a.flushAt(20), 'users');
    assert.equal(s.type, 'gauge');
    assert.deepEqual(s.values, [3, 1]);
  });
});

describe('histograms and timers', () => {
  test('default outputs: max, median, avg, count (rate), 95percentile', () => {
    const a = setup();
    const values = [5, 1, 9, 3, 7, 2, 8, 4, 6, 10];
    for (const v of values) a.send(`lat:${v}|h|#route:/a`);
    const p = a.flushAt(10);
    const sorted = [...values].sort((x, y) => x - y);
    const n = values.length;
    const get = (suffix: string) => only(p, `lat${suffix}`, ['route:/a']);
    assert.deepEqual(get('.max').values, [sorted[n - 1]]);
    assert.deepEqual(get('.median').values, [sorted[Math.floor((n - 1) / 2)]]);
    assert.deepEqual(get('.avg').values, [values.reduce((x, y) => x + y) / n]);
    assert.deepEqual(get('.count').values, [n / 10]);
    assert.equal(get('.count').type, 'rate');
    assert.equal(get('.max').type, 'gauge');
    // The Agent's rank: the first value whose cumulative count exceeds trunc((95·n − 1) / 100).
    assert.deepEqual(get('.95percentile').values, [sorted[Math.trunc((95 * n - 1) / 100)]]);
    assert.equal(
      p!.series.filter((s) => s.metric.startsWith('lat')).length,
      5,
      'no min, sum or other percentile by default',
    );
  });

  test('h and ms with the same name and tags share one context', () => {
    const a = setup();
    a.send('t:10|ms', 't:30|h');
    const p = a.flushAt(10);
    assert.deepEqual(only(p, 't.avg').values, [20]);
    assert.deepEqual(only(p, 't.count').values, [0.2]);
  });

  test('configured aggregates (in the configured order) and percentiles (sorted, Agent naming)', () => {
    const a = setup({
      histogramAggregates: ['sum', 'min', 'bogus', 'count'],
      histogramPercentiles: ['0.99', 0.5, 0.05, 1.5],
    });
    for (let v = 1; v <= 200; v++) a.send(`x:${v}|h`);
    const p = a.flushAt(10);
    assert.deepEqual(
      p!.series.map((s) => s.metric),
      ['x.sum', 'x.min', 'x.count', 'x.5percentile', 'x.50percentile', 'x.99percentile'],
    );
    assert.deepEqual(only(p, 'x.sum').values, [(200 * 201) / 2]);
    assert.deepEqual(only(p, 'x.min').values, [1]);
    // Sorted values are 1..200, so the value at 0-based rank r is r + 1.
    assert.deepEqual(only(p, 'x.5percentile').values, [Math.trunc((5 * 200 - 1) / 100) + 1]);
    assert.deepEqual(only(p, 'x.50percentile').values, [Math.trunc((50 * 200 - 1) / 100) + 1]);
    assert.deepEqual(only(p, 'x.99percentile').values, [Math.trunc((99 * 200 - 1) / 100) + 1]);
  });

  test('histogramOutputs: int(p·100 + 0.5) naming', () => {
    assert.deepEqual(
      histogramOutputs([], [0.29, 0.999, 0, 0.75]).map((o) => o.suffix),
      ['.0percentile', '.29percentile', '.75percentile', '.100percentile'],
    );
  });

  test('sample rate: weight trunc(1/rate) in count and ranks, value/rate in sum and avg', () => {
    const a = setup({ histogramAggregates: ['count', 'sum', 'avg', 'median', 'max'] });
    a.send('w:1|h', 'w:100|h|@0.3'); // weight 3 for 100 (1/0.3 = 3.33…)
    const p = a.flushAt(10);
    assert.deepEqual(only(p, 'w.count').values, [(1 + 3) / 10]);
    const sum = 1 + 100 * (1 / 0.3);
    assert.deepEqual(only(p, 'w.sum').values, [sum]);
    assert.deepEqual(only(p, 'w.avg').values, [sum / 4]);
    // count 4 → median rank trunc(3/2) = 1; cumulative weights 1 (value 1), 4 (value 100).
    assert.deepEqual(only(p, 'w.median').values, [100]);
    assert.deepEqual(only(p, 'w.max').values, [100]);
  });
});

describe('distributions', () => {
  test('one DDSketch point per context and bucket, as DDSketchBuilder builds it', () => {
    const a = setup();
    const values = [0.5, 1, 2, 3, 5, 8, 13, 21, 34, 55];
    a.send(...values.map((v) => `req.size:${v}|d|#svc:api,host:box7`));
    a.send('req.size:1000|d|#svc:api,host:box7|@0.25');
    const p = a.flushAt(10);
    assert.equal(p!.series.length, 0);
    assert.equal(p!.sketches.length, 1);
    const sk = p!.sketches[0]!;
    assert.equal(sk.metric, 'req.size');
    assert.equal(sk.host, 'box7');
    assert.deepEqual(sk.tags, ['svc:api']);
    const expected = new DDSketchBuilder();
    for (const v of values) expected.add(v);
    expected.add(1000, 4);
    assert.deepEqual(sk.points, [expected.toPoint(T0)]);
    assert.equal(sk.points[0]!.cnt, 14);
    assert.equal(sk.points[0]!.max, 1000);
    const median = sketchQuantile(sk.points[0]!, 0.5);
    assert.ok(Math.abs(median - 13) / 13 < 0.02, `median ${median}`);
  });
});

describe('contexts, tags and hosts', () => {
  test('tag order and duplicates do not split a context; tags come out sorted', () => {
    const a = setup();
    a.send('c:1|c|#b,a', 'c:1|c|#a,b', 'c:1|c|#a,b,a', 'c:1|c|#b,,a');
    const p = a.flushAt(10);
    assert.equal(p!.series.length, 1);
    assert.deepEqual(only(p, 'c').tags, ['a', 'b']);
    assert.deepEqual(only(p, 'c').values, [0.4]);
    assert.equal(a.agg.contextCount, 1);
  });

  test('a host: tag overrides the host and is removed from the tags; other hosts are other contexts', () => {
    const a = setup();
    a.send(
      'g:1|g|#host:web1,env:prod',
      'g:2|g|#env:prod',
      'g:3|g|#env:prod,host:',
      'g:4|g|#dd.internal.entity_id:abc,env:prod',
    );
    const p = a.flushAt(10);
    const byHost = new Map(p!.series.map((s) => [s.host, s]));
    assert.deepEqual(byHost.get('web1')?.values, [1]);
    assert.deepEqual(byHost.get('web1')?.tags, ['env:prod']);
    assert.deepEqual(byHost.get('testhost')?.values, [4], 'dd.internal.entity_id is stripped: same context as g:2');
    assert.deepEqual(byHost.get('')?.values, [3]);
  });

  test('the same name with another type is another context', () => {
    const a = setup();
    a.send('x:1|c', 'x:5|g');
    const p = a.flushAt(10);
    assert.deepEqual(p!.series.map((s) => [s.type, s.values[0]]).sort(), [
      ['gauge', 5],
      ['rate', 0.1],
    ]);
  });

  test('over maxContexts: samples of new contexts dropped and counted, known ones kept', () => {
    const a = setup({ maxContexts: 2 });
    a.send('a:1|c', 'b:1|g', 'c:1|c', 'c:2:3|h', 'a:1|c');
    const p = a.flushAt(10);
    assert.deepEqual(p!.series.map((s) => s.metric).sort(), ['a', 'b']);
    assert.deepEqual(only(p, 'a').values, [0.2]);
    assert.equal(a.agg.stats.dropped.context_limit, 3);
    assert.equal(a.agg.stats.contexts, 2);
  });

  test('over maxHeldValues: histogram samples and new set members dropped and counted until a flush frees them', () => {
    const a = setup({ maxHeldValues: 3 });
    a.send('h:1:2|h', 's:a|s', 's:a|s', 's:b|s', 'h:3|h');
    const p = a.flushAt(10);
    assert.deepEqual(only(p, 'h.count').values, [0.2]);
    assert.deepEqual(only(p, 's').values, [1]);
    assert.equal(a.agg.stats.dropped.value_limit, 2);
    a.send('h:4:5:6|h');
    assert.deepEqual(only(a.flushAt(20), 'h.count').values, [0.3], 'the flush released the budget');
  });

  test('a gauge context is forgotten 20 s after its last sample and can come back', () => {
    const a = setup();
    a.send('g:1|g|#t');
    a.flushAt(10);
    a.flushAt(20);
    assert.equal(a.agg.contextCount, 1);
    a.flushAt(30);
    assert.equal(a.agg.contextCount, 0);
    a.at(31);
    a.send('g:2|g|#t');
    assert.deepEqual(only(a.flushAt(40), 'g', ['t']).values, [2]);
  });
});

describe('|T timestamps (no-aggregation pipeline)', () => {
  test('gauges and counters bypass aggregation with their timestamp; counters as rate value/10', () => {
    const a = setup();
    a.send('g:5|g|T1600000000|#host:h9,b,a', 'c:30|c|T1600000005|@0.5', 'g:6|g|T1600000001');
    const p = a.flushAt(1);
    assert.deepEqual(
      p!.series.map((s) => [s.metric, s.type, s.host, s.tags, s.timestamps, s.values, s.interval]),
      [
        ['g', 'gauge', 'h9', ['a', 'b'], [1600000000], [5], 10],
        ['c', 'rate', 'testhost', [], [1600000005], [3], 10],
        ['g', 'gauge', 'testhost', [], [1600000001], [6], 10],
      ],
    );
    assert.equal(a.agg.contextCount, 0, 'no aggregation context is created');
  });

  test('other types are dropped and counted, as by the Agent', () => {
    const a = setup();
    a.send('h:1:2|h|T1600000000', 'd:1|d|T1600000000', 's:x|s|T1600000000', 'm:1|ms|T1600000000');
    assert.equal(a.flushAt(10), null);
    assert.equal(a.agg.stats.dropped.timestamp_unsupported_type, 5);
  });

  test('with the pipeline off, |T is ignored and the sample aggregated now', () => {
    const a = setup({ noAggregationPipeline: false });
    a.send('g:5|g|T1600000000');
    assert.deepEqual(only(a.flushAt(10), 'g').timestamps, [T0]);
  });
});

describe('events and service checks', () => {
  test('passed through on the next flush; host from h:, else a host: tag, else the default', () => {
    const a = setup();
    a.at(3);
    a.send(
      '_e{2,4}:up|text|h:explicit|#host:tagged,team:a',
      '_e{2,4}:up|text|#host:tagged,team:a|d:1600000000|t:success|p:low|k:key|s:src',
      '_sc|db|1|#env:x|m:slow',
      '_sc|db|0|h:db7|d:1600000000',
    );
    const p = a.flushAt(3.5);
    assert.deepEqual(
      p!.events.map((e) => [e.host, e.tags, e.timestamp, e.alertType, e.priority, e.aggregationKey, e.sourceTypeName]),
      [
        ['explicit', ['team:a'], T0 + 3, 'info', 'normal', '', ''],
        ['tagged', ['team:a'], 1600000000, 'success', 'low', 'key', 'src'],
      ],
    );
    assert.deepEqual(p!.serviceChecks, [
      { check: 'db', host: 'testhost', timestamp: T0 + 3, status: 1, message: 'slow', tags: ['env:x'] },
      { check: 'db', host: 'db7', timestamp: 1600000000, status: 0, message: '', tags: [] },
    ]);
    assert.equal(a.flushAt(4), null, 'sent once');
  });

  test('over maxBuffered they are dropped and counted', () => {
    const a = setup({ maxBuffered: 2 });
    a.send('_sc|a|0', '_sc|b|0', '_sc|c|0', 'g:1|g|T1600000000');
    assert.equal(a.flushAt(1)!.serviceChecks.length, 2);
    assert.equal(a.agg.stats.dropped.buffer_full, 2);
  });
});

test('stats count packets, samples by type and malformed lines', () => {
  const a = setup();
  a.send('a:1:2|c', 'b:1|ms', 'bad line', 'c:1|zz', '_e{1,1}:a|b', '_sc|x|0');
  const st = a.agg.stats;
  assert.equal(st.packets.udp, 1);
  assert.equal(st.samples.c, 2);
  assert.equal(st.samples.ms, 1);
  assert.equal(st.malformed.invalid_format, 1);
  assert.equal(st.malformed.invalid_type, 1);
  assert.equal(st.events, 1);
  assert.equal(st.serviceChecks, 1);
});
