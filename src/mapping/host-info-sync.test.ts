import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { Registry } from 'prom-client';
import { PrometheusProcess } from '../../test/support/prometheus.js';
import { freePort } from '../../test/support/ports.js';
import { QueryClient } from '../query-client/query-client.js';
import { rangeSelectThrough } from '../server/host-info.js';
import { encodeSnappyWriteRequest } from '../sinks/remote-write/encode.js';
import { hostInfoLabels, type RangeSelect } from './host-info-series.js';
import { HostInfoSync } from './host-info-sync.js';
import { HostTagCache, type HostInfo } from './host-tags.js';

// HostInfoSync against a real Prometheus: info series written as a replica writes them (remote write), read back
// through the query client the server gives it.

let prom: PrometheusProcess;
let client: QueryClient;
before(async () => {
  prom = await PrometheusProcess.start();
  client = new QueryClient({ url: prom.url, tenantHeader: '', timeoutMs: 5_000 });
});
after(async () => {
  await client?.close();
  await prom?.cleanup();
});

const quiet = { warn: () => undefined };

async function writeInfo(...infos: HostInfo[]): Promise<void> {
  const series = infos.map((i) => ({ labels: hostInfoLabels(i), timestamps: [i.updatedMs], values: [1] }));
  const res = await fetch(prom.remoteWriteUrl, {
    method: 'POST',
    headers: { 'content-encoding': 'snappy', 'content-type': 'application/x-protobuf' },
    body: encodeSnappyWriteRequest(series, []),
  });
  assert.equal(res.status, 204, await res.text());
}

function host(name: string, tags: string[], agoMs: number): HostInfo {
  return { host: name, tags, agentVersion: '7.60.0', os: 'linux', updatedMs: Date.now() - agoMs };
}

/** A real select that also records the expressions it ran. */
function recorded(select: RangeSelect): RangeSelect & { exprs: string[] } {
  const exprs: string[] = [];
  const run = (tenant: string, expr: string, timeMs: number) => {
    exprs.push(expr);
    return select(tenant, expr, timeMs);
  };
  return Object.assign(run, { exprs });
}

async function counter(registry: Registry, name: string): Promise<Record<string, number>> {
  const metric = registry.getSingleMetric(name);
  assert.ok(metric, name);
  const out: Record<string, number> = {};
  for (const v of (await metric.get()).values) out[Object.values(v.labels).join(',') || '-'] = v.value;
  return out;
}

