import { writeFileSync, mkdirSync } from 'node:fs';
import { cpus } from 'node:os';
import { benchDecodeSeriesV2 } from '../src/intake/decoders/series-v2-proto.bench.js';
import { benchMap } from '../src/mapping/mapper.bench.js';
import { runEncodeBench } from '../src/sinks/remote-write/encode.bench.js';
import { benchParseAggregate, benchUdp, benchUnix } from '../src/dogstatsd/dogstatsd.bench.js';
import { benchDecodeMap } from './decode-map.js';
import { benchGateway } from './gateway.js';
import { benchGatewayVsVmagent } from './gateway-vs-vmagent.js';
import { benchStore } from './store.js';
import { benchQueryVsPrometheus, printQueryResult } from './query-vs-prometheus.js';
import { benchRulesVsPrometheus, printRulesResult } from './rules-vs-prometheus.js';
import { benchAbuse } from './abuse.js';
import { benchHistograms, printHistogramResult } from './histograms.js';
import { benchStartup } from './startup.js';

// `npm run bench [-- section ...]`: every benchmark, or the named sections, one after the other on this machine.
// Prints a summary and writes the raw figures to bench-results/<date>.json. docs/benchmarks.md records them.

type Section = () => Promise<Record<string, unknown>>;

const M = (n: number) => `${(n / 1e6).toFixed(2)} M`;

