import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ServerProcess, startOnFreePort } from './server-process.js';

/**
 * A real Prometheus server (the Debian package, /usr/bin/prometheus, 2.42 on Debian 12) for tests: remote-write
 * receiver on, listening on 127.0.0.1 at a free port, data in a temporary directory.
 *
 * Behaviours of 2.42 that tests rely on or must allow for:
 * - `/api/v1/write` answers 204; a sample outside the head's appendable window ("out of bounds", older than about
 *   an hour before the newest sample), older than the series' last sample ("out of order", unless
 *   `outOfOrderTimeWindow` is set) or a different value at the same timestamp answers 400 with the error as text,
 *   and nothing of that request is stored.
 * - Metadata in a WriteRequest is accepted but not stored (`/api/v1/metadata` only shows scraped metadata).
 */
export interface PrometheusOptions {
  /** Keep the TSDB here (not removed by cleanup). Default: a fresh temporary directory. */
  dataDir?: string;
  /** Default: a free port. */
  port?: number;
  /** `storage.tsdb.out_of_order_time_window` in the config, e.g. '1h'. Default: none (out-of-order samples → 400). */
  outOfOrderTimeWindow?: string;
  /**
   * Rule files by path → YAML text, written and listed in the config's `rule_files`; a relative path is beside the
   * config (an absolute one lets a promdog load the very same file: a group's evaluation slot hashes its path).
   */
  ruleFiles?: Record<string, string>;
  /** `global.evaluation_interval`, e.g. '1s'. Default: Prometheus' (1m). */
  evaluationInterval?: string;
  /** `global.external_labels`. */
  externalLabels?: Record<string, string>;
  /** `--web.external-url` (the API stays at the root: `--web.route-prefix=/`). */
  externalUrl?: string;
  /**
   * Where alerts go (`alerting.alertmanagers`, API v2): an Alertmanager's base URL, its route prefix included.
   * Prometheus finds it about 5 s after the start; alerts sent before are lost until their next resend.
   */
  alertmanagerUrl?: string;
  /** `--rules.alert.resend-delay`, e.g. '1s' (default 1m). */
  resendDelay?: string;
  /** `--enable-feature` values, e.g. 'native-histograms' (2.42 stores remote-written histograms only with it). */
  features?: string[];
}

/** An alert of `GET /api/v1/alerts`. */
export interface PrometheusAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  state: 'pending' | 'firing';
  activeAt: string;
  value: string;
}

export interface InstantSample {
  metric: Record<string, string>;
  value: [number, string];
}

export interface RangeSeries {
  metric: Record<string, string>;
  values: Array<[number, string]>;
}

/** An alert as `/api/v1/alerts` lists it. */
/** A sample value as the HTTP API writes it ("NaN", "+Inf", "-Inf", "-0", "1e+308"...) as a number. */
export function sampleValue(s: string): number {
  if (s === '+Inf') return Infinity;
  if (s === '-Inf') return -Infinity;
  return Number(s); // "NaN" → NaN
}

const PROMETHEUS_BIN = process.env.PROMETHEUS_BIN ?? '/usr/bin/prometheus';

export class PrometheusProcess {
  readonly url: string;
  readonly remoteWriteUrl: string;
  private readonly server = new ServerProcess('Prometheus', PROMETHEUS_BIN, 'prometheus');

  private constructor(
    readonly port: number,
    readonly dataDir: string,
    private readonly configFile: string,
    /** Temporary directory holding the config (and the data unless a dataDir was given); removed by cleanup(). */
    private readonly tempDir: string,
    private readonly extraArgs: readonly string[] = [],
  ) {
    this.url = `http://127.0.0.1:${port}`;
    this.remoteWriteUrl = `${this.url}/api/v1/write`;
  }

  static async start(opts: PrometheusOptions = {}): Promise<PrometheusProcess> {
    const tempDir = await mkdtemp(join(tmpdir(), 'promdog-prometheus-'));
    const configFile = join(tempDir, 'prometheus.yml');
    const config = ['global:', '  scrape_interval: 1h'];
    if (opts.evaluationInterval) config.push(`  evaluation_interval: ${opts.evaluationInterval}`);
    if (opts.externalLabels) {
      config.push('  external_labels:');
      for (const [name, value] of Object.entries(opts.externalLabels))
        config.push(`    ${name}: ${JSON.stringify(value)}`);
    }
    if (opts.outOfOrderTimeWindow)
      config.push('storage:', '  tsdb:', `    out_of_order_time_window: ${opts.outOfOrderTimeWindow}`);
    if (opts.alertmanagerUrl) {
      const am = new URL(opts.alertmanagerUrl);
      config.push(
        'alerting:',
        '  alertmanagers:',
        `    - scheme: ${am.protocol.slice(0, -1)}`,
        `      path_prefix: ${JSON.stringify(am.pathname)}`,
        `      static_configs: [{ targets: [${JSON.stringify(am.host)}] }]`,
      );
    }
    const ruleFiles = Object.entries(opts.ruleFiles ?? {});
    if (ruleFiles.length > 0) config.push('rule_files:');
    for (const [name, text] of ruleFiles) {
      await writeFile(resolve(tempDir, name), text);
      config.push(`  - ${JSON.stringify(resolve(tempDir, name))}`);
    }
    await writeFile(configFile, `${config.join('\n')}\n`);
    const dataDir = opts.dataDir ?? join(tempDir, 'data');
    const extraArgs = opts.externalUrl ? [`--web.external-url=${opts.externalUrl}`, '--web.route-prefix=/'] : [];
    if (opts.resendDelay) extraArgs.push(`--rules.alert.resend-delay=${opts.resendDelay}`);
    if (opts.features?.length) extraArgs.push(`--enable-feature=${opts.features.join(',')}`);
    try {
      return await startOnFreePort(opts.port, async (port) => {
        const prom = new PrometheusProcess(port, dataDir, configFile, tempDir, extraArgs);
        await prom.launch();
        return prom;
      });
    } catch (err) {
      await rm(tempDir, { recursive: true, force: true });
      throw err;
    }
  }