describe('HostInfoSync', () => {
  test('lookup: the newest metadata of each host asked for, host names matched literally; one query per host', async () => {
    await writeInfo(
      host('web.1', ['team:old'], 60_000),
      host('web.1', ['team:infra', 'os:bsd'], 30_000),
      host('webx2', ['team:x'], 30_000),
      host('db-1', [], 20_000),
    );
    const cache = new HostTagCache(null);
    const registry = new Registry();
    const select = recorded(rangeSelectThrough(() => client));
    const sync = new HostInfoSync({ hostTags: cache, select, registry, logger: quiet });
    const deadline = Date.now() + 30_000;
    const [a, b] = await Promise.all([
      sync.resolve('t', ['web.1', 'web.2', 'db-1'], deadline),
      sync.resolve('t', ['web.1'], deadline),
    ]);
    assert.deepEqual([a, b], [true, true]);
    assert.deepEqual(cache.tags('t', 'web.1'), ['os:bsd', 'team:infra']);
    assert.equal(cache.info('t', 'web.2'), undefined, 'web.2 must not match webx2');
    assert.deepEqual(cache.info('t', 'db-1')?.tags, []);
    assert.equal(select.exprs.length, 1);
    assert.deepEqual(await counter(registry, 'promdog_host_info_lookup_hosts_total'), {
      found: 2,
      not_found: 1,
      failed: 0,
    });
    assert.deepEqual((await counter(registry, 'promdog_host_info_learnt_total'))['-'], 2);
    // Known hosts are not asked for again; a host nobody wrote is, and is still not found.
    assert.equal(await sync.resolve('t', ['web.1', 'web.2'], deadline), true);
    assert.equal(await sync.resolve('t', ['web.2'], deadline), false);
    assert.equal(select.exprs.length, 3);
    assert.match(select.exprs[2]!, /^datadog_host_info\{instance="web\.2"\}\[7200s\]$/);
  });

  test('sync: the whole lookback at first, then what was written since; newer metadata replaces the cached', async () => {
    const cache = new HostTagCache(null);
    cache.update('s', { host: 'app-1', hostTags: ['team:mine'], agentVersion: '7', os: 'linux' }, Date.now() - 90_000);
    await writeInfo(host('app-1', ['team:older'], 100_000), host('app-2', ['team:two'], 80_000));
    const select = recorded(rangeSelectThrough(() => client));
    const sync = new HostInfoSync({ hostTags: cache, select, registry: new Registry(), logger: quiet });
    const now = Date.now();
    await sync.syncAll(now);
    assert.deepEqual(cache.tags('s', 'app-1'), ['team:mine'], 'older metadata than the cached is ignored');
    assert.deepEqual(cache.tags('s', 'app-2'), ['team:two']);
    await writeInfo(host('app-1', ['team:changed'], 1_000));
    await sync.syncAll(now + 10_000);
    assert.deepEqual(cache.tags('s', 'app-1'), ['team:changed']);
    assert.deepEqual(
      select.exprs.filter((e) => !e.includes('{')),
      ['datadog_host_info[7200s]', 'datadog_host_info[130s]'],
    );
  });

  test('a query path that is down: counted, nothing learnt, the next sync reads the whole lookback', async () => {
    const down = new QueryClient({ url: `http://127.0.0.1:${await freePort()}`, tenantHeader: '', timeoutMs: 5_000 });
    const cache = new HostTagCache(null);
    const registry = new Registry();
    const select = recorded(rangeSelectThrough(() => down));
    const warnings: string[] = [];
    const sync = new HostInfoSync({ hostTags: cache, select, registry, logger: { warn: (_o, m) => warnings.push(m) } });
    try {
      await sync.syncAll(Date.now());
      assert.equal(await sync.resolve('d', ['h1', 'h2'], Date.now() + 30_000), false);
      await sync.syncAll(Date.now());
      assert.deepEqual(select.exprs, ['datadog_host_info{instance=~"h1|h2"}[7200s]', 'datadog_host_info[7200s]']);
      assert.deepEqual(await counter(registry, 'promdog_host_info_lookup_hosts_total'), {
        found: 0,
        not_found: 0,
        failed: 2,
      });
      assert.deepEqual(await counter(registry, 'promdog_host_info_reads_total'), {
        'lookup,ok': 0,
        'lookup,error': 1,
        'sync,ok': 0,
        'sync,error': 1,
      });
      assert.equal(warnings.length, 1, 'one warning a minute at most');
    } finally {
      await down.close();
    }
  });

  test('a request waits for a slow lookup only so long; the answer still fills the cache when it comes', async () => {
    let answer: (() => void) | undefined;
    const ok = JSON.stringify({
      status: 'success',
      data: {
        resultType: 'matrix',
        result: [
          {
            metric: { __name__: 'datadog_host_info', instance: 'slow', team: 'late' },
            values: [[Date.now() / 1000, '1']],
          },
        ],
      },
    });
    const server: Server = createServer((_req, res) => {
      answer = () => res.writeHead(200, { 'content-type': 'application/json' }).end(ok);
    });
    const port = await freePort();
    await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
    const slow = new QueryClient({ url: `http://127.0.0.1:${port}`, tenantHeader: '', timeoutMs: 30_000 });
    const cache = new HostTagCache(null);
    const registry = new Registry();
    const sync = new HostInfoSync({
      hostTags: cache,
      select: rangeSelectThrough(() => slow),
      registry,
      logger: quiet,
      lookupWaitMs: 30_000,
    });
    try {
      // A request with 100 ms left waits half of it.
      assert.equal(await sync.resolve('w', ['slow'], Date.now() + 100), false);
      assert.equal((await counter(registry, 'promdog_host_info_lookup_waits_expired_total'))['-'], 1);
      assert.ok(answer, 'the lookup was sent');
      answer();
      // The same lookup is still in flight: a request for the host waits for it rather than asking again.
      assert.equal(await sync.resolve('w', ['slow'], Date.now() + 60_000), true);
      assert.deepEqual(cache.tags('w', 'slow'), ['team:late']);
    } finally {
      await slow.close();
      await new Promise((r) => server.close(r));
    }
  });
});
