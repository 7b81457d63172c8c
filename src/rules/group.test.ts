import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { Engine } from '../promql/engine.js';
import { isStaleAt } from '../promql/staleness.js';
import { MemoryQuerier } from '../../test/support/memory-querier.js';
import type { PromSeries } from '../model/prometheus.js';
import { AlertingRule } from './alerting-rule.js';
import { RecordingRule } from './recording-rule.js';
import { RuleGroup, type GroupDeps } from './group.js';
import { ruleMetrics } from './metrics.js';
import { parseRuleGroup } from './rule-file.js';
import type { AlertNotification } from '../model/alert.js';

const engine = new Engine({ lookbackDeltaMs: 300_000, maxSamples: 1_000_000, timeoutMs: 10_000 });

/** A group over an in-memory store: appends land in the store (stale markers as markers), alerts are collected. */
function setup(
  yaml: string,
  over: {
    restored?: boolean;
    forGracePeriodMs?: number;
    /** Runs before an append reaches the store (it may hold it back). */
    beforeAppend?: (series: PromSeries[]) => Promise<void>;
    onQuery?: (expr: string) => void;
  } = {},
) {
  const store = new MemoryQuerier();
  const appended: PromSeries[] = [];
  const sent: AlertNotification[][] = [];
  const deps: GroupDeps = {
    tenant: 't',
    query: (expr, t) => {
      over.onQuery?.(expr);
      return engine.instantQueryRaw(store, expr, t);
    },
    append: async (series) => {
      await over.beforeAppend?.(series);
      for (const s of series) {
        appended.push(s);
        const values = s.values as unknown as Float64Array;
        const stale = values instanceof Float64Array && Number.isNaN(values[0]) && isStaleAt(values, 0);
        store.add(s.labels, s.timestamps[0]!, s.values[0]!, stale);
      }
    },
    notify: (alerts) => sent.push(alerts),
    logger: pino({ level: 'silent' }),
    metrics: ruleMetrics(new Registry()),
    externalLabels: {},
    externalURL: () => 'https://promdog.example',
    resendDelayMs: 60_000,
    outageToleranceMs: 3_600_000,
    forGracePeriodMs: over.forGracePeriodMs ?? 600_000,
    onEvaluated: () => {},
  };
  const parsed = parseRuleGroup(yaml);
  assert.ok(parsed.groups, JSON.stringify(parsed.errors));
  const g = parsed.groups[0]!;
  const rules = g.rules.map((r) =>
    r.kind === 'alert' ? new AlertingRule(r, g.labels, over.restored ?? true) : new RecordingRule(r, g.labels),
  );
  const group = new RuleGroup(
    { file: 'f.yml', name: g.name, intervalMs: 60_000, limit: 0, rules, shouldRestore: !(over.restored ?? true) },
    deps,
  );
  return { store, appended, sent, group, rules };
}

test('rules run in order, each seeing the recording rules before it in the same evaluation', async () => {
  const { store, group } = setup(
    'name: g\nrules:\n  - record: a\n    expr: x * 2\n  - record: b\n    expr: a + 1\n  - record: c\n    expr: b + a\n',
  );
  store.add([{ name: '__name__', value: 'x' }], 0, 5);
  await group.evaluate(60_000);
  const value = async (name: string) => {
    const r = await engine.instantQueryRaw(store, name, 60_000);
    return r.resultType === 'vector' ? r.series[0]?.values[0] : undefined;
  };
  assert.deepEqual([await value('a'), await value('b'), await value('c')], [10, 11, 21]);
});

test('appends run on while later rules evaluate; a rule waits for the appends of the rules it reads', async () => {
  const events: string[] = [];
  const held: (() => void)[] = [];
  const { store, group } = setup(
    'name: g\nrules:\n  - record: a\n    expr: x\n  - record: b\n    expr: y\n  - record: c\n    expr: a + 1\n',
    {
      beforeAppend: (series) => {
        events.push(`append ${series[0]!.labels[0]!.value}`);
        return new Promise((release) => held.push(release));
      },
      onQuery: (expr) => events.push(`query ${expr}`),
    },
  );
  store.add([{ name: '__name__', value: 'x' }], 0, 1);
  store.add([{ name: '__name__', value: 'y' }], 0, 2);
  const evaluating = group.evaluate(60_000);
  while (held.length < 2) await new Promise((r) => setImmediate(r));
  // b does not read a: it was evaluated while a's append is still held; c reads a and has not run yet.
  assert.deepEqual(events, ['query x', 'append a', 'query y', 'append b']);
  // c waits for a's append only: b's is still held when c runs.
  held[0]!();
  for (let turn = 0; held.length < 3 && turn < 100; turn++) await new Promise((r) => setImmediate(r));
  assert.deepEqual(events.slice(4), ['query a + 1', 'append c']);
  for (const release of held.splice(1)) release();
  await evaluating;
  const r = await engine.instantQueryRaw(store, 'c', 60_000);
  assert.equal(r.resultType === 'vector' && r.series[0]?.values[0], 2);
});

test('a series that goes away gets a stale marker at the next evaluation', async () => {
  const { store, appended, group } = setup('name: g\nrules:\n  - record: big\n    expr: x > 1\n');
  const x = [{ name: '__name__', value: 'x' }];
  store.add(x, 0, 5);
  await group.evaluate(60_000);
  store.add(x, 100_000, 0);
  await group.evaluate(120_000);
  const last = appended.at(-1)!;
  assert.deepEqual(last.labels, [{ name: '__name__', value: 'big' }]);
  assert.equal(last.timestamps[0], 120_000);
  assert.ok(isStaleAt(last.values as unknown as Float64Array, 0), 'Prometheus’ exact StaleNaN bits');
  const r = await engine.instantQueryRaw(store, 'big', 130_000);
  assert.equal(r.resultType === 'vector' && r.series.length, 0, 'gone at once, not after the lookback');
});

