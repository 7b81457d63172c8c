import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import { Engine } from '../promql/engine.js';
import { MemoryQuerier } from '../../test/support/memory-querier.js';
import { AlertingRule } from './alerting-rule.js';
import { RecordingRule } from './recording-rule.js';
import { parseRuleGroup } from './rule-file.js';
import type { EvalContext } from './rule.js';
import type { PromSeries } from '../model/prometheus.js';

const engine = new Engine({ lookbackDeltaMs: 300_000, maxSamples: 1_000_000, timeoutMs: 10_000 });

function context(q: MemoryQuerier, over: Partial<EvalContext> = {}): EvalContext {
  return {
    query: (expr, t) => engine.instantQueryRaw(q, expr, t),
    queryOffsetMs: 0,
    limit: 0,
    externalLabels: { tenant: 't' },
    externalURL: 'http://promdog',
    logger: pino({ level: 'silent' }),
    ...over,
  };
}

/** The group's rules, built from YAML as the manager builds them. */
function rulesOf(yaml: string) {
  const r = parseRuleGroup(yaml);
  assert.ok(r.groups, JSON.stringify(r.errors));
  const g = r.groups[0]!;
  return g.rules.map((d) =>
    d.kind === 'alert' ? new AlertingRule(d, g.labels, true) : new RecordingRule(d, g.labels),
  );
}

const names = (series: PromSeries[]) =>
  series.map((s) => `${Object.fromEntries(s.labels.map((l) => [l.name, l.value])).__name__}:${s.values[0]}`).sort();

test('inactive → pending → firing after `for`, then resolved; ALERTS and ALERTS_FOR_STATE follow', async () => {
  const q = new MemoryQuerier();
  const [rule] = rulesOf(
    'name: g\nlabels: { team: a }\nrules:\n  - alert: High\n    expr: load > 1\n    for: 2m\n    labels: { severity: page }\n    annotations: { summary: "{{ $labels.host }} at {{ $value }}" }\n',
  ) as [AlertingRule];
  const ctx = context(q);
  const t0 = 1_000_000;
  const load = (t: number, v: number) =>
    q.add(
      [
        { name: '__name__', value: 'load' },
        { name: 'host', value: 'h1' },
      ],
      t,
      v,
    );
  load(t0, 5);
  let out = await rule.eval(ctx, t0);
  assert.equal(rule.state(), 'pending');
  const [alert] = rule.activeAlerts();
  assert.deepEqual(
    alert!.labels.map((l) => `${l.name}=${l.value}`),
    ['alertname=High', 'host=h1', 'severity=page', 'team=a'],
  );
  assert.deepEqual(alert!.annotations, [{ name: 'summary', value: 'h1 at 5' }]);
  assert.deepEqual(names(out), ['ALERTS:1', `ALERTS_FOR_STATE:${t0 / 1000}`]);
  assert.ok(out[0]!.labels.some((l) => l.name === 'alertstate' && l.value === 'pending'));
  assert.deepEqual(rule.alertsToSend(t0, 60_000, 60_000), [], 'pending alerts are not sent');

  load(t0 + 60_000, 6);
  await rule.eval(ctx, t0 + 60_000);
  assert.equal(rule.state(), 'pending');
  load(t0 + 120_000, 7);
  out = await rule.eval(ctx, t0 + 120_000);
  assert.equal(rule.state(), 'firing');
  assert.equal(rule.activeAlerts()[0]!.firedAt, t0 + 120_000);
  assert.equal(rule.activeAlerts()[0]!.activeAt, t0, 'activeAt stays when the alert goes on firing');
  assert.ok(out.some((s) => s.labels.some((l) => l.name === 'alertstate' && l.value === 'firing')));
  const sent = rule.alertsToSend(t0 + 120_000, 60_000, 60_000);
  assert.equal(sent.length, 1);
  assert.equal(sent[0]!.validUntil, t0 + 120_000 + 4 * 60_000);
  assert.deepEqual(rule.alertsToSend(t0 + 150_000, 60_000, 60_000), [], 'not again within the resend delay');
  assert.equal(rule.alertsToSend(t0 + 180_001, 60_000, 60_000).length, 1, 'resent after the resend delay');

  load(t0 + 240_000, 0);
  out = await rule.eval(ctx, t0 + 240_000);
  assert.equal(rule.state(), 'inactive');
  assert.deepEqual(out, [], 'no ALERTS sample once resolved');
  assert.equal(rule.activeAlerts().length, 0);
  const resolved = rule.alertsToSend(t0 + 240_000, 60_000, 60_000);
  assert.equal(resolved.length, 1, 'a resolved alert is sent at once');
  assert.equal(resolved[0]!.resolvedAt, t0 + 240_000);
  // Kept (and sent again) for 15 minutes, then forgotten.
  await rule.eval(ctx, t0 + 240_000 + 15 * 60_000);
  assert.equal(rule.active.size, 1);
  await rule.eval(ctx, t0 + 240_000 + 16 * 60_000);
  assert.equal(rule.active.size, 0);
});

test('a pending alert that clears is dropped; `for: 0` fires at once', async () => {
  const q = new MemoryQuerier();
  const [slow, fast] = rulesOf(
    'name: g\nrules:\n  - alert: Slow\n    expr: x > 0\n    for: 5m\n  - alert: Fast\n    expr: x > 0\n',
  ) as [AlertingRule, AlertingRule];
  const ctx = context(q);
  q.add([{ name: '__name__', value: 'x' }], 1000, 1);
  await slow.eval(ctx, 1000);
  await fast.eval(ctx, 1000);
  assert.equal(slow.state(), 'pending');
  assert.equal(fast.state(), 'firing');
  q.add([{ name: '__name__', value: 'x' }], 2000, 0);
  await slow.eval(ctx, 2000);
  assert.equal(slow.active.size, 0);
});

