// The ruler against the real Prometheus as the reference: one rule file loaded into a Prometheus (P) and into two
// promdogs, an embedded one (E) and a gateway one (G) that queries a second Prometheus (P2) through --query-url and
// remote-writes its results there. P and P2 get the same data through a gateway promdog (D), E gets the same
// payload. The data is loaded ahead of the evaluations, so from then on every ruler sees the same data at every
// evaluation slot, and the slots are the same (a group's slot comes from its file and name). Recording-rule outputs,
// ALERTS and ALERTS_FOR_STATE must be equal sample for sample, stale markers included, and the alerts the same.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { PrometheusProcess, type PrometheusAlert, type RangeSeries } from '../support/prometheus.js';
import { post, startPromdog, type TestPromdog } from '../support/promdog.js';

const RULES = `groups:
  - name: reference
    interval: 1s
    rules:
      - record: host:load:max
        expr: max by (instance) (system_load_1)
      - record: host:load:busy
        expr: host:load:max > 1
      - record: all:load:busy
        expr: sum(host:load:busy)
      - alert: LoadHigh
        expr: host:load:max > 2
        for: 3s
        labels: { severity: page }
        annotations: { summary: "{{ $labels.instance }} load is {{ $value }}" }
      - alert: LoadSpike
        expr: host:load:max > 4
        keep_firing_for: 3s
`;
const RECORDED = ['host:load:max', 'host:load:busy', 'all:load:busy', 'ALERTS', 'ALERTS_FOR_STATE'];

/** Seconds after the start of the scenario (t0) at which each host's load changes. */
function load(host: string, s: number): number {
  if (host === 'h1') return s >= 20 && s < 25 ? 5 : s >= 10 && s < 30 ? 3 : s >= 30 ? 0.5 : 1;
  if (host === 'h2') return 1.5;
  return s < 3 ? 1.8 : s < 15 ? 2.5 : 0.2;
}
const SCENARIO_END_S = 40;

let dir: string;
let ruleFile: string;
let p: PrometheusProcess;
let p2: PrometheusProcess;
let d: TestPromdog;
let e: TestPromdog;
let g: TestPromdog;
let t0: number;
/** From then on every ruler has the data and writes ALERTS (not before its `for` state was restored). */
let comparedFrom: number;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'promdog-rules-reference-'));
  ruleFile = join(dir, 'reference.yml');
  writeFileSync(ruleFile, RULES);
  [p, p2] = await Promise.all([
    PrometheusProcess.start({ ruleFiles: { [ruleFile]: RULES }, evaluationInterval: '1s' }),
    PrometheusProcess.start(),
  ]);
  const quiet = ['--self-scrape-interval', '0'];
  d = await startPromdog(['--remote-write-url', p.remoteWriteUrl, '--remote-write-url', p2.remoteWriteUrl, ...quiet]);
  e = await startPromdog(['--rule-file', ruleFile, ...quiet]);
  g = await startPromdog([
    ...['--remote-write-url', p2.remoteWriteUrl, '--query-url', p2.url, '--rule-file', ruleFile],
    ...quiet,
  ]);
  // A ruler writes ALERTS from its third evaluation on: the first two come before the `for` state is restored.
  const restoredBy = Date.now() + 4_000;
  t0 = Math.ceil(Date.now() / 1000) + 8;
  const series = ['h1', 'h2', 'h3'].map((host) => ({
    metric: 'system.load.1',
    type: 'gauge',
    host,
    points: Array.from({ length: 60 + SCENARIO_END_S + 30 }, (_, i) => {
      const s = i - 60;
      return [t0 + s, load(host, s)];
    }),
  }));
  const body = JSON.stringify({ series });
  for (const target of [d, e]) {
    const r = await post(target.url, '/api/v1/series', body, { key: target.keys.default });
    assert.equal(r.status, 202, JSON.stringify(r.json));
  }
  comparedFrom = Math.max(Date.now(), restoredBy);
  // Every alert starts after this, so all rulers see it start at the same evaluation.
  assert.ok(comparedFrom < (t0 + 2) * 1000, 'the data is in before the first change at t0 + 3 s');
});

after(async () => {
  await Promise.all([g?.close(), e?.close(), d?.close()]);
  await Promise.all([p?.cleanup(), p2?.cleanup()]);
  rmSync(dir, { recursive: true, force: true });
});

async function untilPast(ms: number): Promise<void> {
  while (Date.now() < ms) await new Promise((r) => setTimeout(r, Math.min(500, ms - Date.now())));
}

