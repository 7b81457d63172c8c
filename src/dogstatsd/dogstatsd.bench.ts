import { fork } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { DogStatsDAggregator } from './aggregator.js';
import { DogStatsDParser } from './parser.js';
import { DogStatsDServer } from './server.js';

// DogStatsD benchmarks: parse + aggregate throughput on one core, UDP loopback intake (highest rate with no loss,
// and the loss at twice that rate) and the unix datagram socket's intake under a flood.
// Run: `node dist/src/dogstatsd/dogstatsd.bench.js [--quick] [--no-udp] [--no-unix]`.

/** Packets like a DogStatsD client's buffered sends: lines up to ~1400 bytes (the clients' UDP default 1432). */
export function makePackets(count: number, contexts = 2000, maxBytes = 1400): { packets: Buffer[]; metrics: number } {
  const types = ['c', 'c', 'c', 'g', 'g', 'h', 'ms', 'd', 's'];
  const lines: string[] = [];
  let metrics = 0;
  const packets: Buffer[] = [];
  let size = 0;
  let i = 0;
  while (packets.length < count) {
    const ctx = i % contexts;
    const type = types[ctx % types.length]!;
    const value = type === 's' ? `user${i % 97}` : type === 'g' ? ((i * 7) % 1000) / 10 : (i % 250) + 1;
    const line =
      `app.service${ctx % 20}.${type === 'ms' ? 'latency' : 'requests'}_${ctx}:${value}|${type}` +
      (i % 10 === 0 ? '|@0.5' : '') +
      `|#env:prod,service:svc${ctx % 20},endpoint:/api/v1/items/${ctx % 50},status:${200 + (ctx % 3)}`;
    i++;
    if (size + line.length + 1 > maxBytes && lines.length > 0) {
      packets.push(Buffer.from(lines.join('\n')));
      lines.length = 0;
      size = 0;
    }
    lines.push(line);
    size += line.length + 1;
  }
  for (const p of packets) metrics += p.toString('latin1').split('\n').length;
  return { packets, metrics };
}

export interface ThroughputResult {
  metricsPerSecond: number;
  packetsPerSecond: number;
  contexts: number;
  seconds: number;
}

/** Parse + aggregate on this thread, flushing every simulated second like the server does. */
export function benchParseAggregate(seconds = 2): ThroughputResult {
  const { packets, metrics } = makePackets(2000);
  let nowMs = 1_700_000_000_000;
  const agg = new DogStatsDAggregator({ hostname: 'bench', clock: () => nowMs });
  // Warm up the JIT and the contexts.
  for (const p of packets) agg.ingest(p);
  agg.flush();
  let done = 0;
  let rounds = 0;
  const start = process.hrtime.bigint();
  let elapsed = 0;
  while (elapsed < seconds) {
    for (const p of packets) agg.ingest(p);
    done += metrics;
    rounds++;
    nowMs += 1000;
    agg.flush();
    elapsed = Number(process.hrtime.bigint() - start) / 1e9;
  }
  return {
    metricsPerSecond: done / elapsed,
    packetsPerSecond: (rounds * packets.length) / elapsed,
    contexts: agg.contextCount,
    seconds: elapsed,
  };
}

/** Parse only (no-op handler): the parser's share of the work. */
export function benchParse(seconds = 1): number {
  const { packets, metrics } = makePackets(2000);
  const parser = new DogStatsDParser();
  const noop = { metric() {}, event() {}, serviceCheck() {}, malformed() {} };
  for (const p of packets) parser.parsePacket(p, noop);
  let done = 0;
  const start = process.hrtime.bigint();
  let elapsed = 0;
  while (elapsed < seconds) {
    for (const p of packets) parser.parsePacket(p, noop);
    done += metrics;
    elapsed = Number(process.hrtime.bigint() - start) / 1e9;
  }
  return done / elapsed;
}

export interface UdpStep {
  targetMetricsPerSecond: number;
  sentMetrics: number;
  receivedMetrics: number;
  lossRatio: number;
}

export interface UdpResult {
  recvBufferBytes: number;
  steps: UdpStep[];
  /** Highest rate of the steps with no loss. */
  maxLosslessMetricsPerSecond: number;
  /** Loss at twice that rate. */
  lossAtDouble: UdpStep | null;
}

