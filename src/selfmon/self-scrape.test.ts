import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { hostname } from 'node:os';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { registerProcessMetrics } from './metrics.js';
import { AppendError, RegistryCollector, SelfScraper, listenInstance, type RefusedSamples } from './self-scrape.js';
import type { PromSeries, WriteBatch } from '../model/prometheus.js';

const TARGET = [
  { name: 'instance', value: 'h:1' },
  { name: 'job', value: 'promdog' },
];

/** `name{a="x",b="y"}` with labels sorted, as a comparable key. */
function keyOf(labels: { name: string; value: string }[]): string {
  const name = labels.find((l) => l.name === '__name__')!.value;
  const rest = labels.filter((l) => l.name !== '__name__').map((l) => `${l.name}="${l.value}"`);
  return `${name}{${rest.join(',')}}`;
}

/** The sample lines of a text exposition as key → value, with the target labels added and empty labels dropped. */
function exposition(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    assert.ok(m, line);
    const labels = [{ name: '__name__', value: m[1]! }, ...TARGET];
    for (const pair of (m[2] ?? '').match(/[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\]|\\.)*"/g) ?? []) {
      const eq = pair.indexOf('=');
      const value = pair.slice(eq + 2, -1);
      if (value !== '') labels.push({ name: pair.slice(0, eq), value });
    }
    labels.sort((a, b) => (a.name < b.name ? -1 : 1));
    out.set(keyOf(labels), Number(m[3]));
  }
  return out;
}

function collected(series: PromSeries[]): Map<string, number> {
  return new Map(series.map((s) => [keyOf(s.labels), s.values[0]!]));
}

/** The self-scrape's append: records each batch, then answers what `outcome` says. */
class RecordingAppend {
  readonly batches: WriteBatch[] = [];
  outcome: () => Promise<RefusedSamples> = async () => ({});
  readonly append = async (batch: WriteBatch): Promise<RefusedSamples> => {
    this.batches.push(batch);
    return this.outcome();
  };
}

/** A registry with the counter the self-scrape counts lost samples in (the pipeline's, in the server). */
function scrapedRegistry() {
  const registry = new Registry();
  const samplesRejected = new Counter({
    name: 'samples_rejected_total',
    help: 'lost',
    labelNames: ['tenant', 'reason'] as const,
    registers: [registry],
  });
  return { registry, samplesRejected };
}

function recordingLogger() {
  const warnings: { obj: object; msg: string }[] = [];
  return { warnings, warn: (obj: object, msg: string) => void warnings.push({ obj, msg }) };
}

async function value(registry: Registry, name: string, labels: Record<string, string> = {}): Promise<number> {
  const family = await (registry.getSingleMetric(name) as Counter | undefined)?.get();
  let sum = 0;
  for (const v of family?.values ?? []) if (Object.entries(labels).every(([k, x]) => v.labels[k] === x)) sum += v.value;
  return sum;
}

