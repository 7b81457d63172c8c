import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ServerProcess, startOnFreePort } from './server-process.js';

/**
 * A real VictoriaMetrics single-node (the Debian package, /usr/bin/victoria-metrics, 1.79 on Debian 12) for tests:
 * Prometheus remote-write receiver at /api/v1/write and Prometheus' query API at /api/v1/..., on 127.0.0.1 at a free
 * port, data in a temporary directory. Single-node has no tenants: it ignores X-Scope-OrgID (only the cluster
 * version separates tenants, by URL path).
 *
 * Behaviours tests must allow for:
 * - Rows are searchable once VictoriaMetrics flushes them (about every second); `flush()` does it at once.
 * - Its response cache is off (`-search.disableCache`) and samples are visible as soon as they are flushed
 *   (`-search.latencyOffset=0`), so a query right after a write sees it.
 */
export interface VictoriaMetricsOptions {
  /**
   * `-dedup.minScrapeInterval`: keep one sample per series in each interval of this length, e.g. '1ms' to drop
   * samples written twice at the same timestamp. Default: off (every sample written is kept, duplicates too).
   */
  dedupMinScrapeInterval?: string;
}

const VICTORIA_METRICS_BIN = process.env.VICTORIA_METRICS_BIN ?? '/usr/bin/victoria-metrics';

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

  /** Makes every row received so far searchable. */
  async flush(): Promise<void> {
    const res = await fetch(`${this.url}/internal/force_flush`);
    await res.arrayBuffer();
    if (!res.ok) throw this.server.error(`force_flush: HTTP ${res.status}`);
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
