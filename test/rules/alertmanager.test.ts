// promdog's ruler → real Alertmanagers (Debian's prometheus-alertmanager), asserted on what they hold (`GET
// /api/v2/alerts`) and on what they notify a webhook of. The reference: one rule file (the default pack's monitors
// with short thresholds, and a rule using external labels and `query`) loaded into a real Prometheus that sends to its
// own Alertmanager and into an embedded promdog sending to another; both get the real Agent captures (Prometheus
// through a gateway promdog). The two Alertmanagers must hold the same alerts, labels and rendered annotations.
// Then tenants: each tenant's alerts go to its own Alertmanagers only.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as parseYaml, stringify } from 'yaml';
import { loadServeConfig } from '../../src/config/config.js';
import { SERVICE_CHECK_METRIC, sanitizeMetricName } from '../../src/mapping/index.js';
import { defaultPackFile, type DefaultPackSettings } from '../../src/rules/default-rules.js';
import { AlertmanagerProcess, type AlertmanagerAlert, type WebhookNotification } from '../support/alertmanager.js';
import { PrometheusProcess } from '../support/prometheus.js';
import { selfMetric, startPromdog, type TestPromdog } from '../support/promdog.js';
import { loopbackServer, type LoopbackServer } from '../notifier/support.js';
import { postAgentCapture, waitFor } from '../selfmon/support.js';
import { type AgentCheck, capturedChecks, postChecks } from '../support/agent-checks.js';
import { apiAlerts, apiGet, checksWith } from './support.js';

const EXTERNAL_URL = 'https://promdog.example';

/** The captured checks with ntp failing (CRITICAL, and its Agent check), the SNMP device's check WARNING. */
function failingChecks(): AgentCheck[] {
  return checksWith((c) => {
    if (c.check === 'ntp.in_sync') return 2;
    if (c.check === 'snmp.can_check') return 1;
    if (c.check === 'datadog.agent.check_status' && c.tags?.includes('check:ntp')) return 2;
    return undefined;
  });
}

/** The default pack's monitors, evaluated every second, with thresholds the captures cross (no host monitor). */
function packRuleFile(): string {
  const s: DefaultPackSettings = structuredClone(loadServeConfig([], {}).rules.defaultPack);
  s.intervalMs = 1000;
  s.hostNotReporting.enabled = false;
  s.agentCheck.forMs = 1000;
  s.diskInUse = { enabled: true, above: 0.5, forMs: 1000 };
  s.loadPerCore = { enabled: true, above: 0.15, forMs: 1000 };
  s.memoryUsable = { enabled: true, below: 0.75, forMs: 1000 };
  return defaultPackFile(s, { metric: sanitizeMetricName, serviceCheck: SERVICE_CHECK_METRIC });
}

/** An alert as both Alertmanagers must hold it: labels and annotations, as sorted JSON. */
function held(alerts: AlertmanagerAlert[]): string[] {
  const sorted = (r: Record<string, string>) =>
    Object.fromEntries(Object.entries(r).sort(([a], [b]) => (a < b ? -1 : 1)));
  return alerts.map((a) => JSON.stringify({ labels: sorted(a.labels), annotations: sorted(a.annotations) })).sort();
}

