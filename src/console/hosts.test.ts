import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryQuerier } from '../../test/support/memory-querier.js';
import { listHosts } from './hosts.js';

test('the host info series is the host’s metadata, not one of its series', async () => {
  const q = new MemoryQuerier();
  const host = { name: 'instance', value: 'web-1' };
  const job = { name: 'job', value: 'ddagent' };
  q.add([{ name: '__name__', value: 'system_load_1' }, host, job], 1_000, 0.5);
  q.add([{ name: '__name__', value: 'datadog_host_info' }, host, job, { name: 'team', value: 'a' }], 5_000, 1);
  const { hosts } = await listHosts({ metadata: [], querier: q, nowMs: 10_000, windowMs: 60_000, gatewayNotice: '' });
  assert.deepEqual(
    hosts.map((h) => [h.host, h.series, h.seriesSeenMs]),
    [['web-1', 1, 1_000]],
  );
});

test('a host listed by several sources shows its newest metadata, in any order', async () => {
  const older = { host: 'web-1', tags: ['rack:r1'], agentVersion: '7.60.0', os: 'linux', updatedMs: 1_000 };
  const newer = { host: 'web-1', tags: ['rack:r2'], agentVersion: '7.60.1', os: 'linux', updatedMs: 2_000 };
  for (const metadata of [
    [older, newer],
    [newer, older],
  ]) {
    const { hosts, warnings } = await listHosts({
      metadata,
      querier: undefined,
      nowMs: 10_000,
      windowMs: 60_000,
      gatewayNotice: 'gateway',
    });
    assert.deepEqual(
      hosts.map((h) => [h.host, h.tags, h.agentVersion, h.metadataSeenMs]),
      [['web-1', ['rack:r2'], '7.60.1', 2_000]],
    );
    assert.deepEqual(warnings, ['gateway']);
  }
});
