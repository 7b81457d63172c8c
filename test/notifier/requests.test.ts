import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Registry } from 'prom-client';
import { waitFor } from '../selfmon/support.js';
import { firingAlerts, loopbackServer, newNotifier } from './support.js';

// The notifier's requests as a server on loopback sees them (path, auth, headers, batches), and servers that an
// Alertmanager test cannot stand in for: one that checks credentials, one that never answers.

describe('notifier requests', () => {
  test('basic auth, bearer token, custom headers and a path prefix reach the server', async () => {
    const server = await loopbackServer();
    try {
      const { notifier, metric } = newNotifier({
        tenant: 'acme',
        alertmanagers: [
          { url: `${server.url}/basic`, basicAuth: { username: 'alert', password: 's3cret:x' } },
          { url: `http://url%20user:p%40ss@${server.url.slice('http://'.length)}/in-url` },
          { url: `${server.url}/bearer/`, bearerToken: 'tok', headers: { 'X-Scope-OrgID': 'team-a' } },
        ],
        userAgent: 'promdog/test',
      });
      notifier.send(firingAlerts('NotifierAuth', 2));
      await notifier.stop();
      const byPath = new Map(server.requests.map((r) => [r.path, r]));
      assert.deepEqual([...byPath.keys()].sort(), [
        '/basic/api/v2/alerts',
        '/bearer/api/v2/alerts',
        '/in-url/api/v2/alerts',
      ]);
      const basic = byPath.get('/basic/api/v2/alerts')!;
      assert.equal(basic.headers.authorization, `Basic ${Buffer.from('alert:s3cret:x').toString('base64')}`);
      const inUrl = byPath.get('/in-url/api/v2/alerts')!;
      assert.equal(inUrl.headers.authorization, `Basic ${Buffer.from('url user:p@ss').toString('base64')}`);
      const bearer = byPath.get('/bearer/api/v2/alerts')!;
      assert.equal(bearer.headers.authorization, 'Bearer tok');
      assert.equal(bearer.headers['x-scope-orgid'], 'team-a');
      for (const r of server.requests) {
        assert.equal(r.method, 'POST');
        assert.equal(r.headers['content-type'], 'application/json');
        assert.equal(r.headers['user-agent'], 'promdog/test');
        assert.deepEqual(
          (JSON.parse(r.body) as { labels: Record<string, string> }[]).map((a) => a.labels.i),
          ['0', '1'],
        );
      }
      // Credentials in the URL never become a label.
      const label = `${server.url}/in-url/api/v2/alerts`;
      assert.equal(await metric('promdog_notifications_sent_total', { alertmanager: label }), 2);
    } finally {
      await server.close();
    }
  });

  test('batches of at most 256 alerts, in the order they were sent', async () => {
    const server = await loopbackServer();
    try {
      const { notifier } = newNotifier({ tenant: 'acme', alertmanagers: [{ url: server.url }] });
      notifier.send(firingAlerts('NotifierBatch', 300));
      notifier.send(firingAlerts('NotifierBatch2', 300));
      await notifier.stop();
      const batches = server.requests.map((r) => JSON.parse(r.body) as { labels: Record<string, string> }[]);
      assert.deepEqual(
        batches.map((b) => b.length),
        [256, 256, 88],
      );
      const order = batches.flat().map((a) => `${a.labels.alertname}/${a.labels.i}`);
      assert.deepEqual(order, [
        ...Array.from({ length: 300 }, (_, i) => `NotifierBatch/${i}`),
        ...Array.from({ length: 300 }, (_, i) => `NotifierBatch2/${i}`),
      ]);
    } finally {
      await server.close();
    }
  });

  test('a non-2xx answer counts as an error; its status and body are logged', async () => {
    const server = await loopbackServer({ status: 503, body: 'maintenance until noon' });
    try {
      const { notifier, metric, logs } = newNotifier({ tenant: 'acme', alertmanagers: [{ url: server.url }] });
      notifier.send(firingAlerts('NotifierUnavailable', 2));
      await notifier.stop();
      assert.equal(await metric('promdog_notifications_errors_total'), 2);
      assert.equal(await metric('promdog_notifications_dropped_total'), 2);
      const error = logs.find((l) => l.msg === 'notifier: sending alerts to Alertmanager failed');
      assert.equal(error?.status, 503);
      assert.equal(error?.body, 'maintenance until noon');
    } finally {
      await server.close();
    }
  });

  test('an Alertmanager that never answers hits the timeout; send does not wait for it', async () => {
    const silent = await loopbackServer('hang');
    const answering = await loopbackServer();
    try {
      const { notifier, metric, logs } = newNotifier({
        tenant: 'acme',
        alertmanagers: [{ url: silent.url, timeoutMs: 300 }, { url: answering.url }],
      });
      notifier.send(firingAlerts('NotifierSlow', 3));
      // send() has returned with the alerts still queued: nothing was sent on the caller's time.
      assert.equal(notifier.queueLength, 3);
      notifier.send(firingAlerts('NotifierSlowAgain', 1));
      assert.equal(notifier.queueLength, 4);
      const silentLabel = { alertmanager: `${silent.url}/api/v2/alerts` };
      await waitFor('the timeout', async () => (await metric('promdog_notifications_errors_total', silentLabel)) === 4);
      assert.equal(silent.arrived, 1, 'the request reached the silent server');
      assert.equal(answering.requests.length, 1, 'the other Alertmanager got the batch meanwhile');
      assert.equal(await metric('promdog_notifications_dropped_total'), 0);
      const error = logs.find((l) => l.msg === 'notifier: sending alerts to Alertmanager failed');
      assert.equal(error?.err, 'no answer within 300 ms');
      await notifier.stop();
    } finally {
      await Promise.all([silent.close(), answering.close()]);
    }
  });

  test('stop cuts off a request at its deadline and counts what was not delivered', async () => {
    const silent = await loopbackServer('hang');
    try {
      const { notifier, metric, logs } = newNotifier({
        tenant: 'acme',
        alertmanagers: [{ url: silent.url, timeoutMs: 600_000 }],
      });
      notifier.send(firingAlerts('NotifierStopCut', 300));
      await waitFor('the first request', async () => silent.arrived === 1);
      await notifier.stop(Date.now() + 100);
      // 256 in flight failed (errors, dropped), 44 never left the queue (dropped).
      assert.equal(await metric('promdog_notifications_errors_total'), 256);
      assert.equal(await metric('promdog_notifications_dropped_total'), 300);
      assert.equal(await metric('promdog_notifications_queue_length'), 0);
      const stopped = logs.find((l) => l.msg === 'notifier: stop deadline reached, queued alerts dropped');
      assert.equal(stopped?.dropped, 44);
    } finally {
      await silent.close();
    }
  });

  test("tenants' notifiers share the families on one registry; a stopped one leaves the gauges", async () => {
    const server = await loopbackServer();
    try {
      const registry = new Registry();
      const a = newNotifier(
        { tenant: 'a', alertmanagers: [{ url: server.url }, { url: `${server.url}/b` }], queueCapacity: 7 },
        registry,
      );
      const b = newNotifier({ tenant: 'b', alertmanagers: [{ url: server.url }] }, registry);
      assert.equal(await a.metric('promdog_notifications_alertmanagers_discovered'), 2);
      assert.equal(await b.metric('promdog_notifications_alertmanagers_discovered'), 1);
      assert.equal(await a.metric('promdog_notifications_queue_capacity'), 7);
      assert.equal(await b.metric('promdog_notifications_queue_capacity'), 10_000);
      assert.equal(
        await b.metric('promdog_notifications_sent_total', { alertmanager: `${server.url}/api/v2/alerts` }),
        0,
      );
      await a.notifier.stop();
      const text = await registry.metrics();
      assert.doesNotMatch(text, /promdog_notifications_queue_capacity\{tenant="a"\}/);
      assert.match(text, /promdog_notifications_queue_capacity\{tenant="b"\} 10000/);
      await b.notifier.stop();
    } finally {
      await server.close();
    }
  });

  test('configuration mistakes are refused when the notifier is built', () => {
    const registry = new Registry();
    const build = (alertmanagers: { url: string; bearerToken?: string }[], queueCapacity?: number) => () =>
      newNotifier({ tenant: 'acme', alertmanagers, ...(queueCapacity !== undefined && { queueCapacity }) }, registry);
    assert.throws(build([{ url: 'not a url' }]), /invalid alertmanager URL "not a url"/);
    assert.throws(build([{ url: 'ftp://host' }]), /alertmanager URL must be http\(s\)/);
    assert.throws(build([{ url: 'http://u:p@host', bearerToken: 't' }]), /not both/);
    assert.throws(build([{ url: 'http://host:9093' }, { url: 'http://host:9093/' }]), /listed twice/);
    assert.throws(build([{ url: 'http://host:9093' }], 0), /queue capacity must be a positive integer/);
  });
});
