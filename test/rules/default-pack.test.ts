// The default rule pack in a real promdog: the real Agent captures posted through the HTTP intake as the Agent posts
// them, thresholds and durations set short in the config file, the alerts read from the rules and alerts APIs, from
// ALERTS, and from a real Alertmanager (Debian's prometheus-alertmanager).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { loadServeConfig } from '../../src/config/config.js';
import { SERVICE_CHECK_METRIC, sanitizeMetricName } from '../../src/mapping/index.js';
import { DEFAULT_PACK_FILE, DEFAULT_PACK_GROUP, defaultPackFile } from '../../src/rules/default-rules.js';
import { AlertmanagerProcess } from '../support/alertmanager.js';
import { startPromdog, type TestPromdog } from '../support/promdog.js';
import { postAgentCapture, waitFor } from '../selfmon/support.js';
import type { PrometheusAlert } from '../support/prometheus.js';
import { capturedChecks, postChecks } from '../support/agent-checks.js';
import { apiAlerts, apiGet, checksWith } from './support.js';

const PROMTOOL = process.env.PROMTOOL_BIN ?? '/usr/bin/promtool';
const HOST = 'COMP-N52P6N99MH';
const SNMP_DEVICE = `device:${HOST}:172.25.0.3`;

let dir: string;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'promdog-default-pack-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

/** A promdog evaluating its rules every second, with this `rules.default_pack` (YAML flow mapping). */
async function promdogWithPack(pack: string, args: string[] = []): Promise<TestPromdog> {
  const config = join(dir, `promdog-${Math.random().toString(36).slice(2)}.yml`);
  writeFileSync(config, `rules:\n  default_pack: ${pack}\n`);
  return startPromdog(['--config', config, '--rule-evaluation-interval', '1s', ...args]);
}

/** An alert as one line: its name, then its other labels sorted by name. */
function alertLine(alertname: string, labels: Record<string, string>): string {
  return `${alertname} ${Object.entries(labels)
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([k, v]) => `${k}=${v}`)
    .join(' ')}`;
}

/** The alerts in one state as alertLine()s, sorted. */
function inState(alerts: PrometheusAlert[], state: PrometheusAlert['state']): string[] {
  return alerts
    .filter((a) => a.state === state)
    .map(({ labels: { alertname, ...rest } }) => alertLine(alertname!, rest))
    .sort();
}

test('promtool check rules accepts the pack as its defaults generate it', async () => {
  const file = join(dir, 'default-pack.yml');
  const names = { metric: sanitizeMetricName, serviceCheck: SERVICE_CHECK_METRIC };
  writeFileSync(file, defaultPackFile(loadServeConfig([], {}).rules.defaultPack, names));
  const { stdout } = await promisify(execFile)(PROMTOOL, ['check', 'rules', file]);
  assert.match(stdout, /SUCCESS: 7 rules found/);
});

