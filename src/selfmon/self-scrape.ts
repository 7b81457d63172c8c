import { hostname } from 'node:os';
import { Counter, Gauge, type Registry } from 'prom-client';
import type { Label, MetricMetadata, PromMetricType, PromSeries, SeriesRef, WriteBatch } from '../model/prometheus.js';

// promdog scrapes itself: every interval its own registry (the families /metrics renders) becomes one WriteBatch for
// the `system` tenant, appended through the same sink as the intake (embedded store, or remote write with the system
// tenant's header), which the composition root hands over as an append function. Labels as a Prometheus scrape of
// /metrics would give them: job="promdog", instance=<host:port>.

export const SYSTEM_TENANT = 'system';
export const SELF_JOB = 'promdog';

/** Metadata is descriptive and the store keeps it: re-sent at most this often (Prometheus' remote write: 1 m). */
const METADATA_EVERY_MS = 60_000;
/** Failures are logged at most this often; the counter has every one. */
const LOG_EVERY_MS = 60_000;

/** One series of the registry, kept across scrapes: its label set is built (and the sink's lookup done) once. */
interface KnownSeries {
  /** Sorted, frozen: the store shares it instead of copying (see SeriesRef). */
  labels: readonly Label[];
  ref: SeriesRef;
  /** The scrape that last saw it; series gone from the registry are forgotten. */
  seenIn: number;
  /** Forgotten: found again through a label object, it must be looked up by its key instead. */
  forgotten: boolean;
}

export interface CollectedBatch {
  series: PromSeries[];
  metadata: MetricMetadata[];
  samples: number;
}

type LabelValues = Record<string, string | number | undefined>;

interface PromClientValue {
  value: number;
  labels: LabelValues;
  /** The series' labels when `labels` holds only the bucket's `le` (histograms) or `quantile` (summaries). */
  sharedLabels?: LabelValues;
  metricName?: string;
}

/** A prom-client metric as the registry renders it (lib/registry.js getMetricsAsString). */
interface PromClientMetric {
  get(): Promise<PromClientFamily>;
  getForPromString?(): Promise<PromClientFamily>;
}

interface PromClientFamily {
  name: string;
  help: string;
  type: string;
  values: PromClientValue[];
}

const METADATA_TYPES: Record<string, PromMetricType> = {
  counter: 'counter',
  gauge: 'gauge',
  histogram: 'histogram',
  summary: 'summary',
};

/**
 * Turns a prom-client registry into Prometheus series with one sample each at a given time. Histograms come out as
 * `_bucket{le}`, `_sum` and `_count` (summaries as `{quantile}`, `_sum`, `_count`), exactly as /metrics has them.
 */
export class RegistryCollector {
  /** Every known series by its name and label values. */
  private readonly known = new Map<string, KnownSeries>();
  /**
   * The fast path: prom-client keeps one label object per counter and histogram series for its lifetime, so a
   * series is found by that object's identity (per family; a histogram's buckets, sum and count share the object,
   * in a fixed order) without building its key. Gauges get a new object on every set and take the key path.
   */
  private readonly byLabelObject = new Map<string, WeakMap<object, KnownSeries[]>>();
  private readonly metadataByName = new Map<string, MetricMetadata>();
  private scrapes = 0;

  constructor(
    private readonly registry: Registry,
    /** Added to every series (job, instance); a registry label of the same name becomes `exported_<name>`. */
    private readonly targetLabels: readonly Label[],
  ) {}

  async collect(timestampMs: number): Promise<CollectedBatch> {
    const scrape = ++this.scrapes;
    // What the registry's own text rendering reads: a histogram's series labels stay one object (`sharedLabels`)
    // instead of being copied into every bucket as get() does, less than half the cost. Not in prom-client's types.
    const families = await Promise.all(
      (this.registry.getMetricsAsArray() as unknown as PromClientMetric[]).map((m) =>
        m.getForPromString ? m.getForPromString() : m.get(),
      ),
    );
    const series: PromSeries[] = [];
    const metadata: MetricMetadata[] = [];
    for (const family of families) {
      metadata.push(this.metadataOf(family.name, family.type, family.help));
      let byObject = this.byLabelObject.get(family.name);
      if (byObject === undefined) this.byLabelObject.set(family.name, (byObject = new WeakMap()));
      let groupObject: object | undefined;
      let group: KnownSeries[] = [];
      let inGroup = 0;
      for (const v of family.values) {
        const object = v.sharedLabels ?? v.labels;
        if (object !== groupObject) {
          groupObject = object;
          inGroup = 0;
          let g = byObject.get(object);
          if (g === undefined) byObject.set(object, (g = []));
          group = g;
        } else inGroup++;
        let s = group[inGroup];
        if (s === undefined || s.forgotten) group[inGroup] = s = this.byKey(family.name, v);
        s.seenIn = scrape;
        series.push({ labels: s.labels as Label[], timestamps: [timestampMs], values: [v.value], ref: s.ref });
      }
    }
    if (this.known.size > series.length) {
      for (const [key, s] of this.known) {
        if (s.seenIn === scrape) continue;
        s.forgotten = true;
        this.known.delete(key);
      }
    }
    return { series, metadata, samples: series.length };
  }

