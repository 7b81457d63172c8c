import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';
import { HAProxyProcess } from '../support/haproxy.js';
import { freePort } from '../support/ports.js';
import { spawnPromdog, type PromdogProcess } from '../support/process.js';
import { PrometheusProcess } from '../support/prometheus.js';
import { VictoriaMetricsProcess } from '../support/victoria-metrics.js';

// Gateway mode as it runs in production: promdog replicas (real processes) behind a real HAProxy, writing to real
// backends, one per tenant; four Agent-like senders post through the balancer while one replica is killed with
// SIGKILL and restarted. Then, in each backend: every sample answered 202 is there exactly once (no sample twice,
// and no series split by missing host tags), nothing else is, every series carries its host's tags whichever
// replica received the host's metadata, and no tenant's data is in the other tenant's backend.
//
// The senders behave like the Agent: host metadata first (the Agent sends it at start, its first series a flush
// later: the senders wait until the backend shows it), then one point per series per payload, and a payload that
// is not answered (502 from the balancer when a replica dies, 503) is sent again, byte for byte, until it is.

const TENANTS = ['team-a', 'team-b'] as const;
type Tenant = (typeof TENANTS)[number];
const KEYS: Record<Tenant, string> = {
  'team-a': 'gw-replicas-key-team-a-0123456789',
  'team-b': 'gw-replicas-key-team-b-0123456789',
};
const REPLICAS = 3;
const SENDERS = 4;
const HOSTS_PER_SENDER = 3;
const METRICS_PER_HOST = 8;
const PAYLOADS = 30;
/** The replica killed and restarted, and after which payload of sender 0. */
const KILLED = { replica: 0, afterPayload: 8 };

interface StoredSeries {
  labels: Record<string, string>;
  timestamps: number[];
  values: number[];
}

/** A backend as the test reads it: every raw sample, and instant queries. */
interface Backend {
  remoteWriteUrl: string;
  queryUrl: string;
  samples(): Promise<StoredSeries[]>;
  query(promql: string): Promise<QueriedSeries[]>;
  /** Resolves once an instant query of `selector` returns `count` series (VictoriaMetrics shows them a moment late). */
  untilSearchable(selector: string, count: number): Promise<void>;
  cleanup(): Promise<void>;
}

async function victoriaMetrics(): Promise<Backend> {
  // Deduplication on, as docs/operations.md requires: a replica killed after its write and before its answer
  // leaves the Agent's retry to write the same samples again through another replica.
  const vm = await VictoriaMetricsProcess.start({ dedupMinScrapeInterval: '1ms' });
  return {
    remoteWriteUrl: vm.remoteWriteUrl,
    queryUrl: vm.url,
    async samples() {
      await vm.flush();
      const res = await fetch(`${vm.url}/api/v1/export?${new URLSearchParams({ 'match[]': '{__name__!=""}' })}`);
      const text = await res.text();
      assert.equal(res.status, 200, text);
      return text
        .split('\n')
        .filter((l) => l !== '')
        .map((l) => {
          const s = JSON.parse(l) as { metric: Record<string, string>; timestamps: number[]; values: number[] };
          return { labels: s.metric, timestamps: s.timestamps, values: s.values };
        });
    },
    async query(promql) {
      const data = await vm.api(`/api/v1/query?${new URLSearchParams({ query: promql })}`);
      return (data as { result: Array<{ metric: Record<string, string> }> }).result;
    },
    untilSearchable: (selector, count) => vm.untilSearchable(selector, count),
    cleanup: () => vm.cleanup(),
  };
}

async function prometheus(): Promise<Backend> {
  const prom = await PrometheusProcess.start();
  return {
    remoteWriteUrl: prom.remoteWriteUrl,
    queryUrl: prom.url,
    async samples() {
      const matrix = await prom.queryMatrix('{__name__!=""}[1h]', Date.now() / 1000);
      return matrix.map((s) => ({
        labels: s.metric,
        timestamps: s.values.map(([t]) => Math.round(t * 1000)),
        values: s.values.map(([, v]) => Number(v)),
      }));
    },
    query: (promql) => prom.query(promql),
    // A remote write Prometheus has answered is in its head, searchable at once.
    untilSearchable: async () => {},
    cleanup: () => prom.cleanup(),
  };
}

/** One promdog replica: a fixed port (the balancer's config names it) and data dir, so it restarts as itself. */
class Replica {
  process: PromdogProcess | undefined;
  constructor(
    readonly port: number,
    private readonly args: string[],
  ) {}

  async start(): Promise<void> {
    this.process = await spawnPromdog([...this.args, '--listen', `127.0.0.1:${this.port}`]);
  }

