// The fleet the rules benchmark (bench/rules-vs-prometheus.ts) loads: hosts running the Datadog Agent, 100 series
// each (the system check's cpu, load, memory, swap, disk, io, inode and network metrics with their devices, uptime,
// processes, NTP, the Agent's own `datadog.agent.running`, and an application's cumulative request, latency and
// job counters reported as gauges, as an OpenMetrics check with `send_monotonic_counter: false` sends them), as
// /api/v2/series payloads. Values are deterministic: each alert threshold of the rule file is crossed by about 2 %
// of the hosts (or their devices), so both rulers hold the same few hundred alerts.
import type { MetricSeriesInput } from '../test/support/proto-writer.js';

export const SERIES_PER_HOST = 100;
/** Seconds between two flushes of an Agent. */
export const FLUSH_S = 10;

export const ROLES = ['web', 'db', 'cache', 'queue', 'batch'] as const;
export const ENVS = ['prod', 'staging'] as const;
export const TEAMS = Array.from({ length: 10 }, (_, i) => `team-${i}`);

const DISKS = ['nvme0n1', 'nvme1n1', 'nvme2n1', 'nvme3n1'];
const NICS = ['eth0', 'eth1'];
const HTTP = ['200', '404', '500'].flatMap((code) =>
  ['GET', 'POST'].map((method) => [`code:${code}`, `method:${method}`]),
);

const GAUGE = 3;
const RATE = 2;

/** Host h's share of the fleet that trips an alert: ~2 % of hosts per `salt`. */
function hot(h: number, salt: number): boolean {
  let x = Math.imul(h + 1, 0x9e3779b1) ^ Math.imul(salt + 1, 0x85ebca6b);
  x = Math.imul(x ^ (x >>> 15), 0x2c1b3c6d);
  return ((x ^ (x >>> 12)) >>> 0) % 50 === 0;
}

const round2 = (x: number) => Math.round(x * 100) / 100;
const wave = (h: number, k: number, period: number) => Math.sin(k / period + h);
const cores = (h: number) => 4 << (h % 4);
const memTotal = (h: number) => 8 * 2 ** 30 * (1 << (h % 4));
const DISK_TOTAL = 500e9;

/** One metric of every host: its Datadog name and type, its devices or tag sets, and its value at step k. */
interface FleetMetric {
  name: string;
  type: number;
  /** One series per device (a `device` resource) or per tag set; one series when neither. */
  devices?: readonly string[];
  tagSets?: readonly (readonly string[])[];
  value(h: number, k: number, variant: number): number;
}

const cpuUser = (h: number, k: number) => round2(hot(h, 1) ? 93 + 3 * wave(h, k, 7) : 25 + 10 * wave(h, k, 30));
const cpuSystem = (h: number, k: number) => round2(6 + 2 * wave(h, k, 20));
const cpuIowait = (h: number, k: number) => round2(hot(h, 2) ? 40 : 1 + wave(h, k, 15));
const load = (h: number, k: number, period: number) =>
  round2(cores(h) * (hot(h, 4) ? 3 : 0.4) * (1 + 0.2 * wave(h, k, period)));
const memUsedRatio = (h: number, k: number) => (hot(h, 5) ? 0.97 : 0.45 + 0.1 * wave(h, k, 60));
const diskInUse = (h: number, k: number, d: number) =>
  hot(h, 6 + d) ? 0.95 + 0.0001 * k : 0.3 + 0.1 * d + 0.00001 * k + 0.01 * wave(h, k, 90);
const netRcvd = (h: number, k: number, n: number) => round2((hot(h, 10) ? 2e8 : 2e6) * (1 + 0.3 * wave(h + n, k, 12)));
/** Requests per second of one code/method pair; host h's 500s are 15 % of its traffic when it is hot. */
const httpRate = (h: number, variant: number) => {
  const code = Math.floor(variant / 2);
  const base = 20 + (h % 13);
  return code === 0 ? base : code === 1 ? base * 0.02 : hot(h, 11) ? base * 0.15 : base * 0.001;
};

