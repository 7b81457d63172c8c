import { after, before, describe, test } from 'node:test';
import { makeTestCertificates } from '../../../test/support/tls.js';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import type { MetricMetadata, PromSeries, WriteBatch } from '../../model/prometheus.js';
import { PrometheusProcess, sampleValue, type RangeSeries } from '../../../test/support/prometheus.js';
import { SinkRejectedError, SinkUnavailableError } from '../sink.js';
import { parseRetryAfter, RemoteWriteSink, type RemoteWriteOptions, type RemoteWriteTarget } from './sink.js';
import { decodeRemoteWriteBody } from '../../../test/support/remote-write-decoder.js';

// ---------------------------------------------------------------------------------------------------------------
// Helpers: batches, a sink with captured logs and metrics, and a loopback proxy in front of Prometheus.

function labelsOf(obj: Record<string, string>) {
  return Object.entries(obj)
    .map(([name, value]) => ({ name, value }))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** `count` gauge series named `<name>` with a `i` label, `points` samples each ending at `endMs`, 1 s apart. */
function simpleBatch(name: string, count: number, endMs: number, points = 1, tenant = 'acme'): WriteBatch {
  const series: PromSeries[] = [];
  for (let i = 0; i < count; i++) {
    const timestamps = Array.from({ length: points }, (_, p) => endMs - (points - 1 - p) * 1000);
    series.push({
      labels: labelsOf({ __name__: name, i: String(i) }),
      timestamps,
      values: timestamps.map((_, p) => i * 100 + p),
    });
  }
  return { tenant, series, metadata: [] };
}

function newSink(targets: RemoteWriteTarget[], options?: RemoteWriteOptions) {
  const logs: Array<{ level: number; msg: string } & Record<string, unknown>> = [];
  const rawLogs: string[] = [];
  const logger = pino(
    { level: 'debug' },
    {
      write: (line: string) => {
        rawLogs.push(line);
        logs.push(JSON.parse(line));
      },
    },
  );
  const registry = new Registry();
  const sink = new RemoteWriteSink(targets, registry, logger, options);
  return { sink, registry, logs, rawLogs };
}

/** The sum of a family's samples on `registry` whose labels include `labels`. */
async function counterValue(registry: Registry, name: string, labels: Record<string, string>): Promise<number> {
  const metric = registry.getSingleMetric(name);
  assert.ok(metric, `${name} is registered`);
  const { values } = await metric.get();
  return values
    .filter((v) => Object.entries(labels).every(([k, want]) => v.labels[k] === want))
    .reduce((n, v) => n + v.value, 0);
}

type ProxyAction = 'forward' | 'drop' | { status: number; body?: string; headers?: Record<string, string> };

interface RecordedRequest {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: Buffer;
}

interface Proxy {
  url: string;
  requests: RecordedRequest[];
  /** TCP connections accepted (for TLS: handshakes started, whether they succeed or not). */
  connections: number;
  close(): Promise<void>;
}

/** A loopback HTTP(S) server that records each request, then does what `behave` says for the n-th (1-based) one. */
async function startProxy(
  upstream: string,
  behave: (n: number) => ProxyAction = () => 'forward',
  tls?: { key: string; cert: string },
): Promise<Proxy> {
  const requests: RecordedRequest[] = [];
  const handler = (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const rec = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks) };
      requests.push(rec);
      const action = behave(requests.length);
      if (action === 'drop') {
        req.socket.destroy();
        return;
      }
      if (action !== 'forward') {
        res.writeHead(action.status, { 'content-type': 'text/plain', ...action.headers });
        res.end(action.body ?? '');
        return;
      }
      const headers: Record<string, string> = {};
      for (const h of ['content-type', 'content-encoding', 'x-prometheus-remote-write-version']) {
        const v = req.headers[h];
        if (typeof v === 'string') headers[h] = v;
      }
      fetch(upstream + rec.url, { method: rec.method, headers, body: rec.body }).then(
        async (up) => {
          res.writeHead(up.status, { 'content-type': up.headers.get('content-type') ?? 'text/plain' });
          res.end(Buffer.from(await up.arrayBuffer()));
        },
        (err: Error) => {
          res.writeHead(502);
          res.end(`proxy: ${err.message}`);
        },
      );
    });
  };
  const server: Server = tls ? createHttpsServer(tls, handler) : createHttpServer(handler);
  const proxy: Proxy = {
    url: '',
    requests,
    connections: 0,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  server.on('connection', () => proxy.connections++);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  proxy.url = `${tls ? 'https' : 'http'}://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return proxy;
}

/** Raw samples of the series matching `selector`, read back from Prometheus around `atMs`. */
async function readBack(prom: PrometheusProcess, selector: string, atMs: number): Promise<RangeSeries[]> {
  return prom.queryMatrix(`${selector}[10m]`, atMs / 1000 + 1);
}

/** Sorted "labels => ts:value,..." lines, so two sets of series compare in one assertion with a readable diff. */
function render(series: Array<{ labels: Record<string, string>; samples: Array<[number, number]> }>): string[] {
  const show = (v: number) => (Object.is(v, -0) ? '-0' : String(v));
  return series
    .map(
      (s) =>
        `${JSON.stringify(Object.entries(s.labels).sort())} => ${s.samples.map(([t, v]) => `${t}:${show(v)}`).join(',')}`,
    )
    .sort();
}

const fromBatch = (batch: WriteBatch) =>
  render(
    batch.series.map((s) => ({
      labels: Object.fromEntries(s.labels.map((l) => [l.name, l.value])),
      samples: s.timestamps.map((t, i) => [t, s.values[i]!]),
    })),
  );

const fromPrometheus = (result: RangeSeries[]) =>
  render(
    result.map((r) => ({
      labels: r.metric,
      samples: r.values.map(([t, v]) => [Math.round(t * 1000), sampleValue(v)]),
    })),
  );

const soon = (ms = 5000) => Date.now() + ms;

// ---------------------------------------------------------------------------------------------------------------

describe('RemoteWriteSink against a real Prometheus', () => {
  let prom: PrometheusProcess;
  before(async () => {
    prom = await PrometheusProcess.start();
  });
  after(async () => {
    await prom?.cleanup();
  });

  test('series with many label sets, special values and UTF-8 come back from Prometheus exactly', async (t) => {
    const now = Date.now();
    const specials = [NaN, Infinity, -Infinity, -0, -42.5, 1.7976931348623157e308, 5e-324, -1e-300, 0.1 + 0.2, 2 ** 53];
    const utf8 = ['🚀 launch', 'ünïcødé', '日本語のラベル', 'quote " and \\ backslash', 'new\nline\ttab', 'a,b=c{d}'];
    const series: PromSeries[] = [];
    for (let i = 0; i < 120; i++) {
      const labels: Record<string, string> = {
        __name__: i % 2 ? 'rt_exact_gauge' : 'rt:exact:rate5m',
        job: 'ddagent',
        n: String(i),
      };
      for (let k = 0; k < i % 9; k++) labels[`tag_${k}`] = `v${(i * 7 + k) % 13}`;
      labels.text = utf8[i % utf8.length]!;
      const timestamps = [now - 30_000, now - 15_000, now - (i % 5)];
      series.push({ labels: labelsOf(labels), timestamps, values: [specials[i % specials.length]!, i, -i * 1e10] });
    }
    const metadata: MetricMetadata[] = [
      { metricFamilyName: 'rt_exact_gauge', type: 'gauge', unit: 'bytes', help: 'A gauge — with UTF-8 help' },
      { metricFamilyName: 'rt:exact:rate5m', type: 'counter', unit: '', help: '' },
    ];
    const batch: WriteBatch = { tenant: 'acme', series, metadata };
    const { sink, registry } = newSink([{ url: prom.remoteWriteUrl }]);
    t.after(() => sink.close());

    await sink.write(batch, soon());

    assert.deepEqual(
      fromPrometheus(await readBack(prom, '{__name__=~"rt_exact_gauge|rt:exact:rate5m"}', now)),
      fromBatch(batch),
    );
    assert.equal(
      await counterValue(registry, 'promdog_remote_write_samples_total', { target: prom.remoteWriteUrl }),
      360,
    );
    assert.equal(await counterValue(registry, 'promdog_remote_write_requests_total', { outcome: '2xx' }), 1);
    assert.equal(await counterValue(registry, 'promdog_remote_write_retries_total', {}), 0);
  });

  test('empty batches send nothing; a metadata-only batch is one request', async (t) => {
    const proxy = await startProxy(prom.url);
    t.after(() => proxy.close());
    const { sink } = newSink([{ url: `${proxy.url}/api/v1/write` }]);
    t.after(() => sink.close());

    await sink.write({ tenant: 'acme', series: [], metadata: [] }, soon());
    await sink.write(
      {
        tenant: 'acme',
        series: [{ labels: labelsOf({ __name__: 'rt_no_samples' }), timestamps: [], values: [] }],
        metadata: [],
      },
      soon(),
    );
    assert.equal(proxy.requests.length, 0);

    await sink.write(
      {
        tenant: 'acme',
        series: [],
        metadata: [{ metricFamilyName: 'rt_meta_only', type: 'gauge', unit: '', help: 'h' }],
      },
      soon(),
    );
    assert.equal(proxy.requests.length, 1);
    assert.deepEqual(decodeRemoteWriteBody(proxy.requests[0]!.body), {
      series: [],
      metadata: [{ type: 2, family: 'rt_meta_only', help: 'h', unit: '' }],
    });
  });

  test('retries 503, 429 (Retry-After) and a dropped connection, then the data is stored', async (t) => {
    const script: ProxyAction[] = [
      { status: 503, body: 'warming up' },
      { status: 429, body: 'slow down', headers: { 'retry-after': '1' } },
      'drop',
    ];
    const proxy = await startProxy(prom.url, (n) => script[n - 1] ?? 'forward');
    t.after(() => proxy.close());
    const target = `${proxy.url}/api/v1/write`;
    const { sink, registry, logs } = newSink([{ url: target }]);
    t.after(() => sink.close());
    const now = Date.now();
    const batch = simpleBatch('rt_retried', 5, now, 2);

    await sink.write(batch, soon(10_000));

    assert.equal(proxy.requests.length, 4);
    assert.deepEqual(fromPrometheus(await readBack(prom, 'rt_retried', now)), fromBatch(batch));
    assert.equal(await counterValue(registry, 'promdog_remote_write_retries_total', { target }), 3);
    for (const [outcome, n] of Object.entries({ '5xx': 1, '429': 1, network: 1, '2xx': 1 })) {
      assert.equal(
        await counterValue(registry, 'promdog_remote_write_requests_total', { target, outcome }),
        n,
        outcome,
      );
    }
    assert.equal(await counterValue(registry, 'promdog_remote_write_samples_total', { target }), 10);
    const warnings = logs.filter((l) => l.level === 40);
    assert.deepEqual(
      warnings.map((w) => [w.target, w.status]),
      [
        [target, 503],
        [target, 429],
        [target, undefined],
      ],
    );
    assert.equal(warnings[1]!.retryInMs, 1000, 'the Retry-After delay is the one used');
  });

  test('a target failing past the deadline → SinkUnavailableError naming it and its last error', async (t) => {
    const proxy = await startProxy(prom.url, () => ({ status: 503, body: 'overloaded' }));
    t.after(() => proxy.close());
    const target = `${proxy.url}/api/v1/write`;
    const { sink, registry, logs } = newSink([{ url: target }]);
    t.after(() => sink.close());

    const err = await sink.write(simpleBatch('rt_unavailable', 2, Date.now()), soon(1500)).then(
      () => assert.fail('write succeeded'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof SinkUnavailableError, String(err));
    assert.match(err.message, new RegExp(`${target}.*HTTP 503: overloaded`));
    assert.ok(err.retryAfterSeconds >= 1);
    assert.ok(proxy.requests.length > 1, `attempts: ${proxy.requests.length}`);
    assert.equal(
      await counterValue(registry, 'promdog_remote_write_retries_total', { target }),
      proxy.requests.length - 1,
    );
    assert.equal(
      await counterValue(registry, 'promdog_remote_write_errors_total', { target, reason: 'unavailable' }),
      1,
    );
    assert.equal(logs.filter((l) => l.level === 50 && l.target === target).length, 1);
  });

  test('a deadline already past → SinkUnavailableError without sending', async (t) => {
    const proxy = await startProxy(prom.url);
    t.after(() => proxy.close());
    const { sink } = newSink([{ url: `${proxy.url}/api/v1/write` }]);
    t.after(() => sink.close());
    await assert.rejects(sink.write(simpleBatch('rt_late', 1, Date.now()), Date.now() - 1), SinkUnavailableError);
    assert.equal(proxy.requests.length, 0);
  });

  test("a Retry-After beyond the deadline is not waited for; it becomes the error's retryAfterSeconds", async (t) => {
    const proxy = await startProxy(prom.url, () => ({ status: 429, body: 'quota', headers: { 'retry-after': '120' } }));
    t.after(() => proxy.close());
    const { sink } = newSink([{ url: `${proxy.url}/api/v1/write` }]);
    t.after(() => sink.close());

    await assert.rejects(sink.write(simpleBatch('rt_quota', 1, Date.now()), soon(3000)), (err: unknown) => {
      assert.ok(err instanceof SinkUnavailableError);
      assert.equal(err.retryAfterSeconds, 120);
      assert.match(err.message, /HTTP 429: quota/);
      return true;
    });
    assert.equal(proxy.requests.length, 1);
  });

  test("Prometheus' own 400 (sample out of bounds) → SinkRejectedError with its message, not retried", async (t) => {
    const { sink, registry } = newSink([{ url: prom.remoteWriteUrl }]);
    t.after(() => sink.close());
    const now = Date.now();
    await sink.write(simpleBatch('rt_bounds', 1, now), soon()); // the head now ends near `now`
    await assert.rejects(sink.write(simpleBatch('rt_bounds', 1, now - 3 * 3600_000), soon()), (err: unknown) => {
      assert.ok(err instanceof SinkRejectedError, String(err));
      assert.match(err.message, /HTTP 400: out of bounds/);
      return true;
    });
    assert.equal(await counterValue(registry, 'promdog_remote_write_requests_total', { outcome: '4xx' }), 1);
    assert.equal(await counterValue(registry, 'promdog_remote_write_errors_total', { reason: 'rejected' }), 1);
    assert.equal(await counterValue(registry, 'promdog_remote_write_retries_total', {}), 0);
  });

  test('a 4xx body is passed on, cut to its first KiB', async (t) => {
    const body = `invalid label set: ${'x'.repeat(3000)}`;
    const proxy = await startProxy(prom.url, () => ({ status: 400, body }));
    t.after(() => proxy.close());
    const { sink } = newSink([{ url: `${proxy.url}/api/v1/write` }]);
    t.after(() => sink.close());

    await assert.rejects(sink.write(simpleBatch('rt_refused', 1, Date.now()), soon()), (err: unknown) => {
      assert.ok(err instanceof SinkRejectedError);
      const passed = err.message.slice(err.message.indexOf('HTTP 400: ') + 'HTTP 400: '.length);
      assert.equal(passed, body.slice(0, 1024));
      return true;
    });
    assert.equal(proxy.requests.length, 1);
  });

  test('several targets: all must accept; an unavailable target wins over a rejecting one', async (t) => {
    const ok = await startProxy(prom.url);
    const refusing = await startProxy(prom.url, () => ({ status: 400, body: 'bad tenant' }));
    const down = await startProxy(prom.url, () => ({ status: 503 }));
    t.after(() => Promise.all([ok.close(), refusing.close(), down.close()]));
    const url = (p: Proxy) => `${p.url}/api/v1/write`;
    const now = Date.now();

    const both = newSink([{ url: prom.remoteWriteUrl }, { url: url(ok) }]);
    t.after(() => both.sink.close());
    await both.sink.write(simpleBatch('rt_two_targets', 3, now), soon());
    assert.equal(ok.requests.length, 1);
    assert.equal((await readBack(prom, 'rt_two_targets', now)).length, 3);

    const withRefusing = newSink([{ url: url(ok) }, { url: url(refusing) }]);
    t.after(() => withRefusing.sink.close());
    await assert.rejects(
      withRefusing.sink.write(simpleBatch('rt_two_targets', 3, now + 1000), soon()),
      SinkRejectedError,
    );

    const refusingAndDown = newSink([{ url: url(refusing) }, { url: url(down) }]);
    t.after(() => refusingAndDown.sink.close());
    await assert.rejects(
      refusingAndDown.sink.write(simpleBatch('rt_two_targets', 3, now + 2000), soon(800)),
      SinkUnavailableError,
    );
  });

  test('sends the protocol, tenant, auth and extra headers', async (t) => {
    const proxy = await startProxy(prom.url);
    t.after(() => proxy.close());
    const base = `${proxy.url}/api/v1/write`;
    const version = (JSON.parse(readFileSync('package.json', 'utf8')) as { version: string }).version;
    const cases: Array<{ target: RemoteWriteTarget; expect: Record<string, string | undefined> }> = [
      { target: { url: base }, expect: { 'x-scope-orgid': 'tenant-a', authorization: undefined } },
      {
        target: { url: base, tenantHeader: 'X-Tenant' },
        expect: { 'x-tenant': 'tenant-a', 'x-scope-orgid': undefined },
      },
      { target: { url: base, tenantHeader: '' }, expect: { 'x-scope-orgid': undefined } },
      {
        target: { url: base, basicAuth: { username: 'user', password: 'p@ss:word' } },
        expect: { authorization: `Basic ${Buffer.from('user:p@ss:word').toString('base64')}` },
      },
      {
        target: { url: base.replace('http://', 'http://urluser:url%20secret@') },
        expect: { authorization: `Basic ${Buffer.from('urluser:url secret').toString('base64')}` },
      },
      { target: { url: base, bearerToken: 'tok3n' }, expect: { authorization: 'Bearer tok3n' } },
      {
        target: { url: base, headers: { 'X-Extra': 'one', 'User-Agent': 'custom/1' } },
        expect: { 'x-extra': 'one', 'user-agent': 'custom/1' },
      },
    ];
    const now = Date.now();
    for (const [i, c] of cases.entries()) {
      const { sink, rawLogs, registry } = newSink([c.target]);
      t.after(() => sink.close());
      await sink.write(simpleBatch('rt_headers', 1, now + i, 1, 'tenant-a'), soon());
      const got = proxy.requests.at(-1)!.headers;
      assert.equal(proxy.requests.length, i + 1);
      const common = {
        'content-encoding': 'snappy',
        'content-type': 'application/x-protobuf',
        'x-prometheus-remote-write-version': '0.1.0',
        'user-agent': `promdog/${version}`,
      };
      for (const [h, want] of Object.entries({ ...common, ...c.expect })) assert.equal(got[h], want, `case ${i}: ${h}`);
      // Credentials from the URL never reach metric labels or logs.
      const rendered = (await registry.metrics()) + rawLogs.join('');
      assert.ok(!rendered.includes('url%20secret') && !rendered.includes('urluser'), `case ${i}: credentials leaked`);
    }
    assert.equal((await readBack(prom, 'rt_headers', now + cases.length)).length, 1);
  });

  test('credentials never appear in logs when a write fails', async (t) => {
    const proxy = await startProxy(prom.url, () => ({ status: 503, body: 'nope' }));
    t.after(() => proxy.close());
    const { sink, rawLogs } = newSink([
      { url: `${proxy.url}/api/v1/write`, basicAuth: { username: 'alice', password: 'hunter2-secret' } },
      { url: `${proxy.url}/api/v1/write`, bearerToken: 'bearer-secret-token' },
    ]);
    t.after(() => sink.close());
    await assert.rejects(sink.write(simpleBatch('rt_secret', 1, Date.now()), soon(500)), SinkUnavailableError);
    assert.ok(rawLogs.length >= 2);
    const text = rawLogs.join('');
    for (const secret of [
      'hunter2-secret',
      'bearer-secret-token',
      Buffer.from('alice:hunter2-secret').toString('base64'),
    ]) {
      assert.ok(!text.includes(secret), `logged ${secret}`);
    }
  });

  test('splits a large batch into requests of at most maxSamplesPerRequest, all stored', async (t) => {
    const proxy = await startProxy(prom.url);
    t.after(() => proxy.close());
    const target = `${proxy.url}/api/v1/write`;
    const { sink, registry } = newSink([{ url: target, maxSamplesPerRequest: 5 }]);
    t.after(() => sink.close());
    const now = Date.now();
    const batch: WriteBatch = {
      tenant: 'acme',
      series: [
        ...simpleBatch('rt_split', 4, now, 3).series, // 4 series × 3 samples
        ...simpleBatch('rt_split_long', 1, now, 12).series, // one series longer than the limit
      ],
      metadata: [{ metricFamilyName: 'rt_split', type: 'gauge', unit: '', help: 'split' }],
    };

    await sink.write(batch, soon());

    const bodies = proxy.requests.map((r) => decodeRemoteWriteBody(r.body));
    const sizes = bodies.map((b) => b.series.reduce((n, s) => n + s.timestamps.length, 0));
    assert.deepEqual(sizes, [3, 3, 3, 3, 5, 5, 2]);
    assert.deepEqual(
      bodies.map((b) => b.metadata.length),
      [1, 0, 0, 0, 0, 0, 0],
    );
    assert.deepEqual(
      fromPrometheus(await readBack(prom, '{__name__=~"rt_split|rt_split_long"}', now)),
      fromBatch(batch),
    );
    assert.equal(await counterValue(registry, 'promdog_remote_write_samples_total', { target }), 24);
    assert.equal(await counterValue(registry, 'promdog_remote_write_requests_total', { target, outcome: '2xx' }), 7);
  });

  test("a retry of a batch that reached some targets or requests goes to the failed ones only, not 400'd", async (t) => {
    let failing = true;
    const first = await startProxy(prom.url);
    const second = await startProxy(prom.url, () => (failing ? { status: 503 } : { status: 204 }));
    t.after(() => Promise.all([first.close(), second.close()]));
    const firstUrl = `${first.url}/api/v1/write`;
    const secondUrl = `${second.url}/api/v1/write`;
    const { sink, registry } = newSink([{ url: firstUrl }, { url: secondUrl, maxSamplesPerRequest: 4 }]);
    t.after(() => sink.close());
    const now = Date.now();
    // Two points a series: Prometheus refuses the older one of a series it already has ("out of order sample").
    const batch = simpleBatch('rt_partial_retry', 4, now, 2);
    await assert.rejects(sink.write(batch, soon(400)), SinkUnavailableError);
    assert.equal(first.requests.length, 1);
    const direct = await fetch(prom.remoteWriteUrl, {
      method: 'POST',
      headers: { 'content-encoding': 'snappy', 'content-type': 'application/x-protobuf' },
      body: first.requests[0]!.body,
    });
    assert.deepEqual([direct.status, (await direct.text()).trim()], [400, 'out of order sample']);

    // The Agent's retry: the first target already holds the batch; the second gets it now, split in two requests.
    failing = false;
    const attemptsBefore = second.requests.length;
    await sink.write(batch, soon());
    assert.equal(first.requests.length, 1, 'not sent again to the target that acknowledged it');
    assert.equal(second.requests.length - attemptsBefore, 2);
    assert.deepEqual(fromPrometheus(await readBack(prom, 'rt_partial_retry', now)), fromBatch(batch));
    const count = (target: string) =>
      counterValue(registry, 'promdog_remote_write_already_acknowledged_total', { target });
    assert.deepEqual([await count(firstUrl), await count(secondUrl)], [1, 0]);

    // Within one target: the first request of a split batch acknowledged, the second failing.
    let secondFails = true;
    const flaky = await startProxy(prom.url, (n) => (n > 1 && secondFails ? { status: 503 } : 'forward'));
    t.after(() => flaky.close());
    const flakyUrl = `${flaky.url}/api/v1/write`;
    const split = newSink([{ url: flakyUrl, maxSamplesPerRequest: 4 }]);
    t.after(() => split.sink.close());
    const splitBatch = simpleBatch('rt_partial_split', 4, now, 2);
    await assert.rejects(split.sink.write(splitBatch, soon(400)), SinkUnavailableError);
    secondFails = false;
    const sent = flaky.requests.length;
    await split.sink.write(splitBatch, soon());
    assert.equal(flaky.requests.length - sent, 1, 'only the request that failed');
    assert.deepEqual(fromPrometheus(await readBack(prom, 'rt_partial_split', now)), fromBatch(splitBatch));
    assert.equal(await counterValue(split.registry, 'promdog_remote_write_already_acknowledged_total', {}), 1);
  });

  describe('TLS', () => {
    let dir: string;
    let proxy: Proxy;
    before(async () => {
      dir = mkdtempSync(join(tmpdir(), 'promdog-rw-tls-'));
      makeTestCertificates(dir);
      const tls = {
        key: readFileSync(join(dir, 'server.key'), 'utf8'),
        cert: readFileSync(join(dir, 'server.crt'), 'utf8'),
      };
      proxy = await startProxy(prom.url, () => 'forward', tls);
    });
    after(async () => {
      await proxy?.close();
      rmSync(dir, { recursive: true, force: true });
    });

    test('with tlsCaFile the write goes through the HTTPS target', async (t) => {
      const { sink } = newSink([{ url: `${proxy.url}/api/v1/write`, tlsCaFile: join(dir, 'ca.crt') }]);
      t.after(() => sink.close());
      const now = Date.now();
      await sink.write(simpleBatch('rt_tls', 2, now), soon());
      assert.equal((await readBack(prom, 'rt_tls', now)).length, 2);
    });

    test('without the CA: SinkUnavailableError saying TLS, without retrying the handshake', async (t) => {
      const target = `${proxy.url}/api/v1/write`;
      const { sink, registry, logs } = newSink([{ url: target }]);
      t.after(() => sink.close());
      const connectionsBefore = proxy.connections;
      const requestsBefore = proxy.requests.length;
      await assert.rejects(sink.write(simpleBatch('rt_tls_untrusted', 1, Date.now()), soon()), (err: unknown) => {
        assert.ok(err instanceof SinkUnavailableError, String(err));
        assert.match(err.message, /UNABLE_TO_VERIFY_LEAF_SIGNATURE|unable to verify/i);
        assert.match(err.message, /TLS/);
        return true;
      });
      assert.equal(proxy.requests.length, requestsBefore, 'no request got through');
      assert.equal(proxy.connections - connectionsBefore, 1, 'one handshake, not retried');
      assert.equal(await counterValue(registry, 'promdog_remote_write_requests_total', { target, outcome: 'tls' }), 1);
      assert.equal(logs.filter((l) => l.level === 50).length, 1);
    });

    test('tlsInsecureSkipVerify accepts the unknown certificate', async (t) => {
      const { sink } = newSink([{ url: `${proxy.url}/api/v1/write`, tlsInsecureSkipVerify: true }]);
      t.after(() => sink.close());
      const now = Date.now();
      await sink.write(simpleBatch('rt_tls_insecure', 1, now), soon());
      assert.equal((await readBack(prom, 'rt_tls_insecure', now)).length, 1);
    });
  });
});

test('Prometheus stopped → SinkUnavailableError; after a restart the same batch is accepted', async (t) => {
  const prom = await PrometheusProcess.start();
  t.after(() => prom.cleanup());
  const { sink, registry } = newSink([{ url: prom.remoteWriteUrl }]);
  t.after(() => sink.close());
  const now = Date.now();
  await sink.write(simpleBatch('rt_restart_before', 1, now - 1000), soon()); // keep-alive connection to the old process

  await prom.stop();
  const batch = simpleBatch('rt_restart', 3, now, 2);
  await assert.rejects(sink.write(batch, soon(1000)), (err: unknown) => {
    assert.ok(err instanceof SinkUnavailableError, String(err));
    assert.match(err.message, /ECONNREFUSED/);
    return true;
  });
  assert.ok((await counterValue(registry, 'promdog_remote_write_requests_total', { outcome: 'network' })) > 1);

  await prom.restart();
  await sink.write(batch, soon());
  assert.deepEqual(fromPrometheus(await readBack(prom, 'rt_restart', now)), fromBatch(batch));
  assert.equal((await readBack(prom, 'rt_restart_before', now)).length, 1, 'data from before the restart survived');
});

test('a closed sink refuses writes as unavailable', async () => {
  const { sink } = newSink([{ url: 'http://127.0.0.1:9/api/v1/write' }]);
  await sink.close();
  await assert.rejects(sink.write(simpleBatch('rt_closed', 1, Date.now()), soon()), SinkUnavailableError);
});

test('target configuration errors are reported at construction', () => {
  const registry = new Registry();
  const logger = pino({ level: 'silent' });
  assert.throws(() => new RemoteWriteSink([], registry, logger), /no targets/);
  assert.throws(() => new RemoteWriteSink([{ url: 'ftp://x/y' }], registry, logger), /http\(s\)/);
  assert.throws(() => new RemoteWriteSink([{ url: 'not a url' }], registry, logger), /invalid target URL/);
  assert.throws(
    () =>
      new RemoteWriteSink(
        [{ url: 'http://x/', basicAuth: { username: 'u', password: 'p' }, bearerToken: 't' }],
        registry,
        logger,
      ),
    /not both/,
  );
  assert.throws(
    () => new RemoteWriteSink([{ url: 'https://x/', tlsCaFile: '/nonexistent/ca.pem' }], registry, logger),
    /ENOENT/,
  );
});

test('parseRetryAfter reads delay-seconds and HTTP dates', () => {
  const now = Date.parse('2024-05-01T12:00:00Z');
  assert.equal(parseRetryAfter('7', now), 7000);
  assert.equal(parseRetryAfter(' 0 ', now), 0);
  assert.equal(parseRetryAfter(['3', '9'], now), 3000);
  assert.equal(parseRetryAfter('Wed, 01 May 2024 12:00:30 GMT', now), 30_000);
  assert.equal(parseRetryAfter('Wed, 01 May 2024 11:00:00 GMT', now), 0);
  assert.equal(parseRetryAfter('soon', now), undefined);
  assert.equal(parseRetryAfter(undefined, now), undefined);
  assert.equal(parseRetryAfter('-5', now), undefined);
});
