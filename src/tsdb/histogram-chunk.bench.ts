// Bytes per native histogram sample: promdog's histogram chunk against Prometheus' own, on the same samples. The
// samples are what the mapper makes of Agent sketches (cumulative schema-6 histograms, one every 10 s per series).
// Prometheus' side is measured, not estimated: the samples are remote-written to a real Prometheus with native
// histograms on, its head is written out as a block (admin API snapshot), and the block's chunk files are read:
// chunk data bytes (without the file's per-chunk length, encoding byte and CRC, which promdog will need as well)
// and samples, of its histogram chunks (encoding 2). Chunks of 120 samples on promdog's side, as Prometheus cuts
// them.
// Run: npm run build && node dist/src/tsdb/histogram-chunk.bench.js
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { FloatHistogram } from '../model/histogram.js';
import type { PromSeries } from '../model/prometheus.js';
import { DDSketchBuilder } from '../mapping/ddsketch.js';
import { SketchHistogramSeries } from '../mapping/sketch-histogram.js';
import { encodeSnappyWriteRequest } from '../sinks/remote-write/encode.js';
import { encodeHistogramChunk } from './histogram-chunk.js';
import { PrometheusProcess } from '../../test/support/prometheus.js';
import { seededRandom } from '../../test/support/random.js';

const SERIES = 40;
const SAMPLES = 300;
const INTERVAL_MS = 10_000;
const CHUNK_SAMPLES = 120;
/** Prometheus' chunk encoding number of integer histograms (chunkenc.EncHistogram). */
const PROMETHEUS_HISTOGRAM_ENCODING = 2;

/** Each series: a host's latency distribution (lognormal, its own median and load), sketched every interval. */
function makeSeries(endMs: number): PromSeries[] {
  const r = seededRandom(42);
  const out: PromSeries[] = [];
  for (let s = 0; s < SERIES; s++) {
    const median = Math.log(5 + 200 * r());
    const perInterval = 50 + Math.floor(400 * r());
    const state = new SketchHistogramSeries();
    const timestamps: number[] = [];
    const histograms: FloatHistogram[] = [];
    for (let i = 0; i < SAMPLES; i++) {
      const b = new DDSketchBuilder();
      for (let v = 0; v < perInterval; v++)
        b.add(Math.exp(median + 0.6 * Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r())));
      const ms = endMs - (SAMPLES - 1 - i) * INTERVAL_MS;
      timestamps.push(ms);
      histograms.push(state.add(b.toPoint(ms / 1000), ms, i)!);
    }
    out.push({
      labels: [
        { name: '__name__', value: 'bench_latency_histogram' },
        { name: 'instance', value: `host-${s}` },
      ],
      timestamps: [],
      values: [],
      histograms: { timestamps, histograms },
    });
  }
  return out;
}

function promdogBytes(series: readonly PromSeries[]): number {
  let bytes = 0;
  for (const s of series) {
    const { timestamps, histograms } = s.histograms!;
    for (let from = 0; from < timestamps.length; from += CHUNK_SAMPLES) {
      const to = Math.min(timestamps.length, from + CHUNK_SAMPLES);
      bytes += encodeHistogramChunk(timestamps.slice(from, to), histograms.slice(from, to)).length;
    }
  }
  return bytes;
}

/** Data bytes and samples of the histogram chunks in a block's chunk segment files. */
async function blockHistogramChunks(chunksDir: string): Promise<{ bytes: number; samples: number; chunks: number }> {
  let bytes = 0;
  let samples = 0;
  let chunks = 0;
  for (const name of (await readdir(chunksDir)).sort()) {
    const file = await readFile(join(chunksDir, name));
    // Segment header: magic (4), version (1), padding (3); then per chunk: uvarint length, encoding, data, CRC32.
    let pos = 8;
    while (pos < file.length) {
      let length = 0;
      let shift = 0;
      for (;;) {
        const b = file[pos++]!;
        length += (b & 0x7f) * 2 ** shift;
        shift += 7;
        if (b < 0x80) break;
      }
      const encoding = file[pos++]!;
      if (encoding === PROMETHEUS_HISTOGRAM_ENCODING) {
        bytes += length;
        samples += file.readUInt16BE(pos); // a histogram chunk's data starts with its sample count
        chunks++;
      }
      pos += length + 4;
    }
  }
  return { bytes, samples, chunks };
}

async function prometheusBytes(series: readonly PromSeries[]): Promise<{ bytes: number; samples: number }> {
  const prom = await PrometheusProcess.start({ features: ['native-histograms'] });
  try {
    for (const s of series) {
      const res = await fetch(prom.remoteWriteUrl, {
        method: 'POST',
        body: encodeSnappyWriteRequest([s]),
        headers: { 'content-encoding': 'snappy', 'content-type': 'application/x-protobuf' },
      });
      if (res.status !== 204) throw new Error(`remote write: ${res.status} ${await res.text()}`);
    }
    const res = await fetch(`${prom.url}/api/v1/admin/tsdb/snapshot?skip_head=false`, { method: 'POST' });
    const snapshot = join(prom.dataDir, 'snapshots', ((await res.json()) as { data: { name: string } }).data.name);
    let bytes = 0;
    let samples = 0;
    for (const block of await readdir(snapshot)) {
      const chunks = await blockHistogramChunks(join(snapshot, block, 'chunks'));
      bytes += chunks.bytes;
      samples += chunks.samples;
    }
    return { bytes, samples };
  } finally {
    await prom.cleanup();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const series = makeSeries(Math.floor(Date.now() / INTERVAL_MS) * INTERVAL_MS);
  const samples = SERIES * SAMPLES;
  let buckets = 0;
  for (const s of series) buckets += s.histograms!.histograms[SAMPLES - 1]!.positiveBuckets.length;
  const ours = promdogBytes(series);
  const theirs = await prometheusBytes(series);
  if (theirs.samples !== samples) throw new Error(`Prometheus' block holds ${theirs.samples} of ${samples} samples`);
  console.log(`${SERIES} series × ${SAMPLES} samples, ${(buckets / SERIES).toFixed(0)} buckets per series at the end`);
  console.log(`promdog histogram chunk:    ${(ours / samples).toFixed(2)} bytes/sample`);
  console.log(`Prometheus histogram chunk: ${(theirs.bytes / samples).toFixed(2)} bytes/sample`);
  console.log(`ratio promdog / Prometheus: ${(ours / theirs.bytes).toFixed(3)}`);
}
