// promdog as a Datadog → remote-write gateway against vmagent doing the same job: the same Datadog v1 JSON payloads
// (deflate, 10k points a request, Agent-like series and tags, one point per series per request), posted to promdog's
// /api/v1/series and to vmagent's /datadog/api/v1/series, each gateway remote-writing into its own Prometheus.
// The figure is the CPU time of each gateway process (utime + stime of /proc/<pid>/stat, every thread) per million
// samples, from the first request of a round until its target holds every sample of it (promdog answers after its
// target acknowledged; vmagent answers first and sends from its queue, so its round ends when Prometheus has them).
// Rounds alternate the order (promdog first, then vmagent first) so drift in the machine's load falls on both; a
// first round that creates every series is left out of the figures. Both gateways run at the same time but are
// never sent to at the same time.
//   node --max-semi-space-size=16 dist/bench/gateway-vs-vmagent.js [series] [rounds]
// With PROMDOG_CPU_PROF_DIR=<dir>, promdog writes a CPU profile of its main thread there (bench/server-probe.ts).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Agent } from 'undici';
import { spawnPromdog } from '../test/support/process.js';
import { freePort } from '../test/support/ports.js';
import { PrometheusProcess } from '../test/support/prometheus.js';
import { ServerProcess } from '../test/support/server-process.js';
import { STEP_S } from '../test/support/agent-series.js';
import { makeBodies, send, type Target } from './store.js';

const WORKERS = 4;
const STEPS_PER_ROUND = 6;
const VMAGENT_BIN = process.env.VMAGENT_BIN ?? '/usr/bin/vmagent';

/** CPU seconds per million samples of each gateway in one regime: one figure per round, and their medians. */
export interface RegimeFigures {
  rounds: number;
  samplesPerRound: number;
  promdog: number[];
  /** Of promdog's: its main thread's (mapping, encoding, HTTP; the rest is the decode worker, GC and libuv threads). */
  promdogMainThread: number[];
  vmagent: number[];
  medians: { promdog: number; promdogMainThread: number; vmagent: number };
  /** promdog / vmagent, of the medians (target ≤ 1.0). */
  ratio: number;
}

export interface GatewayCpuResult {
  series: number;
  /** Every series sent before (the Agent's every flush): six points per series a round. */
  steady: RegimeFigures;
  /** Every series new (its first point): a fleet's new hosts, containers, tags. */
  newSeries: RegimeFigures;
}

/** CPU seconds a process has used so far, all its threads (utime + stime); with `thread`, that thread's only. */
function cpuSeconds(pid: number, ticksPerSecond: number, thread?: number): number {
  const stat = readFileSync(thread === undefined ? `/proc/${pid}/stat` : `/proc/${pid}/task/${thread}/stat`, 'utf8');
  // Fields after the command name, which is in parentheses and may contain spaces: state is field 3, utime 14.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / ticksPerSecond;
}

/** Samples Prometheus has appended to its head since it started (its own counter, read from its /metrics). */
async function samplesAppended(prometheusUrl: string): Promise<number> {
  const text = await (await fetch(`${prometheusUrl}/metrics`)).text();
  let n = 0;
  for (const m of text.matchAll(/^prometheus_tsdb_head_samples_appended_total(?:\{[^}]*\})? (\S+)$/gm))
    n += Number(m[1]);
  return n;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function startVmagent(
  remoteWriteUrl: string,
  dir: string,
): Promise<{ url: string; pid: number; stop(): Promise<void> }> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const server = new ServerProcess('vmagent', VMAGENT_BIN, 'victoria-metrics');
  await server.launch(
    [
      `-httpListenAddr=127.0.0.1:${port}`,
      `-remoteWrite.url=${remoteWriteUrl}`,
      `-remoteWrite.tmpDataPath=${dir}`,
      '-loggerLevel=ERROR',
    ],
    async () => (await fetch(`${url}/health`)).ok,
  );
  return { url, pid: server.pid!, stop: () => server.stop() };
}

type Regime = 'steady' | 'newSeries';