  async kill9(): Promise<void> {
    const p = this.process!;
    p.child.kill('SIGKILL');
    await p.exited;
  }

  /** A counter of the replica's /metrics, summed over the series that have `labels`. */
  async counter(name: string, labels: Record<string, string> = {}): Promise<number> {
    const text = await (await fetch(`http://127.0.0.1:${this.port}/metrics`)).text();
    let sum = 0;
    for (const line of text.split('\n')) {
      const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? (\S+)$/.exec(line);
      if (!m || m[1] !== name) continue;
      if (Object.entries(labels).every(([k, v]) => (m[2] ?? '').includes(`${k}="${v}"`))) sum += Number(m[3]);
    }
    return sum;
  }

  async stop(): Promise<void> {
    const p = this.process;
    if (!p || p.child.exitCode !== null || p.child.signalCode !== null) return;
    p.child.kill('SIGTERM');
    await p.exited;
  }
}

/**
 * One set of replicas serves both tenants: the config gives each tenant its own remote-write target and query URL
 * (its own backend, which tells no tenants apart: no tenant header). The default targets serve only `default` and
 * `system`, which send nothing here (no self-scrape, no rules); they get the tenant header so the mixed-tenants rule
 * is met.
 */
async function startReplicas(dir: string, backends: Record<Tenant, Backend>): Promise<Replica[]> {
  const config = join(dir, 'promdog.yml');
  const tenantYaml = TENANTS.map(
    (t) =>
      `  - name: ${t}\n` +
      `    api_keys: [${KEYS[t]}]\n` +
      `    remote_write: [{ url: "${backends[t].remoteWriteUrl}", tenant_header: "" }]\n` +
      `    query_url: { url: "${backends[t].queryUrl}", tenant_header: "" }\n`,
  ).join('');
  writeFileSync(config, `tenants:\n${tenantYaml}remote_write: ["${backends['team-a'].remoteWriteUrl}"]\n`);
  const replicas = await Promise.all(
    Array.from(
      { length: REPLICAS },
      async (_, i) =>
        new Replica(await freePort(), [
          ...['--config', config, '--data-dir', join(dir, `replica-${i}`)],
          ...['--self-scrape-interval', '0', '--default-rules', 'false'],
        ]),
    ),
  );
  await Promise.all(replicas.map((r) => r.start()));
  return replicas;
}

interface QueriedSeries {
  metric: Record<string, string>;
  value?: [number, string];
}

/** An instant query through one replica's query API with `tenant`'s key: the result, sorted by labels. */
async function queryThrough(replica: Replica, tenant: Tenant, promql: string) {
  const res = await fetch(`http://127.0.0.1:${replica.port}/api/v1/query?${new URLSearchParams({ query: promql })}`, {
    headers: { authorization: `Bearer ${KEYS[tenant]}` },
  });
  const body = (await res.json()) as { status: string; data: { result: QueriedSeries[] } };
  assert.equal(res.status, 200, JSON.stringify(body));
  return sortedByLabels(body.data.result);
}

/** The console's host list of one replica for `tenant`. */
async function hostsPage(replica: Replica, tenant: Tenant): Promise<Array<{ host: string; tags: string[] }>> {
  const res = await fetch(`http://127.0.0.1:${replica.port}/console/api/hosts`, {
    headers: { authorization: `Bearer ${KEYS[tenant]}` },
  });
  const body = (await res.json()) as { hosts: Array<{ host: string; tags: string[] }>; warnings: string[] };
  assert.equal(res.status, 200, JSON.stringify(body));
  assert.deepEqual(
    body.warnings.filter((w) => !/gateway mode/.test(w)),
    [],
  );
  return body.hosts;
}

/** Labels and value of each series, sorted by labels: the evaluation time differs between two queries. */
const sortedByLabels = (series: QueriedSeries[]) =>
  series
    .map((x) => ({ metric: x.metric, value: x.value?.[1] }))
    .sort((x, y) => (JSON.stringify(x.metric) < JSON.stringify(y.metric) ? -1 : 1));

interface Sender {
  index: number;
  tenant: Tenant;
  hosts: string[];
}

const senders: Sender[] = Array.from({ length: SENDERS }, (_, index) => ({
  index,
  tenant: TENANTS[index % TENANTS.length]!,
  hosts: Array.from({ length: HOSTS_PER_SENDER }, (_, j) => `s${index}-h${j}`),
}));

/** A host's tags as the Agent sends them, and the labels they become. */
function hostTags(sender: Sender, j: number): { tags: string[]; labels: Record<string, string> } {
  const labels = { team: sender.tenant, rack: `r${j}`, sender: `s${sender.index}`, monitored: 'true' };
  return { tags: [`team:${sender.tenant}`, `rack:r${j}`, `sender:s${sender.index}`, 'monitored'], labels };
}