// The sender runs in a worker thread so it does not compete with the receiver's event loop (it does for the CPU:
// the machine has 2 cores). It paces packets in 5 ms slices for `seconds` and reports what it sent.
const SENDER = `
const { parentPort, workerData } = require('node:worker_threads');
const dgram = require('node:dgram');
const { port, packets, metricsPerPacket, rate, seconds } = workerData;
const sock = dgram.createSocket('udp4');
const bufs = packets.map((p) => Buffer.from(p));
const packetsPerSecond = rate / metricsPerPacket;
const start = process.hrtime.bigint();
let sent = 0, i = 0, inflight = 0;
function step() {
  const t = Number(process.hrtime.bigint() - start) / 1e9;
  if (t >= seconds) { const wait = () => inflight ? setTimeout(wait, 5) : (sock.close(), parentPort.postMessage(sent)); return wait(); }
  const due = Math.floor(t * packetsPerSecond);
  while (sent < due && inflight < 4096) { inflight++; sock.send(bufs[i++ % bufs.length], port, '127.0.0.1', () => inflight--); sent++; }
  setTimeout(step, 1);
}
step();
`;

async function sendAt(
  port: number,
  packets: Buffer[],
  metricsPerPacket: number,
  rate: number,
  seconds: number,
): Promise<number> {
  const worker = new Worker(SENDER, {
    eval: true,
    workerData: { port, packets: packets.map((p) => new Uint8Array(p)), metricsPerPacket, rate, seconds },
  });
  const sentPackets = await new Promise<number>((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
  });
  await worker.terminate();
  return sentPackets;
}

/**
 * Real UDP on loopback into a DogStatsDServer: raises the rate step by step (each `seconds` long) until metrics are
 * lost, then measures the loss at twice the best lossless rate.
 */
export async function benchUdp(
  opts: { seconds?: number; rates?: number[]; recvBufferSize?: number } = {},
): Promise<UdpResult> {
  const seconds = opts.seconds ?? 2;
  const rates = opts.rates ?? [50_000, 100_000, 200_000, 300_000, 400_000, 600_000];
  const { packets } = makePackets(500, 2000);
  // Same number of lines in every packet, so packets sent × lines = metrics sent.
  const perPacket = Math.min(...packets.map((p) => p.toString('latin1').split('\n').length));
  const even = packets.map((p) => Buffer.from(p.toString('latin1').split('\n').slice(0, perPacket).join('\n')));
  const server = new DogStatsDServer({
    listen: '127.0.0.1:0',
    hostname: 'bench',
    recvBufferSize: opts.recvBufferSize ?? 8 << 20,
    onFlush: async () => {},
  });
  await server.start();
  const port = server.udpAddress()!.port;
  const probe = createSocket('udp4');
  probe.bind(0);
  await new Promise((r) => probe.once('listening', r));
  probe.setRecvBufferSize(opts.recvBufferSize ?? 8 << 20);
  const recvBufferBytes = probe.getRecvBufferSize();
  probe.close();

  const received = (): number => {
    const s = server.stats.samples;
    return s.c + s.g + s.h + s.ms + s.d + s.s;
  };
  const runStep = async (rate: number): Promise<UdpStep> => {
    const before = received();
    const sentPackets = await sendAt(port, even, perPacket, rate, seconds);
    await new Promise((r) => setTimeout(r, 300)); // let the socket drain
    const sentMetrics = sentPackets * perPacket;
    const receivedMetrics = received() - before;
    return { targetMetricsPerSecond: rate, sentMetrics, receivedMetrics, lossRatio: 1 - receivedMetrics / sentMetrics };
  };

  const steps: UdpStep[] = [];
  let best = 0;
  try {
    for (const rate of rates) {
      const step = await runStep(rate);
      steps.push(step);
      if (step.receivedMetrics < step.sentMetrics) break;
      best = rate;
    }
    const lossAtDouble = best > 0 ? await runStep(best * 2) : null;
    if (lossAtDouble) steps.push(lossAtDouble);
    return { recvBufferBytes, steps, maxLosslessMetricsPerSecond: best, lossAtDouble };
  } finally {
    await server.stop();
  }
}

export interface UnixResult {
  sentPackets: number;
  /**
   * Times the sender had to wait because the socket queue was full: unix datagrams are never dropped silently,
   * the sender is held back instead (node-unix-socket queues sends until the kernel takes them).
   */
  backpressureWaits: number;
  receivedMetricsPerSecond: number;
}