const sections: Record<string, Section> = {
  async decode() {
    const r = benchDecodeSeriesV2(3);
    console.log(`decode /api/v2/series protobuf: ${M(r.samplesPerSec)} samples/s on one core`);
    return { ...r };
  },
  async map() {
    const r = benchMap(3000);
    console.log(`map Datadog → Prometheus: ${M(r.samplesPerSec)} samples/s on one core`);
    return { ...r };
  },
  async 'decode-map'() {
    const r = benchDecodeMap(8);
    console.log(
      `decode + map (target ≥ 2 M/s per core), the same series side by side: /api/v2/series ${M(r.v2.samplesPerSec)} ` +
        `samples/s (${r.v2.nsPerSample.toFixed(0)} ns/sample, ${r.bytesPerPayload.v2} bytes a payload), intake_v3 ` +
        `${M(r.v3.samplesPerSec)} samples/s (${r.v3.nsPerSample.toFixed(0)} ns/sample, ${r.bytesPerPayload.v3} bytes); ` +
        `v3/v2 ${r.v3OverV2.toFixed(2)} (target ≥ 1)`,
    );
    return { ...r };
  },
  async encode() {
    const r = runEncodeBench(1000);
    for (const c of r) console.log(`remote-write encode: ${JSON.stringify(c)}`);
    return { cases: r };
  },
  async gateway() {
    const r = await benchGateway({ concurrency: 4, perWorker: 40 });
    const ratio = r.viaPromdog.samplesPerSec / r.directToPrometheus.samplesPerSec;
    console.log(
      `gateway → Prometheus: ${M(r.viaPromdog.samplesPerSec)} samples/s through promdog (p50 ${r.viaPromdog.p50Ms.toFixed(1)} ms, ` +
        `p99 ${r.viaPromdog.p99Ms.toFixed(1)} ms, non-202: ${r.viaPromdog.non202}); ${M(r.directToPrometheus.samplesPerSec)} samples/s ` +
        `remote-written straight to Prometheus; ratio ${ratio.toFixed(2)}`,
    );
    return { ...r, ratio };
  },
  async 'gateway-vs-vmagent'() {
    const r = await benchGatewayVsVmagent({ log: (s) => console.log(`  ${s}`) });
    for (const [name, f] of [
      ['every series seen before', r.steady],
      ['every series new', r.newSeries],
    ] as const)
      console.log(
        `gateway CPU per sample, Datadog v1 JSON → remote write → Prometheus, ${name} (${r.series} series, medians ` +
          `of ${f.rounds} rounds): promdog ${f.medians.promdog.toFixed(2)} CPU-s per million samples (main thread ` +
          `${f.medians.promdogMainThread.toFixed(2)}), vmagent ${f.medians.vmagent.toFixed(2)}; ratio ` +
          `${f.ratio.toFixed(2)} (target ≤ 1.0)`,
      );
    return { ...r };
  },
  async store() {
    const r = await benchStore({ log: (s) => console.log(`  ${s}`) });
    const i = r.ingest;
    console.log(
      `store ingest, Datadog v1 JSON (deflate, ${r.pointsPerRequest} points/request, ${r.concurrency} in flight, ${i.series} series): ` +
        `promdog ${M(i.promdog.samplesPerSec)} samples/s, VictoriaMetrics ${M(i.victoriaMetrics.samplesPerSec)} samples/s, ratio ${i.ratio.toFixed(2)} (target ≥ 1.0)`,
    );
    for (const b of r.bytes) {
      console.log(
        `store bytes/sample on disk, ${b.mix} value mix: promdog ${b.promdog.bytesPerSample.toFixed(2)} (2 h block; target ≤ 1.5), ` +
          `Prometheus ${b.prometheus.bytesPerSample.toFixed(2)} (2 h block), VictoriaMetrics ${b.victoriaMetrics.bytesPerSample.toFixed(2)} (merged, data + indexdb)`,
      );
    }
    console.log(
      `store RSS per active series (promdog): ${Math.round(i.promdog.rssBytesPerSeries)} B (target ≤ 2048); after a full GC ` +
        `${Math.round(i.promdog.rssAfterGcBytesPerSeries)} B, live heap ${Math.round(i.promdog.liveHeapBytesPerSeries)} B`,
    );
    return { ...r };
  },
  async query() {
    const r = await benchQueryVsPrometheus({ log: (s) => console.log(`  ${s}`) });
    printQueryResult(r, (s) => console.log(`query ${s}`));
    return { ...r };
  },
  async histograms() {
    const r = await benchHistograms({ log: (s) => console.log(`  ${s}`) });
    printHistogramResult(r, (s) => console.log(`histograms ${s}`));
    return { ...r };
  },
  async rules() {
    const r = await benchRulesVsPrometheus({ log: (s) => console.log(`  ${s}`) });
    printRulesResult(r, (s) => console.log(`rules ${s}`));
    return { ...r };
  },
  async startup() {
    const r = await benchStartup({ log: (s) => console.log(`  ${s}`) });
    const ms = r.runs.map((x) => Math.round(x.readyMs)).join(', ');
    const cpu = r.runs.map((x) => x.cpuSeconds.toFixed(2)).join(', ');
    console.log(
      `promdog serve, spawn → /-/ready with ${r.series} series in the WAL (target ≤ 5 s): ${ms} ms; CPU ${cpu} s`,
    );
    return { ...r };
  },
  async abuse() {
    const r = await benchAbuse();
    console.log(
      'abuse (targets: Agent POST p99 ≤ 250 ms, bystander query p99 ≤ 500 ms, RSS growth ≤ 512 MiB, count() ≤ 1.0× Prometheus):',
    );
    for (const row of r.rows) {
      console.log(
        `  ${row.row.padEnd(52)} ${row.outcome}; Agent p99 ${row.senders.p99Ms.toFixed(0)} ms, bystander p99 ` +
          `${row.bystander.p99Ms.toFixed(0)} ms, RSS +${row.rssGrowthMiB.toFixed(0)} MiB, loop stall ` +
          `${row.loopStallMaxMs.toFixed(0)} ms (the bench's own ${row.benchLoopStallMaxMs.toFixed(0)} ms)`,
      );
    }
    for (const h of r.highCardinality) console.log(`  ${h.query}: ${h.ratio.toFixed(2)}× Prometheus`);
    return { ...r };
  },
  async dogstatsd() {
    const agg = benchParseAggregate(3);
    console.log(`dogstatsd parse+aggregate: ${JSON.stringify(agg)}`);
    const udp = await benchUdp({ seconds: 3 });
    console.log(
      `dogstatsd UDP (target ≥ 250k/s): max lossless ${M(udp.maxLosslessMetricsPerSecond)} metrics/s, ` +
        `loss at 2× that: ${udp.lossAtDouble ? `${(udp.lossAtDouble.lossRatio * 100).toFixed(1)}%` : 'n/a'}`,
    );
    const unix = await benchUnix(3);
    console.log(`dogstatsd unix socket, flooded: ${M(unix.receivedMetricsPerSecond)} metrics/s taken in`);
    return { parseAggregate: agg, udp, unix };
  },
};

const wanted = process.argv.slice(2);
const unknown = wanted.filter((w) => !(w in sections));
if (unknown.length) {
  console.error(`unknown section(s) ${unknown.join(', ')}; known: ${Object.keys(sections).join(', ')}`);
  process.exit(2);
}
const results: Record<string, unknown> = {
  date: new Date().toISOString(),
  node: process.version,
  cpu: cpus()[0]?.model,
  cores: cpus().length,
  execArgv: process.execArgv,
};
for (const name of wanted.length ? wanted : Object.keys(sections)) {
  console.log(`\n== ${name}`);
  results[name] = await sections[name]!();
}
mkdirSync('bench-results', { recursive: true });
const file = `bench-results/${String(results.date).replace(/[:.]/g, '-')}.json`;
writeFileSync(file, JSON.stringify(results, null, 2));
console.log(`\nraw figures: ${file}`);
