// Rule evaluation, promdog's ruler vs Prometheus', the same rules over the same data at the same time: a fleet of
// Agent-like hosts (bench/rules-fleet.ts, 100 series each) is loaded into promdog's embedded store through its
// /api/v2/series intake (zstd protobuf, as the Agent sends it) and, mapped by promdog's own mapper, remote-written
// into a real Prometheus 2.42: history first, then a flush every 10 s while the rules run, as Agents keep sending.
// Both load one rule file (bench/rules-groups.ts: 1,000 rules in 50 groups) from the same path, so every group
// evaluates in the same slot of its interval in both processes (the slot hashes the file and group name).
// After a warm-up, each interval's figures are read from both /metrics: evaluation time of all groups (the
// rule_group_duration_seconds sums), of all rules, the sum of the groups' last durations, and the CPU seconds the
// process used (/proc: ingestion included, the same flushes for both). At the end the recorded series and ALERTS
// of both are compared, so both are known to have done the same work.
//   node --max-semi-space-size=16 dist/bench/rules-vs-prometheus.js [hosts=1000] [intervalSec=30] [intervals=6]
// With PROMDOG_CPU_PROF_DIR=<dir> the promdog process writes a CPU profile there (bench/server-probe.ts).
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import snappy from 'snappy';
import { Agent, request } from 'undici';
import { decodeSeriesV2 } from '../src/intake/decoders/series-v2.js';
import { HostTagCache } from '../src/mapping/host-tags.js';
import { Mapper } from '../src/mapping/index.js';
import { encodeWriteRequest } from '../src/sinks/remote-write/encode.js';
import { spawnPromdog, type PromdogProcess } from '../test/support/process.js';
import { PrometheusProcess } from '../test/support/prometheus.js';
import { encodeMetricPayload } from '../test/support/proto-writer.js';
import { zstdReady, zstdSync } from '../test/support/zstd.js';
import { FLUSH_S, SERIES_PER_HOST, fleetSeries } from './rules-fleet.js';
import { benchRuleFile } from './rules-groups.js';

/** One interval's figures of one process. */
export interface IntervalFigures {
  /** Sum of the durations of the group evaluations that ended in the interval (s). */
  groupSeconds: number;
  /** Sum of the rule evaluation durations in the interval (s). */
  ruleSeconds: number;
  /** Sum over groups of the last evaluation's duration, read at the interval's end (s). */
  lastDurationSum: number;
  /** CPU (user + system) the process used in the interval (s). */
  cpuSeconds: number;
  groupEvaluations: number;
}

export interface RulesBenchResult {
  hosts: number;
  series: number;
  intervalSec: number;
  groups: number;
  recordingRules: number;
  alertingRules: number;
  historyMinutes: number;
  loadSeconds: number;
  promdog: IntervalFigures[];
  prometheus: IntervalFigures[];
  /** Medians over the intervals, and the ratio promdog / Prometheus of the group time and CPU. */
  median: { promdog: IntervalFigures; prometheus: IntervalFigures; groupRatio: number; cpuRatio: number };
  /** Ratio of group time per interval, lowest and highest over the intervals. */
  groupRatioRange: [number, number];
  /** Recorded series (by rule name) and ALERTS (by alertname and state) both hold at the end. */
  recordedSeries: number;
  alerts: { firing: number; pending: number };
  /** Names (or alertname/state) whose series counts differ between the two: should be none. */
  differences: string[];
  failures: { promdog: number; prometheus: number };
  missedIterations: { promdog: number; prometheus: number };
  /** The 1-minute load average of the machine at the end of each interval. */
  loadAverages: number[];
  /** The measuring window in µs of CLOCK_MONOTONIC, for server-probe.js' profile listing. */
  windowUs: [number, number];
}

/** Samples of a /metrics text: name → [labels text, value]. */
function parseMetrics(text: string): Map<string, [string, number][]> {
  const out = new Map<string, [string, number][]>();
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{.*\})? (\S+)/.exec(line);
    if (!m) continue;
    const list = out.get(m[1]!) ?? [];
    list.push([m[2] ?? '', Number(m[3])]);
    out.set(m[1]!, list);
  }
  return out;
}