describe('RegistryCollector', () => {
  test('gives every sample /metrics renders, with job and instance, at the scrape time', async () => {
    const registry = new Registry();
    const requests = new Counter({
      name: 'promdog_http_requests_total',
      help: 'requests',
      labelNames: ['tenant', 'route', 'method', 'code'] as const,
      registers: [registry],
    });
    const duration = new Histogram({
      name: 'promdog_http_request_duration_seconds',
      help: 'latency',
      labelNames: ['route'] as const,
      buckets: [0.0025, 0.005, 5, 10],
      registers: [registry],
    });
    const sizes = new Histogram({
      name: 'promdog_payload_bytes',
      help: 'sizes',
      labelNames: ['route', 'stage'] as const,
      buckets: [256, 1024],
      registers: [registry],
    });
    const last = new Gauge({
      name: 'promdog_last_seconds',
      help: 'Duration of the last thing.',
      registers: [registry],
    });
    requests.inc({ tenant: 'default', route: '/api/v2/series', method: 'POST', code: '202' }, 3);
    requests.inc({ tenant: '', route: 'unmatched', method: 'GET', code: '404' });
    duration.observe({ route: '/api/v2/series' }, 0.003);
    duration.observe({ route: '/api/v2/series' }, 7);
    sizes.observe({ route: '/api/v1/series', stage: 'compressed' }, 300);
    last.set(4);
    const batch = await new RegistryCollector(registry, TARGET).collect(1_700_000_000_123);

    assert.deepEqual(collected(batch.series), exposition(await registry.metrics()));
    for (const s of batch.series) {
      assert.deepEqual(s.timestamps, [1_700_000_000_123]);
      const names = s.labels.map((l) => l.name);
      assert.deepEqual(names, [...names].sort(), 'labels sorted by name');
    }
    assert.equal(batch.samples, batch.series.length);
    const got = collected(batch.series);
    // tenant="" is no label at all, as Prometheus stores it.
    assert.equal(
      got.get('promdog_http_requests_total{code="404",instance="h:1",job="promdog",method="GET",route="unmatched"}'),
      1,
    );
    assert.equal(
      got.get(
        'promdog_http_requests_total{code="202",instance="h:1",job="promdog",method="POST",route="/api/v2/series",tenant="default"}',
      ),
      3,
    );
    // Histograms as _bucket{le} (cumulative), _sum, _count.
    const d = (suffix: string, extra = '') =>
      got.get(
        `promdog_http_request_duration_seconds_${suffix}{instance="h:1",job="promdog"${extra},route="/api/v2/series"}`,
      );
    assert.equal(d('bucket', ',le="0.0025"'), 0);
    assert.equal(d('bucket', ',le="0.005"'), 1);
    assert.equal(d('bucket', ',le="5"'), 1);
    assert.equal(d('bucket', ',le="10"'), 2);
    assert.equal(d('bucket', ',le="+Inf"'), 2);
    assert.equal(d('sum'), 7.003);
    assert.equal(d('count'), 2);

    const meta = new Map(batch.metadata.map((m) => [m.metricFamilyName, m]));
    assert.equal(meta.get('promdog_http_requests_total')?.type, 'counter');
    assert.equal(meta.get('promdog_http_request_duration_seconds')?.type, 'histogram');
    assert.equal(meta.get('promdog_payload_bytes')?.type, 'histogram');
    assert.equal(meta.get('promdog_last_seconds')?.type, 'gauge');
    assert.equal(meta.get('promdog_last_seconds')?.help, 'Duration of the last thing.');
    assert.equal(got.get('promdog_last_seconds{instance="h:1",job="promdog"}'), 4);
  });

  test('process metrics come with the promdog_ prefix', async () => {
    const registry = new Registry();
    registerProcessMetrics(registry);
    const names = new Set(
      (await new RegistryCollector(registry, TARGET).collect(1)).series.map(
        (s) => s.labels.find((l) => l.name === '__name__')!.value,
      ),
    );
    for (const n of [
      'promdog_process_cpu_seconds_total',
      'promdog_process_resident_memory_bytes',
      'promdog_nodejs_heap_size_used_bytes',
    ]) {
      assert.ok(names.has(n), n);
    }
  });

  test('a registry label named job or instance is kept as exported_<name>', async () => {
    const registry = new Registry();
    new Counter({
      name: 'c_total',
      help: 'c',
      labelNames: ['job', 'instance', 'x'] as const,
      registers: [registry],
    }).inc({ job: 'j', instance: 'i', x: 'v' });
    const [s] = (await new RegistryCollector(registry, TARGET).collect(5)).series;
    assert.deepEqual(s!.labels, [
      { name: '__name__', value: 'c_total' },
      { name: 'exported_instance', value: 'i' },
      { name: 'exported_job', value: 'j' },
      { name: 'instance', value: 'h:1' },
      { name: 'job', value: 'promdog' },
      { name: 'x', value: 'v' },
    ]);
  });

  test('a series keeps one frozen label set and one ref across scrapes; series gone from the registry are dropped', async () => {
    const registry = new Registry();
    const g = new Gauge({ name: 'g', help: 'g', labelNames: ['t'] as const, registers: [registry] });
    new Histogram({ name: 'h', help: 'h', buckets: [1], registers: [registry] }).observe(0.5);
    g.set({ t: 'a' }, 1);
    g.set({ t: 'b' }, 2);
    const collector = new RegistryCollector(registry, TARGET);
    const first = await collector.collect(10);
    g.set({ t: 'a' }, 3);
    const second = await collector.collect(20);
    assert.equal(second.series.length, first.series.length);
    for (let i = 0; i < first.series.length; i++) {
      assert.equal(second.series[i]!.labels, first.series[i]!.labels);
      assert.equal(second.series[i]!.ref, first.series[i]!.ref);
      assert.ok(Object.isFrozen(first.series[i]!.labels));
    }
    assert.equal(collected(second.series).get('g{instance="h:1",job="promdog",t="a"}'), 3);
    g.remove({ t: 'b' });
    g.set({ t: 'b' }, 4);
    g.reset();
    g.set({ t: 'c' }, 5);
    const third = await collector.collect(30);
    assert.deepEqual(
      [...collected(third.series).keys()].filter((k) => k.startsWith('g{')),
      ['g{instance="h:1",job="promdog",t="c"}'],
    );
    g.set({ t: 'a' }, 6);
    const fourth = await collector.collect(40);
    const a = fourth.series.find((s) => s.labels.some((l) => l.name === 't' && l.value === 'a'))!;
    assert.notEqual(
      a.ref,
      first.series.find((s) => s.labels.some((l) => l.name === 't' && l.value === 'a'))!.ref,
      'forgotten, then new',
    );
  });
});

