// Preloaded into a promdog process by the benches (`NODE_OPTIONS=--import=<this file>`; node refuses --cpu-prof and
// --expose-gc there):
// - PROMDOG_CPU_PROF_DIR set: writes a V8 CPU profile of the process' whole life to <dir>/promdog-<pid>.cpuprofile
//   when it exits. Open it in Chrome DevTools or list the top self times: `node dist/bench/server-probe.js <file>
//   [count] [fromUs toUs]` (only the samples of a bench's measuring window, which the bench prints).
// - SIGUSR2 runs a full garbage collection, so a bench can read the RSS of what is live rather than of garbage
//   V8 has not collected yet. With PROMDOG_GC_STATS_FILE set, it writes there the garbage collections of the
//   process before it (count and milliseconds, minor and major) and where the process' memory was just before and
//   just after it (GcStats).
import { Session } from 'node:inspector';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PerformanceObserver, constants } from 'node:perf_hooks';
import { getHeapSpaceStatistics, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  /** µs on CLOCK_MONOTONIC, the clock of process.hrtime() in every process of the machine. */
  startTime: number;
  timeDeltas: number[];
}

/** Garbage collections of a promdog process: scavenges (minor) and mark-compacts (major, incremental steps included). */
export interface GcStats {
  minor: { count: number; ms: number };
  major: { count: number; ms: number };
  /** Where the memory was just before the full collection SIGUSR2 runs, and just after it. */
  beforeGc?: MemoryBreakdown;
  afterGc?: MemoryBreakdown;
}

/**
 * A process' memory by owner (bytes): the V8 heap's spaces (committed and used), the ArrayBuffers' memory outside
 * the heap, and the RSS. What RSS holds beyond the heap's committed pages and the ArrayBuffers is the rest of the
 * process: malloc'd native memory (zlib, the decode workers' isolates), code, stacks.
 */
export interface MemoryBreakdown {
  rss: number;
  arrayBuffers: number;
  /** Per heap space (new_space, old_space, code_space, large_object_space, new_large_object_space…). */
  spaces: Record<string, { committed: number; used: number }>;
}

function memoryBreakdown(): MemoryBreakdown {
  const spaces: MemoryBreakdown['spaces'] = {};
  for (const s of getHeapSpaceStatistics())
    spaces[s.space_name] = { committed: s.physical_space_size, used: s.space_used_size };
  const m = process.memoryUsage();
  return { rss: m.rss, arrayBuffers: m.arrayBuffers, spaces };
}

const isServer = process.argv[1]?.endsWith('cli/main.js') ?? false;
if (isServer) {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  const stats: GcStats = { minor: { count: 0, ms: 0 }, major: { count: 0, ms: 0 } };
  const statsFile = process.env.PROMDOG_GC_STATS_FILE;
  if (statsFile) {
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) {
        const kind = (e as { detail?: { kind?: number } }).detail?.kind;
        const s = kind === constants.NODE_PERFORMANCE_GC_MINOR ? stats.minor : stats.major;
        s.count++;
        s.ms += e.duration;
      }
    }).observe({ entryTypes: ['gc'] });
  }
  process.on('SIGUSR2', () => {
    const beforeGc = statsFile ? memoryBreakdown() : undefined;
    gc();
    if (statsFile) writeFileSync(statsFile, JSON.stringify({ ...stats, beforeGc, afterGc: memoryBreakdown() }));
  });
}
const dir = process.env.PROMDOG_CPU_PROF_DIR;
if (dir && isServer) {
  const session = new Session();
  session.connect();
  session.post('Profiler.enable');
  session.post('Profiler.setSamplingInterval', { interval: 500 });
  session.post('Profiler.start');
  // A session on the process' own thread answers synchronously, so this completes inside the exit handler.
  process.on('exit', () =>
    session.post('Profiler.stop', (err, res) => {
      if (!err) writeFileSync(join(dir, `promdog-${process.pid}.cpuprofile`), JSON.stringify(res.profile));
    }),
  );
}

/**
 * Self time per function (share of the samples), highest first; only the samples taken in [fromUs, toUs] of
 * CLOCK_MONOTONIC when given (a bench's measuring window, from process.hrtime.bigint() / 1000n).
 */
export function topSelf(
  profile: Profile,
  n: number,
  fromUs = -Infinity,
  toUs = Infinity,
): { share: number; fn: string }[] {
  const byId = new Map(profile.nodes.map((x) => [x.id, x]));
  const counts = new Map<string, number>();
  let t = profile.startTime;
  let taken = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    t += profile.timeDeltas[i]!;
    if (t < fromUs || t > toUs) continue;
    taken++;
    const f = byId.get(profile.samples[i]!)!.callFrame;
    const key = `${f.functionName || '(anonymous)'} ${f.url.replace(/^.*\/dist\//, '')}:${f.lineNumber + 1}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return [...counts]
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(([fn, c]) => ({ share: c / taken, fn }));
}

if (process.argv[1] && import.meta.url === `file://${process.argv[1]}` && process.argv[2]) {
  for (const t of topSelf(
    JSON.parse(readFileSync(process.argv[2], 'utf8')) as Profile,
    Number(process.argv[3] ?? 30),
    Number(process.argv[4] ?? -Infinity),
    Number(process.argv[5] ?? Infinity),
  )) {
    console.log(`${(t.share * 100).toFixed(1).padStart(5)}%  ${t.fn}`);
  }
}