const sumOf = (m: Map<string, [string, number][]>, name: string) => (m.get(name) ?? []).reduce((a, [, v]) => a + v, 0);

/** clock ticks → seconds: Linux reports utime and stime in USER_HZ, 100 on every architecture Node runs on. */
function cpuSecondsOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

interface Reading {
  groupSum: number;
  groupCount: number;
  ruleSum: number;
  lastDurationSum: number;
  cpu: number;
  failures: number;
  missed: number;
  rules: number;
}

async function read(url: string, prefix: string, pid: number): Promise<Reading> {
  const m = parseMetrics(await (await fetch(`${url}/metrics`)).text());
  return {
    groupSum: sumOf(m, `${prefix}_rule_group_duration_seconds_sum`),
    groupCount: sumOf(m, `${prefix}_rule_group_duration_seconds_count`),
    ruleSum: sumOf(m, `${prefix}_rule_evaluation_duration_seconds_sum`),
    lastDurationSum: sumOf(m, `${prefix}_rule_group_last_duration_seconds`),
    cpu: cpuSecondsOf(pid),
    failures: sumOf(m, `${prefix}_rule_evaluation_failures_total`),
    missed: sumOf(m, `${prefix}_rule_group_iterations_missed_total`),
    rules: sumOf(m, `${prefix}_rule_group_rules`),
  };
}

const figures = (a: Reading, b: Reading): IntervalFigures => ({
  groupSeconds: b.groupSum - a.groupSum,
  ruleSeconds: b.ruleSum - a.ruleSum,
  lastDurationSum: b.lastDurationSum,
  cpuSeconds: b.cpu - a.cpu,
  groupEvaluations: b.groupCount - a.groupCount,
});

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};

function medianFigures(xs: IntervalFigures[]): IntervalFigures {
  const keys = ['groupSeconds', 'ruleSeconds', 'lastDurationSum', 'cpuSeconds', 'groupEvaluations'] as const;
  return Object.fromEntries(keys.map((k) => [k, median(xs.map((x) => x[k]))])) as unknown as IntervalFigures;
}

const sleepUntil = (ms: number) => new Promise((r) => setTimeout(r, Math.max(0, ms - Date.now())));

/** Sends the fleet's flushes to both: promdog's intake gets the Agent's payload, Prometheus the mapped samples. */
class FleetSender {
  private readonly mapper = new Mapper({ keepUtf8Names: false }, new HostTagCache(null));
  private readonly dispatcher = new Agent({ connections: 8 });

  constructor(
    private readonly hosts: number,
    private readonly t0Sec: number,
    private readonly promdog: { url: string; key: string },
    private readonly prometheusWriteUrl: string,
  ) {}

  /** Steps [first, first + steps) of every host, 100 hosts a payload, two payloads in flight. */
  async send(first: number, steps: number): Promise<void> {
    const perPayload = 100;
    const payloads = Math.ceil(this.hosts / perPayload);
    let next = 0;
    const worker = async () => {
      for (let p = next++; p < payloads; p = next++) {
        const hosts = Math.min(perPayload, this.hosts - p * perPayload);
        const raw = encodeMetricPayload(fleetSeries(p * perPayload, hosts, this.t0Sec, first, steps));
        const mapped = this.mapper.map('default', decodeSeriesV2(raw), Date.now());
        await Promise.all([
          this.post(`${this.promdog.url}/api/v2/series`, zstdSync(raw), {
            'dd-api-key': this.promdog.key,
            'content-encoding': 'zstd',
            'content-type': 'application/x-protobuf',
          }),
          this.post(this.prometheusWriteUrl, snappy.compressSync(encodeWriteRequest(mapped.series, [])), {
            'content-encoding': 'snappy',
            'content-type': 'application/x-protobuf',
            'x-prometheus-remote-write-version': '0.1.0',
          }),
        ]);
      }
    };
    await Promise.all([worker(), worker()]);
  }

