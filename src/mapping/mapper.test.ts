import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type {
  DDDistribution,
  DDHostMetadata,
  DDServiceCheck,
  DDSeries,
  DDSketch,
  DecodedPayload,
} from '../model/datadog.js';
import { emptyPayload } from '../model/datadog.js';
import { sampleCount, type PromSeries } from '../model/prometheus.js';
import { decodedBody, loadFixture } from '../../test/support/fixtures.js';
import { ProtoWriter } from '../../test/support/proto-writer.js';
import { decodeSeriesV2Proto } from '../intake/decoders/series-v2-proto.js';
import { DDSketchBuilder, sketchKey, sketchQuantile } from './ddsketch.js';
import { HostTagCache } from './host-tags.js';
import { Mapper } from './mapper.js';
import type { MapResult, MappingOptions } from './mapper.js';

const NOW = 1_700_000_999_000;

function series(p: Partial<DDSeries> & { metric: string }): DDSeries {
  return {
    type: 'gauge',
    host: 'web-1',
    device: '',
    resources: [],
    tags: [],
    sourceTypeName: '',
    interval: 0,
    unit: '',
    timestamps: [1_700_000_000],
    values: [1],
    ...p,
  };
}

function payload(p: Partial<DecodedPayload>): DecodedPayload {
  return { ...emptyPayload(), ...p };
}

function hostMd(host: string, hostTags: string[]): DDHostMetadata {
  return { host, hostTags, agentVersion: '7.50.3', os: 'linux' };
}

function mapper(opts: Partial<MappingOptions> = {}, cache = new HostTagCache(null)): Mapper {
  return new Mapper({ keepUtf8Names: false, ...opts }, cache);
}

function labels(s: PromSeries): Record<string, string> {
  return Object.fromEntries(s.labels.map((l) => [l.name, l.value]));
}

/** The only series of the result (asserting there is exactly one). */
function only(r: MapResult): PromSeries {
  assert.equal(
    r.series.length,
    1,
    `expected one series, got ${r.series.map((s) => JSON.stringify(labels(s))).join(' ')}`,
  );
  return r.series[0]!;
}

function mapOne(s: DDSeries, m = mapper()): Record<string, string> {
  return labels(only(m.map('t', payload({ series: [s] }), NOW)));
}

function sketchOfValues(values: number[], ts: number): ReturnType<DDSketchBuilder['toPoint']> {
  const b = new DDSketchBuilder();
  for (const v of values) b.add(v);
  return b.toPoint(ts);
}

function byName(r: MapResult, name: string, quantile?: string): PromSeries {
  const found = r.series.filter((s) => labels(s).__name__ === name && labels(s).quantile === quantile);
  assert.equal(found.length, 1, `${name}{quantile=${quantile}}: ${found.length} series`);
  return found[0]!;
}

describe('metric names', () => {
  test('sanitized by default; keepUtf8Names keeps the Datadog name', () => {
    assert.equal(mapOne(series({ metric: 'system.net.bytes_rcvd' })).__name__, 'system_net_bytes_rcvd');
    assert.equal(mapOne(series({ metric: '5xx.errors-total' })).__name__, '_5xx_errors_total');
    assert.equal(
      mapOne(series({ metric: 'system.net.bytes_rcvd' }), mapper({ keepUtf8Names: true })).__name__,
      'system.net.bytes_rcvd',
    );
    assert.equal(
      mapOne(series({ metric: 'température.ç' }), mapper({ keepUtf8Names: true })).__name__,
      'température.ç',
    );
  });

  test('an empty name drops the samples as invalid_metric_name', () => {
    const r = mapper().map('t', payload({ series: [series({ metric: '', timestamps: [1, 2], values: [1, 2] })] }), NOW);
    assert.deepEqual(r.series, []);
    assert.equal(r.dropped.invalid_metric_name, 2);
    assert.equal(r.invalid, 2);
  });
});

describe('series labels', () => {
  test('type: gauge, rate, count as sent; unspecified is a gauge', () => {
    for (const [type, want] of [
      ['gauge', 'gauge'],
      ['rate', 'rate'],
      ['count', 'count'],
      ['unspecified', 'gauge'],
    ] as const) {
      assert.equal(mapOne(series({ metric: 'm', type })).type, want);
    }
  });

  test('no host: no instance label (and no host tags); no device or source type: no such label', () => {
    assert.deepEqual(mapOne(series({ metric: 'm', host: '' })), { __name__: 'm', job: 'ddagent', type: 'gauge' });
  });

  test('values are never changed', () => {
    const r = mapper().map(
      't',
      payload({ series: [series({ metric: 'm', tags: ['path:/a b/ç?x=1', 'k:v:w'], device: 'C:\\ drive' })] }),
      NOW,
    );
    assert.deepEqual(labels(only(r)), {
      __name__: 'm',
      device: 'C:\\ drive',
      instance: 'web-1',
      job: 'ddagent',
      k: 'v:w',
      path: '/a b/ç?x=1',
      type: 'gauge',
    });
  });
});