  private byKey(familyName: string, v: PromClientValue): KnownSeries {
    const name = v.metricName ?? familyName;
    let key = name;
    for (const k in v.labels) key += `\u0000${k}\u0001${v.labels[k]}`;
    if (v.sharedLabels) for (const k in v.sharedLabels) key += `\u0000${k}\u0001${v.sharedLabels[k]}`;
    let s = this.known.get(key);
    if (s === undefined) {
      s = {
        labels: this.labelSet(name, { ...v.sharedLabels, ...v.labels }),
        ref: { sinkState: undefined },
        seenIn: 0,
        forgotten: false,
      };
      this.known.set(key, s);
    }
    return s;
  }

  private metadataOf(name: string, type: string, help: string): MetricMetadata {
    let m = this.metadataByName.get(name);
    const promType = METADATA_TYPES[type] ?? 'unknown';
    if (m === undefined || m.type !== promType || m.help !== help) {
      m = { metricFamilyName: name, type: promType, help, unit: '' };
      this.metadataByName.set(name, m);
    }
    return m;
  }

  private labelSet(name: string, labels: LabelValues): readonly Label[] {
    const out: Label[] = [{ name: '__name__', value: name }, ...this.targetLabels];
    for (const k in labels) {
      const raw = labels[k];
      // Prometheus treats an empty value as no label (a request without a tenant has tenant="" on /metrics).
      if (raw === undefined || raw === '') continue;
      const taken = k === '__name__' || this.targetLabels.some((t) => t.name === k);
      out.push({ name: taken ? `exported_${k}` : k, value: String(raw) });
    }
    out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const l of out) Object.freeze(l);
    return Object.freeze(out);
  }
}

/**
 * The `instance` label for a listener: its host and bound port, as a scraper would address it. A wildcard listener
 * (0.0.0.0, ::) is named by the machine's host name, so replicas behind a load balancer stay apart.
 */
export function listenInstance(host: string, port: number): string {
  const h = host === '0.0.0.0' || host === '::' || host === '' ? hostname() : host;
  return h.includes(':') ? `[${h}]:${port}` : `${h}:${port}`;
}

export interface SelfScrapeLogger {
  warn(obj: object, msg: string): void;
}

/** Samples not stored, by reason (`too_old`, `series_limit`...). */
export type RefusedSamples = Partial<Record<string, number>>;

/**
 * Writes a scrape's batch. Resolves once it is durable, with the samples refused by the write rules (the rest are
 * stored); rejects with an AppendError when the sink is unavailable or refused the batch, anything else counting as
 * an `error`.
 */
export type Append = (batch: WriteBatch, deadline: number) => Promise<RefusedSamples>;

/** Nothing of the batch was stored: the sink was unavailable or refused it. */
export class AppendError extends Error {
  constructor(
    readonly reason: 'unavailable' | 'rejected',
    message: string,
  ) {
    super(message);
  }
}

function selfScrapeMetrics(registry: Registry) {
  return {
    samples: new Counter({
      name: 'promdog_self_scrape_samples_total',
      help: "Samples of promdog's own metrics written to the system tenant by the self-scrape.",
      registers: [registry],
    }),
    /** Self-scrapes that did not store their samples, by reason: collect, unavailable, rejected, error, overrun (the previous one still ran). */
    failures: new Counter({
      name: 'promdog_self_scrape_failures_total',
      help: 'Self-scrapes that did not store (all) their samples, by reason (collect, unavailable, rejected, error, overrun).',
      labelNames: ['reason'] as const,
      registers: [registry],
    }),
    duration: new Gauge({
      name: 'promdog_self_scrape_duration_seconds',
      help: 'Duration of the last self-scrape: collecting the metrics and writing them to the system tenant.',
      registers: [registry],
    }),
  };
}