  private async post(url: string, body: Buffer, headers: Record<string, string>): Promise<void> {
    const res = await request(url, { method: 'POST', body, headers, dispatcher: this.dispatcher });
    const text = await res.body.text();
    if (res.statusCode !== 202 && res.statusCode !== 204)
      throw new Error(`${url}: HTTP ${res.statusCode}: ${text.slice(0, 300)}`);
  }

  close(): Promise<void> {
    return this.dispatcher.close();
  }
}

/** Instant query of either (promdog with its key), the result as a vector. */
async function instant(
  url: string,
  headers: Record<string, string>,
  query: string,
  timeSec: number,
): Promise<{ metric: Record<string, string>; value: [number, string] }[]> {
  const res = await fetch(`${url}/api/v1/query?${new URLSearchParams({ query, time: String(timeSec) })}`, {
    headers,
  });
  const body = (await res.json()) as {
    data: { result: { metric: Record<string, string>; value: [number, string] }[] };
  };
  if (res.status !== 200) throw new Error(`${url} ${query}: HTTP ${res.status}: ${JSON.stringify(body)}`);
  return body.data.result;
}

/** Series counts of the recording rules' outputs and of ALERTS, keyed by name or alertname/state. */
async function outputCounts(url: string, headers: Record<string, string>, timeSec: number) {
  const counts = new Map<string, number>();
  for (const r of await instant(url, headers, 'count by (__name__) ({__name__=~".+:.+:.+"})', timeSec))
    counts.set(r.metric.__name__!, Number(r.value[1]));
  for (const r of await instant(url, headers, 'count by (alertname, alertstate) (ALERTS)', timeSec))
    counts.set(`ALERTS ${r.metric.alertname}/${r.metric.alertstate}`, Number(r.value[1]));
  return counts;
}

