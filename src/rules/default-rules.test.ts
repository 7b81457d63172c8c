import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadServeConfig } from '../config/config.js';
import { sanitizeMetricName, SERVICE_CHECK_METRIC } from '../mapping/index.js';
import type { Label } from '../model/prometheus.js';
import { Engine } from '../promql/engine.js';
import { MemoryQuerier } from '../../test/support/memory-querier.js';
import {
  DEFAULT_PACK_FILE,
  DEFAULT_PACK_GROUP,
  defaultPackFile,
  defaultRuleSources,
  type DefaultPackSettings,
} from './default-rules.js';
import type { RuleDefinition } from './rule-file.js';

// The default rule pack: what it holds with the defaults of the configuration, and what each monitor's expression
// selects, evaluated by the engine over data shaped as the mapping stores the Agent's (docs/mapping.md) at chosen
// times. test/rules/default-pack.test.ts runs the pack in a real promdog on the real Agent captures.

const DEFAULTS: DefaultPackSettings = loadServeConfig([], {}).rules.defaultPack;
const NAMES = { metric: sanitizeMetricName, serviceCheck: SERVICE_CHECK_METRIC };
const engine = new Engine({ lookbackDeltaMs: 300_000, maxSamples: 1_000_000, timeoutMs: 10_000 });

const T = 1_700_000_000_000;
const MIN = 60_000;

function packRules(settings: DefaultPackSettings = DEFAULTS, names = NAMES): Map<string, RuleDefinition> {
  const sources = defaultRuleSources(settings, names);
  return new Map(sources.flatMap((s) => s.groups.flatMap((g) => g.rules.map((r) => [r.name, r] as const))));
}

function labels(record: Record<string, string>): Label[] {
  return Object.entries(record).map(([name, value]) => ({ name, value }));
}

/** What an alert's expression selects at `timeMs`: each sample's labels but its name (sorted `k=v`) → value. */
async function selected(store: MemoryQuerier, rule: RuleDefinition, timeMs: number): Promise<Record<string, number>> {
  const r = await engine.instantQueryRaw(store, rule.expr, timeMs);
  assert.equal(r.resultType, 'vector');
  if (r.resultType !== 'vector') return {};
  return Object.fromEntries(
    r.series.map((s) => [
      s.labels
        .filter((l) => l.name !== '__name__')
        .map((l) => `${l.name}=${l.value}`)
        .sort()
        .join(','),
      s.values[0]!,
    ]),
  );
}

test('the defaults: seven monitors in one group, checked as a rule file, over the mapping’s names', () => {
  const sources = defaultRuleSources(DEFAULTS, NAMES);
  assert.equal(sources.length, 1);
  assert.equal(sources[0]!.file, DEFAULT_PACK_FILE);
  const group = sources[0]!.groups[0]!;
  assert.equal(group.name, DEFAULT_PACK_GROUP);
  assert.equal(group.intervalMs, 60_000);
  assert.deepEqual(
    group.rules.map((r) => [r.name, r.kind, r.forMs / 1000, Object.fromEntries(r.labels).severity]),
    [
      ['HostNotReporting', 'alert', 120, 'critical'],
      ['ServiceCheckCritical', 'alert', 0, 'critical'],
      ['ServiceCheckWarning', 'alert', 0, 'warning'],
      ['AgentCheckFailing', 'alert', 300, 'warning'],
      ['DiskAlmostFull', 'alert', 300, 'critical'],
      ['LoadPerCoreHigh', 'alert', 600, 'warning'],
      ['MemoryAlmostExhausted', 'alert', 300, 'critical'],
    ],
  );
  const rules = packRules();
  assert.equal(rules.get('DiskAlmostFull')!.expr, 'system_disk_in_use > 0.9');
  assert.equal(rules.get('LoadPerCoreHigh')!.expr, 'system_load_norm_5 > 1.5');
  assert.equal(rules.get('MemoryAlmostExhausted')!.expr, 'system_mem_pct_usable < 0.1');
  for (const r of rules.values())
    assert.deepEqual(Object.keys(Object.fromEntries(r.annotations)), ['summary', 'description']);
});