  /** The last lines Prometheus wrote to stderr (its log). */
  logTail(maxChars = 4000): string {
    return this.server.logTail(maxChars);
  }

  get running(): boolean {
    return this.server.running;
  }

  get pid(): number | undefined {
    return this.server.pid;
  }

  /** SIGHUP: Prometheus re-reads its configuration and rule files (the rule files' new text is the caller's). */
  reload(): void {
    this.server.signal('SIGHUP');
  }

  /** SIGTERM, then wait for the exit (SIGKILL if it takes longer than 10 s). No-op when not running. */
  async stop(): Promise<void> {
    await this.server.stop();
  }

  /** Stop, then start again on the same port with the same data directory. */
  async restart(): Promise<void> {
    await this.stop();
    await this.launch();
  }

  /** Stop and remove the temporary directory. */
  async cleanup(): Promise<void> {
    await this.stop();
    await rm(this.tempDir, { recursive: true, force: true });
  }

  /** Instant query that must return a vector. `timeSec` defaults to now. */
  async query(promql: string, timeSec?: number): Promise<InstantSample[]> {
    const params: Record<string, string> = { query: promql };
    if (timeSec !== undefined) params.time = String(timeSec);
    return this.apiResult('/api/v1/query', params, 'vector') as Promise<InstantSample[]>;
  }

  /** Instant query that must return a matrix, e.g. `metric[10m]` to read raw samples with their timestamps. */
  async queryMatrix(promql: string, timeSec?: number): Promise<RangeSeries[]> {
    const params: Record<string, string> = { query: promql };
    if (timeSec !== undefined) params.time = String(timeSec);
    return this.apiResult('/api/v1/query', params, 'matrix') as Promise<RangeSeries[]>;
  }

  async queryRange(promql: string, startSec: number, endSec: number, stepSec: number): Promise<RangeSeries[]> {
    const params = { query: promql, start: String(startSec), end: String(endSec), step: String(stepSec) };
    return this.apiResult('/api/v1/query_range', params, 'matrix') as Promise<RangeSeries[]>;
  }

  async series(match: string[], startSec?: number, endSec?: number): Promise<Array<Record<string, string>>> {
    const qs = new URLSearchParams();
    for (const m of match) qs.append('match[]', m);
    if (startSec !== undefined) qs.set('start', String(startSec));
    if (endSec !== undefined) qs.set('end', String(endSec));
    return (await this.api(`/api/v1/series?${qs}`)) as Array<Record<string, string>>;
  }

  /** `GET /api/v1/alerts`: the pending and firing alerts of the rules loaded. */
  async alerts(): Promise<PrometheusAlert[]> {
    return ((await this.api('/api/v1/alerts')) as { alerts: PrometheusAlert[] }).alerts;
  }

  private async apiResult(path: string, params: Record<string, string>, resultType: string): Promise<unknown> {
    const data = (await this.api(`${path}?${new URLSearchParams(params)}`)) as { resultType: string; result: unknown };
    if (data.resultType !== resultType) {
      throw new Error(`Prometheus ${path} ${params.query}: expected a ${resultType}, got a ${data.resultType}`);
    }
    return data.result;
  }

  private async api(pathAndQuery: string): Promise<unknown> {
    let res: Response;
    try {
      res = await fetch(this.url + pathAndQuery);
    } catch (err) {
      throw this.error(`GET ${pathAndQuery}: ${(err as Error).message}`);
    }
    const text = await res.text();
    let body: { status?: string; data?: unknown; error?: string };
    try {
      body = JSON.parse(text) as typeof body;
    } catch {
      throw this.error(`GET ${pathAndQuery}: HTTP ${res.status}: ${text.slice(0, 500)}`);
    }
    if (body.status !== 'success')
      throw this.error(`GET ${pathAndQuery}: HTTP ${res.status}: ${body.error ?? text.slice(0, 500)}`);
    return body.data;
  }

  private error(message: string): Error {
    return this.server.error(message);
  }

  private async launch(): Promise<void> {
    await this.server.launch(
      [
        `--config.file=${this.configFile}`,
        `--storage.tsdb.path=${this.dataDir}`,
        `--web.listen-address=127.0.0.1:${this.port}`,
        '--web.enable-remote-write-receiver',
        '--web.enable-admin-api',
        ...this.extraArgs,
      ],
      async () => {
        const res = await fetch(`${this.url}/-/ready`);
        await res.arrayBuffer();
        return res.ok;
      },
    );
  }
}
