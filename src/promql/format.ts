// Number, duration and time formatting/parsing shared by the PromQL engine and the HTTP API.

/** Go's spelling of NaN, ±Inf and ±0, which no formatting option changes; undefined for other numbers. */
function goSpecialFloat(v: number): string | undefined {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  if (v === 0) return Object.is(v, -0) ? '-0' : '0';
  return undefined;
}

/**
 * Formats a float like Prometheus' JSON API (util/jsonutil.MarshalFloat): Go's strconv.FormatFloat with 'f'
 * and shortest precision, switching to 'e' below 1e-6 and from 1e21 on. JS's shortest round-trip digits are
 * the same as Go's and JS switches notation at the same thresholds, so only the exponent spelling differs.
 */
export function formatFloat(v: number): string {
  const special = goSpecialFloat(v);
  if (special !== undefined) return special;
  const s = String(v);
  const e = s.indexOf('e');
  if (e < 0) return s;
  // JS writes 1e-7 / 1e+21; Go writes at least two exponent digits: 1e-07 / 1e+21.
  const sign = s[e + 1]!;
  const digits = s.slice(e + 2);
  return `${s.slice(0, e)}e${sign}${digits.length < 2 ? `0${digits}` : digits}`;
}

/** Go's strconv.FormatFloat(v, 'f', -1, 64): shortest digits, never an exponent (count_values labels). */
export function formatFloatPlain(v: number): string {
  const special = goSpecialFloat(v);
  if (special !== undefined) return special;
  const s = String(v);
  const e = s.indexOf('e');
  if (e < 0) return s;
  const neg = s[0] === '-';
  const mant = s.slice(neg ? 1 : 0, e);
  const exp = Number(s.slice(e + 1));
  const dot = mant.indexOf('.');
  const digits = dot < 0 ? mant : mant.slice(0, dot) + mant.slice(dot + 1);
  const intLen = (dot < 0 ? mant.length : dot) + exp;
  let out: string;
  if (intLen <= 0) out = `0.${'0'.repeat(-intLen)}${digits}`;
  else if (intLen >= digits.length) out = digits + '0'.repeat(intLen - digits.length);
  else out = `${digits.slice(0, intLen)}.${digits.slice(intLen)}`;
  return (neg ? '-' : '') + out;
}

const durationUnits: [string, number][] = [
  ['y', 365 * 24 * 3600 * 1000],
  ['w', 7 * 24 * 3600 * 1000],
  ['d', 24 * 3600 * 1000],
  ['h', 3600 * 1000],
  ['m', 60 * 1000],
  ['s', 1000],
  ['ms', 1],
];
const durationRe = /^(?:(\d+)y)?(?:(\d+)w)?(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?(?:(\d+)ms)?$/;

/** Parses a Prometheus duration (`1h30m`, `5m`, `1d`, `100ms`, units in descending order) into milliseconds. */
export function parseDuration(s: string): number {
  if (s === '0') return 0;
  const m = durationRe.exec(s);
  if (!m || s === '') throw new Error(`not a valid duration string: "${s}"`);
  let ms = 0;
  for (let i = 0; i < durationUnits.length; i++) {
    const g = m[i + 1];
    if (g !== undefined) ms += Number(g) * durationUnits[i]![1];
  }
  if (!Number.isSafeInteger(ms)) throw new Error(`duration out of range: "${s}"`);
  return ms;
}

export function isDuration(s: string): boolean {
  return s !== '' && durationRe.test(s);
}

/**
 * Parses an API time parameter like Prometheus (web/api/v1 parseTime): unix seconds with optional fraction,
 * or RFC 3339. Returns milliseconds.
 */
export function parseTime(s: string): number {
  if (/^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/.test(s)) {
    const v = Number(s);
    return Math.round(v * 1000);
  }
  // Prometheus' "min/max time" sentinels, as Grafana and promtool send them.
  if (s === '-292273086-05-16T16:47:06Z') return -9223372036854;
  if (s === '292277025-08-18T07:12:54.999999999Z') return 9223372036854;
  if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/i.test(s)) {
    const t = Date.parse(s);
    if (!Number.isNaN(t)) return t;
  }
  throw new Error(`cannot parse "${s}" to a valid timestamp`);
}

/** Parses an API duration parameter (`step`, `timeout`): a Prometheus duration or float seconds. Milliseconds. */
export function parseDurationParam(s: string): number {
  if (/^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/.test(s)) {
    const v = Number(s);
    if (!Number.isFinite(v)) throw new Error(`cannot parse "${s}" to a valid duration. It overflows int64`);
    return Math.round(v * 1000);
  }
  try {
    return parseDuration(s);
  } catch {
    throw new Error(`cannot parse "${s}" to a valid duration`);
  }
}

/** Go's %g for annotation messages. */
export function goFloatG(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  const exp = v === 0 ? 0 : Math.floor(Math.log10(Math.abs(v)));
  if (exp < -4 || exp >= 21) {
    const s = v.toExponential();
    const [m, e] = s.split('e');
    const sign = e![0] === '-' ? '-' : '+';
    const digits = e!.replace(/^[+-]/, '');
    return `${m}e${sign}${digits.length < 2 ? `0${digits}` : digits}`;
  }
  return String(v);
}