describe('tags', () => {
  test('keys are sanitized and split on the first colon', () => {
    assert.deepEqual(
      mapOne(series({ metric: 'm', host: '', tags: ['kube.namespace:default', '1st:a', 'env:staging:east'] })),
      {
        __name__: 'm',
        _1st: 'a',
        env: 'staging:east',
        job: 'ddagent',
        kube_namespace: 'default',
        type: 'gauge',
      },
    );
  });

  test('keys colliding with promdog labels, or starting with __, get exported_', () => {
    assert.deepEqual(
      mapOne(
        series({
          metric: 'm',
          device: 'sda',
          sourceTypeName: 'System',
          tags: ['job:app', 'instance:i-1', 'type:t', '__name__:n', '__meta_x:y', 'device:sdb', 'source_type_name:x'],
        }),
      ),
      {
        __name__: 'm',
        device: 'sda',
        exported___meta_x: 'y',
        exported___name__: 'n',
        exported_device: 'sdb',
        exported_instance: 'i-1',
        exported_job: 'app',
        exported_source_type_name: 'x',
        exported_type: 't',
        instance: 'web-1',
        job: 'ddagent',
        source_type_name: 'System',
        type: 'gauge',
      },
    );
  });

  test('instance, job and type are reserved even when absent; device and source_type_name only when the series has them', () => {
    assert.deepEqual(
      mapOne(series({ metric: 'm', host: '', tags: ['instance:i-1', 'device:sdb', 'source_type_name:x'] })),
      {
        __name__: 'm',
        device: 'sdb',
        exported_instance: 'i-1',
        job: 'ddagent',
        source_type_name: 'x',
        type: 'gauge',
      },
    );
  });

  test('resources: a resource named like a promdog label is exported_, a tag named like a resource label is exported_', () => {
    assert.deepEqual(
      mapOne(
        series({
          metric: 'm',
          host: '',
          resources: [
            { type: 'job', name: 'r1' },
            { type: 'cluster', name: 'c1' },
            { type: 'cluster', name: 'c0' },
            { type: 'empty', name: '' },
          ],
          tags: ['cluster:t1'],
        }),
      ),
      { __name__: 'm', cluster: 'c0,c1', exported_cluster: 't1', exported_job: 'r1', job: 'ddagent', type: 'gauge' },
    );
  });

  test('several values for one key: one label, unique values sorted and joined with ","', () => {
    assert.equal(
      mapOne(series({ metric: 'm', tags: ['role:web', 'role:api', 'role:web', 'role:db'] })).role,
      'api,db,web',
    );
    // Keys that sanitize to the same name join too.
    assert.equal(mapOne(series({ metric: 'm', tags: ['a.b:1', 'a-b:2'] })).a_b, '1,2');
  });

  test('tags without a value become name="true"; a trailing colon counts as no value; an empty key is "_"', () => {
    assert.deepEqual(mapOne(series({ metric: 'm', host: '', tags: ['production', 'canary:', 'team-a', ':orphan'] })), {
      __name__: 'm',
      _: 'orphan',
      canary: 'true',
      job: 'ddagent',
      production: 'true',
      team_a: 'true',
      type: 'gauge',
    });
    assert.equal(mapOne(series({ metric: 'm', tags: ['beta', 'beta:false'] })).beta, 'false,true');
  });
});

describe('host tags', () => {
  test('metadata in the same payload applies to its series; series tags win; hostless series get none', () => {
    const r = mapper().map(
      't',
      payload({
        hostMetadata: [hostMd('web-1', ['env:prod', 'team:infra', 'role:a', 'role:b', 'instance:x', 'flag'])],
        series: [series({ metric: 'm', tags: ['env:dev'] }), series({ metric: 'n', host: '' })],
      }),
      NOW,
    );
    assert.deepEqual(labels(byName(r, 'm')), {
      __name__: 'm',
      env: 'dev',
      exported_instance: 'x',
      flag: 'true',
      instance: 'web-1',
      job: 'ddagent',
      role: 'a,b',
      team: 'infra',
      type: 'gauge',
    });
    assert.deepEqual(labels(byName(r, 'n')), { __name__: 'n', job: 'ddagent', type: 'gauge' });
  });

  test('a host tag does not join a series that has the key from an exported_ tag either', () => {
    const r = mapper().map(
      't',
      payload({ hostMetadata: [hostMd('web-1', ['job:h'])], series: [series({ metric: 'm', tags: ['job:s'] })] }),
      NOW,
    );
    assert.equal(labels(byName(r, 'm')).exported_job, 's');
  });

  test('changed host tags apply to cached series from the next request; other tenants are not affected', () => {
    const cache = new HostTagCache(null);
    const m = mapper({}, cache);
    const s = series({ metric: 'm' });
    assert.equal(labels(only(m.map('a', payload({ series: [s] }), NOW))).team, undefined);
    assert.equal(
      labels(byName(m.map('a', payload({ hostMetadata: [hostMd('web-1', ['team:one'])], series: [s] }), NOW), 'm'))
        .team,
      'one',
    );
    assert.equal(labels(only(m.map('a', payload({ series: [s] }), NOW))).team, 'one');
    cache.update('a', hostMd('web-1', ['team:two']), NOW);
    assert.equal(labels(only(m.map('a', payload({ series: [s] }), NOW))).team, 'two');
    assert.equal(labels(only(m.map('b', payload({ series: [s] }), NOW))).team, undefined);
  });

  test('host metadata becomes one datadog_host_info sample per host, at the time it came, with its metadata', () => {
    const cache = new HostTagCache(null);
    const m = mapper({}, cache);
    const r = m.map(
      't',
      payload({
        hostMetadata: [hostMd('web-1', ['team:old']), hostMd('web-1', ['team:infra', 'os:bsd']), hostMd('', ['x'])],
      }),
      NOW,
    );
    assert.equal(r.series.length, 1);
    const info = byName(r, 'datadog_host_info');
    assert.deepEqual(labels(info), {
      __name__: 'datadog_host_info',
      agent_version: '7.50.3',
      exported_os: 'bsd',
      instance: 'web-1',
      job: 'ddagent',
      os: 'linux',
      team: 'infra',
    });
    assert.deepEqual([info.timestamps, info.values], [[NOW], [1]]);
    assert.deepEqual(r.metadata, [
      {
        metricFamilyName: 'datadog_host_info',
        type: 'gauge',
        unit: '',
        help: 'Datadog host metadata: one sample of 1 each time a host sends it; host tags, Agent version and OS as labels.',
      },
    ]);
    // Empty fields keep what the cache knew, on the info series as in the cache.
    const again = m.map(
      't',
      payload({ hostMetadata: [{ host: 'web-1', hostTags: [], agentVersion: '', os: '' }] }),
      NOW + 1,
    );
    assert.deepEqual(labels(only(again)), {
      __name__: 'datadog_host_info',
      agent_version: '7.50.3',
      instance: 'web-1',
      job: 'ddagent',
      os: 'linux',
    });
  });

  test('hosts new to the mapper without metadata in the cache are reported once, with their series untagged', () => {
    const cache = new HostTagCache(null);
    cache.update('t', hostMd('known', ['team:a']), NOW);
    const m = mapper({}, cache);
    const r = m.map(
      't',
      payload({
        series: [series({ metric: 'm', host: 'new-1' }), series({ metric: 'm', host: 'known' })],
        serviceChecks: [{ check: 'c', host: 'new-2', timestamp: 1, status: 0, message: '', tags: [] }],
      }),
      NOW,
    );
    assert.deepEqual(r.hostsWithoutMetadata, ['new-1', 'new-2']);
    assert.deepEqual(
      m.map('t', payload({ series: [series({ metric: 'n', host: 'new-1' })] }), NOW).hostsWithoutMetadata,
      [],
    );
    // Other tenants have their own hosts.
    assert.deepEqual(
      m.map('u', payload({ series: [series({ metric: 'm', host: 'known' })] }), NOW).hostsWithoutMetadata,
      ['known'],
    );
    // Metadata learnt afterwards applies to the next request's series of the host.
    cache.learn('t', { host: 'new-1', tags: ['team:b'], agentVersion: '', os: '', updatedMs: NOW - 5 }, NOW);
    assert.equal(
      labels(only(m.map('t', payload({ series: [series({ metric: 'm', host: 'new-1' })] }), NOW))).team,
      'b',
    );
  });

  test('host tags join service checks and distributions too', () => {
    const r = mapper().map(
      't',
      payload({
        hostMetadata: [hostMd('web-1', ['team:infra'])],
        serviceChecks: [{ check: 'ntp.in_sync', host: 'web-1', timestamp: 1, status: 0, message: '', tags: [] }],
        distributions: [{ metric: 'd', host: 'web-1', tags: [], points: [{ ts: 1, values: [1] }] }],
      }),
      NOW,
    );
    assert.equal(labels(byName(r, 'datadog_service_check_status')).team, 'infra');
    assert.equal(labels(byName(r, 'd_count')).team, 'infra');
  });
});

