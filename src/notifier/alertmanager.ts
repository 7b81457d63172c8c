// One Alertmanager as the notifier posts to it: `<url>/api/v2/alerts` (the URL may carry a path prefix, e.g. an
// Alertmanager behind `--web.route-prefix` or Mimir's `/alertmanager`), with its auth, headers, TLS trust and
// timeout. HTTP through undici: a keep-alive Pool per Alertmanager, as the remote-write sink has per target.
import { Pool } from 'undici';
import { outgoingEndpoint, startOfBody, type OutgoingHttpOptions } from '../http/outgoing.js';

/** An Alertmanager to send to; the fields mirror a remote-write target's. */
export interface AlertmanagerTarget extends OutgoingHttpOptions {
  /** Base URL, e.g. `http://alertmanager:9093` or `https://host/alertmanager`; `/api/v2/alerts` is appended. */
  url: string;
  /** Per-request timeout; default the notifier's (10 s). */
  timeoutMs?: number;
}

export type PostResult = { ok: true } | { ok: false; status?: number; message: string };

const API_PATH = '/api/v2/alerts';

export class Alertmanager {
  /** The alerts URL without credentials: the `alertmanager` label and what logs name. */
  readonly name: string;
  readonly timeoutMs: number;
  private readonly path: string;
  private readonly headers: Record<string, string>;
  private readonly pool: Pool;

  /** Throws on an invalid URL or option: the configuration's mistake, found when the notifier is built. */
  constructor(target: AlertmanagerTarget, defaultTimeoutMs: number, userAgent: string) {
    const { url, headers, connect } = outgoingEndpoint('notifier', 'alertmanager', target.url, target, {
      'content-type': 'application/json',
      'user-agent': userAgent,
    });
    const path = `${url.pathname.replace(/\/+$/, '')}${API_PATH}`;
    this.name = `${url.origin}${path}`;
    this.path = `${path}${url.search}`;
    this.headers = headers;
    this.timeoutMs = target.timeoutMs ?? defaultTimeoutMs;
    if (!(this.timeoutMs > 0)) throw new Error(`notifier alertmanager ${this.name}: the timeout must be positive`);
    // One batch is in flight at a time: a few connections are plenty.
    this.pool = new Pool(url.origin, { connections: 4, connect, keepAliveTimeout: 30_000 });
  }

  /**
   * POSTs one API v2 body. Never throws: any 2xx is success (as Prometheus takes it); anything else, a network
   * error, the timeout or `stop` is a failure with the status and the start of the response body.
   */
  async post(body: string, stop: AbortSignal): Promise<PostResult> {
    if (stop.aborted) return { ok: false, message: 'not sent: the notifier stopped' };
    const request = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      request.abort();
    }, this.timeoutMs);
    const onStop = () => request.abort();
    stop.addEventListener('abort', onStop, { once: true });
    try {
      const res = await this.pool.request({
        method: 'POST',
        path: this.path,
        headers: this.headers,
        body,
        signal: request.signal,
      });
      if (res.statusCode >= 200 && res.statusCode < 300) {
        await res.body.dump();
        return { ok: true };
      }
      return { ok: false, status: res.statusCode, message: await startOfBody(res.body) };
    } catch (err) {
      if (timedOut) return { ok: false, message: `no answer within ${this.timeoutMs} ms` };
      if (stop.aborted) return { ok: false, message: 'cut off: the notifier stop deadline passed' };
      const code = (err as { code?: string }).code;
      const message = (err as Error).message;
      return { ok: false, message: code && !message.includes(code) ? `${message} (${code})` : message };
    } finally {
      clearTimeout(timer);
      stop.removeEventListener('abort', onStop);
    }
  }

  async close(): Promise<void> {
    await this.pool.destroy();
  }
}