test('keep_firing_for keeps a firing alert after its condition clears, then resolves it', async () => {
  const q = new MemoryQuerier();
  const [rule] = rulesOf('name: g\nrules:\n  - alert: K\n    expr: x > 0\n    keep_firing_for: 2m\n') as [AlertingRule];
  const ctx = context(q);
  const x = (t: number, v: number) => q.add([{ name: '__name__', value: 'x' }], t, v);
  x(0, 1);
  await rule.eval(ctx, 0);
  assert.equal(rule.state(), 'firing');
  x(60_000, 0);
  let out = await rule.eval(ctx, 60_000);
  assert.equal(rule.state(), 'firing');
  assert.equal(rule.activeAlerts()[0]!.keepFiringSince, 60_000);
  assert.ok(out.length > 0, 'still written as firing');
  x(120_000, 0);
  await rule.eval(ctx, 120_000);
  assert.equal(rule.state(), 'firing');
  x(180_000, 0);
  out = await rule.eval(ctx, 180_000);
  assert.equal(rule.state(), 'inactive');
  assert.deepEqual(out, []);
});

test('template errors show in the annotation as Prometheus shows them; duplicates and limits are errors', async () => {
  const q = new MemoryQuerier();
  q.add(
    [
      { name: '__name__', value: 'x' },
      { name: 'a', value: '1' },
    ],
    0,
    1,
  );
  q.add(
    [
      { name: '__name__', value: 'x' },
      { name: 'a', value: '2' },
    ],
    0,
    1,
  );
  const [templated, dup] = rulesOf(
    'name: g\nrules:\n  - alert: T\n    expr: x\n    annotations: { s: "{{ humanize \\"abc\\" }}" }\n  - alert: D\n    expr: x\n    labels: { a: same }\n',
  ) as [AlertingRule, AlertingRule];
  await templated.eval(context(q), 0);
  const value = templated.activeAlerts()[0]!.annotations[0]!.value;
  assert.match(value, /^<error expanding template: .*__alert_T.*humanize.*>$/);
  await assert.rejects(
    dup.eval(context(q), 0),
    /vector contains metrics with the same labelset after applying alert labels/,
  );
  await assert.rejects(templated.eval(context(q, { limit: 1 }), 60_000), /exceeded limit of 1 with 2 alerts/);
  assert.equal(templated.active.size, 0, 'over the limit, the alerts are dropped');
});

test('no ALERTS samples before `for` state was restored; query_offset moves query and sample times', async () => {
  const q = new MemoryQuerier();
  q.add([{ name: '__name__', value: 'x' }], 40_000, 1);
  const g = parseRuleGroup('name: g\nrules:\n  - alert: A\n    expr: x > 0\n');
  assert.ok(g.groups);
  const rule = new AlertingRule(g.groups[0]!.rules[0]!, [], false);
  assert.deepEqual(await rule.eval(context(q), 60_000), []);
  assert.equal(rule.state(), 'firing', 'the state moves on regardless');
  rule.restored = true;
  const out = await rule.eval(context(q, { queryOffsetMs: 30_000 }), 70_000);
  assert.deepEqual(
    out.map((s) => s.timestamps[0]),
    [40_000, 40_000],
  );
  // At 70 s - 30 s the sample at 40 s is the newest: with the offset the query sees x; 10 s later it would not.
  assert.deepEqual(await rule.eval(context(q, { queryOffsetMs: 30_000 }), 69_000), []);
});

test('recording rules rename, set labels (an empty one removes), and refuse duplicates and too many series', async () => {
  const q = new MemoryQuerier();
  q.add(
    [
      { name: '__name__', value: 'x' },
      { name: 'a', value: '1' },
      { name: 'drop', value: 'y' },
    ],
    0,
    2,
  );
  q.add(
    [
      { name: '__name__', value: 'x' },
      { name: 'a', value: '2' },
      { name: 'drop', value: 'y' },
    ],
    0,
    3,
  );
  const [rec, scalar, dup] = rulesOf(
    'name: g\nlabels: { team: a }\nrules:\n  - record: r:x\n    expr: x * 2\n    labels: { drop: "" }\n  - record: s\n    expr: scalar(sum(x))\n  - record: d\n    expr: x\n    labels: { a: same }\n',
  ) as [RecordingRule, RecordingRule, RecordingRule];
  const out = await rec.eval(context(q), 1000);
  assert.deepEqual(
    out.map((s) => [s.labels.map((l) => `${l.name}=${l.value}`).join(','), s.timestamps[0], s.values[0]]),
    [
      ['__name__=r:x,a=1,team=a', 1000, 4],
      ['__name__=r:x,a=2,team=a', 1000, 6],
    ],
  );
  const [s] = await scalar.eval(context(q), 1000);
  assert.deepEqual(
    s!.labels.map((l) => `${l.name}=${l.value}`),
    ['__name__=s', 'team=a'],
  );
  assert.equal(s!.values[0], 5);
  await assert.rejects(dup.eval(context(q), 1000), /same labelset after applying rule labels/);
  await assert.rejects(rec.eval(context(q, { limit: 1 }), 1000), /exceeded limit of 1 with 2 series/);
  const [bad] = rulesOf('name: g\nrules:\n  - record: m\n    expr: x[5m]\n') as [RecordingRule];
  await assert.rejects(bad.eval(context(q), 1000), /rule result is not a vector or scalar/);
});