describe('points', () => {
  test('seconds become rounded milliseconds; points sorted; the last sent of a timestamp wins', () => {
    const r = mapper().map(
      't',
      payload({
        series: [series({ metric: 'm', timestamps: [30, 10.0004, 20, 10, 20.0005], values: [3, 1, 2, 9, 7] })],
      }),
      NOW,
    );
    const s = only(r);
    assert.deepEqual(s.timestamps, [10000, 20000, 20001, 30000]);
    assert.deepEqual(s.values, [9, 2, 7, 3]);
    assert.equal(r.dropped.duplicate_timestamp, 1);
    assert.equal(r.invalid, 1);
  });

  test('non-finite or out-of-range timestamps are dropped as invalid_timestamp; NaN and infinite values are kept', () => {
    const r = mapper().map(
      't',
      payload({
        series: [
          series({
            metric: 'm',
            timestamps: [NaN, Infinity, 1e300, 1, 2, 3],
            values: [1, 1, 1, NaN, Infinity, -Infinity],
          }),
        ],
      }),
      NOW,
    );
    const s = only(r);
    assert.deepEqual(s.timestamps, [1000, 2000, 3000]);
    assert.ok(Number.isNaN(s.values[0]));
    assert.deepEqual(s.values.slice(1), [Infinity, -Infinity]);
    assert.equal(r.dropped.invalid_timestamp, 3);
  });

  test('series mapping to the same label set merge into one PromSeries (tag order, duplicates, v1/v2 twins)', () => {
    const r = mapper().map(
      't',
      payload({
        series: [
          series({ metric: 'm', tags: ['a:1', 'b:2'], timestamps: [20], values: [2] }),
          series({ metric: 'm', tags: ['b:2', 'a:1', 'a:1'], timestamps: [10], values: [1] }),
          series({ metric: 'm', tags: ['b:2', 'a:1'], timestamps: [20], values: [5] }),
          series({ metric: 'm', tags: ['a:1'], timestamps: [20], values: [7] }),
        ],
      }),
      NOW,
    );
    assert.equal(r.series.length, 2);
    const ab = r.series.find((s) => labels(s).b === '2')!;
    assert.deepEqual(
      [ab.timestamps, ab.values],
      [
        [10000, 20000],
        [1, 5],
      ],
    );
    assert.equal(r.dropped.duplicate_timestamp, 1);
  });

  test('the same label set in the next request is a new PromSeries sharing the frozen labels', () => {
    const m = mapper();
    const a = only(m.map('t', payload({ series: [series({ metric: 'm', timestamps: [1] })] }), NOW));
    const b = only(m.map('t', payload({ series: [series({ metric: 'm', timestamps: [2] })] }), NOW));
    assert.notEqual(a, b);
    assert.deepEqual([a.timestamps, b.timestamps], [[1000], [2000]]);
    assert.equal(a.labels, b.labels);
    assert.ok(Object.isFrozen(a.labels) && Object.isFrozen(a.labels[0]));
    assert.throws(() => (a.labels as unknown as string[]).push('x'));
  });
});

