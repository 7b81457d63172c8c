// Runs the promdog CLI named by PROMDOG_LOOP_PROBE_CLI in this process and appends to PROMDOG_LOOP_PROBE_FILE, every
// 250 ms, the wall time and the longest event-loop delay of those 250 ms (perf_hooks, 10 ms resolution), and every
// GC pause of 10 ms or more as `<wall ms> gc <kind> <ms>`: what the abuse bench reads to say how long the server's
// event loop stood still during a row and how much of it was the garbage collector. A bench tool, never shipped.
import { appendFileSync } from 'node:fs';
import { PerformanceObserver, monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';

const file = process.env.PROMDOG_LOOP_PROBE_FILE;
const cli = process.env.PROMDOG_LOOP_PROBE_CLI;
if (!file || !cli) throw new Error('loop-probe: PROMDOG_LOOP_PROBE_FILE and PROMDOG_LOOP_PROBE_CLI must be set');

// perf_hooks' constants NODE_PERFORMANCE_GC_*: what kind of collection paused the thread.
const GC_KINDS: Record<number, string> = { 1: 'minor', 4: 'major', 8: 'incremental', 16: 'weakcb' };

if (process.argv[2] === 'serve') {
  const delay = monitorEventLoopDelay({ resolution: 10 });
  delay.enable();
  setInterval(() => {
    appendFileSync(file, `${Date.now()} loop ${(delay.max / 1e6).toFixed(1)}\n`);
    delay.reset();
  }, 250).unref();
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      if (e.duration < 10) continue;
      const kind = (e as unknown as { detail?: { kind?: number } }).detail?.kind ?? 0;
      const wall = Math.round(performance.timeOrigin + e.startTime);
      appendFileSync(file, `${wall} gc ${GC_KINDS[kind] ?? kind} ${e.duration.toFixed(1)}\n`);
    }
  }).observe({ entryTypes: ['gc'] });
}
await import(pathToFileURL(cli).href);
