import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { AlertmanagerProcess, type AlertmanagerAlert } from '../support/alertmanager.js';
import { freePort } from '../support/ports.js';
import { makeTestCertificates } from '../support/tls.js';
import { waitFor } from '../selfmon/support.js';
import { firingAlerts, newNotifier } from './support.js';

// The notifier against real Alertmanagers (Debian's prometheus-alertmanager): what they hold after a send, as
// `GET /api/v2/alerts` lists it. Every test uses its own alert names: the Alertmanagers are shared.

let am: AlertmanagerProcess;
/** Behind `--web.route-prefix=/am`: the notifier's URL carries the prefix. */
let amPrefixed: AlertmanagerProcess;

before(async () => {
  [am, amPrefixed] = await Promise.all([
    AlertmanagerProcess.start(),
    AlertmanagerProcess.start({ routePrefix: '/am' }),
  ]);
});
after(async () => {
  await Promise.all([am?.cleanup(), amPrefixed?.cleanup()]);
});

/** The alerts named `alertname` an Alertmanager holds, by their `i` label, once there are `count` of them. */
async function held(target: AlertmanagerProcess, alertname: string, count: number): Promise<AlertmanagerAlert[]> {
  const alerts = await waitFor(`${count} ${alertname} alerts in ${target.url}`, async () => {
    const list = await target.alerts([`alertname="${alertname}"`]);
    return list.length >= count && list;
  });
  return alerts.sort((a, b) => Number(a.labels.i) - Number(b.labels.i));
}

/** A URL on loopback where nothing listens. */
async function deadUrl(): Promise<string> {
  return `http://127.0.0.1:${await freePort()}`;
}

