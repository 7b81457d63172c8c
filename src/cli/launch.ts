// How the server's process is started, in one place. `npm start`, the `promdog` command's first line (main.ts) and
// the tests' and benchmarks' spawns all start it this way; src/cli/launch.test.ts checks that package.json's start
// script and main.ts's first line say the same. docs/operations.md ("Memory") explains each setting.

/**
 * The young generation V8 gives a process with a large heap, fixed so a smaller machine gets the same. It was
 * 64 MiB while decoding made a string per label (the scavenger was the bottleneck then); since decoding moved to
 * workers and known series make no strings, 16 MiB decodes and maps as fast, replays the WAL no slower, and its
 * shorter scavenges hold requests less while 1M new series arrive. 64 MiB kept ~128 MiB committed after a burst
 * (~650 B a series at 200k). Figures: docs/benchmarks.md, "The memory glibc kept".
 */
export const NODE_FLAGS: readonly string[] = ['--max-semi-space-size=16'];

/**
 * glibc's malloc, told to give freed request buffers back. Node allocates every ArrayBuffer with malloc; with the
 * default, glibc raises its mmap threshold to the largest buffer freed so far (up to 32 MiB), after which request
 * bodies, decoded batches and WAL records are carved from arenas that never shrink below their highest live
 * block: at 200k Agent series that kept ~110 MiB (~560 B a series) of freed memory resident. With a fixed
 * threshold (glibc then stops moving its trim threshold too) each buffer of 128 KiB or more is its own mapping,
 * returned on free; two arenas instead of eight per core stop the decode workers' and V8's threads from each
 * keeping a high-water mark of their own.
 */
export const MALLOC_ENV: Readonly<Record<string, string>> = {
  MALLOC_ARENA_MAX: '2',
  MALLOC_MMAP_THRESHOLD_: '131072',
};

/** The settings of MALLOC_ENV that `env` lacks (an operator's own value for one counts as set). */
export function missingMallocSettings(env: NodeJS.ProcessEnv): string[] {
  return Object.entries(MALLOC_ENV)
    .filter(([name]) => env[name] === undefined)
    .map(([name, value]) => `${name}=${value}`);
}

/** Whether this process' C library is glibc, whose malloc MALLOC_ENV tunes (musl and others ignore it). */
export function runsOnGlibc(): boolean {
  const header = (process.report?.getReport() as { header?: { glibcVersionRuntime?: string } } | undefined)?.header;
  return header?.glibcVersionRuntime !== undefined;
}