/** Instant query of a promdog (matrix or vector), in Prometheus' shapes. */
async function promdogQuery(pd: TestPromdog, query: string, timeSec: number): Promise<RangeSeries[]> {
  const res = await fetch(`${pd.url}/api/v1/query?${new URLSearchParams({ query, time: String(timeSec) })}`, {
    headers: { authorization: `Bearer ${pd.keys.default}` },
  });
  const body = (await res.json()) as { data: { resultType: string; result: RangeSeries[] } };
  assert.equal(res.status, 200, JSON.stringify(body));
  return body.data.result;
}

/** Every sample of a series in the compared window, one line each: labels, time, value. */
function samples(result: RangeSeries[], fromSec: number): string[] {
  const out: string[] = [];
  for (const s of result) {
    const labels = Object.entries(s.metric)
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([k, v]) => `${k}=${v}`)
      .join(',');
    for (const [t, v] of s.values) if (t > fromSec) out.push(`${labels} @${t.toFixed(3)} = ${v}`);
  }
  return out.sort();
}

// The tests run in order along the scenario: alerts while h1 fires, staleness after h3 dropped, then the whole run.
test('the alerts: same labels, rendered annotations, state, activeAt and value', async () => {
  // h1's LoadHigh fires from t0 + 13 s to t0 + 30 s; look while it does, between h3's alert resolving (t0 + 15 s) and
  // h1's value changing (t0 + 20 s). Both rulers evaluate every second; one that lags a slot on a busy machine (as
  // in one CI run) catches up within that window, so the two are read again until they agree or it has passed.
  await untilPast((t0 + 16) * 1000);
  const normal = (alerts: PrometheusAlert[]) =>
    alerts
      .map((a) => ({ ...a, activeAt: new Date(a.activeAt).getTime() }))
      .sort((a, b) => (JSON.stringify(a.labels) < JSON.stringify(b.labels) ? -1 : 1));
  const embeddedAlerts = async () =>
    (
      (await (
        await fetch(`${e.url}/api/v1/alerts`, { headers: { authorization: `Bearer ${e.keys.default}` } })
      ).json()) as { data: { alerts: PrometheusAlert[] } }
    ).data.alerts;
  let reference = normal(await p.alerts());
  let embedded = normal(await embeddedAlerts());
  while (!isDeepStrictEqual(embedded, reference) && Date.now() < (t0 + 19) * 1000) {
    await new Promise((r) => setTimeout(r, 250));
    reference = normal(await p.alerts());
    embedded = normal(await embeddedAlerts());
  }
  assert.ok(
    reference.some((a) => a.labels.instance === 'h1' && a.labels.alertname === 'LoadHigh' && a.state === 'firing'),
    JSON.stringify(reference),
  );
  assert.deepEqual(embedded, reference);
});

test('series that went away are stale at once in all three, as Prometheus marks them', async () => {
  await untilPast((t0 + 20) * 1000);
  // h3 fell below 1 at t0 + 15 s: host:load:busy and its LoadHigh alert went away then; without stale markers they
  // would still show for five minutes.
  const at = t0 + 18;
  for (const query of ['host:load:busy{instance="h3"}', 'ALERTS{instance="h3"}']) {
    assert.deepEqual(await p.query(query, at), [], `${query}: Prometheus`);
    assert.deepEqual(await promdogQuery(e, query, at), [], `${query}: embedded`);
    assert.deepEqual(await p2.query(query, at), [], `${query}: gateway`);
  }
  assert.equal((await p.query('host:load:busy{instance="h1"}', at)).length, 1, 'the others stay');
  assert.equal((await promdogQuery(e, 'host:load:busy{instance="h1"}', at)).length, 1);
});

test('recording rules, ALERTS and ALERTS_FOR_STATE equal Prometheus’ at the same evaluation timestamps', async () => {
  const end = t0 + SCENARIO_END_S;
  await untilPast((end + 2) * 1000);
  const from = comparedFrom / 1000;
  const window = `[${end + 2 - Math.floor(from)}s]`;
  for (const name of RECORDED) {
    const reference = samples(await p.queryMatrix(`{__name__="${name}"}${window}`, end), from);
    assert.ok(reference.length > 0, `${name}: Prometheus recorded it`);
    const embedded = samples(await promdogQuery(e, `{__name__="${name}"}${window}`, end), from);
    const gateway = samples(await p2.queryMatrix(`{__name__="${name}"}${window}`, end), from);
    assert.deepEqual(embedded, reference, `${name}: embedded promdog vs Prometheus`);
    assert.deepEqual(gateway, reference, `${name}: gateway promdog (through P2) vs Prometheus`);
  }
});