describe('label-set cache', () => {
  test('identities that differ only in the middle of a tag stay apart (the hash falls back to every character)', () => {
    const m = mapper();
    // Same length, same middle, same end: only characters the sampled hash skips differ.
    const node = (i: number): string => `${String(i).padStart(3, '0')}-${'x'.repeat(30)}`;
    const many = Array.from({ length: 300 }, (_, i) =>
      series({ metric: 'kubernetes_state.node.count', tags: [`node:${node(i)}`], values: [i] }),
    );
    for (let round = 0; round < 2; round++) {
      const r = m.map('t', payload({ series: many }), NOW);
      assert.equal(r.series.length, 300);
      for (const s of r.series) assert.equal(labels(s).node, node(s.values[0]!));
    }
  });

  test('strings containing separators or NUL characters cannot alias another identity', () => {
    const r = mapper().map(
      't',
      payload({
        series: [
          series({ metric: 'm', tags: ['k:a\u0000b'], values: [1] }),
          series({ metric: 'm', tags: ['k:a', 'k:b'], values: [2] }),
          series({ metric: 'm', host: 'x', device: '', values: [3] }),
          series({ metric: 'm', host: '', device: 'x', values: [4] }),
        ],
      }),
      NOW,
    );
    assert.deepEqual(
      r.series.map((s) => [s.values[0], labels(s).k, labels(s).instance, labels(s).device]),
      [
        [1, 'a\u0000b', 'web-1', undefined],
        [2, 'a,b', 'web-1', undefined],
        [3, undefined, 'x', undefined],
        [4, undefined, undefined, 'x'],
      ],
    );
  });

  test('a tiny cache evicts its least recently used between requests without changing results', () => {
    const small = mapper({ seriesCacheSize: 5 });
    const big = mapper();
    const refs = new Map<string, unknown>();
    for (let round = 0; round < 4; round++) {
      // Every request a minute apart: each may sweep.
      const now = NOW + round * 61_000;
      const p = payload({
        series: Array.from({ length: 20 }, (_, i) =>
          series({ metric: `m${i % 4}`, tags: [`k:${i}`], timestamps: [round] }),
        ),
      });
      const a = small.map('t', p, now);
      const b = big.map('t', p, now);
      assert.deepEqual(
        a.series.map((s) => [labels(s), s.timestamps]),
        b.series.map((s) => [labels(s), s.timestamps]),
      );
      for (const s of b.series) {
        const key = JSON.stringify(labels(s));
        if (round > 0) assert.equal(s.ref, refs.get(key), 'within its bound, the cache hands out the same ref');
        refs.set(key, s.ref);
      }
    }
    assert.ok(small.evicted >= 15, `evicted ${small.evicted}`);
    assert.equal(big.evicted, 0);
  });

  test('identities idle for longer than seriesCacheIdleMs are evicted; the rest keep their label sets', () => {
    const m = mapper({ seriesCacheIdleMs: 5 * 60_000 });
    const busy = series({ metric: 'busy' });
    const idle = series({ metric: 'idle' });
    const first = m.map('t', payload({ series: [busy, idle] }), NOW);
    const [busyRef, idleRef] = first.series.map((s) => s.ref);
    assert.ok(busyRef && idleRef && busyRef !== idleRef);
    for (let minute = 1; minute <= 6; minute++) m.map('t', payload({ series: [busy] }), NOW + minute * 61_000);
    assert.equal(m.evicted, 1);
    const later = m.map('t', payload({ series: [busy, idle] }), NOW + 7 * 61_000);
    assert.equal(later.series[0]!.ref, busyRef, 'the busy series kept its label set');
    assert.notEqual(later.series[1]!.ref, idleRef, 'the idle one was evicted and rebuilt');
    assert.deepEqual(labels(later.series[1]!), labels(first.series[1]!));
  });

  test('the producer may reuse its arrays after map()', () => {
    const m = mapper();
    const tags = ['a:1'];
    m.map('t', payload({ series: [series({ metric: 'm', tags })] }), NOW);
    tags[0] = 'a:2';
    assert.equal(labels(only(m.map('t', payload({ series: [series({ metric: 'm', tags })] }), NOW))).a, '2');
  });
});

describe('service checks', () => {
  const check = (p: Partial<DDServiceCheck>): DDServiceCheck => ({
    check: 'ntp.in_sync',
    host: 'web-1',
    timestamp: 1_700_000_000,
    status: 0,
    message: 'all good',
    tags: [],
    ...p,
  });

  test('datadog_service_check_status{check, instance, job, tags} = status; the message is not a label', () => {
    const r = mapper().map('t', payload({ serviceChecks: [check({ status: 2, tags: ['env:prod'] })] }), NOW);
    const s = only(r);
    assert.deepEqual(labels(s), {
      __name__: 'datadog_service_check_status',
      check: 'ntp.in_sync',
      env: 'prod',
      instance: 'web-1',
      job: 'ddagent',
    });
    assert.deepEqual([s.timestamps, s.values], [[1_700_000_000_000], [2]]);
  });

  test('a check tag becomes exported_check; type is not reserved for checks', () => {
    const r = mapper().map(
      't',
      payload({ serviceChecks: [check({ check: 'datadog.agent.check_status', tags: ['check:ntp', 'type:x'] })] }),
      NOW,
    );
    assert.deepEqual(labels(only(r)), {
      __name__: 'datadog_service_check_status',
      check: 'datadog.agent.check_status',
      exported_check: 'ntp',
      instance: 'web-1',
      job: 'ddagent',
      type: 'x',
    });
  });

  test('timestamp 0 means now; a status outside 0..3 is dropped as invalid_value', () => {
    const r = mapper().map(
      't',
      payload({
        serviceChecks: [
          check({ timestamp: 0, status: 3 }),
          check({ host: 'b', status: 4 }),
          check({ host: 'c', status: 1.5 }),
        ],
      }),
      NOW,
    );
    assert.deepEqual([only(r).timestamps, only(r).values], [[NOW], [3]]);
    assert.equal(r.dropped.invalid_value, 2);
  });

  test('the Agent capture (fixtures/datadog-agent/api_v1_check_run_response.json)', () => {
    const body = decodedBody(loadFixture('api_v1_check_run_response.json').find((p) => p.encoding === 'deflate')!);
    const raw = JSON.parse(body.toString()) as {
      check: string;
      host_name: string;
      timestamp: number;
      status: number;
      message: string;
      tags: string[] | null;
    }[];
    const checks = raw.map((c) => ({
      check: c.check,
      host: c.host_name,
      timestamp: c.timestamp,
      status: c.status,
      message: c.message,
      tags: c.tags ?? [],
    }));
    const r = mapper().map('t', payload({ serviceChecks: checks }), NOW);
    assert.equal(r.series.length, 12);
    const ntp = r.series.find((s) => labels(s).exported_check === 'ntp')!;
    assert.deepEqual(labels(ntp), {
      __name__: 'datadog_service_check_status',
      check: 'datadog.agent.check_status',
      exported_check: 'ntp',
      instance: 'COMP-N52P6N99MH',
      job: 'ddagent',
    });
    assert.deepEqual(ntp.timestamps, [1677840601000]);
    const snmp = r.series.find((s) => labels(s).check === 'snmp.can_check')!;
    assert.equal(labels(snmp).instance, 'device:COMP-N52P6N99MH:172.25.0.3');
    assert.equal(labels(snmp).snmp_profile, 'generic-router');
  });
});

