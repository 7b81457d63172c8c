// Micro-benchmark of Notifier.send: encoding 10k alerts shaped like a rule's (6 labels, 2 annotations) as API v2
// JSON with the external labels, and queueing them. What the ruler pays on its own time per evaluation; the
// sending happens later. Run: node dist/src/notifier/notifier.bench.js
import { pathToFileURL } from 'node:url';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { measure } from '../sinks/remote-write/encode.bench.js';
import type { AlertNotification } from '../model/alert.js';
import { encodeAlert } from './alert.js';
import { Notifier } from './notifier.js';

export interface NotifierBenchResult {
  alerts: number;
  /** encodeAlert alone. */
  encodeAlertsPerSec: number;
  /** send(): encode and queue (the full queue drops the previous round, as it would under overflow). */
  sendAlertsPerSec: number;
  /** Bytes of one encoded alert, on average. */
  bytesPerAlert: number;
}

function makeAlerts(count: number): AlertNotification[] {
  const now = Date.now();
  return Array.from({ length: count }, (_, i) => ({
    labels: {
      alertname: 'HostDiskAlmostFull',
      device: `/dev/sda${i % 4}`,
      host: `web-${(i / 4) | 0}.eu-west-1.example.internal`,
      service: i % 3 === 0 ? 'checkout-api' : 'cart',
      severity: 'warning',
      team: 'storage',
    },
    annotations: {
      summary: `Disk /dev/sda${i % 4} on web-${(i / 4) | 0} is ${90 + (i % 10)}% full`,
      description: 'Less than 10% of the disk is left; at the current rate it fills within 4 hours.',
    },
    startsAt: now - 600_000,
    endsAt: now + 240_000,
    generatorURL: `http://promdog:9099/console/explore?expr=system_disk_in_use%20%3E%200.9&i=${i}`,
  }));
}

export async function benchNotifier(msPerCase = 1000, count = 10_000): Promise<NotifierBenchResult> {
  const alerts = makeAlerts(count);
  const externalLabels = { tenant: 'acme', region: 'eu-west-1' };
  const encodeRate = measure(() => {
    for (const a of alerts) encodeAlert(a, externalLabels);
  }, msPerCase);
  const notifier = new Notifier({
    tenant: 'acme',
    // Never reached: the measured loop gives the send loop no turn.
    alertmanagers: [{ url: 'http://127.0.0.1:9/' }],
    externalLabels: { region: 'eu-west-1' },
    queueCapacity: count,
    registry: new Registry(),
    logger: pino({ level: 'silent' }),
  });
  const sendRate = measure(() => notifier.send(alerts), msPerCase);
  await notifier.stop(Date.now());
  const bytes = alerts.reduce((n, a) => n + encodeAlert(a, externalLabels).length, 0);
  return {
    alerts: count,
    encodeAlertsPerSec: Math.round(encodeRate * count),
    sendAlertsPerSec: Math.round(sendRate * count),
    bytesPerAlert: Math.round(bytes / count),
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const r = await benchNotifier();
  const perRound = (rate: number) => ((r.alerts / rate) * 1000).toFixed(1);
  console.log(
    `${r.alerts} alerts, ${r.bytesPerAlert} B each as JSON: encode ${(r.encodeAlertsPerSec / 1e3).toFixed(0)}k alerts/s ` +
      `(${perRound(r.encodeAlertsPerSec)} ms per 10k); send (encode + queue) ${(r.sendAlertsPerSec / 1e3).toFixed(0)}k ` +
      `alerts/s (${perRound(r.sendAlertsPerSec)} ms per 10k)`,
  );
}
