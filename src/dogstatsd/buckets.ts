import { DDSketchBuilder } from '../mapping/ddsketch.js';
import type { Context } from './contexts.js';
import type { DropReason } from './stats.js';

// Time buckets and the samples aggregated into them, as the Agent's time sampler does it: a sample goes to the
// bucket its receive time falls in; each context has one BucketState per bucket it has samples in.

/** The Agent's DogStatsD bucket size (`bucketSize`), also the `interval` of every series it sends. */
export const BUCKET_SECONDS = 10;

/** The start of the bucket time `sec` (Unix seconds) falls in: sec − sec mod 10. */
export function bucketStart(sec: number): number {
  const t = Math.trunc(sec);
  return t - (t % BUCKET_SECONDS);
}

/** A rate outside (0, 1] counts as 1 (the Agent's sketch rule; its counters and histograms would divide by it). */
function effectiveRate(r: number): number {
  return r > 0 && r <= 1 ? r : 1;
}

/** One context's samples in one bucket. One class for every kind keeps property access monomorphic. */
export class BucketState {
  /** Counter: sum of value/rate. Gauge: last value. Histogram: sum of value/rate. */
  value = 0;
  /** Counter, gauge: finite values taken. Histogram: sum of the weights (truncated 1/rate, as the Agent). */
  count = 0;
  samples: number[] | null = null;
  /** Histogram weights, created at the first sampled (rate < 1) value; all 1 before. */
  weights: number[] | null = null;
  members: Set<string> | null = null;
  sketch: DDSketchBuilder | null = null;
  constructor(
    readonly ctx: Context,
    readonly bucket: number,
  ) {}
}

/**
 * The unflushed buckets: bucket start → the states with samples in it. Samples are added to the current bucket (the
 * one ingest() is in); histogram samples and set members held, all buckets together, stay within `maxHeldValues`.
 * Values not taken are counted in `dropped`.
 */
export class Buckets {
  private readonly byStart = new Map<number, BucketState[]>();
  private current = -1;
  private currentStates: BucketState[] = [];
  /** Histogram samples and set members in unflushed buckets. */
  private held = 0;

  constructor(
    private readonly maxHeldValues: number,
    private readonly dropped: Record<DropReason, number>,
  ) {}

  /** The bucket samples are added to now. */
  get currentStart(): number {
    return this.current;
  }

  /** Makes the bucket starting at `start` the current one. */
  open(start: number): void {
    if (start === this.current) return;
    this.current = start;
    let states = this.byStart.get(start);
    if (!states) {
      states = [];
      this.byStart.set(start, states);
    }
    this.currentStates = states;
  }

  /** ctx's state in the current bucket, created at its first sample there. */
  stateOf(ctx: Context): BucketState {
    let st = ctx.state;
    if (st === null || st.bucket !== this.current) {
      st = new BucketState(ctx, this.current);
      ctx.state = st;
      this.currentStates.push(st);
    }
    return st;
  }

  /** Counter: each finite value / rate adds up. */
  addCounter(st: BucketState, values: number[], n: number, sampleRate: number): void {
    const f = 1 / effectiveRate(sampleRate);
    for (let i = 0; i < n; i++) {
      const v = values[i]!;
      if (v - v !== 0) {
        this.dropped.non_finite_value++;
      } else {
        st.value += v * f;
        st.count++;
      }
    }
  }

  /** Gauge: the last finite value; the sample rate is ignored. */
  addGauge(st: BucketState, values: number[], n: number): void {
    for (let i = 0; i < n; i++) {
      const v = values[i]!;
      if (v - v !== 0) {
        this.dropped.non_finite_value++;
      } else {
        st.value = v;
        st.count++;
      }
    }
  }

  /** Set: the member, unless held already. */
  addSetMember(st: BucketState, member: string): void {
    const members = (st.members ??= new Set());
    if (members.has(member)) return;
    if (this.held >= this.maxHeldValues) {
      this.dropped.value_limit++;
      return;
    }
    members.add(member);
    this.held++;
  }

  /** Histogram: every finite value, as the Agent: weight int64(1/rate), sum += value · (1/rate). */
  addHistogram(st: BucketState, values: number[], n: number, sampleRate: number): void {
    const samples = (st.samples ??= []);
    const f = 1 / effectiveRate(sampleRate);
    const weight = Math.trunc(f);
    if (weight !== 1 && st.weights === null) st.weights = new Array<number>(samples.length).fill(1);
    for (let i = 0; i < n; i++) {
      const v = values[i]!;
      if (v - v !== 0) {
        this.dropped.non_finite_value++;
        continue;
      }
      if (this.held >= this.maxHeldValues) {
        this.dropped.value_limit++;
        continue;
      }
      this.held++;
      samples.push(v);
      if (st.weights !== null) st.weights.push(weight);
      st.value += v * f;
      st.count += weight;
    }
  }

  /** Distribution: every finite value into the bucket's sketch, counted trunc(1/rate) times as by the Agent. */
  addDistribution(st: BucketState, values: number[], n: number, sampleRate: number): void {
    const sketch = (st.sketch ??= new DDSketchBuilder());
    const weight = Math.trunc(1 / effectiveRate(sampleRate));
    for (let i = 0; i < n; i++) {
      const v = values[i]!;
      if (v - v !== 0) this.dropped.non_finite_value++;
      else sketch.add(v, weight);
    }
  }

  /** The starts of the unflushed buckets. */
  starts(): IterableIterator<number> {
    return this.byStart.keys();
  }

  has(start: number): boolean {
    return this.byStart.has(start);
  }

  /**
   * Removes the bucket starting at `start` for its flush: its states (none if it had no samples), no longer their
   * contexts' current state, their held values released.
   */
  take(start: number): BucketState[] {
    const states = this.byStart.get(start);
    if (states === undefined) return [];
    this.byStart.delete(start);
    if (start === this.current) this.current = -1;
    for (const st of states) {
      if (st.ctx.state === st) st.ctx.state = null;
      if (st.samples) this.held -= st.samples.length;
      if (st.members) this.held -= st.members.size;
    }
    return states;
  }
}
