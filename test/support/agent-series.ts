// Agent-like Datadog v1 series for benchmarks (bench/store.ts, the v1 JSON decoder's micro-benchmark): hosts of
// METRICS_PER_HOST system metrics each, with the tags an EC2 Agent sends, as JSON text, and their values under a
// value mix.

export const METRICS_PER_HOST = 100;
/** Seconds between two points of a series (the Agent's flush interval). */
export const STEP_S = 10;

const METRIC_NAMES = [
  'system.cpu.user',
  'system.cpu.system',
  'system.cpu.idle',
  'system.cpu.iowait',
  'system.load.1',
  'system.load.5',
  'system.mem.used',
  'system.mem.free',
  'system.mem.total',
  'system.swap.used',
  'system.disk.used',
  'system.disk.free',
  'system.disk.total',
  'system.io.r_s',
  'system.io.w_s',
  'system.net.bytes_rcvd',
  'system.net.bytes_sent',
  'system.net.packets_in.count',
  'system.processes.count',
  'system.uptime',
];

/** Agent-like value shapes: totals that never change, slow gauges with 2 decimals, slow integer gauges, noisy rates. */
type ValueKind = 'constant' | 'gauge2dp' | 'intGauge' | 'noisyRate';

/** Which value shape each of a host's METRICS_PER_HOST metrics has. */
export type ValueMix = 'agent' | 'noisy20';

function mixOf(counts: Record<ValueKind, number>): ValueKind[] {
  const kinds: ValueKind[] = [];
  // Interleaved, so every metric name gets a spread of shapes.
  for (let left = { ...counts }; kinds.length < METRICS_PER_HOST; ) {
    for (const k of ['constant', 'gauge2dp', 'intGauge', 'noisyRate'] as const) if (left[k]-- > 0) kinds.push(k);
  }
  return kinds;
}

const MIXES: Record<ValueMix, ValueKind[]> = {
  // The Agent capture test/fixtures/datadog-agent/api_v2_series_response.json (637 series): 87 % of the
  // values are integers, 3.5 % have ≤ 2 decimals, 0.8 % ≤ 4, 8.6 % are full-precision doubles (system.cpu.*,
  // system.load.norm.*, system.mem.pct_usable, …); 84 of the 529 series sent more than once changed value (16 %).
  agent: mixOf({ constant: 84, intGauge: 3, gauge2dp: 4, noisyRate: 9 }),
  // A harsher mix with twice the capture's share of noisy doubles and more changing gauges.
  noisy20: mixOf({ constant: 30, intGauge: 20, gauge2dp: 30, noisyRate: 20 }),
};

function valueAt(kind: ValueKind, i: number, k: number): number {
  switch (kind) {
    case 'constant':
      return 16_000_000_000 + (i % 1000) * 4096;
    case 'gauge2dp':
      return Math.round((40 + 20 * Math.sin(k / 90 + i)) * 100) / 100;
    case 'intGauge':
      return 2_000_000_000 + Math.round(Math.sin(k / 120 + i) * 5_000) * 4096;
    case 'noisyRate':
      return 1000 + 300 * Math.sin(k / 60 + i) + Math.sin(k * 12.9898 + i * 78.233) * 40;
  }
}

/** The JSON of series i up to its points (host, metric, tags), so a payload is string concatenation. */
export function seriesPrefix(i: number, tag: string): string {
  const h = Math.floor(i / METRICS_PER_HOST);
  const m = i % METRICS_PER_HOST;
  const host = `ip-10-${(h >> 16) & 255}-${(h >> 8) & 255}-${h & 255}.${tag}.ec2.internal`;
  const name = `${METRIC_NAMES[m % METRIC_NAMES.length]}${m < METRIC_NAMES.length ? '' : `_${Math.floor(m / METRIC_NAMES.length)}`}`;
  const tags = [
    `env:${h % 3 === 0 ? 'staging' : 'prod'}`,
    `role:${['web', 'db', 'cache', 'queue', 'batch'][h % 5]}`,
    `availability-zone:us-east-1${'abc'[h % 3]}`,
    'team:platform',
  ];
  if (name.startsWith('system.disk') || name.startsWith('system.io')) tags.push(`device:nvme${m % 4}n1`);
  return `{"metric":${JSON.stringify(name)},"type":"gauge","interval":${STEP_S},"host":${JSON.stringify(host)},"tags":${JSON.stringify(tags)},"points":[`;
}

/** Series i's value at step k under a value mix. */
export function seriesValue(mix: ValueMix, i: number, k: number): number {
  return valueAt(MIXES[mix][i % METRICS_PER_HOST]!, i, k);
}