/** What a sender got answered: the samples of payloads answered 202, and every answer that was not. */
interface Outcome {
  acknowledged: Map<string, number>;
  answers: Map<number | string, number>;
}

const sampleKey = (name: string, instance: string, ms: number) => `${name}|${instance}|${ms}`;

/** POSTs through the balancer until answered with something else than a gateway error; the Agent's retry. */
async function postUntilAnswered(url: string, key: string, body: Buffer, outcome: Outcome): Promise<number> {
  for (let attempt = 1; ; attempt++) {
    let status: number | string;
    try {
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'dd-api-key': key, 'content-type': 'application/json', 'content-encoding': 'deflate' },
        body,
      });
      await res.arrayBuffer();
      status = res.status;
    } catch (err) {
      status = (err as Error).message;
    }
    outcome.answers.set(status, (outcome.answers.get(status) ?? 0) + 1);
    if (typeof status === 'number' && status !== 502 && status !== 503 && status !== 504) return status;
    if (attempt >= 200) throw new Error(`${url}: no answer after ${attempt} attempts, last ${status}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function sendMetadata(lb: string, sender: Sender, outcome: Outcome): Promise<void> {
  for (const [j, host] of sender.hosts.entries()) {
    const body = {
      internalHostname: host,
      agentVersion: '7.60.1',
      os: 'linux',
      'host-tags': { system: hostTags(sender, j).tags },
    };
    const status = await postUntilAnswered(
      `${lb}/intake/`,
      KEYS[sender.tenant],
      deflateSync(JSON.stringify(body)),
      outcome,
    );
    assert.equal(status, 202, `metadata of ${host}`);
  }
}

async function sendSeries(
  lb: string,
  sender: Sender,
  t0: number,
  outcome: Outcome,
  afterPayload: (k: number) => Promise<void>,
): Promise<void> {
  for (let k = 0; k < PAYLOADS; k++) {
    const ts = t0 + k;
    const series = sender.hosts.flatMap((host, j) =>
      Array.from({ length: METRICS_PER_HOST }, (_, m) => ({
        metric: `gw.replicas.m${m}`,
        points: [[ts, sender.index * 1e6 + j * 1e4 + m * 100 + k]],
        type: 'gauge',
        host,
        tags: [`metric_index:${m}`],
      })),
    );
    const status = await postUntilAnswered(
      `${lb}/api/v1/series`,
      KEYS[sender.tenant],
      deflateSync(JSON.stringify({ series })),
      outcome,
    );
    if (status === 202)
      for (const s of series) {
        const [[sec, value]] = s.points as [[number, number]];
        outcome.acknowledged.set(sampleKey(s.metric.replaceAll('.', '_'), s.host, sec * 1000), value);
      }
    await afterPayload(k);
  }
}

/** Waits until the backend shows the info series of every host (the Agent's first flush comes 15 s after it). */
async function waitForHostInfo(backend: Backend, hosts: string[]): Promise<void> {
  const giveUpAt = Date.now() + 20_000;
  for (;;) {
    const shown = new Set((await backend.query('last_over_time(datadog_host_info[1h])')).map((s) => s.metric.instance));
    if (hosts.every((h) => shown.has(h))) return;
    if (Date.now() > giveUpAt) throw new Error(`host info of ${hosts.filter((h) => !shown.has(h))} never showed`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function runCase(makeBackend: () => Promise<Backend>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'promdog-gw-replicas-'));
  const backends = {} as Record<Tenant, Backend>;
  let replicas: Replica[] = [];
  let lb: HAProxyProcess | undefined;
  try {
    const [a, b] = await Promise.all([makeBackend(), makeBackend()]);
    backends['team-a'] = a;
    backends['team-b'] = b;
    replicas = await startReplicas(dir, backends);
    lb = await HAProxyProcess.start({ servers: replicas.map((r) => `127.0.0.1:${r.port}`) });
    const lbUrl = lb.url;

    const outcomes = senders.map((): Outcome => ({ acknowledged: new Map(), answers: new Map() }));
    await Promise.all(senders.map((s) => sendMetadata(lbUrl, s, outcomes[s.index]!)));
    for (const tenant of TENANTS)
      await waitForHostInfo(
        backends[tenant],
        senders.filter((s) => s.tenant === tenant).flatMap((s) => s.hosts),
      );

    const killed = replicas[KILLED.replica]!;
    let restarted: Promise<void> = Promise.resolve();
    const t0 = Math.floor(Date.now() / 1000) - 600;
    await Promise.all(
      senders.map((s) =>
        sendSeries(lbUrl, s, t0, outcomes[s.index]!, async (k) => {
          if (s.index !== 0 || k !== KILLED.afterPayload) return;
          await killed.kill9();
          restarted = killed.start();
        }),
      ),
    );
    await restarted;

    const answers = new Map<number | string, number>();
    for (const o of outcomes) for (const [status, n] of o.answers) answers.set(status, (answers.get(status) ?? 0) + n);
    // Retried: the balancer's 502 and 503 for a replica that died, and connections it closed (error messages).
    const notAccepted = [...answers].filter(
      ([status]) => typeof status === 'number' && ![202, 502, 503].includes(status),
    );
    assert.deepEqual(notAccepted, [], `answers other than 202 and retried ones: ${JSON.stringify([...answers])}`);

    for (const tenant of TENANTS) {
      const mine = senders.filter((s) => s.tenant === tenant);
      const tagsOf = new Map(mine.flatMap((s) => s.hosts.map((h, j) => [h, hostTags(s, j).labels] as const)));
      const stored = await backends[tenant].samples();
      const info = stored.filter((s) => s.labels.__name__ === 'datadog_host_info');
      assert.deepEqual(info.map((s) => s.labels.instance).sort(), [...tagsOf.keys()].sort(), `${tenant}: host info`);

      const seen = new Map<string, number[]>();
      for (const s of stored) {
        if (s.labels.__name__ === 'datadog_host_info') continue;
        const host = s.labels.instance ?? '';
        const tags = tagsOf.get(host);
        assert.ok(tags, `${tenant}'s backend holds a series of another tenant's host: ${JSON.stringify(s.labels)}`);
        for (const [name, value] of Object.entries(tags))
          assert.equal(s.labels[name], value, `${JSON.stringify(s.labels)} lacks its host tag ${name}="${value}"`);
        s.timestamps.forEach((ms, i) => {
          const key = sampleKey(s.labels.__name__!, host, ms);
          seen.set(key, [...(seen.get(key) ?? []), s.values[i]!]);
        });
      }
      const twice = [...seen].filter(([, values]) => values.length > 1);
      assert.deepEqual(twice, [], `${tenant}: samples stored more than once`);
      const acknowledged = new Map(mine.flatMap((s) => [...outcomes[s.index]!.acknowledged]));
      const missing = [...acknowledged].filter(([key, value]) => seen.get(key)?.[0] !== value);
      assert.deepEqual(missing.slice(0, 10), [], `${tenant}: ${missing.length} acknowledged samples not stored`);
      assert.equal(seen.size, acknowledged.size, `${tenant}: samples stored that no 202 acknowledged`);
      assert.equal(acknowledged.size, mine.length * HOSTS_PER_SENDER * METRICS_PER_HOST * PAYLOADS);

      // Every replica answers the tenant's queries from the tenant's backend; the other tenant's key reads none of it.
      const promql = 'count by (instance) (last_over_time(gw_replicas_m0[1h]))';
      await backends[tenant].untilSearchable('last_over_time(gw_replicas_m0[1h])', tagsOf.size);
      const expected = sortedByLabels(await backends[tenant].query(promql));
      assert.deepEqual(expected.map((s) => s.metric.instance).sort(), [...tagsOf.keys()].sort());
      const other = TENANTS.find((t) => t !== tenant)!;
      for (const r of replicas) {
        assert.deepEqual(await queryThrough(r, tenant, promql), expected, `${tenant} through replica ${r.port}`);
        const leaked = (await queryThrough(r, other, promql)).filter((s) => tagsOf.has(s.metric.instance ?? ''));
        assert.deepEqual(leaked, [], `${other} reads ${tenant}'s hosts through replica ${r.port}`);
        // The Hosts page of every replica lists every host of the tenant with its tags, wherever the metadata went.
        const hosts = await hostsPage(r, tenant);
        assert.deepEqual(hosts.map((h) => h.host).sort(), [...tagsOf.keys()].sort(), `Hosts page of ${r.port}`);
        for (const h of hosts) assert.ok(h.tags.includes(`rack:${tagsOf.get(h.host)!.rack}`), JSON.stringify(h));
      }
    }

    // The replicas that never received a host's metadata read it back from the backend.
    let found = 0;
    for (const r of replicas) found += await r.counter('promdog_host_info_lookup_hosts_total', { result: 'found' });
    assert.ok(found > 0, 'no replica looked a host up');
  } finally {
    await lb?.cleanup();
    await Promise.all(replicas.map((r) => r.stop()));
    await Promise.all(Object.values(backends).map((b) => b.cleanup()));
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('gateway replicas behind HAProxy, one replica killed and restarted mid-run', () => {
  test('VictoriaMetrics backends, one per tenant', () => runCase(victoriaMetrics));
  test('Prometheus backends, one per tenant', () => runCase(prometheus));
});