describe('distributions', () => {
  const sketchOf = sketchOfValues;

  test('sketches give quantiles, _count, _sum, _min, _max, _avg with type="distribution"', () => {
    const values = Array.from({ length: 1000 }, (_, i) => i + 1);
    const sk: DDSketch = {
      metric: 'blog.app.latency',
      host: 'web-1',
      tags: ['env:prod', 'quantile:x'],
      points: [sketchOf(values, 1_700_000_010)],
    };
    const r = mapper().map('t', payload({ sketches: [sk] }), NOW);
    assert.equal(r.series.length, 10);
    const base = { env: 'prod', exported_quantile: 'x', instance: 'web-1', job: 'ddagent', type: 'distribution' };
    assert.deepEqual(labels(byName(r, 'blog_app_latency', '0.5')), {
      __name__: 'blog_app_latency',
      quantile: '0.5',
      ...base,
    });
    for (const suffix of ['_count', '_sum', '_min', '_max', '_avg']) {
      assert.deepEqual(labels(byName(r, `blog_app_latency${suffix}`)), {
        __name__: `blog_app_latency${suffix}`,
        ...base,
      });
    }
    const value = (name: string, q?: string): number => {
      const s = byName(r, name, q);
      assert.deepEqual(s.timestamps, [1_700_000_010_000]);
      return s.values[0]!;
    };
    assert.equal(value('blog_app_latency_count'), 1000);
    assert.equal(value('blog_app_latency_sum'), 500500);
    assert.equal(value('blog_app_latency_min'), 1);
    assert.equal(value('blog_app_latency_max'), 1000);
    assert.equal(value('blog_app_latency_avg'), 500.5);
    for (const q of ['0.5', '0.75', '0.9', '0.95', '0.99']) {
      const exact = values[Math.round(Number(q) * 999)]!;
      const got = value('blog_app_latency', q);
      assert.ok(Math.abs(got - exact) / exact < 0.02, `q=${q}: ${got} vs exact ${exact}`);
    }
  });

  test('the story histogram: values 1/2/3 at p=0.1/0.6/0.3', () => {
    const values = [...Array(10).fill(1), ...Array(60).fill(2), ...Array(30).fill(3)] as number[];
    const r = mapper().map(
      't',
      payload({ sketches: [{ metric: 'blog.app.testhist', host: 'h', tags: [], points: [sketchOf(values, 10)] }] }),
      NOW,
    );
    assert.equal(byName(r, 'blog_app_testhist_max').values[0], 3);
    assert.ok(Math.abs(byName(r, 'blog_app_testhist_avg').values[0]! - 2.2) < 1e-9);
    // Within the sketch's accuracy: a bin spans a factor γ = 1 + 1/64 and the Agent interpolates inside it.
    assert.ok(Math.abs(byName(r, 'blog_app_testhist', '0.5').values[0]! - 2) / 2 < 0.02);
    assert.ok(Math.abs(byName(r, 'blog_app_testhist', '0.95').values[0]! - 3) / 3 < 0.02);
  });

  test('repeated bin keys add up', () => {
    const k = sketchKey(100);
    const point = {
      ts: 1,
      cnt: 10,
      min: 1,
      max: 200,
      avg: 100,
      sum: 1000,
      keys: [sketchKey(1), k, k, sketchKey(200)],
      counts: [1, 4, 4, 1],
    };
    const r = mapper().map('t', payload({ sketches: [{ metric: 'd', host: '', tags: [], points: [point] }] }), NOW);
    assert.ok(Math.abs(byName(r, 'd', '0.5').values[0]! - 100) / 100 < 0.01);
    assert.equal(
      byName(r, 'd', '0.5').values[0],
      sketchQuantile({ ...point, keys: [sketchKey(1), k, sketchKey(200)], counts: [1, 8, 1] }, 0.5),
    );
  });

  test('several points of one sketch are one series per output, sorted by time; an empty point has NaN quantiles', () => {
    const sk: DDSketch = { metric: 'd', host: 'h', tags: [], points: [sketchOf([5], 20), sketchOf([], 10)] };
    const r = mapper().map('t', payload({ sketches: [sk] }), NOW);
    const count = byName(r, 'd_count');
    assert.deepEqual(
      [count.timestamps, count.values],
      [
        [10000, 20000],
        [0, 1],
      ],
    );
    const median = byName(r, 'd', '0.5');
    assert.ok(Number.isNaN(median.values[0]));
    assert.equal(median.values[1], 5);
    assert.ok(Number.isNaN(byName(r, 'd_max').values[0]));
  });

  test('raw distribution points are sketched with the Agent mapping; non-finite values are dropped as invalid_value', () => {
    const d: DDDistribution = {
      metric: 'api.latency',
      host: 'web-1',
      tags: ['env:prod'],
      points: [{ ts: 1_700_000_000, values: [1, 2, 3, 4, NaN, 100] }],
    };
    const r = mapper().map('t', payload({ distributions: [d] }), NOW);
    assert.equal(byName(r, 'api_latency_count').values[0], 5);
    assert.equal(byName(r, 'api_latency_sum').values[0], 110);
    assert.equal(byName(r, 'api_latency_max').values[0], 100);
    assert.equal(byName(r, 'api_latency_min').values[0], 1);
    assert.equal(byName(r, 'api_latency_avg').values[0], 22);
    assert.ok(Math.abs(byName(r, 'api_latency', '0.5').values[0]! - 3) / 3 < 0.01);
    assert.equal(labels(byName(r, 'api_latency_count')).env, 'prod');
    assert.equal(r.dropped.invalid_value, 1);
  });

  test('the quantile list is an option; keepUtf8Names applies to the derived names', () => {
    const r = mapper({ quantiles: [0.5, 0.999], keepUtf8Names: true }).map(
      't',
      payload({ distributions: [{ metric: 'my.dist', host: '', tags: [], points: [{ ts: 1, values: [1, 2] }] }] }),
      NOW,
    );
    assert.deepEqual(
      r.series.map((s) => labels(s).__name__ + (labels(s).quantile ? `{${labels(s).quantile}}` : '')).sort(),
      ['my.dist_avg', 'my.dist_count', 'my.dist_max', 'my.dist_min', 'my.dist_sum', 'my.dist{0.5}', 'my.dist{0.999}'],
    );
    assert.throws(() => mapper({ quantiles: [1.5] }), RangeError);
  });
});

