import {
  emptyPayload,
  type DDMetricType,
  type DDSeries,
  type DDSketch,
  type DecodedPayload,
} from '../model/datadog.js';
import { BUCKET_SECONDS, type BucketState } from './buckets.js';
import { K_COUNTER, K_DISTRIBUTION, K_GAUGE, K_HISTOGRAM, K_SET, type Context } from './contexts.js';
import { histogramValues, type HistogramOutput } from './histogram.js';

/** A series of one point, as the Agent sends a DogStatsD one: interval 10 s. */
export function newSeries(
  metric: string,
  host: string,
  tags: string[],
  type: DDMetricType,
  ts: number,
  value: number,
): DDSeries {
  return {
    metric,
    type,
    host,
    device: '',
    resources: [],
    tags,
    sourceTypeName: '',
    interval: BUCKET_SECONDS,
    unit: '',
    timestamps: [ts],
    values: [value],
  };
}

/**
 * One flush's payload, built from the states of closed buckets (oldest first) and counters' zeroes: one series per
 * context and output (a histogram has several), one sketch per distribution context, with a point per bucket.
 */
export class FlushBuilder {
  readonly payload: DecodedPayload = emptyPayload();
  private readonly seriesByCtx = new Map<Context, DDSeries[]>();
  private readonly sketchByCtx = new Map<Context, DDSketch>();
  private readonly histogramPoint: number[] = [];

  constructor(private readonly histogramOutputs: readonly HistogramOutput[]) {}

  /** What a context aggregated in a bucket: nothing when it only had values that were not taken. */
  add(st: BucketState): void {
    const ctx = st.ctx;
    const b = st.bucket;
    switch (ctx.kind) {
      case K_COUNTER:
        // Only non-finite values: nothing sampled, as in the Agent (the zero-fill may still send a 0).
        if (st.count === 0) break;
        ctx.lastDataBucket = b;
        this.point(ctx, 0, '', 'rate', b, st.value / BUCKET_SECONDS);
        break;
      case K_GAUGE:
        if (st.count > 0) this.point(ctx, 0, '', 'gauge', b, st.value);
        break;
      case K_SET:
        if (st.members && st.members.size > 0) this.point(ctx, 0, '', 'gauge', b, st.members.size);
        break;
      case K_HISTOGRAM:
        if (st.samples && st.samples.length > 0) this.addHistogram(st, st.samples);
        break;
      case K_DISTRIBUTION: {
        if (!st.sketch || st.sketch.count === 0) break;
        let sk = this.sketchByCtx.get(ctx);
        if (!sk) {
          sk = { metric: ctx.name, host: ctx.host, tags: ctx.tags, points: [] };
          this.sketchByCtx.set(ctx, sk);
          this.payload.sketches.push(sk);
        }
        sk.points.push(st.sketch.toPoint(b));
        break;
      }
    }
  }

  /** A counter's 0 for a bucket it had no samples in. */
  addZero(ctx: Context, bucket: number): void {
    this.point(ctx, 0, '', 'rate', bucket, 0);
  }

  private addHistogram(st: BucketState, samples: number[]): void {
    const outs = this.histogramOutputs;
    const values = this.histogramPoint;
    histogramValues(samples, st.weights, st.value, st.count, outs, values);
    for (let i = 0; i < outs.length; i++) this.point(st.ctx, i, outs[i]!.suffix, outs[i]!.type, st.bucket, values[i]!);
  }

  /** Adds one point to the series (context, output index) of this flush, creating it on first use. */
  private point(ctx: Context, index: number, suffix: string, type: DDMetricType, ts: number, value: number): void {
    let list = this.seriesByCtx.get(ctx);
    if (!list) {
      list = [];
      this.seriesByCtx.set(ctx, list);
    }
    const existing = list[index];
    if (existing) {
      existing.timestamps.push(ts);
      existing.values.push(value);
      return;
    }
    const s = newSeries(ctx.name + suffix, ctx.host, ctx.tags, type, ts, value);
    list[index] = s;
    this.payload.series.push(s);
  }
}