test('notifications: firing ones sent and re-sent each resend delay, resolved ones with endsAt, links to Explore', async () => {
  const { store, sent, group } = setup(
    'name: g\nrules:\n  - alert: Up\n    expr: up{job="a"} > 0\n    for: 1m\n    labels: { sev: page }\n    annotations: { s: "{{ $labels.job }}" }\n',
  );
  const up = [
    { name: '__name__', value: 'up' },
    { name: 'job', value: 'a' },
  ];
  for (let m = 1; m <= 4; m++) {
    store.add(up, m * 60_000, 1);
    await group.evaluate(m * 60_000);
  }
  store.add(up, 300_000, 0);
  await group.evaluate(300_000);
  // Pending at 1 min; firing from 2 min, sent then; at 3 min not again (the last send is not more than a resend
  // delay ago); at 4 min again; resolved at 5 min.
  assert.deepEqual(
    sent.map((batch) => batch.map((a) => [a.startsAt, a.endsAt])),
    [[[120_000, 120_000 + 240_000]], [[120_000, 240_000 + 240_000]], [[120_000, 300_000]]],
  );
  assert.deepEqual(sent[0]![0], {
    labels: { alertname: 'Up', job: 'a', sev: 'page' },
    annotations: { s: 'a' },
    startsAt: 120_000,
    endsAt: 360_000,
    generatorURL: `https://promdog.example/#/explore?expr=${encodeURIComponent('up{job="a"} > 0')}`,
  });
});

/** An alerting group restarted at `nowMs` whose ALERTS_FOR_STATE says the alert was active since `activeAtS`. */
async function restoreCase(opts: { forS: number; activeAtS: number; lastSampleS: number; staleAfter?: boolean }) {
  const { store, group, rules } = setup(
    `name: g\nrules:\n  - alert: A\n    expr: vector(1)\n    for: ${opts.forS}s\n    labels: { sev: x }\n`,
    { restored: false, forGracePeriodMs: 60_000 },
  );
  const forState = [
    { name: '__name__', value: 'ALERTS_FOR_STATE' },
    { name: 'alertname', value: 'A' },
    { name: 'sev', value: 'x' },
  ];
  store.add(forState, opts.activeAtS * 1000, opts.activeAtS);
  store.add(forState, opts.lastSampleS * 1000, opts.activeAtS);
  if (opts.staleAfter) store.add(forState, (opts.lastSampleS + 60) * 1000, Number.NaN, true);
  const now = 10_000_000;
  await group.evaluate(now - 60_000);
  await group.evaluate(now);
  await group.restoreForState(now);
  const rule = rules[0] as AlertingRule;
  assert.ok(rule.restored);
  return { activeAt: rule.activeAlerts()[0]!.activeAt, now };
}

test('`for` restore: the outage is added, the grace period is kept, firing ones and resolved ones stay as they are', async () => {
  // Pending 10 of 30 minutes when it went down 5 minutes ago: activeAt moves forward by the outage.
  let r = await restoreCase({ forS: 1800, activeAtS: 8800, lastSampleS: 9400 });
  assert.equal(r.activeAt, (8800 + (10_000 - 9400)) * 1000);
  // Less than the grace period (1 minute) left: it fires a grace period after now (not 30 s after the outage).
  r = await restoreCase({ forS: 1800, activeAtS: 7600, lastSampleS: 9370 });
  assert.equal(r.activeAt, r.now + 60_000 - 1_800_000);
  assert.notEqual(r.activeAt, (7600 + (10_000 - 9370)) * 1000);
  // It was firing when it went down: activeAt comes back unchanged.
  r = await restoreCase({ forS: 600, activeAtS: 8000, lastSampleS: 9400 });
  assert.equal(r.activeAt, 8_000_000);
  // It had resolved (a stale marker after the last sample): not restored, pending since the restart.
  r = await restoreCase({ forS: 1800, activeAtS: 8800, lastSampleS: 9400, staleAfter: true });
  assert.equal(r.activeAt, r.now - 60_000);
  // `for` shorter than the grace period: nothing to restore, it just waits its `for`.
  r = await restoreCase({ forS: 30, activeAtS: 8800, lastSampleS: 9400 });
  assert.equal(r.activeAt, r.now - 60_000);
});

test('a replacing group takes over the alerts and series of rules with the same name and labels', async () => {
  const a = setup(
    'name: g\nrules:\n  - alert: A\n    expr: vector(1)\n    for: 5m\n  - record: gone\n    expr: vector(2)\n',
  );
  await a.group.evaluate(60_000);
  const b = setup('name: g\nrules:\n  - alert: A\n    expr: vector(1)\n    for: 5m\n');
  b.group.copyState(a.group);
  const alert = (b.rules[0] as AlertingRule).activeAlerts()[0]!;
  assert.equal(alert.activeAt, 60_000, 'the pending alert kept its time');
  // The dropped recording rule's series goes stale at the new group's first evaluation.
  await b.group.evaluate(120_000);
  assert.ok(
    b.appended.some((s) => s.labels[0]!.value === 'gone' && isStaleAt(s.values as unknown as Float64Array, 0)),
    'stale marker for the removed rule',
  );
});