const METRICS: FleetMetric[] = [
  { name: 'system.cpu.user', type: GAUGE, value: cpuUser },
  { name: 'system.cpu.system', type: GAUGE, value: cpuSystem },
  { name: 'system.cpu.iowait', type: GAUGE, value: cpuIowait },
  { name: 'system.cpu.stolen', type: GAUGE, value: (h) => (hot(h, 3) ? 12 : 0.2) },
  { name: 'system.cpu.guest', type: GAUGE, value: () => 0 },
  {
    name: 'system.cpu.idle',
    type: GAUGE,
    value: (h, k) => round2(Math.max(0, 100 - cpuUser(h, k) - cpuSystem(h, k) - cpuIowait(h, k))),
  },
  { name: 'system.cpu.interrupt', type: GAUGE, value: (h, k) => round2(0.5 + 0.1 * wave(h, k, 9)) },
  // Cumulative: the kernel's count since boot.
  { name: 'system.cpu.context_switches', type: GAUGE, value: (h, k) => (hot(h, 12) ? 90_000 : 4_000) * FLUSH_S * k },
  { name: 'system.load.1', type: GAUGE, value: (h, k) => load(h, k, 3) * (hot(h, 13) ? 4 : 1) },
  { name: 'system.load.5', type: GAUGE, value: (h, k) => load(h, k, 15) },
  { name: 'system.load.15', type: GAUGE, value: (h, k) => load(h, k, 45) },
  {
    name: 'system.load.norm.1',
    type: GAUGE,
    value: (h, k) => round2((load(h, k, 3) * (hot(h, 13) ? 4 : 1)) / cores(h)),
  },
  { name: 'system.load.norm.5', type: GAUGE, value: (h, k) => round2(load(h, k, 15) / cores(h)) },
  { name: 'system.load.norm.15', type: GAUGE, value: (h, k) => round2(load(h, k, 45) / cores(h)) },
  { name: 'system.mem.total', type: GAUGE, value: memTotal },
  { name: 'system.mem.used', type: GAUGE, value: (h, k) => Math.round(memTotal(h) * memUsedRatio(h, k)) },
  { name: 'system.mem.free', type: GAUGE, value: (h, k) => Math.round(memTotal(h) * (1 - memUsedRatio(h, k)) * 0.3) },
  { name: 'system.mem.usable', type: GAUGE, value: (h, k) => Math.round(memTotal(h) * (1 - memUsedRatio(h, k))) },
  { name: 'system.mem.pct_usable', type: GAUGE, value: (h, k) => 1 - memUsedRatio(h, k) },
  { name: 'system.mem.cached', type: GAUGE, value: (h) => Math.round(memTotal(h) * 0.2) },
  { name: 'system.mem.buffered', type: GAUGE, value: (h) => Math.round(memTotal(h) * 0.02) },
  { name: 'system.mem.page_tables', type: GAUGE, value: (h) => 40_000_000 + h * 4096 },
  { name: 'system.mem.slab', type: GAUGE, value: (h) => 300_000_000 + h * 4096 },
  { name: 'system.mem.committed_as', type: GAUGE, value: (h) => memTotal(h) * (hot(h, 14) ? 1.8 : 0.7) },
  { name: 'system.swap.used', type: GAUGE, value: (h) => (hot(h, 15) ? 1.8e9 : 1e8) },
  { name: 'system.swap.free', type: GAUGE, value: (h) => (hot(h, 15) ? 2e8 : 1.9e9) },
  { name: 'system.swap.pct_free', type: GAUGE, value: (h) => (hot(h, 15) ? 0.1 : 0.95) },
  { name: 'system.disk.total', type: GAUGE, devices: DISKS, value: () => DISK_TOTAL },
  { name: 'system.disk.in_use', type: GAUGE, devices: DISKS, value: diskInUse },
  {
    name: 'system.disk.used',
    type: GAUGE,
    devices: DISKS,
    value: (h, k, d) => Math.round(DISK_TOTAL * diskInUse(h, k, d)),
  },
  {
    name: 'system.disk.free',
    type: GAUGE,
    devices: DISKS,
    value: (h, k, d) => Math.round(DISK_TOTAL * (1 - diskInUse(h, k, d))),
  },
  { name: 'system.fs.inodes.total', type: GAUGE, devices: DISKS, value: () => 32_000_000 },
  {
    name: 'system.fs.inodes.used',
    type: GAUGE,
    devices: DISKS,
    value: (h, _k, d) => (hot(h, 16 + d) ? 30_400_000 : 3_000_000 + d * 1000),
  },
  {
    name: 'system.fs.inodes.in_use',
    type: GAUGE,
    devices: DISKS,
    value: (h, _k, d) => (hot(h, 16 + d) ? 0.95 : 0.09 + d * 0.001),
  },
  { name: 'system.io.r_s', type: GAUGE, devices: DISKS, value: (h, k, d) => round2(50 + 40 * wave(h + d, k, 11)) },
  { name: 'system.io.w_s', type: GAUGE, devices: DISKS, value: (h, k, d) => round2(120 + 80 * wave(h + d, k, 13)) },
  {
    name: 'system.io.util',
    type: GAUGE,
    devices: DISKS,
    value: (h, k, d) => round2(hot(h, 20 + d) ? 97 + 2 * wave(h, k, 5) : 20 + 15 * wave(h + d, k, 17)),
  },
  {
    name: 'system.io.await',
    type: GAUGE,
    devices: DISKS,
    value: (h, k, d) => round2(hot(h, 24 + d) ? 80 : 2 + wave(h + d, k, 19)),
  },
  { name: 'system.io.avg_q_sz', type: GAUGE, devices: DISKS, value: (h, _k, d) => (hot(h, 28 + d) ? 14 : 0.4) },
  { name: 'system.net.bytes_rcvd', type: RATE, devices: NICS, value: netRcvd },
  { name: 'system.net.bytes_sent', type: RATE, devices: NICS, value: (h, k, n) => round2(netRcvd(h, k, n) * 0.6) },
  {
    name: 'system.net.packets_in.count',
    type: RATE,
    devices: NICS,
    value: (h, k, n) => round2(netRcvd(h, k, n) / 900),
  },
  {
    name: 'system.net.packets_out.count',
    type: RATE,
    devices: NICS,
    value: (h, k, n) => round2(netRcvd(h, k, n) / 1200),
  },
  { name: 'system.net.packets_in.error', type: RATE, devices: NICS, value: (h) => (hot(h, 32) ? 40 : 0) },
  { name: 'system.net.packets_out.error', type: RATE, devices: NICS, value: () => 0 },
  {
    name: 'system.uptime',
    type: GAUGE,
    value: (h, k) => (hot(h, 33) ? (FLUSH_S * k) % 500 : 86_400 * (1 + (h % 30)) + FLUSH_S * k),
  },
  { name: 'system.processes.count', type: GAUGE, value: (h) => (hot(h, 34) ? 1500 : 180 + (h % 40)) },
  { name: 'ntp.offset', type: GAUGE, value: (h, k) => (hot(h, 35) ? 0.9 : round2(0.01 * wave(h, k, 50))) },
  { name: 'datadog.agent.running', type: GAUGE, value: (h) => (hot(h, 36) ? 0 : 1) },
  // Cumulative counters of the application each host runs.
  {
    name: 'app.http.requests_total',
    type: GAUGE,
    tagSets: HTTP,
    value: (h, k, v) => Math.round(httpRate(h, v) * FLUSH_S * k),
  },
  {
    name: 'app.http.request_duration_seconds.sum',
    type: GAUGE,
    value: (h, k) => round2((hot(h, 37) ? 0.9 : 0.05) * 20 * FLUSH_S * k),
  },
  { name: 'app.http.request_duration_seconds.count', type: GAUGE, value: (_h, k) => 20 * FLUSH_S * k },
  { name: 'app.jobs.processed_total', type: GAUGE, value: (h, k) => (hot(h, 38) ? 5_000 : 5_000 + 3 * FLUSH_S * k) },
];

