// Micro-benchmark of the remote-write encoder: a 10k-sample batch shaped like mapped Agent payloads (one point
// per series, ~8 labels) and one with 10 points per series. Run: node dist/src/sinks/remote-write/encode.bench.js
import { pathToFileURL } from 'node:url';
import type { PromSeries } from '../../model/prometheus.js';
import { encodeSnappyWriteRequest, encodeWriteRequest } from './encode.js';

export interface EncodeBenchResult {
  name: string;
  series: number;
  samples: number;
  protobufBytes: number;
  snappyBytes: number;
  /** Protobuf only. */
  encodeSeriesPerSec: number;
  encodeSamplesPerSec: number;
  /** Protobuf + snappy: what one remote-write request costs in CPU. */
  snappySeriesPerSec: number;
  snappySamplesPerSec: number;
}

function makeBatch(seriesCount: number, pointsPerSeries: number): PromSeries[] {
  const start = 1_700_000_000_000;
  const out: PromSeries[] = [];
  for (let i = 0; i < seriesCount; i++) {
    const labels = [
      { name: '__name__', value: `system_metric_${i % 150}` },
      { name: 'device', value: `sda${i % 4}` },
      { name: 'env', value: 'production' },
      { name: 'instance', value: `web-${(i / 150) | 0}.eu-west-1.example.internal` },
      { name: 'job', value: 'ddagent' },
      { name: 'region', value: 'eu-west-1' },
      { name: 'service', value: i % 3 === 0 ? 'checkout-api' : 'cart' },
      { name: 'type', value: 'gauge' },
    ];
    const timestamps: number[] = [];
    const values: number[] = [];
    for (let p = 0; p < pointsPerSeries; p++) {
      timestamps.push(start + p * 15_000);
      values.push(i * 1.5 + p / 7);
    }
    out.push({ labels, timestamps, values });
  }
  return out;
}

/** Runs each case for about `msPerCase` after a warm-up. */
export function runEncodeBench(msPerCase = 1000): EncodeBenchResult[] {
  const cases = [
    { name: '10k series x 1 sample', series: makeBatch(10_000, 1) },
    { name: '1k series x 10 samples', series: makeBatch(1_000, 10) },
  ];
  return cases.map(({ name, series }) => {
    const samples = series.reduce((n, s) => n + s.timestamps.length, 0);
    const encodeRate = measure(() => encodeWriteRequest(series), msPerCase);
    const snappyRate = measure(() => encodeSnappyWriteRequest(series), msPerCase);
    return {
      name,
      series: series.length,
      samples,
      protobufBytes: encodeWriteRequest(series).length,
      snappyBytes: encodeSnappyWriteRequest(series).length,
      encodeSeriesPerSec: Math.round(encodeRate * series.length),
      encodeSamplesPerSec: Math.round(encodeRate * samples),
      snappySeriesPerSec: Math.round(snappyRate * series.length),
      snappySamplesPerSec: Math.round(snappyRate * samples),
    };
  });
}

/** Calls per second of `fn` over about `ms`, after a warm-up (other micro-benchmarks use it too). */
export function measure(fn: () => unknown, ms: number): number {
  for (let i = 0; i < 20; i++) fn();
  let calls = 0;
  const start = process.hrtime.bigint();
  const end = start + BigInt(ms) * 1_000_000n;
  let now = start;
  while (now < end) {
    fn();
    calls++;
    now = process.hrtime.bigint();
  }
  return calls / (Number(now - start) / 1e9);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  for (const r of runEncodeBench()) {
    console.log(
      `${r.name}: protobuf ${r.protobufBytes} B (${(r.protobufBytes / r.samples).toFixed(1)} B/sample), snappy ${r.snappyBytes} B; ` +
        `encode ${(r.encodeSeriesPerSec / 1e6).toFixed(2)}M series/s ${(r.encodeSamplesPerSec / 1e6).toFixed(2)}M samples/s; ` +
        `encode+snappy ${(r.snappySeriesPerSec / 1e6).toFixed(2)}M series/s ${(r.snappySamplesPerSec / 1e6).toFixed(2)}M samples/s`,
    );
  }
}
