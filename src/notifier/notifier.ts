// Sends a tenant's alerts to its Alertmanagers, as Prometheus' notifier does: alerts wait in a bounded queue (the
// oldest make room when it is full), go out in batches of up to 256 as one API v2 body posted to every
// Alertmanager in parallel, and a batch counts as delivered when at least one Alertmanager took it; otherwise its
// alerts are dropped (the ruler sends firing alerts again every minute, so nothing is retried here). The caller
// is never blocked and never sees an error: failures are counted and logged at most once a minute.
import type { Registry } from 'prom-client';
import type { AlertNotification } from '../model/alert.js';
import { encodeAlert } from './alert.js';
import { Alertmanager, type AlertmanagerTarget } from './alertmanager.js';
import { LogThrottle } from './log-throttle.js';
import { notifierMetrics, type NotifierGauges, type NotifierMetrics } from './metrics.js';
import { DropOldestQueue } from './queue.js';

export type { AlertmanagerTarget } from './alertmanager.js';

/** The part of a pino logger the notifier uses. */
export interface NotifierLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface NotifierOptions {
  tenant: string;
  /** Every alert goes to each of them. None: alerts are discarded (there is nowhere to send them). */
  alertmanagers: AlertmanagerTarget[];
  /** Added to every alert that has no such label (or an empty one). They override the tenant label. */
  externalLabels?: Record<string, string>;
  /** The external label naming the tenant. Default `tenant`; '' adds none. */
  tenantLabel?: string;
  /** Alerts the queue holds. Default 10 000 (Prometheus' `--alertmanager.notification-queue-capacity`). */
  queueCapacity?: number;
  /** Per-request timeout of an Alertmanager that sets none. Default 10 s (Prometheus' default). */
  timeoutMs?: number;
  /** Where the `promdog_notifications_*` families are declared (shared by every tenant's notifier). */
  registry: Registry;
  logger: NotifierLogger;
  /** Default `promdog`. */
  userAgent?: string;
}

export const DEFAULT_QUEUE_CAPACITY = 10_000;
export const DEFAULT_TIMEOUT_MS = 10_000;
/** Alerts per request, Prometheus' DefaultMaxBatchSize. */
export const MAX_BATCH_SIZE = 256;
const LOG_EVERY_MS = 60_000;

interface Destination {
  alertmanager: Alertmanager;
  errorLog: LogThrottle;
}

export class Notifier implements NotifierGauges {
  readonly tenant: string;
  /** The labels added to alerts that lack them (also what rule templates see as `$externalLabels`). */
  readonly externalLabels: Readonly<Record<string, string>>;
  private readonly destinations: Destination[];
  private readonly queue: DropOldestQueue<string>;
  private readonly timeoutMs: number;
  private readonly metrics: NotifierMetrics;
  private readonly logger: NotifierLogger;
  private readonly overflowLog = new LogThrottle(LOG_EVERY_MS);
  private readonly afterStopLog = new LogThrottle(LOG_EVERY_MS);
  /** The send loop while it runs. */
  private sending: Promise<void> | undefined;
  /** Set by stop(): send() takes nothing more. */
  private stopping = false;
  private stopped: Promise<void> | undefined;
  /** Fires at stop()'s deadline: requests in flight are cut off and the send loop ends. */
  private readonly halt = new AbortController();

  /** Throws on an invalid option or Alertmanager (a configuration mistake); never afterwards. */
  constructor(opts: NotifierOptions) {
    if (!opts.tenant) throw new Error('notifier: a tenant is required');
    this.tenant = opts.tenant;
    const tenantLabel = opts.tenantLabel ?? 'tenant';
    this.externalLabels = Object.freeze({
      ...(tenantLabel && { [tenantLabel]: opts.tenant }),
      ...opts.externalLabels,
    });
    const capacity = opts.queueCapacity ?? DEFAULT_QUEUE_CAPACITY;
    if (!Number.isInteger(capacity) || capacity < 1)
      throw new Error(`notifier: the queue capacity must be a positive integer, not ${capacity}`);
    this.queue = new DropOldestQueue(capacity);
    this.timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    const userAgent = opts.userAgent ?? 'promdog';
    this.destinations = [];
    for (const target of opts.alertmanagers) {
      const alertmanager = new Alertmanager(target, this.timeoutMs, userAgent);
      if (this.destinations.some((d) => d.alertmanager.name === alertmanager.name))
        throw new Error(`notifier: alertmanager ${alertmanager.name} is listed twice for tenant ${this.tenant}`);
      this.destinations.push({ alertmanager, errorLog: new LogThrottle(LOG_EVERY_MS) });
    }
    this.logger = opts.logger;
    this.metrics = notifierMetrics(opts.registry);
    // Every series shows from the start, at 0, as in Prometheus.
    this.metrics.dropped.inc({ tenant: this.tenant }, 0);
    for (const { alertmanager } of this.destinations) {
      const labels = { tenant: this.tenant, alertmanager: alertmanager.name };
      this.metrics.sent.inc(labels, 0);
      this.metrics.errors.inc(labels, 0);
    }
    this.metrics.running.add(this);
  }

