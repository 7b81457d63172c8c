import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { emptyPayload, type DDSeries } from '../model/datadog.js';
import type { PromSeries } from '../model/prometheus.js';
import { seededRandom } from '../../test/support/random.js';
import { HOST_INFO_METRIC, hostInfoLabels, hostInfoSelector, hostsFromInfoSeries } from './host-info-series.js';
import { HostTagCache, type HostInfo } from './host-tags.js';
import { Mapper } from './mapper.js';

const NOW = 1_700_000_999_000;

function info(host: string, tags: string[], updatedMs = NOW): HostInfo {
  return { host, tags, agentVersion: '7.50.3', os: 'linux', updatedMs };
}

const text = (labels: readonly { name: string; value: string }[]) =>
  labels.map((l) => `${l.name}=${JSON.stringify(l.value)}`).join(',');

describe('host info series', () => {
  test('labels: the fixed ones, host tags as on any series, their own names and exported_ names escaped', () => {
    assert.equal(
      text(
        hostInfoLabels(
          info('web-1', [
            'team:infra',
            'role:b',
            'role:a',
            'flag',
            'os:bsd',
            'job:x',
            'exported_job:y',
            '__p:q',
            'a.b:1',
          ]),
        ),
      ),
      [
        '__name__="datadog_host_info"',
        'a_b="1"',
        'agent_version="7.50.3"',
        'exported___p="q"',
        'exported_exported_job="y"',
        'exported_job="x"',
        'exported_os="bsd"',
        'flag="true"',
        'instance="web-1"',
        'job="ddagent"',
        'os="linux"',
        'role="a,b"',
        'team="infra"',
      ].join(','),
    );
    assert.equal(
      text(hostInfoLabels({ host: 'h', tags: [], agentVersion: '', os: '', updatedMs: 0 })),
      '__name__="datadog_host_info",instance="h",job="ddagent"',
    );
  });

  test('read back: per host the series with the newest sample; exported_ names lose one exported_', () => {
    const old = { labels: hostInfoLabels(info('h', ['team:old'])), timestamps: [10, 20] };
    const current = { labels: hostInfoLabels(info('h', ['team:new', 'os:bsd', 'exported_x:1'])), timestamps: [15] };
    const other = { labels: hostInfoLabels({ ...info('g', []), agentVersion: '' }), timestamps: [5] };
    const noHost = { labels: [{ name: '__name__', value: HOST_INFO_METRIC }], timestamps: [30] };
    const empty = { labels: hostInfoLabels(info('e', ['team:x'])), timestamps: [] };
    assert.deepEqual(hostsFromInfoSeries([current, old, other, noHost, empty]), [
      { host: 'h', tags: ['team:old'], agentVersion: '7.50.3', os: 'linux', updatedMs: 20 },
      { host: 'g', tags: [], agentVersion: '', os: 'linux', updatedMs: 5 },
    ]);
    assert.deepEqual(hostsFromInfoSeries([old, { ...current, timestamps: [21] }])[0]!.tags, [
      'exported_x:1',
      'os:bsd',
      'team:new',
    ]);
  });

  test('selector: a whole tenant, one host, several hosts as regex literals', () => {
    assert.equal(hostInfoSelector(7_200_000), 'datadog_host_info[7200s]');
    assert.equal(hostInfoSelector(1500, ['web "1"']), 'datadog_host_info{instance="web \\"1\\""}[2s]');
    assert.equal(
      hostInfoSelector(60_000, ['a.b', 'c|d', 'e\\f']),
      'datadog_host_info{instance=~"a\\\\.b|c\\\\|d|e\\\\\\\\f"}[60s]',
    );
  });

  // The reason the series exists: a replica that learnt a host's tags from it maps every series of the host to the
  // labels the replica that received the Agent's tags maps it to. Random tags from keys that collide in every way
  // the rules know (reserved names, the info series' own names, exported_ names, keys that sanitize alike).
  test('tags read back give every series of the host the labels the original tags give', () => {
    const rand = seededRandom(14);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
    const keys = [
      'team',
      'role',
      'job',
      'instance',
      'type',
      'os',
      'agent_version',
      'exported_os',
      'exported_job',
      'exported_exported_job',
      '__p',
      'a.b',
      'a-b',
      'a_b',
      '',
      '1x',
      'device',
      'quantile',
      'check',
      'bare',
    ];
    const values = ['x', 'y', 'a,b', 'k:v', ''];
    const tag = () => {
      const k = pick(keys);
      return rand() < 0.15 ? k : `${k}:${pick(values)}`;
    };
    for (let round = 0; round < 300; round++) {
      const hostTags = Array.from({ length: Math.floor(rand() * 6) }, tag);
      const original = new HostTagCache(null);
      original.update('t', { host: 'h', hostTags, agentVersion: '7', os: 'linux' }, NOW);
      const readBack = new HostTagCache(null);
      const [learnt] = hostsFromInfoSeries([{ labels: hostInfoLabels(original.info('t', 'h')!), timestamps: [NOW] }]);
      readBack.learn('t', learnt!, NOW);

      const s: DDSeries = {
        metric: 'm',
        type: 'gauge',
        host: 'h',
        device: rand() < 0.5 ? 'sda' : '',
        resources: rand() < 0.3 ? [{ type: pick(keys), name: 'r' }] : [],
        tags: Array.from({ length: Math.floor(rand() * 3) }, tag),
        sourceTypeName: '',
        interval: 0,
        unit: '',
        timestamps: [1],
        values: [1],
      };
      const payload = {
        ...emptyPayload(),
        series: [s],
        serviceChecks: [{ check: 'c', host: 'h', timestamp: 1, status: 0, message: '', tags: s.tags }],
        distributions: [{ metric: 'd', host: 'h', tags: s.tags, points: [{ ts: 1, values: [1] }] }],
      };
      const labelSets = (cache: HostTagCache) =>
        new Mapper({ keepUtf8Names: false }, cache)
          .map('t', payload, NOW)
          .series.map((x: PromSeries) => text(x.labels))
          .sort();
      assert.deepEqual(labelSets(readBack), labelSets(original), JSON.stringify({ hostTags, s }));
    }
  });
});