describe('notifier → Alertmanager API v2', () => {
  test('alerts arrive in both Alertmanagers with labels, annotations, startsAt, endsAt, generatorURL', async () => {
    const { notifier, metric } = newNotifier({
      tenant: 'acme',
      alertmanagers: [{ url: am.url }, { url: `${amPrefixed.url}/` }],
    });
    const sent = firingAlerts('NotifierArrive', 3);
    sent[1]!.annotations.description = 'disk "/" is 95% full';
    notifier.send(sent);
    for (const target of [am, amPrefixed]) {
      const got = await held(target, 'NotifierArrive', 3);
      assert.equal(got.length, 3);
      for (const [i, alert] of got.entries()) {
        assert.deepEqual(alert.labels, { alertname: 'NotifierArrive', i: String(i), tenant: 'acme' });
        assert.deepEqual(alert.annotations, sent[i]!.annotations);
        assert.equal(Date.parse(alert.startsAt), sent[i]!.startsAt);
        assert.equal(Date.parse(alert.endsAt), sent[i]!.endsAt);
        assert.equal(alert.generatorURL, sent[i]!.generatorURL);
        assert.equal(alert.status.state, 'active');
      }
    }
    await notifier.stop();
    for (const target of [`${am.url}/api/v2/alerts`, `${amPrefixed.url}/api/v2/alerts`]) {
      assert.equal(await metric('promdog_notifications_sent_total', { alertmanager: target }), 3);
      assert.equal(await metric('promdog_notifications_errors_total', { alertmanager: target }), 0);
      assert.equal(await metric('promdog_notifications_latency_seconds_count', { alertmanager: target }), 1);
    }
    assert.equal(await metric('promdog_notifications_dropped_total'), 0);
  });

  test('a resolved alert (endsAt in the past) resolves it in Alertmanager', async () => {
    const { notifier } = newNotifier({ tenant: 'acme', alertmanagers: [{ url: am.url }] });
    const [firing, other] = firingAlerts('NotifierResolve', 2);
    notifier.send([firing!, other!]);
    await held(am, 'NotifierResolve', 2);
    // Firing alerts end in an hour: only the resolved notification can end this one now.
    notifier.send([{ ...firing!, endsAt: Date.now() - 1000 }]);
    const left = await waitFor('the resolved alert gone from Alertmanager', async () => {
      const list = await am.alerts(['alertname="NotifierResolve"']);
      return list.length === 1 && list;
    });
    assert.equal(left[0]!.labels.i, '1');
    await notifier.stop();
  });

  test('external labels and the tenant label fill in labels the alert lacks, never override', async () => {
    const { notifier } = newNotifier({
      tenant: 'team-a',
      alertmanagers: [{ url: am.url }],
      tenantLabel: 'org',
      externalLabels: { region: 'eu-west-1' },
    });
    const [own, lacking, empty] = firingAlerts('NotifierExternal', 3);
    own!.labels.region = 'us-east-1';
    own!.labels.org = 'from-the-rule';
    empty!.labels.region = '';
    notifier.send([own!, lacking!, empty!]);
    const got = await held(am, 'NotifierExternal', 3);
    assert.deepEqual(
      got.map((a) => a.labels),
      [
        { alertname: 'NotifierExternal', i: '0', region: 'us-east-1', org: 'from-the-rule' },
        { alertname: 'NotifierExternal', i: '1', region: 'eu-west-1', org: 'team-a' },
        { alertname: 'NotifierExternal', i: '2', region: 'eu-west-1', org: 'team-a' },
      ],
    );
    assert.deepEqual(notifier.externalLabels, { org: 'team-a', region: 'eu-west-1' });
    await notifier.stop();
  });

  test('one Alertmanager down: the other gets the alerts, the errors are counted and logged once', async () => {
    const down = await deadUrl();
    const { notifier, metric, logs } = newNotifier({ tenant: 'acme', alertmanagers: [{ url: down }, { url: am.url }] });
    notifier.send(firingAlerts('NotifierOneDown', 4));
    await held(am, 'NotifierOneDown', 4);
    const downLabel = { alertmanager: `${down}/api/v2/alerts` };
    await waitFor('errors counted', async () => (await metric('promdog_notifications_errors_total', downLabel)) === 4);
    // A second failure within the minute is counted, not logged again.
    notifier.send(firingAlerts('NotifierOneDown', 2));
    await waitFor('errors counted', async () => (await metric('promdog_notifications_errors_total', downLabel)) === 6);
    await notifier.stop();
    assert.equal(await metric('promdog_notifications_sent_total', downLabel), 6);
    assert.equal(await metric('promdog_notifications_sent_total', { alertmanager: `${am.url}/api/v2/alerts` }), 6);
    assert.equal(await metric('promdog_notifications_dropped_total'), 0, 'one Alertmanager took every batch');
    const errors = logs.filter((l) => l.msg === 'notifier: sending alerts to Alertmanager failed');
    assert.equal(errors.length, 1);
    assert.equal(errors[0]!.alertmanager, downLabel.alertmanager);
    assert.match(String(errors[0]!.err), /ECONNREFUSED/);
  });

  test('every Alertmanager down: the batch is dropped and counted', async () => {
    const { notifier, metric } = newNotifier({ tenant: 'acme', alertmanagers: [{ url: await deadUrl() }] });
    notifier.send(firingAlerts('NotifierAllDown', 3));
    await waitFor('drops counted', async () => (await metric('promdog_notifications_dropped_total')) === 3);
    await notifier.stop();
  });

  test('an alert Alertmanager refuses: the status and its message are logged', async () => {
    const { notifier, metric, logs } = newNotifier({ tenant: 'acme', alertmanagers: [{ url: am.url }] });
    const [bad] = firingAlerts('NotifierRefused', 1);
    bad!.labels['not a label name'] = 'x';
    notifier.send([bad!]);
    await waitFor('the error counted', async () => (await metric('promdog_notifications_errors_total')) === 1);
    await notifier.stop();
    const error = logs.find((l) => l.msg === 'notifier: sending alerts to Alertmanager failed');
    assert.equal(error?.status, 400);
    assert.match(String(error?.body), /not a label name/);
  });

  test('over capacity the oldest alerts are dropped and counted; the newest are delivered', async () => {
    const { notifier, metric, logs } = newNotifier({
      tenant: 'acme',
      alertmanagers: [{ url: am.url }],
      queueCapacity: 5,
    });
    const alerts = firingAlerts('NotifierOverflow', 8);
    // Both calls land before the send loop runs: together they overflow the queue by 3.
    notifier.send(alerts.slice(0, 4));
    notifier.send(alerts.slice(4));
    assert.equal(await metric('promdog_notifications_dropped_total'), 3);
    assert.equal(await metric('promdog_notifications_queue_length'), 5);
    assert.equal(await metric('promdog_notifications_queue_capacity'), 5);
    await waitFor('the queue sent', async () => (await metric('promdog_notifications_queue_length')) === 0);
    await notifier.stop();
    const got = await am.alerts(['alertname="NotifierOverflow"']);
    assert.deepEqual(got.map((a) => Number(a.labels.i)).sort(), [3, 4, 5, 6, 7]);
    const warnings = logs.filter((l) => l.msg === 'notifier: queue full, the oldest alerts were dropped');
    assert.deepEqual(
      warnings.map((l) => l.dropped),
      [3],
    );
  });

  test('stop sends everything queued before it resolves (several batches)', async () => {
    const { notifier, metric } = newNotifier({ tenant: 'acme', alertmanagers: [{ url: am.url }] });
    notifier.send(firingAlerts('NotifierStopFlush', 600));
    await notifier.stop(Date.now() + 30_000);
    assert.equal((await am.alerts(['alertname="NotifierStopFlush"'])).length, 600);
    assert.equal(await metric('promdog_notifications_sent_total'), 600);
    assert.equal(await metric('promdog_notifications_latency_seconds_count'), 3, '256 + 256 + 88');
    // After stop nothing is queued: counted as dropped.
    notifier.send(firingAlerts('NotifierStopFlush', 2));
    assert.equal(await metric('promdog_notifications_dropped_total'), 2);
  });

  test('HTTPS with the CA in tls_ca_file; without it the certificate is refused', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'promdog-notifier-tls-'));
    const certs = makeTestCertificates(dir);
    const amTls = await AlertmanagerProcess.start({ tls: certs });
    try {
      const trusted = newNotifier({ tenant: 'acme', alertmanagers: [{ url: amTls.url, tlsCaFile: certs.caFile }] });
      const untrusted = newNotifier({ tenant: 'acme', alertmanagers: [{ url: amTls.url }] });
      trusted.notifier.send(firingAlerts('NotifierTls', 2));
      untrusted.notifier.send(firingAlerts('NotifierTlsUntrusted', 2));
      await held(amTls, 'NotifierTls', 2);
      await waitFor(
        'the untrusted send failing',
        async () => (await untrusted.metric('promdog_notifications_dropped_total')) === 2,
      );
      await Promise.all([trusted.notifier.stop(), untrusted.notifier.stop()]);
      assert.deepEqual(await amTls.alerts(['alertname="NotifierTlsUntrusted"']), []);
      const error = untrusted.logs.find((l) => l.msg === 'notifier: sending alerts to Alertmanager failed');
      assert.match(String(error?.err), /certificate/i);
    } finally {
      await amTls.cleanup();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