  get queueLength(): number {
    return this.queue.length;
  }

  get queueCapacity(): number {
    return this.queue.capacity;
  }

  get alertmanagerCount(): number {
    return this.destinations.length;
  }

  /** Queues alerts and returns at once; never throws. Over capacity, the oldest queued alerts are dropped. */
  send(alerts: readonly AlertNotification[]): void {
    if (alerts.length === 0 || this.destinations.length === 0) return;
    try {
      if (this.stopping) {
        this.drop(alerts.length, 'notifier: stopped, alerts not queued', this.afterStopLog);
        return;
      }
      // Encoded now: the queue holds a snapshot, whatever the caller does with its objects afterwards.
      const encoded = alerts.map((a) => encodeAlert(a, this.externalLabels));
      const dropped = this.queue.push(encoded);
      if (dropped > 0) this.drop(dropped, 'notifier: queue full, the oldest alerts were dropped', this.overflowLog);
      this.kick();
    } catch (err) {
      this.drop(alerts.length, `notifier: alerts could not be queued: ${(err as Error).message}`);
    }
  }

  /**
   * Sends what is queued until the queue is empty or `deadline` (ms since the epoch, default now + the timeout)
   * passes, cutting off requests still in flight then; what is left is counted as dropped. send() takes nothing
   * more from the call on. Resolves when the Alertmanagers' connections are closed. Safe to call again.
   */
  stop(deadline = Date.now() + this.timeoutMs): Promise<void> {
    this.stopped ??= this.flushAndClose(deadline);
    return this.stopped;
  }

  private async flushAndClose(deadline: number): Promise<void> {
    this.stopping = true;
    const timer = setTimeout(() => this.halt.abort(), Math.max(0, deadline - Date.now()));
    this.kick();
    await this.sending;
    clearTimeout(timer);
    const left = this.queue.clear();
    if (left > 0) this.drop(left, 'notifier: stop deadline reached, queued alerts dropped');
    this.metrics.running.delete(this);
    await Promise.all(this.destinations.map((d) => d.alertmanager.close()));
  }

  /** Starts the send loop unless it runs. */
  private kick(): void {
    this.sending ??= this.sendQueued();
  }

  private async sendQueued(): Promise<void> {
    try {
      // send() returns before any encoding of bodies or I/O happens.
      await new Promise((resolve) => setImmediate(resolve));
      while (this.queue.length > 0 && !this.halt.signal.aborted) await this.sendBatch(this.queue.take(MAX_BATCH_SIZE));
    } catch (err) {
      this.logger.error({ tenant: this.tenant, err: (err as Error).message }, 'notifier: send loop failed');
    } finally {
      this.sending = undefined;
    }
  }

  private async sendBatch(alerts: string[]): Promise<void> {
    const body = `[${alerts.join(',')}]`;
    const begin = performance.now();
    const taken = await Promise.all(
      this.destinations.map(async ({ alertmanager, errorLog }) => {
        const result = await alertmanager.post(body, this.halt.signal);
        const labels = { tenant: this.tenant, alertmanager: alertmanager.name };
        this.metrics.latency.observe(labels, (performance.now() - begin) / 1000);
        this.metrics.sent.inc(labels, alerts.length);
        if (result.ok) return true;
        this.metrics.errors.inc(labels, alerts.length);
        const failures = errorLog.due();
        if (failures !== undefined) {
          this.logger.error(
            {
              tenant: this.tenant,
              alertmanager: alertmanager.name,
              alerts: alerts.length,
              ...(result.status === undefined
                ? { err: result.message }
                : { status: result.status, body: result.message }),
              failuresSinceLastLog: failures,
            },
            'notifier: sending alerts to Alertmanager failed',
          );
        }
        return false;
      }),
    );
    if (!taken.includes(true)) this.metrics.dropped.inc({ tenant: this.tenant }, alerts.length);
  }

  /** Counts dropped alerts and logs why (throttled when the cause repeats every evaluation). */
  private drop(count: number, why: string, throttle?: LogThrottle): void {
    this.metrics.dropped.inc({ tenant: this.tenant }, count);
    const dropped = throttle ? throttle.due(count) : count;
    if (dropped !== undefined) this.logger.warn({ tenant: this.tenant, dropped }, why);
  }
}