describe('SelfScraper', () => {
  test('writes to the system tenant; metadata with the first scrape and when families change', async () => {
    const { registry, samplesRejected } = scrapedRegistry();
    const recorder = new RecordingAppend();
    const scraper = new SelfScraper({
      registry,
      append: recorder.append,
      samplesRejected,
      intervalMs: 1000,
      instance: 'h:1',
      logger: recordingLogger(),
    });
    await scraper.scrapeOnce(1_000_000);
    await scraper.scrapeOnce(1_001_000);
    assert.equal(recorder.batches.length, 2);
    const [a, b] = recorder.batches;
    assert.equal(a!.tenant, 'system');
    assert.equal(a!.metadata.length, registry.getMetricsAsArray().length, 'every family');
    assert.deepEqual(b!.metadata, []);
    assert.ok(a!.series.every((s) => s.timestamps[0] === 1_000_000));
    // The first scrape's own counters show up in the second.
    const written = await value(registry, 'promdog_self_scrape_samples_total');
    assert.equal(written, a!.series.length + b!.series.length);
    const inSecond = b!.series.find((s) => s.labels[0]!.value === 'promdog_self_scrape_samples_total')!;
    assert.equal(inSecond.values[0], a!.series.length);

    new Gauge({
      name: 'promdog_registered_later',
      help: 'a family registered after the first scrape',
      registers: [registry],
    });
    await scraper.scrapeOnce(1_002_000);
    assert.ok(recorder.batches[2]!.metadata.length > 0, 'a new family brings the metadata again');
    await scraper.scrapeOnce(1_062_000);
    assert.ok(recorder.batches[3]!.metadata.length > 0, 'and a minute later');
  });

  test('an unavailable sink is counted and logged (rate-limited), never thrown', async () => {
    const { registry, samplesRejected } = scrapedRegistry();
    const recorder = new RecordingAppend();
    recorder.outcome = async () => {
      throw new AppendError('unavailable', 'store closed');
    };
    const logger = recordingLogger();
    const scraper = new SelfScraper({
      registry,
      append: recorder.append,
      samplesRejected,
      intervalMs: 1000,
      instance: 'h:1',
      logger,
    });
    await scraper.scrapeOnce(1000);
    await scraper.scrapeOnce(2000);
    assert.equal(await value(registry, 'promdog_self_scrape_failures_total', { reason: 'unavailable' }), 2);
    assert.equal(await value(registry, 'promdog_self_scrape_samples_total'), 0);
    const lost = recorder.batches[0]!.series.length + recorder.batches[1]!.series.length;
    assert.equal(
      await value(registry, 'samples_rejected_total', { tenant: 'system', reason: 'sink_unavailable' }),
      lost,
    );
    assert.equal(logger.warnings.length, 1);
    assert.match(JSON.stringify(logger.warnings[0]), /store closed/);
    // Metadata was not delivered: the next scrape sends it again.
    assert.ok(recorder.batches[1]!.metadata.length > 0);
  });

  test('a refusing or failing sink: counted as rejected or error, the samples as sink_rejected or sink_error', async () => {
    const { registry, samplesRejected } = scrapedRegistry();
    const recorder = new RecordingAppend();
    const scraper = new SelfScraper({
      registry,
      append: recorder.append,
      samplesRejected,
      intervalMs: 1000,
      instance: 'h:1',
      logger: recordingLogger(),
    });
    recorder.outcome = async () => {
      throw new AppendError('rejected', 'HTTP 400: out of bounds');
    };
    await scraper.scrapeOnce(1000);
    recorder.outcome = async () => {
      throw new TypeError('a bug');
    };
    await scraper.scrapeOnce(2000);
    assert.equal(await value(registry, 'promdog_self_scrape_failures_total', { reason: 'rejected' }), 1);
    assert.equal(await value(registry, 'promdog_self_scrape_failures_total', { reason: 'error' }), 1);
    assert.equal(
      await value(registry, 'samples_rejected_total', { tenant: 'system', reason: 'sink_rejected' }),
      recorder.batches[0]!.series.length,
    );
    assert.equal(
      await value(registry, 'samples_rejected_total', { tenant: 'system', reason: 'sink_error' }),
      recorder.batches[1]!.series.length,
    );
  });

  test('samples the sink refuses are counted by reason, the rest as written', async () => {
    const { registry, samplesRejected } = scrapedRegistry();
    const recorder = new RecordingAppend();
    recorder.outcome = async () => ({ too_old: 2 });
    const scraper = new SelfScraper({
      registry,
      append: recorder.append,
      samplesRejected,
      intervalMs: 1000,
      instance: 'h:1',
      logger: recordingLogger(),
    });
    await scraper.scrapeOnce(1000);
    assert.equal(await value(registry, 'promdog_self_scrape_samples_total'), recorder.batches[0]!.series.length - 2);
    assert.equal(await value(registry, 'samples_rejected_total', { tenant: 'system', reason: 'too_old' }), 2);
  });

  test('a failing collector is counted as a collect failure', async () => {
    const { registry, samplesRejected } = scrapedRegistry();
    new Gauge({
      name: 'broken',
      help: 'throws on collect',
      registers: [registry],
      collect() {
        throw new Error('collector broke');
      },
    });
    const recorder = new RecordingAppend();
    const logger = recordingLogger();
    await new SelfScraper({
      registry,
      append: recorder.append,
      samplesRejected,
      intervalMs: 1000,
      instance: 'h:1',
      logger,
    }).scrapeOnce(1000);
    assert.equal(recorder.batches.length, 0);
    assert.equal(await value(registry, 'promdog_self_scrape_failures_total', { reason: 'collect' }), 1);
    assert.match(JSON.stringify(logger.warnings), /collector broke/);
  });

  test('stop() waits for the scrape in flight; a tick during a slow write counts an overrun', async () => {
    const { registry, samplesRejected } = scrapedRegistry();
    const recorder = new RecordingAppend();
    let release!: () => void;
    const blocked = new Promise<void>((r) => (release = r));
    recorder.outcome = async () => {
      await blocked;
      return {};
    };
    const scraper = new SelfScraper({
      registry,
      append: recorder.append,
      samplesRejected,
      intervalMs: 5,
      instance: 'h:1',
      logger: recordingLogger(),
    });
    scraper.start();
    while ((await value(registry, 'promdog_self_scrape_failures_total', { reason: 'overrun' })) === 0) {
      await new Promise((r) => setTimeout(r, 5));
    }
    assert.equal(recorder.batches.length, 1);
    let stopped = false;
    const stopping = scraper.stop().then(() => (stopped = true));
    await new Promise((r) => setTimeout(r, 20));
    assert.equal(stopped, false, 'stop() still waits for the write');
    release();
    await stopping;
    const writes = recorder.batches.length;
    await new Promise((r) => setTimeout(r, 30));
    assert.equal(recorder.batches.length, writes, 'no scrape after stop()');
    assert.equal(await value(registry, 'promdog_self_scrape_samples_total'), recorder.batches[0]!.series.length);
  });

  test('rejects a non-positive interval', () => {
    assert.throws(
      () =>
        new SelfScraper({
          ...scrapedRegistry(),
          append: new RecordingAppend().append,
          intervalMs: 0,
          instance: 'h:1',
          logger: recordingLogger(),
        }),
    );
  });
});

test('listenInstance names the listener as a scraper would', () => {
  assert.equal(listenInstance('127.0.0.1', 9099), '127.0.0.1:9099');
  assert.equal(listenInstance('::1', 9099), '[::1]:9099');
  assert.equal(listenInstance('0.0.0.0', 80), `${hostname()}:80`);
  assert.equal(listenInstance('::', 80), `${hostname()}:80`);
});