describe('the ruler and Prometheus, each with its Alertmanager', () => {
  let dir: string;
  let webhook: LoopbackServer;
  let amPromdog: AlertmanagerProcess;
  let amPrometheus: AlertmanagerProcess;
  let prometheus: PrometheusProcess;
  let gateway: TestPromdog;
  let embedded: TestPromdog;
  let ruleFile: string;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'promdog-rules-alertmanager-'));
    ruleFile = join(dir, 'rules.yml');
    const rules = parseYaml(packRuleFile()) as { groups: unknown[] };
    rules.groups.push({
      name: 'agents',
      interval: '1s',
      rules: [
        {
          alert: 'AgentRunning',
          expr: 'datadog_agent_running == 1',
          labels: { team: '{{ $externalLabels.region }}-infra' },
          annotations: {
            summary: 'Agent {{ $labels.version }} runs on {{ $labels.instance }} in {{ $externalLabels.region }}',
            agents: '{{ with query "count(datadog_agent_running)" }}{{ . | first | value }}{{ end }} running',
          },
        },
      ],
    });
    const rulesText = stringify(rules, { lineWidth: 0 });
    writeFileSync(ruleFile, rulesText);
    const config = join(dir, 'promdog.yml');
    writeFileSync(config, 'rules:\n  external_labels: { region: eu-west-1 }\n');

    webhook = await loopbackServer();
    [amPromdog, amPrometheus] = await Promise.all([
      AlertmanagerProcess.start({ webhookUrl: webhook.url }),
      AlertmanagerProcess.start(),
    ]);
    prometheus = await PrometheusProcess.start({
      ruleFiles: { [ruleFile]: rulesText },
      evaluationInterval: '1s',
      // Prometheus finds its Alertmanager seconds after its first evaluations: resend at once, not a minute later.
      resendDelay: '1s',
      // The capture's payloads, each moved to now on its own, overlap in time.
      outOfOrderTimeWindow: '1h',
      externalLabels: { tenant: 'default', region: 'eu-west-1' },
      alertmanagerUrl: amPrometheus.url,
    });
    const quiet = ['--self-scrape-interval', '0', '--default-rules=false'];
    gateway = await startPromdog(['--remote-write-url', prometheus.remoteWriteUrl, ...quiet]);
    embedded = await startPromdog([
      ...['--config', config, '--rule-file', ruleFile, '--rule-evaluation-interval', '1s'],
      ...['--alertmanager-url', amPromdog.url, '--external-url', EXTERNAL_URL, ...quiet],
    ]);
    for (const pd of [gateway, embedded]) {
      await postAgentCapture(pd.url, pd.keys.default);
      await postChecks(pd.url, pd.keys.default, failingChecks());
    }
  });

  after(async () => {
    await Promise.all([embedded?.close(), gateway?.close()]);
    await Promise.all([prometheus?.cleanup(), amPromdog?.cleanup(), amPrometheus?.cleanup(), webhook?.close()]);
    rmSync(dir, { recursive: true, force: true });
  });

  /** Both Alertmanagers' alerts once each holds `count`. */
  async function bothHold(count: number): Promise<[AlertmanagerAlert[], AlertmanagerAlert[]]> {
    return waitFor(`${count} alerts in both Alertmanagers`, async () => {
      const [fromPromdog, fromPrometheus] = await Promise.all([amPromdog.alerts(), amPrometheus.alerts()]);
      return fromPromdog.length === count && fromPrometheus.length === count && [fromPromdog, fromPrometheus];
    });
  }

  test('both Alertmanagers hold the same alerts: labels, external labels, rendered annotations', async () => {
    // 2 disks, load, memory, service check CRITICAL and WARNING, the failing Agent check, the running Agent.
    const [fromPromdog, fromPrometheus] = await bothHold(8);
    assert.deepEqual(held(fromPromdog), held(fromPrometheus));

    const agent = fromPromdog.find((a) => a.labels.alertname === 'AgentRunning')!;
    assert.equal(agent.labels.tenant, 'default', 'the tenant label');
    assert.equal(agent.labels.region, 'eu-west-1', 'the external label');
    assert.equal(agent.labels.team, 'eu-west-1-infra', 'a templated rule label');
    assert.deepEqual(agent.annotations, {
      summary: 'Agent 7.44.0-devel+git.430.44a1895 runs on COMP-N52P6N99MH in eu-west-1',
      agents: '1 running',
    });
    assert.equal(
      agent.generatorURL,
      `${EXTERNAL_URL}/#/explore?expr=${encodeURIComponent('datadog_agent_running == 1')}`,
    );
    assert.equal(agent.status.state, 'active');
    const disk = fromPromdog.find((a) => a.labels.device === '/dev/vda1')!;
    assert.equal(disk.annotations.summary, 'Disk /dev/vda1 on COMP-N52P6N99MH is 60.5% full');
    assert.ok(Date.parse(disk.endsAt) > Date.now(), 'a firing alert holds until a later endsAt');
  });

  test('resolved alerts get endsAt: Alertmanager drops and notifies them resolved, as Prometheus’ does', async () => {
    await bothHold(8);
    const okSec = Math.floor(Date.now() / 1000);
    for (const pd of [gateway, embedded]) await postChecks(pd.url, pd.keys.default, capturedChecks(), okSec);
    // The check monitors resolved: what is left is the same in both.
    const [fromPromdog, fromPrometheus] = await bothHold(5);
    assert.deepEqual(held(fromPromdog), held(fromPrometheus));
    assert.ok(fromPromdog.every((a) => !/^(ServiceCheck|AgentCheck)/.test(a.labels.alertname!)));

    const resolved = await waitFor('the resolved notifications', async () => {
      const alerts = webhook.requests
        .flatMap((r) => (JSON.parse(r.body) as WebhookNotification).alerts)
        .filter((a) => a.status === 'resolved');
      return alerts.length >= 3 && alerts;
    });
    assert.deepEqual(resolved.map((a) => a.labels.alertname).sort(), [
      'AgentCheckFailing',
      'ServiceCheckCritical',
      'ServiceCheckWarning',
    ]);
    for (const a of resolved) {
      const endsAt = Date.parse(a.endsAt);
      assert.ok(endsAt >= okSec * 1000, `${a.labels.alertname}: resolved at an evaluation that saw OK (${a.endsAt})`);
      assert.ok(endsAt <= Date.now(), `${a.labels.alertname}: endsAt is when it resolved, not a future hold`);
      assert.ok(endsAt > Date.parse(a.startsAt));
      assert.match(a.generatorURL, /^https:\/\/promdog\.example\/#\/explore\?expr=datadog_service_check_status/);
    }
  });
});