export async function benchGatewayVsVmagent(
  opts: { series?: number; rounds?: number; log?: (s: string) => void } = {},
): Promise<GatewayCpuResult> {
  const series = opts.series ?? 40_000;
  const rounds = opts.rounds ?? 6;
  const log = opts.log ?? (() => undefined);
  const ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }));
  // A first round creates the series of the steady rounds and is not counted; each new-series round has series of
  // its own (another tag), one point each. Every round has its own time range.
  const plan: { regime: Regime | undefined; tag: string; steps: number }[] = [
    { regime: undefined, tag: 'gw', steps: STEPS_PER_ROUND },
    ...Array.from({ length: rounds }, () => ({ regime: 'steady' as const, tag: 'gw', steps: STEPS_PER_ROUND })),
    ...Array.from({ length: rounds }, (_, i) => ({ regime: 'newSeries' as const, tag: `new${i}`, steps: 1 })),
  ];
  let t = Math.floor(Date.now() / 1000 / STEP_S) * STEP_S - plan.reduce((n, p) => n + p.steps, 1) * STEP_S;

  const dir = mkdtempSync(join(tmpdir(), 'promdog-bench-gw-cpu-'));
  // vmagent sends from several queues at once, so a series' points may reach Prometheus out of order: both
  // Prometheus servers take them, as a Prometheus behind more than one sender must.
  const [promForPromdog, promForVmagent] = await Promise.all([
    PrometheusProcess.start({ outOfOrderTimeWindow: '2h' }),
    PrometheusProcess.start({ outOfOrderTimeWindow: '2h' }),
  ]);
  const probe = process.env.PROMDOG_CPU_PROF_DIR
    ? { NODE_OPTIONS: `--import=${fileURLToPath(new URL('./server-probe.js', import.meta.url))}` }
    : {};
  const pd = await spawnPromdog(
    [
      '--data-dir',
      join(dir, 'promdog'),
      '--remote-write-url',
      promForPromdog.remoteWriteUrl,
      '--self-scrape-interval',
      '0',
      '--default-rules',
      'false',
    ],
    probe,
  );
  const vmagent = await startVmagent(promForVmagent.remoteWriteUrl, join(dir, 'vmagent'));
  const dispatcher = new Agent({ connections: WORKERS * 2 });
  try {
    const key = readFileSync(join(dir, 'promdog', 'tenant-api-token-default'), 'utf8').trim();
    const gateways = [
      {
        name: 'promdog' as const,
        pid: pd.child.pid!,
        prometheus: promForPromdog,
        target: { name: 'promdog', url: `${pd.url}/api/v1/series`, headers: { 'dd-api-key': key }, okStatus: 202 },
      },
      {
        name: 'vmagent' as const,
        pid: vmagent.pid,
        prometheus: promForVmagent,
        target: { name: 'vmagent', url: `${vmagent.url}/datadog/api/v1/series`, headers: {}, okStatus: 202 },
      },
    ];
    const figures = {
      steady: { promdog: [] as number[], promdogMainThread: [] as number[], vmagent: [] as number[] },
      newSeries: { promdog: [] as number[], promdogMainThread: [] as number[], vmagent: [] as number[] },
    };

    /** One round into one gateway: CPU seconds from the first request until its Prometheus holds the round. */
    const runRound = async (g: (typeof gateways)[number], bodies: Buffer[][], samples: number) => {
      const appendedBefore = await samplesAppended(g.prometheus.url);
      const before = cpuSeconds(g.pid, ticksPerSecond);
      const mainBefore = cpuSeconds(g.pid, ticksPerSecond, g.pid);
      const sent = await send(g.target as Target, bodies, dispatcher);
      if (sent.failed) throw new Error(`${g.name}: ${sent.failed} requests failed, first: ${sent.firstError}`);
      for (let waited = 0; ; waited += 50) {
        const appended = (await samplesAppended(g.prometheus.url)) - appendedBefore;
        if (appended === samples) break;
        if (appended > samples || waited > 60_000)
          throw new Error(`${g.name}: its Prometheus appended ${appended} samples of the ${samples} sent`);
        await sleep(50);
      }
      return {
        all: cpuSeconds(g.pid, ticksPerSecond) - before,
        main: cpuSeconds(g.pid, ticksPerSecond, g.pid) - mainBefore,
      };
    };

    for (const [r, round] of plan.entries()) {
      const bodies = makeBodies(series, WORKERS, round.steps, 1, t, round.tag, 'agent');
      t += round.steps * STEP_S;
      const samples = series * round.steps;
      const perMillion = (seconds: number) => seconds / (samples / 1e6);
      const line: string[] = [];
      for (const g of r % 2 === 0 ? gateways : [...gateways].reverse()) {
        const cpu = await runRound(g, bodies, samples);
        const f = round.regime && figures[round.regime];
        if (f) f[g.name].push(perMillion(cpu.all));
        if (f && g.name === 'promdog') f.promdogMainThread.push(perMillion(cpu.main));
        line.push(
          `${g.name} ${perMillion(cpu.all).toFixed(2)}` +
            (g.name === 'promdog' ? ` (main thread ${perMillion(cpu.main).toFixed(2)})` : ''),
        );
      }
      log(
        `round ${r}, ${round.regime ?? "creates the steady rounds' series, not counted"}: CPU-s per million samples: ${line.join(', ')}`,
      );
    }
    const regime = (f: (typeof figures)[Regime], steps: number): RegimeFigures => {
      const medians = {
        promdog: median(f.promdog),
        promdogMainThread: median(f.promdogMainThread),
        vmagent: median(f.vmagent),
      };
      return { rounds, samplesPerRound: series * steps, ...f, medians, ratio: medians.promdog / medians.vmagent };
    };
    return { series, steady: regime(figures.steady, STEPS_PER_ROUND), newSeries: regime(figures.newSeries, 1) };
  } finally {
    await dispatcher.close();
    pd.child.kill('SIGTERM');
    await pd.exited;
    await vmagent.stop();
    await Promise.all([promForPromdog.cleanup(), promForVmagent.cleanup()]);
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [series, rounds] = process.argv.slice(2).map(Number);
  const r = await benchGatewayVsVmagent({
    ...(series ? { series } : {}),
    ...(rounds ? { rounds } : {}),
    log: (s) => console.log(s),
  });
  console.log(JSON.stringify(r));
}
