import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import type { AlertNotification } from '../../src/model/alert.js';
import { Notifier, type NotifierOptions } from '../../src/notifier/notifier.js';

// What the notifier tests share: a notifier with captured logs and its own registry, its metrics, alerts to send,
// and loopback HTTP servers standing in for Alertmanagers that misbehave or check what they receive.

export interface LogLine {
  level: number;
  msg: string;
  [key: string]: unknown;
}

export interface TestNotifier {
  notifier: Notifier;
  registry: Registry;
  logs: LogLine[];
  /** The value of a notifier family's series for this tenant (and `labels`); 0 when it has none. */
  metric(name: string, labels?: Record<string, string>): Promise<number>;
}

export function newNotifier(
  opts: Omit<NotifierOptions, 'registry' | 'logger'>,
  registry = new Registry(),
): TestNotifier {
  const logs: LogLine[] = [];
  const logger = pino({ level: 'debug' }, { write: (line: string) => logs.push(JSON.parse(line) as LogLine) });
  const notifier = new Notifier({ ...opts, registry, logger });
  const metric = async (name: string, labels: Record<string, string> = {}) => {
    // A histogram's `_count` and `_sum` are series of its family.
    const family = registry.getSingleMetric(name) ?? registry.getSingleMetric(name.replace(/_(count|sum)$/, ''));
    assert.ok(family, `${name} is declared`);
    const want: Record<string, string> = { tenant: opts.tenant, ...labels };
    const { values } = await family.get();
    const series = values.filter(
      (v) =>
        ((v as { metricName?: string }).metricName ?? name) === name &&
        Object.entries(want).every(([k, value]) => v.labels[k] === value),
    );
    return series.reduce((sum, v) => sum + v.value, 0);
  };
  return { notifier, registry, logs, metric };
}

/** `count` firing alerts named `alertname`, told apart by an `i` label, started a minute ago, ending in an hour. */
export function firingAlerts(
  alertname: string,
  count: number,
  extra: Partial<AlertNotification> = {},
): AlertNotification[] {
  const now = Date.now();
  return Array.from({ length: count }, (_, i) => ({
    labels: { alertname, i: String(i) },
    annotations: { summary: `${alertname} number ${i}` },
    startsAt: now - 60_000,
    endsAt: now + 3_600_000,
    generatorURL: `http://promdog.example/console/explore?expr=up%3D%3D0&i=${i}`,
    ...extra,
  }));
}

export interface ReceivedRequest {
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  body: string;
}

export interface LoopbackServer {
  /** http://127.0.0.1:<port> */
  url: string;
  /** Requests whose body was read to the end. */
  requests: ReceivedRequest[];
  /** Requests that arrived (their headers), answered or not. */
  arrived: number;
  close(): Promise<void>;
}

/**
 * A loopback HTTP server that records requests and answers each with `answer` (status and body), or never answers
 * when `answer` is 'hang' (the connection stays open until the client gives up or the server closes).
 */
export async function loopbackServer(
  answer: { status: number; body?: string } | 'hang' = { status: 200 },
): Promise<LoopbackServer> {
  const requests: ReceivedRequest[] = [];
  const hanging = new Set<ServerResponse>();
  let arrived = 0;
  const server = createServer((req, res) => {
    arrived++;
    if (answer === 'hang') {
      hanging.add(res);
      return;
    }
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (body += c));
    req.on('end', () => {
      requests.push({ method: req.method ?? '', path: req.url ?? '', headers: req.headers, body });
      res.writeHead(answer.status, { 'content-type': 'text/plain' });
      res.end(answer.body ?? '');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    get arrived() {
      return arrived;
    },
    async close() {
      for (const res of hanging) res.socket?.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
