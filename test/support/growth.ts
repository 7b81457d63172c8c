import assert from 'node:assert/strict';

// How an input's work grows with its size, for the linear-work tests: the same hostile shape at a small and a large
// size, the CPU time of each per input byte, compared. A linear step keeps the ratio near 1; a quadratic one makes it
// grow with the size factor (16 here). CPU time of this process, not wall-clock time: other processes on a shared
// machine do not count, and the bound leaves room for cache effects and the garbage collector.

/** Inputs of a shape grow by this factor from the small size to the large one. */
const GROWTH_FACTOR = 16;
/**
 * The most the CPU time per byte may grow from the small input to the large one. Linear work stays near 1, up to
 * ~2.5 once the large input's tables outgrow the CPU caches; quadratic work grows with GROWTH_FACTOR (~16).
 */
const MAX_PER_BYTE_GROWTH = 4;
/** Each measurement repeats the work until it has used this much CPU time, so a fast step is not lost in noise. */
const MIN_MEASURED_MICROS = 30_000;

interface Growth {
  /** CPU µs per input byte at the small size and at the large one. */
  smallPerByte: number;
  largePerByte: number;
  /** largePerByte / smallPerByte. */
  ratio: number;
}

function cpuMicros(): number {
  const u = process.cpuUsage();
  return u.user + u.system;
}

/** CPU µs one call of `work` takes: the fastest of three measurements, each repeating it for MIN_MEASURED_MICROS. */
function microsPerCall(work: () => void): number {
  let best = Infinity;
  for (let m = 0; m < 3; m++) {
    let calls = 0;
    const start = cpuMicros();
    let used = 0;
    do {
      work();
      calls++;
      used = cpuMicros() - start;
    } while (used < MIN_MEASURED_MICROS);
    best = Math.min(best, used / calls);
  }
  return best;
}

/**
 * How `run`'s CPU time per byte grows from `build(n)` to `build(n * GROWTH_FACTOR)`. `build` returns the input and
 * its size in bytes; it is not measured. A first run of the small input warms the JIT up.
 */
function measureGrowth<T>(
  n: number,
  build: (n: number) => { input: T; bytes: number },
  run: (input: T) => void,
): Growth {
  const small = build(n);
  const large = build(n * GROWTH_FACTOR);
  run(small.input);
  const smallPerByte = microsPerCall(() => run(small.input)) / small.bytes;
  const largePerByte = microsPerCall(() => run(large.input)) / large.bytes;
  return { smallPerByte, largePerByte, ratio: largePerByte / smallPerByte };
}

/** Asserts that `run`'s CPU time per byte grows less than MAX_PER_BYTE_GROWTH from n items to GROWTH_FACTOR × n. */
export function assertLinearWork<T>(
  n: number,
  build: (n: number) => { input: T; bytes: number },
  run: (input: T) => void,
): void {
  const growth = measureGrowth(n, build, run);
  assert.ok(
    growth.ratio < MAX_PER_BYTE_GROWTH,
    `CPU time per byte grew ${growth.ratio.toFixed(2)}× (small ${growth.smallPerByte.toFixed(4)} µs/B, ` +
      `large ${growth.largePerByte.toFixed(4)} µs/B)`,
  );
}