/** One row per series of a host: metric, variant index, device resource and extra tags. */
const SERIES = METRICS.flatMap((m) => {
  const variants = m.devices ?? m.tagSets ?? [undefined];
  return variants.map((v, i) => ({
    metric: m,
    variant: i,
    device: typeof v === 'string' ? v : undefined,
    tags: typeof v === 'object' ? v : [],
  }));
});
if (SERIES.length !== SERIES_PER_HOST) throw new Error(`the fleet has ${SERIES.length} series per host`);

export const hostName = (h: number) => `ip-10-0-${h >> 8}-${h & 255}.ec2.internal`;
export const roleOf = (h: number) => ROLES[Math.floor(h / 2) % ROLES.length]!;
export const envOf = (h: number) => ENVS[h % ENVS.length]!;

function hostTags(h: number): string[] {
  return [
    `env:${envOf(h)}`,
    `role:${roleOf(h)}`,
    `availability-zone:us-east-1${'abc'[h % 3]}`,
    `team:${TEAMS[Math.floor(h / 7) % TEAMS.length]}`,
  ];
}

/**
 * The series of hosts [firstHost, firstHost + hosts) with the points of steps [firstStep, firstStep + steps)
 * (step k is at t0Sec + k * FLUSH_S), as the Agent's /api/v2/series payload lists them.
 */
export function fleetSeries(
  firstHost: number,
  hosts: number,
  t0Sec: number,
  firstStep: number,
  steps: number,
): MetricSeriesInput[] {
  const out: MetricSeriesInput[] = [];
  for (let h = firstHost; h < firstHost + hosts; h++) {
    const tags = hostTags(h);
    const host = { type: 'host', name: hostName(h) };
    for (const s of SERIES) {
      const points = [];
      for (let k = firstStep; k < firstStep + steps; k++)
        points.push({ timestamp: t0Sec + k * FLUSH_S, value: s.metric.value(h, k, s.variant) });
      out.push({
        metric: s.metric.name,
        type: s.metric.type,
        resources: s.device ? [host, { type: 'device', name: s.device }] : [host],
        tags: s.tags.length ? [...tags, ...s.tags] : tags,
        points,
        sourceTypeName: s.metric.name.startsWith('app.') ? '' : 'System',
        interval: s.metric.type === RATE ? FLUSH_S : 0,
      });
    }
  }
  return out;
}
