import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, request } from 'undici';
import { ServerProcess, startOnFreePort } from './server-process.js';

/**
 * A real Alertmanager (the Debian package prometheus-alertmanager, 0.25 on Debian 12) for tests: listening on
 * 127.0.0.1 at a free port, clustering off, data in a temporary directory, one receiver that notifies nobody (or a
 * webhook).
 *
 * Behaviours of 0.25 that tests rely on:
 * - `POST /api/v2/alerts` answers 200; an alert without `endsAt` gets now + resolve_timeout (5m).
 * - `GET /api/v2/alerts` lists the alerts not yet resolved: an alert whose `endsAt` has passed is no longer listed.
 */
export interface AlertmanagerOptions {
  /** `--web.route-prefix`, e.g. '/am': every path, the API's included, is under it. */
  routePrefix?: string;
  /** Serve HTTPS with this certificate; `caFile` is what the helper's own requests trust. */
  tls?: { certFile: string; keyFile: string; caFile: string };
  /**
   * Notify this URL (a webhook receiver, resolved alerts included) of every alert at once: each alert is a group of
   * its own, sent without waiting and again a second after any change.
   */
  webhookUrl?: string;
}

/** A notification of a webhook receiver: the alerts of one group, firing or resolved. */
export interface WebhookNotification {
  status: 'firing' | 'resolved';
  alerts: {
    status: 'firing' | 'resolved';
    labels: Record<string, string>;
    annotations: Record<string, string>;
    startsAt: string;
    endsAt: string;
    generatorURL: string;
  }[];
}

/** An alert as `GET /api/v2/alerts` lists it (a GettableAlert). */
export interface AlertmanagerAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  endsAt: string;
  updatedAt: string;
  generatorURL?: string;
  fingerprint: string;
  status: { state: string; silencedBy: string[]; inhibitedBy: string[] };
}

const ALERTMANAGER_BIN = process.env.ALERTMANAGER_BIN ?? '/usr/bin/prometheus-alertmanager';

const CONFIG = `route:
  receiver: nobody
receivers:
  - name: nobody
`;

function webhookConfig(url: string): string {
  return `route:
  receiver: webhook
  group_by: ['...']
  group_wait: 0s
  group_interval: 1s
  repeat_interval: 1h
receivers:
  - name: webhook
    webhook_configs:
      - url: ${JSON.stringify(url)}
        send_resolved: true
`;
}

export class AlertmanagerProcess {
  /** The base URL a notifier is given (with the route prefix). */
  readonly url: string;
  private readonly server = new ServerProcess('Alertmanager', ALERTMANAGER_BIN, 'prometheus-alertmanager');
  private readonly dispatcher: Agent | undefined;

  private constructor(
    readonly port: number,
    private readonly tempDir: string,
    private readonly opts: AlertmanagerOptions,
  ) {
    this.url = `${opts.tls ? 'https' : 'http'}://127.0.0.1:${port}${opts.routePrefix ?? ''}`;
    if (opts.tls) this.dispatcher = new Agent({ connect: { ca: readFileSync(opts.tls.caFile, 'utf8') } });
  }

  static async start(opts: AlertmanagerOptions = {}): Promise<AlertmanagerProcess> {
    const tempDir = await mkdtemp(join(tmpdir(), 'promdog-alertmanager-'));
    await writeFile(join(tempDir, 'alertmanager.yml'), opts.webhookUrl ? webhookConfig(opts.webhookUrl) : CONFIG);
    if (opts.tls) {
      const { certFile, keyFile } = opts.tls;
      await writeFile(
        join(tempDir, 'web.yml'),
        `tls_server_config:\n  cert_file: ${JSON.stringify(certFile)}\n  key_file: ${JSON.stringify(keyFile)}\n`,
      );
    }
    try {
      return await startOnFreePort(undefined, async (port) => {
        const am = new AlertmanagerProcess(port, tempDir, opts);
        await am.launch();
        return am;
      });
    } catch (err) {
      await rm(tempDir, { recursive: true, force: true });
      throw err;
    }
  }

  get running(): boolean {
    return this.server.running;
  }

  /** SIGTERM, then wait for the exit. No-op when not running. */
  async stop(): Promise<void> {
    await this.server.stop();
  }

  /** Stop and remove the temporary directory. */
  async cleanup(): Promise<void> {
    await this.stop();
    await this.dispatcher?.close();
    await rm(this.tempDir, { recursive: true, force: true });
  }

  /** The alerts Alertmanager holds and has not resolved, optionally only those matching `filter` (`a="b"`). */
  async alerts(filter: string[] = []): Promise<AlertmanagerAlert[]> {
    const qs = new URLSearchParams();
    for (const f of filter) qs.append('filter', f);
    const path = `/api/v2/alerts${qs.size > 0 ? `?${qs}` : ''}`;
    const { status, text } = await this.get(path);
    if (status !== 200) throw this.server.error(`GET ${path}: HTTP ${status}: ${text.slice(0, 500)}`);
    return JSON.parse(text) as AlertmanagerAlert[];
  }

  private async get(path: string): Promise<{ status: number; text: string }> {
    const res = await request(`${this.url}${path}`, this.dispatcher ? { dispatcher: this.dispatcher } : {});
    return { status: res.statusCode, text: await res.body.text() };
  }

  private async launch(): Promise<void> {
    const args = [
      `--config.file=${join(this.tempDir, 'alertmanager.yml')}`,
      `--storage.path=${join(this.tempDir, 'data')}`,
      `--web.listen-address=127.0.0.1:${this.port}`,
      // No gossip: a single Alertmanager, and no second port to collide on.
      '--cluster.listen-address=',
    ];
    if (this.opts.routePrefix) args.push(`--web.route-prefix=${this.opts.routePrefix}`);
    if (this.opts.tls) args.push(`--web.config.file=${join(this.tempDir, 'web.yml')}`);
    await this.server.launch(args, async () => (await this.get('/-/ready')).status === 200);
  }
}