describe('the real Agent captures', () => {
  let pd: TestPromdog;
  let am: AlertmanagerProcess;
  before(async () => {
    am = await AlertmanagerProcess.start();
    pd = await promdogWithPack(
      `{ host_not_reporting: { enabled: false }, agent_check: { for: 1s },
         disk_in_use: { above: 0.5, for: 1s }, load_per_core: { above: 0.15, for: 1s },
         memory_usable: { below: 0.75, for: 1s } }`,
      ['--alertmanager-url', am.url],
    );
  });
  after(async () => {
    await pd?.close();
    await am?.cleanup();
  });

  test('the pack is a group of every tenant but system', async () => {
    const groups = (await apiGet(pd.url, pd.keys.default, '/api/v1/rules')).groups as {
      file: string;
      name: string;
      interval: number;
      rules: { name: string }[];
    }[];
    assert.deepEqual(
      groups.map((g) => [g.file, g.name, g.interval, g.rules.length]),
      [[DEFAULT_PACK_FILE, DEFAULT_PACK_GROUP, 1, 6]],
    );
    assert.deepEqual((await apiGet(pd.url, pd.keys.system, '/api/v1/rules')).groups, []);
  });

  test('disk, load and memory past their thresholds fire per device and host, with readable messages', async () => {
    await postAgentCapture(pd.url, pd.keys.default);
    await postChecks(pd.url, pd.keys.default, capturedChecks());
    const base = { instance: HOST, job: 'ddagent', source_type_name: 'System', type: 'gauge' };
    const firing = await waitFor('the metric monitors firing', async () => {
      const alerts = (await apiAlerts(pd.url, pd.keys.default)).filter((a) => a.state === 'firing');
      return alerts.length >= 4 && alerts;
    });
    // The capture's disks: /dev/vda1 and overlay 60.5 % in use, grpcfuse 17.5 %, tmpfs and shm empty.
    assert.deepEqual(inState(firing, 'firing'), [
      alertLine('DiskAlmostFull', { device: '/dev/vda1', device_name: 'vda1', ...base, severity: 'critical' }),
      alertLine('DiskAlmostFull', { device: 'overlay', device_name: 'overlay', ...base, severity: 'critical' }),
      alertLine('LoadPerCoreHigh', { ...base, severity: 'warning' }),
      alertLine('MemoryAlmostExhausted', { ...base, severity: 'critical' }),
    ]);
    const summaries = Object.fromEntries(
      firing.map((a) => [`${a.labels.alertname} ${a.labels.device ?? ''}`.trim(), a.annotations.summary]),
    );
    assert.deepEqual(summaries, {
      'DiskAlmostFull /dev/vda1': `Disk /dev/vda1 on ${HOST} is 60.5% full`,
      'DiskAlmostFull overlay': `Disk overlay on ${HOST} is 60.5% full`,
      LoadPerCoreHigh: `High load on ${HOST}: 0.16 per CPU core`,
      MemoryAlmostExhausted: `Memory almost exhausted on ${HOST}: 74.69% usable`,
    });
    const disk = firing.find((a) => a.labels.device === '/dev/vda1')!;
    assert.equal(
      disk.annotations.description,
      `/dev/vda1 on ${HOST} has been more than 50% full for 1s (system.disk.in_use is 60.5%).`,
    );

    // Alertmanager holds them with the tenant label and the same messages.
    const held = await waitFor('the alerts in Alertmanager', async () => {
      const list = await am.alerts(['alertname="DiskAlmostFull"']);
      return list.length === 2 && list;
    });
    const vda1 = held.find((a) => a.labels.device === '/dev/vda1')!;
    assert.equal(vda1.labels.tenant, 'default');
    assert.deepEqual(vda1.annotations, disk.annotations);
  });

  test('service checks CRITICAL and WARNING and a failing Agent check fire, and resolve back at OK', async () => {
    const failing = checksWith((c) => {
      if (c.check === 'ntp.in_sync') return 2;
      if (c.check === 'snmp.can_check') return 1;
      if (c.check === 'datadog.agent.check_status' && c.tags?.includes('check:ntp')) return 2;
      return undefined;
    });
    await postChecks(pd.url, pd.keys.default, failing);
    const checkAlerts = (alerts: PrometheusAlert[]) =>
      alerts.filter((a) => /^(ServiceCheck|AgentCheck)/.test(a.labels.alertname!));
    const firing = await waitFor('the check monitors firing', async () => {
      const alerts = checkAlerts(await apiAlerts(pd.url, pd.keys.default)).filter((a) => a.state === 'firing');
      return alerts.length >= 3 && alerts;
    });
    const snmpTags = {
      agent_host: HOST,
      device_namespace: HOST,
      snmp_device: '172.25.0.3',
      snmp_host: '41ba948911b9',
      snmp_profile: 'generic-router',
    };
    const ddagent = { job: 'ddagent' };
    assert.deepEqual(inState(firing, 'firing'), [
      alertLine('AgentCheckFailing', {
        check: 'datadog.agent.check_status',
        exported_check: 'ntp',
        instance: HOST,
        ...ddagent,
        severity: 'warning',
      }),
      alertLine('ServiceCheckCritical', { check: 'ntp.in_sync', instance: HOST, ...ddagent, severity: 'critical' }),
      alertLine('ServiceCheckWarning', {
        ...snmpTags,
        check: 'snmp.can_check',
        instance: SNMP_DEVICE,
        ...ddagent,
        severity: 'warning',
      }),
    ]);
    const byName = Object.fromEntries(firing.map((a) => [a.labels.alertname, a.annotations]));
    assert.deepEqual(byName.ServiceCheckCritical, {
      summary: `Service check ntp.in_sync is CRITICAL on ${HOST}`,
      description:
        `The service check ntp.in_sync on ${HOST} reports CRITICAL (status 2). This alert resolves when the check ` +
        'reports OK again (WARNING raises ServiceCheckWarning instead).',
    });
    assert.equal(byName.ServiceCheckWarning!.summary, `Service check snmp.can_check is WARNING on ${SNMP_DEVICE}`);
    assert.equal(byName.AgentCheckFailing!.summary, `Agent check ntp is failing on ${HOST}`);
    await waitFor('the check alerts in Alertmanager', async () => (await am.alerts(['check=~".+"'])).length === 3);

    // Back to OK, as the capture has them.
    await postChecks(pd.url, pd.keys.default, capturedChecks());
    await waitFor(
      'the check alerts resolved',
      async () => checkAlerts(await apiAlerts(pd.url, pd.keys.default)).length === 0,
    );
    await waitFor('Alertmanager told they resolved', async () => (await am.alerts(['check=~".+"'])).length === 0);
  });
});