describe('distributions as native histograms', () => {
  const sketches = (ts: number, values: number[]): DDSketch[] => [
    { metric: 'api.latency', host: 'web-1', tags: ['env:prod'], points: [sketchOfValues(values, ts)] },
  ];
  const names = (r: MapResult): string[] =>
    r.series.map((s) => labels(s).__name__ + (labels(s).quantile ? `{${labels(s).quantile}}` : '')).sort();

  test('native_histogram: a counter histogram series named _histogram, plus _min and _max gauges', () => {
    const m = mapper({ distributions: 'native_histogram' });
    const r = m.map('t', payload({ sketches: sketches(1_700_000_010, [1, 2, 3]) }), NOW);
    assert.deepEqual(names(r), ['api_latency_histogram', 'api_latency_max', 'api_latency_min']);
    const h = byName(r, 'api_latency_histogram');
    assert.deepEqual(labels(h), {
      __name__: 'api_latency_histogram',
      env: 'prod',
      instance: 'web-1',
      job: 'ddagent',
      type: 'distribution',
    });
    assert.deepEqual([h.timestamps, h.values, h.histograms!.timestamps], [[], [], [1_700_000_010_000]]);
    assert.equal(h.histograms!.histograms[0]!.count, 3);
    assert.equal(byName(r, 'api_latency_min').values[0], 1);
    assert.equal(byName(r, 'api_latency_max').values[0], 3);
    assert.deepEqual(Object.fromEntries(r.metadata.map((md) => [md.metricFamilyName, md.type])), {
      api_latency_min: 'gauge',
      api_latency_max: 'gauge',
      api_latency_histogram: 'histogram',
    });
    // The next interval's sample holds both intervals' values: rate() over it is the values per second.
    const next = m.map('t', payload({ sketches: sketches(1_700_000_020, [4]) }), NOW);
    assert.equal(byName(next, 'api_latency_histogram').histograms!.histograms[0]!.count, 4);
    assert.equal(sampleCount(next.series), 3);
  });

  test('both: the quantile series as before, and the histogram beside them', () => {
    const r = mapper({ distributions: 'both', quantiles: [0.5] }).map(
      't',
      payload({ sketches: sketches(1, [1, 2]) }),
      NOW,
    );
    assert.deepEqual(names(r), [
      'api_latency_avg',
      'api_latency_count',
      'api_latency_histogram',
      'api_latency_max',
      'api_latency_min',
      'api_latency_sum',
      'api_latency{0.5}',
    ]);
  });

  test('quantiles (the default) makes no histogram; refused distributions count every series of the mode', () => {
    assert.ok(
      !names(mapper().map('t', payload({ sketches: sketches(1, [1]) }), NOW)).includes('api_latency_histogram'),
    );
    const r = mapper({ distributions: 'native_histogram' }).map(
      't',
      payload({ sketches: [{ metric: '', host: '', tags: [], points: [sketchOfValues([1], 1)] }] }),
      NOW,
    );
    assert.deepEqual(r.refusedSeries, { invalid_metric_name: 3 });
  });

  test('DogStatsD-style raw values and an empty point: the empty one adds nothing, its extremes are NaN', () => {
    const r = mapper({ distributions: 'native_histogram' }).map(
      't',
      payload({
        distributions: [
          {
            metric: 'd',
            host: '',
            tags: [],
            points: [
              { ts: 1, values: [2] },
              { ts: 2, values: [] },
            ],
          },
        ],
      }),
      NOW,
    );
    const h = byName(r, 'd_histogram').histograms!;
    assert.deepEqual(h.timestamps, [1000, 2000]);
    assert.deepEqual(
      h.histograms.map((x) => x.count),
      [1, 1],
    );
    assert.ok(Number.isNaN(byName(r, 'd_max').values[1]));
  });
});

describe('metadata', () => {
  test('one entry per family and request: series are gauges with their unit, distributions summaries, checks gauges', () => {
    const r = mapper().map(
      't',
      payload({
        series: [
          series({ metric: 'system.mem.used', unit: '' }),
          series({ metric: 'system.mem.used', host: 'b', unit: 'byte' }),
          series({ metric: 'req.rate', type: 'rate' }),
        ],
        distributions: [{ metric: 'lat', host: '', tags: [], points: [{ ts: 1, values: [1] }] }],
        serviceChecks: [{ check: 'c', host: '', timestamp: 1, status: 0, message: '', tags: [] }],
      }),
      NOW,
    );
    const meta = Object.fromEntries(r.metadata.map((m) => [m.metricFamilyName, [m.type, m.unit]]));
    assert.equal(r.metadata.length, 7);
    assert.deepEqual(meta, {
      system_mem_used: ['gauge', 'byte'],
      req_rate: ['gauge', ''],
      lat: ['summary', ''],
      lat_min: ['gauge', ''],
      lat_max: ['gauge', ''],
      lat_avg: ['gauge', ''],
      datadog_service_check_status: ['gauge', ''],
    });
    assert.match(r.metadata.find((m) => m.metricFamilyName === 'system_mem_used')!.help, /system\.mem\.used/);
  });

  test('families without samples in the request are not listed', () => {
    const r = mapper().map('t', payload({ series: [series({ metric: 'm', timestamps: [NaN], values: [1] })] }), NOW);
    assert.deepEqual(r.metadata, []);
  });
});

