import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ServerProcess, startOnFreePort } from './server-process.js';

export interface VictoriaMetricsOptions {
  /**
   * `-dedup.minScrapeInterval`: keep one sample per series in each interval of this length, e.g. '1ms' to drop
   * samples written twice at the same timestamp. Default: off (every sample written is kept, duplicates too).
   */
  dedupMinScrapeInterval?: string;
}

const VICTORIA_METRICS_BIN = process.env.VICTORIA_METRICS_BIN ?? '/usr/bin/victoria-metrics';

/**
 * A real VictoriaMetrics single-node (the Debian package, /usr/bin/victoria-metrics, 1.79 on Debian 12) for tests:
 * Prometheus remote-write receiver at /api/v1/write and Prometheus' query API at /api/v1/..., on 127.0.0.1 at a free
 * port, data in a temporary directory. Single-node has no tenants: it ignores X-Scope-OrgID (only the cluster
 * version separates tenants, by URL path).
 *
 * Behaviours tests must allow for:
 * - Samples are queryable about a second after they arrive (a new series is listed by /api/v1/series a moment
 *   before its samples are); `untilSearchable()` waits for that.
 * - Its response cache is off (`-search.disableCache`) and samples are visible as soon as they are flushed
 *   (`-search.latencyOffset=0`), so a query right after a write sees it.
 */
export class VictoriaMetricsProcess {
  readonly url: string;
  readonly remoteWriteUrl: string;
  private readonly server = new ServerProcess('VictoriaMetrics', VICTORIA_METRICS_BIN, 'victoria-metrics');

  private constructor(
    readonly port: number,
    /** Temporary directory holding the data; removed by cleanup(). */
    private readonly dataDir: string,
    private readonly opts: VictoriaMetricsOptions,
  ) {
    this.url = `http://127.0.0.1:${port}`;
    this.remoteWriteUrl = `${this.url}/api/v1/write`;
  }

  static async start(opts: VictoriaMetricsOptions = {}): Promise<VictoriaMetricsProcess> {
    const dataDir = await mkdtemp(join(tmpdir(), 'promdog-vm-'));
    try {
      return await startOnFreePort(undefined, async (port) => {
        const vm = new VictoriaMetricsProcess(port, dataDir, opts);
        await vm.launch();
        return vm;
      });
    } catch (err) {
      await rm(dataDir, { recursive: true, force: true });
      throw err;
    }
  }

  /** Flushes the rows received so far to searchable parts (a query may still miss them for a moment). */
  async flush(): Promise<void> {
    const res = await fetch(`${this.url}/internal/force_flush`);
    await res.arrayBuffer();
    if (!res.ok) throw this.server.error(`force_flush: HTTP ${res.status}`);
  }

  /**
   * Waits until an instant query of `selector` (at now: the samples must be recent) returns `count` series, flushing
   * meanwhile; fails after 20 s. New series are listed by /api/v1/series a moment before their samples are queryable.
   */
  async untilSearchable(selector: string, count: number): Promise<void> {
    const giveUpAt = Date.now() + 20_000;
    for (;;) {
      await this.flush();
      const found = ((await this.api(`/api/v1/query?query=${encodeURIComponent(selector)}`)) as { result: unknown[] })
        .result;
      if (found.length >= count) return;
      if (Date.now() > giveUpAt)
        throw this.server.error(`${selector}: ${found.length} of ${count} series searchable after 20 s`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  /** `GET <path>` of its API: the `data` of a success answer (throws on an error answer). */
  async api(pathAndQuery: string): Promise<unknown> {
    const res = await fetch(this.url + pathAndQuery);
    const text = await res.text();
    const body = JSON.parse(text) as { status?: string; data?: unknown };
    if (body.status !== 'success') throw this.server.error(`GET ${pathAndQuery}: HTTP ${res.status}: ${text}`);
    return body.data;
  }

  logTail(maxChars = 4000): string {
    return this.server.logTail(maxChars);
  }

  /** Stop and remove the data directory. */
  async cleanup(): Promise<void> {
    await this.server.stop();
    await rm(this.dataDir, { recursive: true, force: true });
  }

  private async launch(): Promise<void> {
    await this.server.launch(
      [
        `-storageDataPath=${this.dataDir}`,
        `-httpListenAddr=127.0.0.1:${this.port}`,
        '-retentionPeriod=100y',
        '-search.disableCache',
        '-search.latencyOffset=0s',
        '-loggerLevel=ERROR',
        ...(this.opts.dedupMinScrapeInterval ? [`-dedup.minScrapeInterval=${this.opts.dedupMinScrapeInterval}`] : []),
      ],
      async () => {
        const res = await fetch(`${this.url}/health`);
        await res.arrayBuffer();
        return res.ok;
      },
    );
  }
}