describe('per-tenant Alertmanagers', () => {
  const KEYS = { acme: 'acme-key-0123456789', globex: 'globex-key-0123456789' };
  let dir: string;
  let ams: Record<keyof typeof KEYS, AlertmanagerProcess>;
  let pd: TestPromdog;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'promdog-rules-tenant-alertmanagers-'));
    const [acme, globex] = await Promise.all([AlertmanagerProcess.start(), AlertmanagerProcess.start()]);
    ams = { acme: acme!, globex: globex! };
    const tenants = Object.entries(KEYS).map(([tenant, key]) => {
      const file = join(dir, `${tenant}.yml`);
      writeFileSync(
        file,
        `groups:\n  - name: own\n    rules:\n      - alert: Only_${tenant}\n        expr: vector(1)\n`,
      );
      const alertmanagers = [ams[tenant as keyof typeof KEYS].url];
      return `  ${tenant}: ${JSON.stringify({ api_keys: [key], rule_files: [file], alertmanagers })}`;
    });
    const config = join(dir, 'promdog.yml');
    writeFileSync(config, `tenants:\n${tenants.join('\n')}\n`);
    pd = await startPromdog(['--config', config, '--rule-evaluation-interval', '1s', '--self-scrape-interval', '0']);
    // The same failing service check in both: the default pack alerts in each.
    for (const key of Object.values(KEYS)) await postChecks(pd.url, key, failingChecks());
  });

  after(async () => {
    await pd?.close();
    await Promise.all(Object.values(ams ?? {}).map((am) => am.cleanup()));
    rmSync(dir, { recursive: true, force: true });
  });

  test('each tenant’s alerts, its rule files’ and its default pack’s, are its own and reach its Alertmanager only', async () => {
    for (const tenant of ['acme', 'globex'] as const) {
      const alerts = await waitFor(`${tenant}'s alerts in its Alertmanager`, async () => {
        const list = await ams[tenant].alerts();
        return list.length >= 3 && list;
      });
      assert.deepEqual(alerts.map((a) => `${a.labels.tenant} ${a.labels.alertname}`).sort(), [
        `${tenant} Only_${tenant}`,
        `${tenant} ServiceCheckCritical`,
        `${tenant} ServiceCheckWarning`,
      ]);
    }
    // The alerts API and ALERTS of each tenant hold its own alerts only.
    for (const [tenant, key] of Object.entries(KEYS)) {
      // AgentCheckFailing is pending: its `for` is the default 5m.
      const own = ['AgentCheckFailing', `Only_${tenant}`, 'ServiceCheckCritical', 'ServiceCheckWarning'];
      assert.deepEqual((await apiAlerts(pd.url, key)).map((a) => a.labels.alertname).sort(), own);
      // ALERTS is written once the `for` state was restored, from the third evaluation on.
      const series = await waitFor(`${tenant}'s ALERTS`, async () => {
        const result = (await apiGet(pd.url, key, '/api/v1/query?query=ALERTS')).result as {
          metric: { alertname: string };
        }[];
        return result.length >= own.length && result;
      });
      assert.deepEqual([...new Set(series.map((s) => s.metric.alertname))].sort(), own);
    }
    // Each tenant's notifier posts to its own Alertmanager only.
    for (const [tenant, other] of [
      ['acme', 'globex'],
      ['globex', 'acme'],
    ] as const) {
      const sentTo = (am: AlertmanagerProcess) =>
        selfMetric(pd.url, 'promdog_notifications_sent_total', { tenant, alertmanager: `${am.url}/api/v2/alerts` });
      assert.ok((await sentTo(ams[tenant])) >= 3);
      assert.equal(await sentTo(ams[other]), 0);
    }
  });
});