describe('v2 protobuf fast path (series found by their identity bytes)', () => {
  /** Everything a request maps to, comparable with deepEqual. */
  function result(r: MapResult): unknown {
    return {
      series: r.series.map((s) => [labels(s), s.timestamps, s.values]),
      metadata: r.metadata,
      dropped: r.dropped,
    };
  }

  /** Maps `body` through the fast path with `fast` and through its decoded series with `slow`; asserts they agree. */
  function mapBoth(fast: Mapper, slow: Mapper, tenant: string, body: Buffer, now = NOW): MapResult {
    const decoded = decodeSeriesV2Proto(body);
    assert.ok(decoded.seriesBatch);
    const viaBytes = fast.map(tenant, decoded, now);
    const viaStrings = slow.map(tenant, payload({ series: decodeSeriesV2Proto(body).series }), now);
    assert.deepEqual(result(viaBytes), result(viaStrings));
    return viaBytes;
  }

  test('the Agent fixture payloads map as their decoded series do, first seen, repeated and out of order', () => {
    const bodies = loadFixture('api_v2_series_response.json')
      .filter((p) => p.encoding === 'deflate')
      .map(decodedBody);
    const fast = mapper();
    const slow = mapper();
    let samples = 0;
    for (const order of [
      [0, 1, 2],
      [0, 1, 2],
      [2, 0, 1],
      [1, 1, 0],
    ]) {
      for (const i of order) samples += mapBoth(fast, slow, 't', bodies[i]!).series.length;
    }
    assert.ok(samples > 1000);
  });

  function rng(seed: number): () => number {
    let x = seed >>> 0;
    return () => (x = (Math.imul(x, 1664525) + 1013904223) >>> 0) / 4294967296;
  }

  interface RandomIdentity {
    metric: string;
    host: string;
    device: string;
    tags: string[];
    type: number;
    unit: string;
    sourceTypeName: string;
    interval: number;
  }

  function randomIdentity(rand: () => number): RandomIdentity {
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
    return {
      metric: pick(['cpu.user', 'mem.free', 'net.bytes_rcvd', '', '2bad name', 'ünïcode.metric']),
      host: pick(['', 'web-1', 'web-2', 'db-1']),
      device: pick(['', '', 'sda', 'eth0']),
      tags: Array.from({ length: Math.floor(rand() * 5) }, () =>
        pick(['env:prod', 'env:dev', 'role:a', 'role:b', 'flag', 'instance:x', 'k:v:w', 'é:ü']),
      ),
      type: Math.floor(rand() * 5),
      unit: pick(['', '', 'byte', 'second']),
      sourceTypeName: pick(['', 'System']),
      interval: pick([0, 0, 10]),
    };
  }

  /** One MetricSeries with its fields in a random order (points may come first, last or between the others). */
  function writeShuffled(w: ProtoWriter, id: RandomIdentity, points: [number, number][], rand: () => number): void {
    const fields: ((m: ProtoWriter) => void)[] = [];
    if (id.host) fields.push((m) => m.message(1, (r) => r.stringField(1, 'host').stringField(2, id.host)));
    if (id.device) fields.push((m) => m.message(1, (r) => r.stringField(1, 'device').stringField(2, id.device)));
    if (id.metric) fields.push((m) => m.stringField(2, id.metric));
    const tagFields = id.tags.map((t) => (m: ProtoWriter) => m.stringField(3, t));
    for (const [ts, v] of points) fields.push((m) => m.message(4, (p) => p.doubleField(1, v).varintField(2, ts)));
    if (id.type) fields.push((m) => m.varintField(5, id.type));
    if (id.unit) fields.push((m) => m.stringField(6, id.unit));
    if (id.sourceTypeName) fields.push((m) => m.stringField(7, id.sourceTypeName));
    if (id.interval) fields.push((m) => m.varintField(8, id.interval));
    // Tags keep their order (it is part of the identity); everything else lands anywhere.
    for (let i = fields.length - 1; i > 0; i--) {
      const j = Math.floor(rand() * (i + 1));
      [fields[i], fields[j]] = [fields[j]!, fields[i]!];
    }
    const at = Math.floor(rand() * (fields.length + 1));
    fields.splice(at, 0, (m) => {
      for (const f of tagFields) f(m);
    });
    w.message(1, (m) => {
      for (const f of fields) f(m);
    });
  }

  test('random identities, field orders, points and request orders map as their decoded series do', () => {
    const rand = rng(7);
    const identities = Array.from({ length: 60 }, () => randomIdentity(rand));
    // Each identity is written in one of two field orders: two byte strings for one series.
    const orderSeeds = identities.map(() => [Math.floor(rand() * 1e9), Math.floor(rand() * 1e9)]);
    const fast = mapper();
    const slow = mapper();
    for (let round = 0; round < 40; round++) {
      const w = new ProtoWriter();
      const n = Math.floor(rand() * 80);
      for (let k = 0; k < n; k++) {
        const i = round % 2 === 0 ? k % identities.length : Math.floor(rand() * identities.length);
        const points: [number, number][] = Array.from({ length: Math.floor(rand() * 4) }, () => [
          1_700_000_000 + Math.floor(rand() * 5),
          Math.floor(rand() * 100),
        ]);
        writeShuffled(w, identities[i]!, points, rng(orderSeeds[i]![Math.floor(rand() * 2)]!));
      }
      mapBoth(fast, slow, 't', w.finish());
    }
  });

  function agentBody(ts: number): Buffer {
    const w = new ProtoWriter();
    for (const metric of ['a', 'b', 'c']) {
      writeShuffled(
        w,
        { metric, host: 'web-1', device: '', tags: ['env:prod'], type: 3, unit: '', sourceTypeName: '', interval: 0 },
        [[ts, 1]],
        () => 0,
      );
    }
    return w.finish();
  }

  test('a host-tag change rebuilds the label sets of identities already known', () => {
    const cache = new HostTagCache(null);
    const m = mapper({}, cache);
    const teams = (r: MapResult): (string | undefined)[] => r.series.map((s) => labels(s).team);
    assert.deepEqual(teams(m.map('a', decodeSeriesV2Proto(agentBody(1)), NOW)), [undefined, undefined, undefined]);
    cache.update('a', hostMd('web-1', ['team:one']), NOW);
    assert.deepEqual(teams(m.map('a', decodeSeriesV2Proto(agentBody(2)), NOW)), ['one', 'one', 'one']);
    cache.update('a', hostMd('web-1', ['team:two']), NOW);
    assert.deepEqual(teams(m.map('a', decodeSeriesV2Proto(agentBody(3)), NOW)), ['two', 'two', 'two']);
  });

  test('tenants never share identities or label sets', () => {
    const cache = new HostTagCache(null);
    const m = mapper({}, cache);
    cache.update('a', hostMd('web-1', ['team:one']), NOW);
    const a1 = m.map('a', decodeSeriesV2Proto(agentBody(1)), NOW);
    const b1 = m.map('b', decodeSeriesV2Proto(agentBody(1)), NOW);
    const a2 = m.map('a', decodeSeriesV2Proto(agentBody(2)), NOW);
    assert.deepEqual(
      a1.series.map((s) => labels(s).team),
      ['one', 'one', 'one'],
    );
    assert.deepEqual(
      b1.series.map((s) => labels(s).team),
      [undefined, undefined, undefined],
    );
    for (let i = 0; i < 3; i++) {
      assert.notEqual(a1.series[i]!.labels, b1.series[i]!.labels);
      assert.equal(a1.series[i]!.labels, a2.series[i]!.labels, "a repeated identity reuses its tenant's label set");
    }
  });

  test('the cache bound holds: past it the least recently used identities are evicted, with the same results', () => {
    const bodies = [0, 1, 2].map((round) => {
      const w = new ProtoWriter();
      for (let i = 0; i < 20; i++)
        writeShuffled(
          w,
          {
            metric: `m${i % 4}`,
            host: 'web-1',
            device: '',
            tags: [`k:${i}`],
            type: 3,
            unit: '',
            sourceTypeName: '',
            interval: 0,
          },
          [[round, i]],
          () => 0,
        );
      return w.finish();
    });
    const small = mapper({ seriesCacheSize: 5 });
    const big = mapper();
    const slow = mapper();
    const first = [small, big].map((m) => mapBoth(m, slow, 't', bodies[0]!, NOW));
    const second = [small, big].map((m) => mapBoth(m, slow, 't', bodies[1]!, NOW + 61_000));
    mapBoth(small, slow, 't', bodies[2]!, NOW + 122_000);
    let kept = 0;
    for (let i = 0; i < 20; i++) {
      if (first[0]!.series[i]!.labels === second[0]!.series[i]!.labels) kept++;
      assert.equal(first[1]!.series[i]!.labels, second[1]!.series[i]!.labels, 'within its bound, the cache was kept');
    }
    assert.ok(kept <= 5, `over its bound, at most 5 of 20 label sets were kept (${kept})`);
    assert.ok(small.evicted >= 15);
  });

  /**
   * Sends series `ids` (metric m, tag k:<id>) in one request as DDSeries objects (entry table) or as v2 protobuf
   * (identity rows); the label set (ref) of each, in order.
   */
  type Send = (m: Mapper, ids: number[], now: number) => unknown[];
  const sendings: [string, Send][] = [
    [
      'entries',
      (m, ids, now) =>
        m
          .map('t', payload({ series: ids.map((i) => series({ metric: 'm', tags: [`k:${i}`] })) }), now)
          .series.map((s) => s.ref),
    ],
    [
      'identity rows',
      (m, ids, now) => {
        const w = new ProtoWriter();
        for (const i of ids) {
          const id = { metric: 'm', host: '', device: '', tags: [`k:${i}`], type: 3, unit: '', sourceTypeName: '' };
          writeShuffled(w, { ...id, interval: 0 }, [[1, i]], () => 0);
        }
        return m.map('t', decodeSeriesV2Proto(w.finish()), now).series.map((s) => s.ref);
      },
    ],
  ];
  const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);

  for (const [name, send] of sendings) {
    test(`${name}: evicted idle ones keep their label sets until evictions add up to the live ones`, () => {
      const m = mapper({ seriesCacheIdleMs: 5 * 60_000 });
      const minute = (n: number) => NOW + n * 61_000;
      const first = send(m, range(0, 10), minute(0));
      for (let n = 1; n <= 6; n++) send(m, range(1, 10), minute(n));
      assert.equal(m.evicted, 1, 'series 0 went idle');
      assert.equal(m.cachedIdentities().get('t'), 9);
      // 1 evicted of 10: the shared tables were not rebuilt, so series 0 finds its label set again.
      const back = send(m, range(0, 10), minute(7));
      assert.deepEqual(back, first);
      assert.equal(m.cachedIdentities().get('t'), 10);
      // Series 5..9 go idle: 6 evicted since the last rebuild, 5 live: rebuilt from the live ones alone.
      for (let n = 8; n <= 13; n++) send(m, range(0, 5), minute(n));
      assert.equal(m.evicted, 6);
      const after = send(m, range(0, 10), minute(14));
      assert.deepEqual(after.slice(0, 5), first.slice(0, 5), 'the live ones kept their label sets');
      for (let i = 5; i < 10; i++) assert.notEqual(after[i], first[i], `series ${i}'s label set was dropped`);
    });

    test(`${name}: past the cache size the least recently used are evicted down to 90 %`, () => {
      const m = mapper({ seriesCacheSize: 10 });
      // One request per series, a millisecond apart (no sweep between them): 11 distinct last uses.
      const refs = range(0, 11).map((i) => send(m, [i], NOW + i)[0]);
      send(m, [10], NOW + 61_000);
      assert.equal(m.evicted, 2, 'the sweep kept the 9 most recent of 11');
      assert.equal(m.cachedIdentities().get('t'), 9);
      // 2 evicted, 9 live: not rebuilt; the evicted ones find their label sets again.
      assert.deepEqual(send(m, [0, 1, 2], NOW + 61_001), refs.slice(0, 3));
      assert.equal(m.cachedIdentities().get('t'), 11);
    });
  }
});