export async function benchRulesVsPrometheus(
  opts: {
    hosts?: number;
    intervalSec?: number;
    intervals?: number;
    historyMinutes?: number;
    cpuProfDir?: string;
    log?: (s: string) => void;
  } = {},
): Promise<RulesBenchResult> {
  const hosts = opts.hosts ?? 1000;
  const intervalSec = opts.intervalSec ?? 30;
  const intervals = opts.intervals ?? 6;
  const historyMinutes = opts.historyMinutes ?? 20;
  const log = opts.log ?? (() => {});
  const rules = benchRuleFile(`${intervalSec}s`);

  const dir = mkdtempSync(join(tmpdir(), 'promdog-bench-rules-'));
  const ruleFile = join(dir, 'rules.yml');
  const noRules = 'groups: []\n';
  writeFileSync(ruleFile, noRules);
  const prom = await PrometheusProcess.start({ ruleFiles: { [ruleFile]: noRules } });
  let pd: PromdogProcess | undefined;
  let sender: FleetSender | undefined;
  let flushing = true;
  let flusher: Promise<void> = Promise.resolve();
  try {
    const probe = opts.cpuProfDir
      ? {
          NODE_OPTIONS: `--import=${fileURLToPath(new URL('./server-probe.js', import.meta.url))}`,
          PROMDOG_CPU_PROF_DIR: opts.cpuProfDir,
        }
      : {};
    pd = await spawnPromdog(
      [
        ...['--data-dir', join(dir, 'promdog'), '--rule-file', ruleFile],
        ...['--default-rules=false', '--self-scrape-interval', '0'],
      ],
      probe,
    );
    const key = readFileSync(join(dir, 'promdog', 'tenant-api-token-default'), 'utf8').trim();
    await zstdReady();

    // History, then a flush every FLUSH_S: steps are at t0Sec + k * FLUSH_S.
    const t0Sec = Math.floor(Date.now() / 1000 / FLUSH_S) * FLUSH_S - historyMinutes * 60;
    sender = new FleetSender(hosts, t0Sec, { url: pd.url, key }, prom.remoteWriteUrl);
    const loadStart = performance.now();
    let k = 0;
    const due = () => Math.floor((Date.now() / 1000 - t0Sec) / FLUSH_S) + 1;
    while (due() - k > 1) {
      const steps = Math.min(6, due() - k - 1);
      await sender.send(k, steps);
      k += steps;
    }
    const loadSeconds = (performance.now() - loadStart) / 1000;
    log(
      `loaded ${hosts * SERIES_PER_HOST} series, ${hosts * SERIES_PER_HOST * k} samples (${historyMinutes} min) into both in ${loadSeconds.toFixed(1)} s`,
    );
    const fleet = sender;
    // Each flush lands a little before its timestamp: no evaluation races the arrival of the samples it reads,
    // so both rulers see the same data at every slot.
    flusher = (async () => {
      while (flushing) {
        await sleepUntil((t0Sec + k * FLUSH_S) * 1000 - 3000);
        if (!flushing) break;
        await fleet.send(k, 1);
        k++;
      }
    })();

    writeFileSync(ruleFile, rules.yaml);
    const reload = await fetch(`${pd.url}/-/reload`, { method: 'POST' });
    if (!reload.ok) throw new Error(`promdog /-/reload: HTTP ${reload.status}: ${await reload.text()}`);
    prom.reload();
    const ruleCount = rules.recording + rules.alerting;
    for (const [url, prefix] of [
      [pd.url, 'promdog'],
      [prom.url, 'prometheus'],
    ] as const) {
      for (let i = 0; (await read(url, prefix, process.pid)).rules !== ruleCount; i++) {
        if (i > 100) throw new Error(`${prefix} did not load the ${ruleCount} rules`);
        await sleepUntil(Date.now() + 100);
      }
    }
    log(`${rules.groups} groups, ${rules.recording} recording and ${rules.alerting} alerting rules loaded into both`);

    // Every group evaluates in its own slot of the interval: after two intervals each has run at least once.
    const startMs = Date.now() + 2 * intervalSec * 1000;
    await sleepUntil(startMs);
    const pdPid = pd.child.pid!;
    const promPid = prom.pid!;
    let last = await Promise.all([read(pd.url, 'promdog', pdPid), read(prom.url, 'prometheus', promPid)]);
    const first = last;
    const fromUs = Number(process.hrtime.bigint() / 1000n);
    const loadAverages: number[] = [];
    const ours: IntervalFigures[] = [];
    const theirs: IntervalFigures[] = [];
    for (let i = 1; i <= intervals; i++) {
      await sleepUntil(startMs + i * intervalSec * 1000);
      const now = await Promise.all([read(pd.url, 'promdog', pdPid), read(prom.url, 'prometheus', promPid)]);
      loadAverages.push(loadavg()[0]!);
      ours.push(figures(last[0], now[0]));
      theirs.push(figures(last[1], now[1]));
      log(
        `interval ${i}: groups promdog ${ours.at(-1)!.groupSeconds.toFixed(3)} s, Prometheus ${theirs.at(-1)!.groupSeconds.toFixed(3)} s; ` +
          `CPU promdog ${ours.at(-1)!.cpuSeconds.toFixed(2)} s, Prometheus ${theirs.at(-1)!.cpuSeconds.toFixed(2)} s`,
      );
      last = now;
    }
    const toUs = Number(process.hrtime.bigint() / 1000n);

    // A few seconds back, both have finished every evaluation slot before it.
    const atSec = Math.floor(Date.now() / 1000) - 3;
    const auth = { authorization: `Bearer ${key}` };
    const [a, b] = await Promise.all([outputCounts(pd.url, auth, atSec), outputCounts(prom.url, {}, atSec)]);
    const differences: string[] = [];
    for (const name of new Set([...a.keys(), ...b.keys()]))
      if (a.get(name) !== b.get(name))
        differences.push(`${name}: promdog ${a.get(name) ?? 0}, Prometheus ${b.get(name) ?? 0}`);
    let recordedSeries = 0;
    const alerts = { firing: 0, pending: 0 };
    for (const [name, n] of b) {
      if (name.endsWith('/firing')) alerts.firing += n;
      else if (name.endsWith('/pending')) alerts.pending += n;
      else recordedSeries += n;
    }

    const mo = medianFigures(ours);
    const mt = medianFigures(theirs);
    const ratios = ours.map((o, i) => o.groupSeconds / theirs[i]!.groupSeconds);
    return {
      hosts,
      series: hosts * SERIES_PER_HOST,
      intervalSec,
      groups: rules.groups,
      recordingRules: rules.recording,
      alertingRules: rules.alerting,
      historyMinutes,
      loadSeconds,
      promdog: ours,
      prometheus: theirs,
      median: {
        promdog: mo,
        prometheus: mt,
        groupRatio: mo.groupSeconds / mt.groupSeconds,
        cpuRatio: mo.cpuSeconds / mt.cpuSeconds,
      },
      groupRatioRange: [Math.min(...ratios), Math.max(...ratios)],
      recordedSeries,
      alerts,
      differences,
      failures: { promdog: last[0].failures - first[0].failures, prometheus: last[1].failures - first[1].failures },
      missedIterations: { promdog: last[0].missed - first[0].missed, prometheus: last[1].missed - first[1].missed },
      loadAverages,
      windowUs: [fromUs, toUs],
    };
  } finally {
    flushing = false;
    await flusher.catch(() => {});
    await sender?.close();
    if (pd) {
      pd.child.kill('SIGTERM');
      await pd.exited;
    }
    await prom.cleanup();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The summary: per-interval medians side by side, the ratios, and the checks. */
export function printRulesResult(r: RulesBenchResult, print: (s: string) => void): void {
  const row = (what: string, o: number, t: number, unit = 's') =>
    print(
      `${what.padEnd(40)} promdog ${o.toFixed(3).padStart(8)} ${unit}  Prometheus ${t.toFixed(3).padStart(8)} ${unit}  ratio ${(o / t).toFixed(2)}`,
    );
  const { promdog: o, prometheus: t } = r.median;
  print(
    `${r.groups} groups, ${r.recordingRules} recording + ${r.alertingRules} alerting rules, every ${r.intervalSec} s, over ${r.series} series; ` +
      `medians of ${r.promdog.length} intervals:`,
  );
  row('evaluation time of all groups', o.groupSeconds, t.groupSeconds);
  row('evaluation time of all rules', o.ruleSeconds, t.ruleSeconds);
  row("sum of the groups' last durations", o.lastDurationSum, t.lastDurationSum);
  row('CPU of the process (ingestion included)', o.cpuSeconds, t.cpuSeconds);
  print(
    `group time ratio ${r.median.groupRatio.toFixed(2)} (target ≤ 1.0; per interval ${r.groupRatioRange[0].toFixed(2)}–${r.groupRatioRange[1].toFixed(2)}), ` +
      `CPU ratio ${r.median.cpuRatio.toFixed(2)}`,
  );
  print(
    `both hold ${r.recordedSeries} recorded series, ${r.alerts.firing} firing and ${r.alerts.pending} pending alerts; ` +
      `failures promdog ${r.failures.promdog} / Prometheus ${r.failures.prometheus}, missed iterations ${r.missedIterations.promdog} / ${r.missedIterations.prometheus}` +
      (r.differences.length ? `; DIFFERENT: ${r.differences.join('; ')}` : ''),
  );
  print(
    `load average ${Math.min(...r.loadAverages).toFixed(1)}–${Math.max(...r.loadAverages).toFixed(1)} on ${cpus().length} cores; ` +
      `measured from ${r.windowUs[0]} to ${r.windowUs[1]} µs (CLOCK_MONOTONIC, for server-probe.js)`,
  );
}

if (process.argv[1] && import.meta.url === `file://${process.argv[1]}`) {
  const [hosts, intervalSec, intervals] = process.argv.slice(2).map(Number);
  const r = await benchRulesVsPrometheus({
    ...(hosts ? { hosts } : {}),
    ...(intervalSec ? { intervalSec } : {}),
    ...(intervals ? { intervals } : {}),
    ...(process.env.PROMDOG_CPU_PROF_DIR ? { cpuProfDir: process.env.PROMDOG_CPU_PROF_DIR } : {}),
    log: (s) => console.log(s),
  });
  printRulesResult(r, (s) => console.log(s));
}