// The flooding sender is another process, so it does not compete with the receiver for the event loop. It keeps at
// most MAX_PENDING sends waiting for the kernel.
const UNIX_SENDER = `
const { DgramSocket } = require(process.argv[2]);
const bufs = JSON.parse(require('node:fs').readFileSync(process.argv[3], 'utf8')).map((p) => Buffer.from(p, 'latin1'));
const path = process.argv[4], seconds = Number(process.argv[5]);
const MAX_PENDING = 256;
const sock = new DgramSocket();
let sent = 0, pending = 0, waits = 0;
const t0 = Date.now();
(function flood() {
  for (let k = 0; k < 100; k++) {
    if (pending >= MAX_PENDING) { waits++; break; }
    const b = bufs[sent % bufs.length];
    pending++;
    sock.sendTo(b, 0, b.length, path, () => { pending--; });
    sent++;
  }
  if (Date.now() - t0 < seconds * 1000) setImmediate(flood); else { sock.close(); process.send({ sent, waits }); }
})();
`;

/** Floods the server's unix datagram socket from another process for `seconds` and measures what it took in. */
export async function benchUnix(seconds = 2): Promise<UnixResult> {
  const dir = mkdtempSync(join(tmpdir(), 'promdog-dsd-bench-'));
  const socketPath = join(dir, 'dsd.socket');
  const { packets, metrics } = makePackets(500);
  const packetsFile = join(dir, 'packets.json');
  const senderFile = join(dir, 'sender.cjs');
  writeFileSync(packetsFile, JSON.stringify(packets.map((p) => p.toString('latin1'))));
  writeFileSync(senderFile, UNIX_SENDER);
  const server = new DogStatsDServer({
    socketPath,
    hostname: 'bench',
    recvBufferSize: 8 << 20,
    onFlush: async () => {},
  });
  await server.start();
  try {
    const unixSocketPath = createRequire(import.meta.url).resolve('node-unix-socket');
    const child = fork(senderFile, [unixSocketPath, packetsFile, socketPath, String(seconds)]);
    const { sent, waits } = await new Promise<{ sent: number; waits: number }>((resolve, reject) => {
      child.once('message', (m) => resolve(m as { sent: number; waits: number }));
      child.once('error', reject);
    });
    child.kill();
    await new Promise((r) => setTimeout(r, 300));
    const received = server.stats.packets.unix * (metrics / packets.length);
    return { sentPackets: sent, backpressureWaits: waits, receivedMetricsPerSecond: received / seconds };
  } finally {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const quick = process.argv.includes('--quick');
  const t = benchParseAggregate(quick ? 1 : 3);
  console.log(
    `parse+aggregate (1 core): ${Math.round(t.metricsPerSecond).toLocaleString('en')} metrics/s, ` +
      `${Math.round(t.packetsPerSecond).toLocaleString('en')} packets/s, ${t.contexts} contexts, ${t.seconds.toFixed(1)} s`,
  );
  console.log(`parse only (1 core): ${Math.round(benchParse(quick ? 0.5 : 1)).toLocaleString('en')} metrics/s`);
  if (!process.argv.includes('--no-unix')) {
    const x = await benchUnix(quick ? 1 : 2);
    console.log(
      `unix datagram socket, flooded: ${Math.round(x.receivedMetricsPerSecond).toLocaleString('en')} metrics/s taken in ` +
        `(${x.sentPackets.toLocaleString('en')} sends; the sender was held back ${x.backpressureWaits.toLocaleString('en')} times: queue full)`,
    );
  }
  if (process.argv.includes('--no-udp')) return;
  const u = await benchUdp({ seconds: quick ? 1 : 2 });
  console.log(`UDP loopback (SO_RCVBUF ${u.recvBufferBytes} bytes):`);
  for (const s of u.steps) {
    console.log(
      `  target ${s.targetMetricsPerSecond.toLocaleString('en')} metrics/s: sent ${s.sentMetrics.toLocaleString('en')}, ` +
        `received ${s.receivedMetrics.toLocaleString('en')}, loss ${(s.lossRatio * 100).toFixed(2)}%`,
    );
  }
  console.log(`  max lossless rate: ${u.maxLosslessMetricsPerSecond.toLocaleString('en')} metrics/s`);
  if (u.lossAtDouble) console.log(`  loss at 2× that: ${(u.lossAtDouble.lossRatio * 100).toFixed(2)}%`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
