// Start-up of `promdog serve` on a data directory whose WAL holds many active series, as a kill -9 leaves it
// (issue 15: ready ≤ 5 s at 1M series): the wall time from spawn to the first 200 from /-/ready, and the CPU
// seconds the process used until then.
//
// A child process writes the WAL once, into the tenant `default`: the tsdb bench's Agent-like series, 3 samples
// each, appended through TenantDb 10,000 series a request; after the last append is acknowledged it kills itself
// with SIGKILL. Each run then starts every build's CLI on that directory in turn (`--no-auth`, so the data is the
// tenant the server serves), polls /-/ready every 10 ms, and kills the server with SIGKILL: a graceful stop would
// change the directory for the next run.
//   node dist/bench/startup.js [series=1000000] [runs=3] [cli ...]   (default cli: this build's)
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { fillForReplay } from '../src/tsdb/tsdb.bench.js';
import { CLI, spawnPromdog } from '../test/support/process.js';
import { cpuSeconds } from './store.js';

export interface StartupRun {
  cli: string;
  /** Spawn to the first 200 from /-/ready. */
  readyMs: number;
  /** CPU seconds of the server process (all threads) at that moment. */
  cpuSeconds: number;
}

export interface StartupResult {
  series: number;
  runs: StartupRun[];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Writes the WAL in a child process that ends with SIGKILL (see the file comment). */
async function writeWal(dataDir: string, series: number): Promise<void> {
  const child = spawn(process.execPath, [fileURLToPath(import.meta.url), 'write', dataDir, String(series)], {
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const signal = await new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, sig) => resolve(sig)));
  if (signal !== 'SIGKILL') throw new Error(`the WAL writer ended with ${signal ?? 'an exit'}, not SIGKILL`);
}

async function startOnce(cli: string, dataDir: string): Promise<StartupRun> {
  const started = performance.now();
  const p = await spawnPromdog(['--data-dir', dataDir, '--no-auth'], {}, cli);
  try {
    for (;;) {
      const res = await fetch(`${p.url}/-/ready`).catch(() => undefined);
      if (res?.status === 200) {
        const readyMs = performance.now() - started;
        return { cli, readyMs, cpuSeconds: cpuSeconds(p.child.pid!) };
      }
      await sleep(10);
    }
  } finally {
    p.child.kill('SIGKILL');
    await p.exited;
  }
}

export async function benchStartup(
  opts: { series?: number; runs?: number; clis?: string[]; log?: (s: string) => void } = {},
): Promise<StartupResult> {
  const series = opts.series ?? 1_000_000;
  const clis = opts.clis?.length ? opts.clis : [CLI];
  const log = opts.log ?? (() => {});
  const dataDir = mkdtempSync(join(tmpdir(), 'promdog-startup-'));
  try {
    await writeWal(dataDir, series);
    const runs: StartupRun[] = [];
    for (let r = 0; r < (opts.runs ?? 3); r++) {
      for (const cli of clis) {
        const run = await startOnce(cli, dataDir);
        runs.push(run);
        log(`${cli}: ready ${Math.round(run.readyMs)} ms after spawn, ${run.cpuSeconds.toFixed(2)} CPU s`);
      }
    }
    return { series, runs };
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  if (process.argv[2] === 'write') {
    await fillForReplay(join(process.argv[3]!, 'tenants', 'default'), Number(process.argv[4]));
    process.kill(process.pid, 'SIGKILL');
  } else {
    const [series, runs, ...clis] = process.argv.slice(2);
    await benchStartup({
      series: series ? Number(series) : undefined,
      runs: runs ? Number(runs) : undefined,
      clis,
      log: (s) => console.log(s),
    });
  }
}