export interface SelfScrapeOptions {
  /** What is scraped, and where the self-scrape declares its own `promdog_self_scrape_*` families. */
  registry: Registry;
  append: Append;
  /** promdog_samples_rejected_total (the ingest pipeline's): samples the system tenant lost are counted there too. */
  samplesRejected: Counter<'tenant' | 'reason'>;
  /** > 0. */
  intervalMs: number;
  /** The `instance` label: the host:port promdog listens on. */
  instance: string;
  logger: SelfScrapeLogger;
  /** Default `system`. */
  tenant?: string;
}

/** Scrapes the registry every interval into the system tenant. Never throws: failures are counted and logged. */
export class SelfScraper {
  readonly tenant: string;
  private readonly collector: RegistryCollector;
  private readonly metrics: ReturnType<typeof selfScrapeMetrics>;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private metadataSentAt = -Infinity;
  private metadataFamilies = 0;
  private lastLogAt = -Infinity;
  private unloggedFailures = 0;

  constructor(private readonly opts: SelfScrapeOptions) {
    if (!(opts.intervalMs > 0)) throw new Error('self-scrape: the interval must be positive');
    this.tenant = opts.tenant ?? SYSTEM_TENANT;
    this.collector = new RegistryCollector(opts.registry, [
      { name: 'instance', value: opts.instance },
      { name: 'job', value: SELF_JOB },
    ]);
    this.metrics = selfScrapeMetrics(opts.registry);
  }

  /** The first scrape is one interval after start, like a scraper's first visit. */
  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => this.tick(), this.opts.intervalMs);
    this.timer.unref();
  }

  /** No more scrapes; resolves when the one in flight (if any) has settled. Call before closing the sink. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }

  private tick(): void {
    if (this.running) {
      this.metrics.failures.inc({ reason: 'overrun' });
      this.logFailure('overrun', 'the previous self-scrape is still running');
      return;
    }
    this.running = this.scrapeOnce().finally(() => (this.running = undefined));
  }

  /** One scrape at `now` (ms): collect, write, count. Resolves in every case. */
  async scrapeOnce(now = Date.now()): Promise<void> {
    const m = this.metrics;
    const started = performance.now();
    let batch: CollectedBatch;
    try {
      batch = await this.collector.collect(now);
    } catch (err) {
      m.failures.inc({ reason: 'collect' });
      this.logFailure('collect', (err as Error).message);
      return;
    }
    const sendMetadata =
      now - this.metadataSentAt >= METADATA_EVERY_MS || batch.metadata.length !== this.metadataFamilies;
    const tenant = this.tenant;
    // Give up before the next scrape is due: its samples supersede these.
    const deadline = now + Math.max(500, this.opts.intervalMs * 0.8);
    try {
      const refused = await this.opts.append(
        { tenant, series: batch.series, metadata: sendMetadata ? batch.metadata : [] },
        deadline,
      );
      m.samples.inc(batch.samples - this.countRefused(refused));
      if (sendMetadata) {
        this.metadataSentAt = now;
        this.metadataFamilies = batch.metadata.length;
      }
    } catch (err) {
      const reason = err instanceof AppendError ? err.reason : 'error';
      m.failures.inc({ reason });
      this.opts.samplesRejected.inc({ tenant, reason: `sink_${reason}` }, batch.samples);
      this.logFailure(reason, (err as Error).message);
    } finally {
      m.duration.set((performance.now() - started) / 1000);
    }
  }

  /** Samples the sink refused (too_old after a clock step back...), counted like the intake's. */
  private countRefused(refused: RefusedSamples): number {
    let n = 0;
    for (const [reason, k] of Object.entries(refused)) {
      if (!k) continue;
      this.opts.samplesRejected.inc({ tenant: this.tenant, reason }, k);
      n += k;
    }
    return n;
  }

  private logFailure(reason: string, message: string): void {
    const now = Date.now();
    if (now - this.lastLogAt < LOG_EVERY_MS) {
      this.unloggedFailures++;
      return;
    }
    this.opts.logger.warn(
      { reason, err: message, tenant: this.tenant, failuresSinceLastLog: this.unloggedFailures },
      'self-scrape failed (promdog_self_scrape_failures_total counts every failure)',
    );
    this.lastLogAt = now;
    this.unloggedFailures = 0;
  }
}