describe('a host that stops sending', () => {
  let pd: TestPromdog;
  before(async () => {
    pd = await promdogWithPack('{ host_not_reporting: { no_data: 3s, for: 2s, seen_within: 1m } }');
  });
  after(async () => pd?.close());

  /**
   * The Agent's checks once a second (its datadog.agent.up among them) until the returned stop is called; stop
   * resolves to the time (s) the last were stamped with.
   */
  function reporting(): () => Promise<number> {
    let stopped = false;
    let lastSec = 0;
    const loop = (async () => {
      while (!stopped) {
        lastSec = Math.floor(Date.now() / 1000);
        await postChecks(pd.url, pd.keys.default, capturedChecks(), lastSec);
        await new Promise((r) => setTimeout(r, 1000));
      }
    })();
    return async () => {
      stopped = true;
      await loop;
      return lastSec;
    };
  }

  const hostAlert = async () =>
    (await apiAlerts(pd.url, pd.keys.default)).find((a) => a.labels.alertname === 'HostNotReporting');

  test('goes pending after no_data, fires `for` later, and resolves when it reports again', async () => {
    let stop = reporting();
    // Reporting for a few evaluations: no alert.
    await new Promise((r) => setTimeout(r, 3000));
    assert.equal(await hostAlert(), undefined);
    const lastReportSec = await stop();

    const pending = await waitFor('HostNotReporting pending', async () => {
      const a = await hostAlert();
      return a?.state === 'pending' && a;
    });
    assert.deepEqual(pending.labels, {
      alertname: 'HostNotReporting',
      check: 'datadog.agent.up',
      instance: HOST,
      job: 'ddagent',
      severity: 'critical',
    });
    const firing = await waitFor('HostNotReporting firing', async () => {
      const a = await hostAlert();
      return a?.state === 'firing' && a;
    });
    assert.equal(firing.annotations.summary, `Host ${HOST} is not reporting`);
    assert.match(
      firing.annotations.description!,
      new RegExp(`^The Datadog Agent on ${HOST} has sent nothing for \\d+(\\.\\d+)?s: its datadog\\.agent\\.up `),
    );
    assert.ok(Number(firing.value) >= 5, `silent for no_data + for at least: ${firing.value}`);

    // ALERTS recorded the way there: pending from no_data after the last report, firing `for` later.
    const history = (
      await apiGet(
        pd.url,
        pd.keys.default,
        `/api/v1/query?query=${encodeURIComponent('ALERTS{alertname="HostNotReporting"}[1m]')}`,
      )
    ).result as { metric: { alertstate: string }; values: [number, string][] }[];
    const first = (state: string) => history.find((s) => s.metric.alertstate === state)?.values[0]?.[0];
    const pendingAt = first('pending');
    const firingAt = first('firing');
    assert.ok(pendingAt !== undefined && firingAt !== undefined, JSON.stringify(history));
    assert.ok(pendingAt >= lastReportSec + 3, 'not pending before no_data of silence');
    assert.ok(firingAt >= pendingAt + 2, 'firing `for` after pending');

    stop = reporting();
    try {
      await waitFor('HostNotReporting resolved', async () => (await hostAlert()) === undefined);
    } finally {
      await stop();
    }
  });
});
