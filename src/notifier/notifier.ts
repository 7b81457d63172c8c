// STAND-IN for the real src/notifier (Alertmanager API v2 client, bounded queue, promdog_notifications_*), which
// another branch builds to the same interface; the lead replaces this folder with it at merge. It takes the alerts
// and drops them, logging at debug level, so the ruler can be wired and run meanwhile.
import type { Registry } from 'prom-client';

export interface NotifierAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: number;
  endsAt?: number;
  generatorURL: string;
}

export interface AlertmanagerTarget {
  url: string;
  timeoutMs?: number;
  headers?: Record<string, string>;
  basicAuth?: { username: string; password: string };
  bearerToken?: string;
  tlsCaFile?: string;
  tlsInsecureSkipVerify?: boolean;
}

export interface NotifierLogger {
  debug(obj: object, msg: string): void;
}

export interface NotifierOptions {
  tenant: string;
  alertmanagers: AlertmanagerTarget[];
  externalLabels?: Record<string, string>;
  registry: Registry;
  logger: NotifierLogger;
}

export class Notifier {
  constructor(private readonly opts: NotifierOptions) {}

  send(alerts: NotifierAlert[]): void {
    this.opts.logger.debug({ tenant: this.opts.tenant, alerts: alerts.length }, 'stand-in notifier: alerts dropped');
  }

  /** `deadline`: the absolute time (ms since the epoch) by which alerts still queued are given up. */
  async stop(_deadline?: number): Promise<void> {}
}
