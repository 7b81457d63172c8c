import { test } from 'node:test';
import assert from 'node:assert/strict';
import { emptyPayload, type DDSeries } from '../model/datadog.js';
import { Registry } from 'prom-client';
import { HostTagCache } from './host-tags.js';
import { Mapper } from './mapper.js';
import { registerMappingMetrics } from './metrics.js';

function series(metric: string, host: string): DDSeries {
  return {
    metric,
    type: 'gauge',
    host,
    device: '',
    resources: [],
    tags: ['env:prod'],
    sourceTypeName: '',
    interval: 10,
    unit: '',
    timestamps: [1_700_000_000],
    values: [1],
  };
}

/** The value of one sample line of /metrics, or undefined when absent. */
async function sample(registry: Registry, line: string): Promise<number | undefined> {
  const found = (await registry.metrics()).split('\n').find((l) => l.startsWith(`${line} `));
  return found === undefined ? undefined : Number(found.slice(line.length + 1));
}

test('cached series per tenant, evictions and host-tag cache hosts move with the mapper', async () => {
  const registry = new Registry();
  const hostTags = new HostTagCache(null);
  const mapper = new Mapper({ keepUtf8Names: false, seriesCacheSize: 2 }, hostTags);
  registerMappingMetrics(registry, mapper, hostTags);
  const now = 1_700_000_100_000;
  const payload = {
    ...emptyPayload(),
    series: ['a', 'b', 'c', 'd'].map((m) => series(m, 'web-1')),
    hostMetadata: [{ host: 'web-1', hostTags: ['role:db'], agentVersion: '7.50.0', os: 'linux' }],
  };
  mapper.map('default', payload, now);
  mapper.map('other', { ...emptyPayload(), series: [series('a', 'web-2')] }, now);
  assert.equal(await sample(registry, 'promdog_mapping_cached_series{tenant="default"}'), 4);
  assert.equal(await sample(registry, 'promdog_mapping_cached_series{tenant="other"}'), 1);
  assert.equal(await sample(registry, 'promdog_mapping_cache_evictions_total'), 0);
  assert.equal(await sample(registry, 'promdog_host_tag_cache_hosts'), 1);
  // A minute later the sweep brings the tenant under its size of 2, before mapping one series: the four were used
  // by the same request, so all go (ties with the last evicted go with it).
  mapper.map('default', { ...emptyPayload(), series: [series('e', 'web-1')] }, now + 61_000);
  assert.equal(await sample(registry, 'promdog_mapping_cache_evictions_total'), 4);
  assert.equal(await sample(registry, 'promdog_mapping_cached_series{tenant="default"}'), 1);
  assert.equal(
    await sample(registry, 'promdog_mapping_cache_evictions_total'),
    4,
    'a counter: collecting twice does not count twice',
  );
});