test('with keep_utf8_names the metrics are selected by their Datadog names', () => {
  const rules = packRules(DEFAULTS, { metric: (n) => n, serviceCheck: SERVICE_CHECK_METRIC });
  assert.equal(rules.get('DiskAlmostFull')!.expr, '{"system.disk.in_use"} > 0.9');
  assert.equal(rules.get('MemoryAlmostExhausted')!.expr, '{"system.mem.pct_usable"} < 0.1');
  assert.equal(
    rules.get('ServiceCheckCritical')!.expr,
    `${SERVICE_CHECK_METRIC}{check!="datadog.agent.check_status"} == 2`,
  );
});

test('each monitor can be turned off; with all off there is no group', () => {
  const off = structuredClone(DEFAULTS);
  off.serviceCheck.enabled = false;
  off.loadPerCore.enabled = false;
  assert.deepEqual(
    [...packRules(off).keys()],
    ['HostNotReporting', 'AgentCheckFailing', 'DiskAlmostFull', 'MemoryAlmostExhausted'],
  );
  for (const m of ['hostNotReporting', 'agentCheck', 'diskInUse', 'memoryUsable'] as const) off[m].enabled = false;
  assert.equal(defaultPackFile(off, NAMES), '');
  assert.deepEqual(defaultRuleSources(off, NAMES), []);
});

test('thresholds and durations come from the settings, into the expressions, `for` and the messages', () => {
  const s = structuredClone(DEFAULTS);
  s.intervalMs = 15_000;
  s.diskInUse = { enabled: true, above: 0.75, forMs: 90_000 };
  s.memoryUsable = { enabled: true, below: 0.07, forMs: 0 };
  s.hostNotReporting = { enabled: true, noDataMs: 10 * MIN, forMs: 0, seenWithinMs: 24 * 60 * MIN };
  const rules = packRules(s);
  const disk = rules.get('DiskAlmostFull')!;
  assert.equal(disk.expr, 'system_disk_in_use > 0.75');
  assert.equal(disk.forMs, 90_000);
  assert.match(Object.fromEntries(disk.annotations).description!, /more than 75% full for 1m30s/);
  assert.match(Object.fromEntries(rules.get('MemoryAlmostExhausted')!.annotations).description!, /Less than 7% /);
  const host = rules.get('HostNotReporting')!.expr;
  assert.match(host, /\[1d:15s\]\)\n\) < 86400\n/);
  assert.match(host, /\[10m\]\)$/);
});

/** datadog.agent.up of a host every 15 s over [fromMs, toMs], with its host tags. */
function agentUp(store: MemoryQuerier, host: string, fromMs: number, toMs: number, tags: Record<string, string> = {}) {
  const l = labels({
    __name__: SERVICE_CHECK_METRIC,
    check: 'datadog.agent.up',
    instance: host,
    job: 'ddagent',
    ...tags,
  });
  for (let t = fromMs; t <= toMs; t += 15_000) store.add(l, t, 0);
}

test('host not reporting: silent for no_data after reporting within seen_within; its value is the silence', async () => {
  const store = new MemoryQuerier();
  const rule = packRules().get('HostNotReporting')!;
  agentUp(store, 'stopped', T - 30 * MIN, T, { env: 'prod' });
  agentUp(store, 'running', T - 30 * MIN, T + 90 * MIN);
  agentUp(store, 'long-gone', T - 3 * 60 * MIN, T - 2 * 60 * MIN);
  // Host tags changed at T - 10m: its old series stops then, its new one goes on; only the host matters.
  agentUp(store, 'retagged', T - 30 * MIN, T - 10 * MIN, { env: 'staging' });
  agentUp(store, 'retagged', T - 10 * MIN + 15_000, T + 90 * MIN, { env: 'prod' });

  assert.deepEqual(await selected(store, rule, T + 2 * MIN), {}, 'silent for less than 3m');
  assert.deepEqual(await selected(store, rule, T + 3 * MIN + 1000), {
    'check=datadog.agent.up,env=prod,instance=stopped,job=ddagent': 181,
  });
  assert.deepEqual(await selected(store, rule, T + 42 * MIN + 30_000), {
    'check=datadog.agent.up,env=prod,instance=stopped,job=ddagent': 42 * 60 + 30,
  });
  assert.deepEqual(await selected(store, rule, T + 60 * MIN + 1000), {}, 'not seen within the last hour');
});

