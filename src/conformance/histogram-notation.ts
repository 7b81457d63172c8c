// The native histogram notation of Prometheus' PromQL test files: `{{schema:0 sum:5 count:4 z_bucket:1
// z_bucket_w:0.001 buckets:[1 2 1] offset:1 n_buckets:[1] n_offset:0 custom_values:[5 10]
// counter_reset_hint:gauge}}`, repeated as `{{…}}x3` or growing as `{{base}}+{{increment}}x3` (`-` shrinks).
import { CounterResetHint, type FloatHistogram } from '../model/histogram.js';
import { addHistograms, copyHistogram, emptyHistogram } from '../model/histogram-ops.js';

const HINTS: Record<string, CounterResetHint> = {
  unknown: CounterResetHint.Unknown,
  reset: CounterResetHint.CounterReset,
  not_reset: CounterResetHint.NotCounterReset,
  gauge: CounterResetHint.Gauge,
};

function number(s: string): number {
  const l = s.toLowerCase().replace(/^\+/, '');
  if (l === 'inf') return Infinity;
  if (l === '-inf') return -Infinity;
  if (l === 'nan') return NaN;
  const v = Number(s);
  if (s.trim() === '' || Number.isNaN(v)) throw new Error(`invalid number ${JSON.stringify(s)} in a histogram`);
  return v;
}

/** One `{{…}}` literal (the braces included). */
export function parseHistogramLiteral(text: string): FloatHistogram {
  const body = text.slice(2, -2).trim();
  const h = emptyHistogram(0);
  let positive: number[] = [];
  let negative: number[] = [];
  let offset = 0;
  let nOffset = 0;
  const re = /([a-z_]+):(\[[^\]]*\]|\S+)\s*/gy;
  let m: RegExpExecArray | null;
  while (re.lastIndex < body.length && (m = re.exec(body))) {
    const key = m[1]!;
    const raw = m[2]!;
    const list = () =>
      raw
        .slice(1, -1)
        .trim()
        .split(/\s+/)
        .filter((x) => x !== '')
        .map(number);
    switch (key) {
      case 'schema':
        h.schema = number(raw);
        break;
      case 'sum':
        h.sum = number(raw);
        break;
      case 'count':
        h.count = number(raw);
        break;
      case 'z_bucket':
        h.zeroCount = number(raw);
        break;
      case 'z_bucket_w':
        h.zeroThreshold = number(raw);
        break;
      case 'custom_values':
        h.customValues = list();
        break;
      case 'buckets':
        positive = list();
        break;
      case 'n_buckets':
        negative = list();
        break;
      case 'offset':
        offset = number(raw);
        break;
      case 'n_offset':
        nOffset = number(raw);
        break;
      case 'counter_reset_hint': {
        const hint = HINTS[raw];
        if (hint === undefined) throw new Error(`invalid counter_reset_hint ${raw}`);
        h.counterResetHint = hint;
        break;
      }
      default:
        throw new Error(`invalid histogram key ${key}`);
    }
  }
  if (re.lastIndex < body.length) throw new Error(`invalid histogram ${text}`);
  if (positive.length > 0) {
    h.positiveSpans = [{ offset, length: positive.length }];
    h.positiveBuckets = positive;
  }
  if (negative.length > 0) {
    h.negativeSpans = [{ offset: nOffset, length: negative.length }];
    h.negativeBuckets = negative;
  }
  return h;
}

/** A series-values token holding histograms: `{{…}}`, `{{…}}xN`, `{{…}}+{{…}}xN` or `{{…}}-{{…}}xN`. */
export function parseHistogramToken(tok: string): FloatHistogram[] {
  const m = /^(\{\{.*?\}\})(?:([+-])(\{\{.*?\}\}))?(?:x(\d+))?$/.exec(tok);
  if (!m) throw new Error(`invalid histogram series value ${JSON.stringify(tok)}`);
  const base = parseHistogramLiteral(m[1]!);
  if (m[4] === undefined) {
    if (m[2]) throw new Error(`invalid histogram series value ${JSON.stringify(tok)}`);
    return [base];
  }
  const times = Number(m[4]);
  if (!m[2]) return Array.from({ length: times + 1 }, () => copyHistogram(base));
  const inc = parseHistogramLiteral(m[3]!);
  const out = [base];
  let cur = base;
  for (let i = 1; i <= times; i++) {
    if (cur.schema > inc.schema)
      throw new Error(`error combining histograms: cannot merge from schema ${inc.schema} to ${cur.schema}`);
    cur = addHistograms(cur, inc, m[2] === '-');
    out.push(cur);
  }
  return out;
}
