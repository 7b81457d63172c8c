// Number, unit, time and label formatting for charts and tables.
import type { PanelUnit } from '../../src/selfmon/overview-panels.js';

export type Labels = Record<string, string>;

const SI = ['', 'k', 'M', 'G', 'T', 'P'];
const IEC = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];

/** Up to 3 significant digits, no trailing zeros. */
function short(v: number): string {
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 100) return v.toFixed(0);
  if (a >= 10) return trimZeros(v.toFixed(1));
  if (a >= 0.001) return trimZeros(v.toPrecision(3));
  return v.toExponential(1);
}

function trimZeros(s: string): string {
  return s.includes('.') && !s.includes('e') ? s.replace(/\.?0+$/, '') : s;
}

function scaled(v: number, base: number, units: string[], sep: string): string {
  let i = 0;
  let x = Math.abs(v);
  while (x >= base && i < units.length - 1) {
    x /= base;
    i++;
  }
  return `${short(Math.sign(v) * x)}${sep}${units[i]}`;
}

function seconds(v: number): string {
  const a = Math.abs(v);
  if (a === 0) return '0 s';
  if (a < 1e-3) return `${short(v * 1e6)} µs`;
  if (a < 1) return `${short(v * 1e3)} ms`;
  if (a < 120) return `${short(v)} s`;
  if (a < 7200) return `${short(v / 60)} min`;
  return `${short(v / 3600)} h`;
}

/** A value in a panel's unit, for axis ticks, legends and tables. */
export function formatValue(v: number | null | undefined, unit: PanelUnit = 'short'): string {
  if (v === null || v === undefined) return '–';
  if (!Number.isFinite(v)) return Number.isNaN(v) ? 'NaN' : v > 0 ? '+Inf' : '-Inf';
  switch (unit) {
    case 'bytes':
      return scaled(v, 1024, IEC, ' ');
    case 'seconds':
      return seconds(v);
    case 'percentunit':
      return `${short(v * 100)}%`;
    case 'reqps':
      return `${scaled(v, 1000, SI, '')} req/s`;
    case 'samplesps':
    case 'alertsps':
      return `${scaled(v, 1000, SI, '')}/s`;
    case 'short':
      return scaled(v, 1000, SI, '');
  }
}

/** Prometheus' series notation: `name{a="x", b="y"}` (labels sorted, __name__ first as the name). */
export function seriesName(metric: Labels): string {
  const name = metric.__name__ ?? '';
  const rest = Object.keys(metric)
    .filter((k) => k !== '__name__')
    .sort()
    .map((k) => `${k}=${JSON.stringify(metric[k])}`);
  return rest.length === 0 ? name || '{}' : `${name}{${rest.join(', ')}}`;
}

/** A series' labels without its name: what stays the same through a function that drops the name. */
export function seriesIdentity(metric: Labels): string {
  const { __name__: _, ...rest } = metric;
  return seriesName(rest);
}

/** A Grafana-style legend template (`{{label}}`) filled in; the series notation when it comes out empty. */
export function legendOf(template: string, metric: Labels): string {
  const text = template
    .replace(/\{\{\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*\}\}/g, (_m, name: string) => metric[name] ?? '')
    .replace(/\s+/g, ' ')
    .trim();
  return text || seriesName(metric);
}

const DURATION_RE = /^(\d+)(ms|s|m|h|d|w|y)$/;
const UNIT_SECONDS: Record<string, number> = { ms: 0.001, s: 1, m: 60, h: 3600, d: 86400, w: 604800, y: 31536000 };

/** `15m` → 900 (seconds); a plain number is seconds; undefined when it is not a duration. */
export function parseDuration(s: string): number | undefined {
  const t = s.trim();
  if (/^\d+(\.\d+)?$/.test(t)) return Number(t);
  const m = DURATION_RE.exec(t);
  return m ? Number(m[1]) * UNIT_SECONDS[m[2]!]! : undefined;
}

/** 900 → `15m`: the largest unit that divides it. */
export function formatDuration(sec: number): string {
  for (const u of ['d', 'h', 'm', 's'] as const) {
    const n = sec / UNIT_SECONDS[u]!;
    if (Number.isInteger(n) && n > 0) return `${n}${u}`;
  }
  return `${sec}s`;
}

/** `1 rule`, `3 rules`: a count with its noun, plural unless 1 (nouns whose plural takes an s). */
export function countOf(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

/** "12 s ago", "3 min ago", "2 h ago", "4 d ago". */
export function ago(ms: number, nowMs = Date.now()): string {
  const s = Math.max(0, Math.round((nowMs - ms) / 1000));
  if (s < 90) return `${s} s ago`;
  if (s < 5400) return `${Math.round(s / 60)} min ago`;
  if (s < 172800) return `${Math.round(s / 3600)} h ago`;
  return `${Math.round(s / 86400)} d ago`;
}

export function timeText(ms: number): string {
  return new Date(ms).toLocaleString();
}