test('host not reporting: a silent host that changed tags alerts once, with its latest tags', async () => {
  const store = new MemoryQuerier();
  const rule = packRules().get('HostNotReporting')!;
  agentUp(store, 'h', T - 30 * MIN, T - 10 * MIN, { env: 'staging' });
  agentUp(store, 'h', T - 10 * MIN + 15_000, T, { env: 'prod' });
  assert.deepEqual(await selected(store, rule, T + 5 * MIN), {
    'check=datadog.agent.up,env=prod,instance=h,job=ddagent': 300,
  });
});

test('service checks: CRITICAL and WARNING per check and host; the Agent’s check status apart', async () => {
  const store = new MemoryQuerier();
  const rules = packRules();
  const check = (name: string, host: string, status: number, tags: Record<string, string> = {}) =>
    store.add(
      labels({ __name__: SERVICE_CHECK_METRIC, check: name, instance: host, job: 'ddagent', ...tags }),
      T,
      status,
    );
  check('ntp.in_sync', 'h1', 2);
  check('ntp.in_sync', 'h2', 1);
  check('http.can_connect', 'h1', 0);
  check('disk.health', 'h1', 3);
  check('datadog.agent.up', 'h1', 0);
  check('datadog.agent.check_status', 'h1', 2, { exported_check: 'postgres' });
  check('datadog.agent.check_status', 'h1', 1, { exported_check: 'redisdb' });
  check('datadog.agent.check_status', 'h2', 0, { exported_check: 'cpu' });
  const at = T + 30_000;
  assert.deepEqual(await selected(store, rules.get('ServiceCheckCritical')!, at), {
    'check=ntp.in_sync,instance=h1,job=ddagent': 2,
  });
  assert.deepEqual(await selected(store, rules.get('ServiceCheckWarning')!, at), {
    'check=ntp.in_sync,instance=h2,job=ddagent': 1,
  });
  assert.deepEqual(await selected(store, rules.get('AgentCheckFailing')!, at), {
    'check=datadog.agent.check_status,exported_check=postgres,instance=h1,job=ddagent': 2,
  });
});

test('disk, load per core and memory: strictly past their thresholds, per device and host', async () => {
  const store = new MemoryQuerier();
  const rules = packRules();
  const gauge = (metric: string, host: string, value: number, extra: Record<string, string> = {}) =>
    store.add(labels({ __name__: metric, instance: host, job: 'ddagent', type: 'gauge', ...extra }), T, value);
  gauge('system_disk_in_use', 'h1', 0.95, { device: '/dev/sda1' });
  gauge('system_disk_in_use', 'h1', 0.9, { device: '/dev/sdb1' });
  gauge('system_disk_in_use', 'h2', 0.2, { device: '/dev/sda1' });
  gauge('system_load_norm_5', 'h1', 1.6);
  gauge('system_load_norm_5', 'h2', 1.5);
  gauge('system_mem_pct_usable', 'h1', 0.05);
  gauge('system_mem_pct_usable', 'h2', 0.1);
  const at = T + 30_000;
  assert.deepEqual(await selected(store, rules.get('DiskAlmostFull')!, at), {
    'device=/dev/sda1,instance=h1,job=ddagent,type=gauge': 0.95,
  });
  assert.deepEqual(await selected(store, rules.get('LoadPerCoreHigh')!, at), {
    'instance=h1,job=ddagent,type=gauge': 1.6,
  });
  assert.deepEqual(await selected(store, rules.get('MemoryAlmostExhausted')!, at), {
    'instance=h1,job=ddagent,type=gauge': 0.05,
  });
});
