// Runs Prometheus' PromQL test files (promql/promqltest format, see README.promqltest.md) against our engine,
// replicating the reference harness (promqltest/test.go of Prometheus 3.5): every instant eval is also run with
// `@ <t>` added to its selectors at several evaluation times, and each instant query is re-run as a range query
// over [t-1m, t+1m] step 1m whose middle step must give the same result. The test's series go through the embedded
// store (appended like the sink appends, read through Storage's querier), so the files test the store too.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Label, PromSeries } from '../model/prometheus.js';
import type { Querier } from '../model/storage.js';
import { CUSTOM_BUCKETS_SCHEMA, type FloatHistogram } from '../model/histogram.js';
import { compactHistogram, emptyHistogram } from '../model/histogram-ops.js';
import { walk, type Expr } from '../promql/ast.js';
import { AT_MODIFIER_UNSAFE_FUNCTIONS } from '../promql/ast.js';
import { Engine, PromQLError, type RawResult, type RawSeries } from '../promql/engine.js';
import { parseDuration } from '../promql/format.js';
import { formatLabels, METRIC_NAME } from '../promql/labels.js';
import { labelsKey } from '../model/labels.js';
import { HistogramOverlay } from './histogram-overlay.js';
import { parseHistogramToken } from './histogram-notation.js';
import { parseExpr, unquoteString } from '../promql/parser.js';
import { almostEqual } from '../promql/range-functions.js';
import { writeStaleNaN } from '../promql/staleness.js';
import { Storage } from '../tsdb/storage.js';

export interface EvalOutcome {
  file: string;
  line: number;
  expr: string;
  status: 'pass' | 'fail';
  message?: string;
}

interface SeqValue {
  omitted: boolean;
  stale: boolean;
  value: number;
  /** Set for a native histogram value. */
  histogram?: FloatHistogram;
}

interface ExpectCmd {
  type: 'fail' | 'warn' | 'no_warn' | 'info' | 'no_info' | 'ordered';
  message?: string;
  regex?: RegExp;
}

interface EvalCmd {
  kind: 'eval';
  line: number;
  expr: string;
  isRange: boolean;
  start: number;
  end: number;
  step: number;
  fail: boolean;
  warn: boolean;
  info: boolean;
  ordered: boolean;
  failMessage?: string;
  failRegexp?: RegExp;
  expects: ExpectCmd[];
  expectScalar: boolean;
  scalar?: number;
  expected: Map<string, { labels: Label[]; pos: number; vals: SeqValue[] }>;
  expectedString?: string;
}

interface LoadCmd {
  kind: 'load';
  gapMs: number;
  withNhcb: boolean;
  series: { labels: Label[]; vals: SeqValue[] }[];
}

type Command = LoadCmd | EvalCmd | { kind: 'clear' };

const EPSILON = 0.000001;

// ---- test file parsing ----

const patLoad = /^load(?:_(with_nhcb))?\s+(.+?)$/;
const patEvalInstant = /^eval(?:_(fail|warn|ordered|info))?\s+instant\s+(?:at\s+(.+?))?\s+(.+)$/;
const patEvalRange = /^eval(?:_(fail|warn|info))?\s+range\s+from\s+(.+)\s+to\s+(.+)\s+step\s+(.+?)\s+(.+)$/;
const patExpect = /^expect\s+(ordered|fail|warn|no_warn|info|no_info)(?:\s+(regex|msg):(.+))?$/;

function testDuration(s: string): number {
  const neg = s.startsWith('-');
  const v = parseDuration(neg ? s.slice(1) : s);
  return neg ? -v : v;
}

// Series values have no hex form: `0x59` is 0 repeated 59 more times.
const numRe = String.raw`(?:[+-]?(?:(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?|[iI]nf|NaN))`;
const seqItemRe = new RegExp(`^(${numRe})(?:([+-])(${numRe}))?x(\\d+)$`);
const singleRe = new RegExp(`^${numRe}$`);

function parseNum(s: string): number {
  const l = s.toLowerCase();
  if (l === 'inf' || l === '+inf') return Infinity;
  if (l === '-inf') return -Infinity;
  if (l === 'nan' || l === '+nan' || l === '-nan') return NaN;
  return Number(s);
}

/** Splits the value part of a series line into tokens; `{{...}}` histogram literals (with expansions) are one token. */
function tokenizeValues(s: string): string[] {
  const out: string[] = [];
  let i = 0;
  while (i < s.length) {
    while (i < s.length && /\s/.test(s[i]!)) i++;
    if (i >= s.length) break;
    let j = i;
    while (j < s.length && !/\s/.test(s[j]!)) {
      if (s.startsWith('{{', j)) {
        const close = s.indexOf('}}', j);
        j = close < 0 ? s.length : close + 2;
      } else j++;
    }
    out.push(s.slice(i, j));
    i = j;
  }
  return out;
}

function parseValues(s: string): SeqValue[] {
  const out: SeqValue[] = [];
  for (const tok of tokenizeValues(s)) {
    if (tok.startsWith('{{')) {
      for (const h of parseHistogramToken(tok)) out.push({ omitted: false, stale: false, value: 0, histogram: h });
      continue;
    }
    if (tok === '_') {
      out.push({ omitted: true, stale: false, value: 0 });
      continue;
    }
    const om = /^_x(\d+)$/.exec(tok);
    if (om) {
      for (let k = 0; k < Number(om[1]); k++) out.push({ omitted: true, stale: false, value: 0 });
      continue;
    }
    if (tok === 'stale') {
      out.push({ omitted: false, stale: true, value: NaN });
      continue;
    }
    if (singleRe.test(tok)) {
      out.push({ omitted: false, stale: false, value: parseNum(tok) });
      continue;
    }
    const m = seqItemRe.exec(tok);
    if (!m) throw new Error(`invalid series value ${JSON.stringify(tok)}`);
    const start = parseNum(m[1]!);
    const inc = m[2] ? (m[2] === '-' ? -1 : 1) * parseNum(m[3]!) : 0;
    const times = Number(m[4]);
    let v = start;
    for (let k = 0; k <= times; k++) {
      out.push({ omitted: false, stale: false, value: v });
      v += inc;
    }
  }
  return out;
}

/** Splits `metric{labels} values` into the metric part and the values part. */
function splitSeriesLine(line: string): [string, string] {
  let i = 0;
  while (i < line.length && /[a-zA-Z0-9_:.]/.test(line[i]!)) i++;
  if (line[i] === '{') {
    let inQuote: string | null = null;
    for (; i < line.length; i++) {
      const c = line[i]!;
      if (inQuote) {
        if (c === '\\') i++;
        else if (c === inQuote) inQuote = null;
      } else if (c === '"' || c === "'" || c === '`') inQuote = c;
      else if (c === '}') {
        i++;
        break;
      }
    }
  }
  return [line.slice(0, i), line.slice(i).trim()];
}

/** Parses the metric part of a series line: `name`, `name{l="v", ...}`, `{"name", l="v"}` or `{}`. */
function parseMetric(s: string): Label[] {
  const labels: Label[] = [];
  const brace = s.indexOf('{');
  const name = (brace < 0 ? s : s.slice(0, brace)).trim();
  if (name !== '') labels.push({ name: METRIC_NAME, value: name });
  if (brace >= 0) {
    const body = s.slice(brace + 1, s.lastIndexOf('}'));
    const re =
      /\s*(?:([a-zA-Z_][a-zA-Z0-9_]*)|("(?:[^"\\]|\\.)*"))\s*(?:=\s*("(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`))?\s*(?:,|$)/y;
    let m: RegExpExecArray | null;
    while (re.lastIndex < body.length && (m = re.exec(body))) {
      const labelName = m[1] ?? (unquoteString(m[2]!) as string);
      if (m[3] === undefined) labels.push({ name: METRIC_NAME, value: labelName });
      else {
        const value = unquoteString(m[3]) as string;
        if (value !== '') labels.push({ name: labelName, value });
      }
      if (m[0] === '') break;
    }
  }
  return labels.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

function parseSeriesLine(line: string): { labels: Label[]; vals: SeqValue[] } {
  const [metric, values] = splitSeriesLine(line);
  return { labels: parseMetric(metric), vals: parseValues(values) };
}

export function parseTestFile(content: string): Command[] {
  const lines = content.split('\n').map((l) => {
    const t = l.trim();
    return t.startsWith('#') ? '' : t;
  });
  const cmds: Command[] = [];
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i]!;
    if (l === '') continue;
    const word = l.split(/[\t ]+/, 1)[0]!.toLowerCase();
    if (word === 'clear') {
      cmds.push({ kind: 'clear' });
    } else if (word.startsWith('load')) {
      const m = patLoad.exec(l);
      if (!m) throw new Error(`line ${i + 1}: invalid load command`);
      const cmd: LoadCmd = { kind: 'load', gapMs: testDuration(m[2]!), withNhcb: m[1] === 'with_nhcb', series: [] };
      while (i + 1 < lines.length && lines[i + 1] !== '') cmd.series.push(parseSeriesLine(lines[++i]!));
      cmds.push(cmd);
    } else if (word.startsWith('eval')) {
      const [cmd, next] = parseEval(lines, i);
      cmds.push(cmd);
      i = next;
    } else {
      throw new Error(`line ${i + 1}: invalid command ${JSON.stringify(l)}`);
    }
  }
  return cmds;
}

function parseEval(lines: string[], i: number): [EvalCmd, number] {
  const line = lines[i]!;
  const inst = patEvalInstant.exec(line);
  const range = inst ? null : patEvalRange.exec(line);
  if (!inst && !range) throw new Error(`line ${i + 1}: invalid evaluation command`);
  const mod = inst ? inst[1] : range![1];
  const cmd: EvalCmd = {
    kind: 'eval',
    line: i + 1,
    expr: inst ? inst[3]! : range![5]!,
    isRange: !inst,
    start: inst ? testDuration(inst[2] ?? '0s') : testDuration(range![2]!),
    end: inst ? testDuration(inst[2] ?? '0s') : testDuration(range![3]!),
    step: inst ? 0 : testDuration(range![4]!),
    fail: mod === 'fail',
    warn: mod === 'warn',
    info: mod === 'info',
    ordered: mod === 'ordered',
    expects: [],
    expectScalar: false,
    expected: new Map(),
  };
  let pos = 0;
  while (i + 1 < lines.length && lines[i + 1] !== '') {
    const def = lines[++i]!;
    if (cmd.fail && def.startsWith('expected_fail_message')) {
      cmd.failMessage = def.slice('expected_fail_message'.length).trim();
      break;
    }
    if (cmd.fail && def.startsWith('expected_fail_regexp')) {
      cmd.failRegexp = new RegExp(def.slice('expected_fail_regexp'.length).trim());
      break;
    }
    if (def.startsWith('expect string')) {
      cmd.expectedString = JSON.parse(def.slice('expect string '.length)) as string;
      continue;
    }
    if (def.split(' ')[0] === 'expect') {
      const m = patExpect.exec(def);
      if (!m) throw new Error(`line ${i + 1}: invalid expect statement`);
      const ex: ExpectCmd = { type: m[1] as ExpectCmd['type'] };
      if (m[2] === 'msg') ex.message = m[3]!.trim();
      else if (m[2] === 'regex') ex.regex = new RegExp(m[3]!.trim());
      else ex.regex = /^.*$/s;
      cmd.expects.push(ex);
      continue;
    }
    if (singleRe.test(def)) {
      cmd.expectScalar = true;
      cmd.scalar = parseNum(def);
      break;
    }
    pos++;
    const s = parseSeriesLine(def);
    cmd.expected.set(labelsKey(s.labels), { labels: s.labels, pos, vals: s.vals });
  }
  return [cmd, i];
}

// ---- execution ----

// Test files load samples from timestamp 0 on, later loads often older than earlier ones, spanning up to years: the
// store keeps them all in its head (no block cut, any sample older than the newest accepted, no retention).
const STORE_OPTIONS = { blockRangeMs: 2 ** 50, outOfOrderWindowMs: 2 ** 50, retentionMs: Infinity };

/**
 * A test file's data in the embedded store, one tenant; `clear` moves on to a new, empty tenant. The native
 * histogram samples (which the store does not keep) live in an overlay merged into the store's reads.
 */
class TestStore {
  private clears = 0;
  private tenant = 'test0';
  private readonly overlay = new HistogramOverlay();
  querier: Querier;

  constructor(private readonly storage: Storage) {
    this.querier = this.overlay.querier(storage.querier(this.tenant));
  }

  clear(): void {
    this.tenant = `test${++this.clears}`;
    this.overlay.clear();
    this.querier = this.overlay.querier(this.storage.querier(this.tenant));
  }

  async load(cmd: LoadCmd): Promise<void> {
    // A series given twice in one load ends with the later value at a shared timestamp, as Prometheus' test storage.
    const samples = new Map<string, { labels: Label[]; byTime: Map<number, SeqValue> }>();
    for (const s of cmd.series) {
      const key = labelsKey(s.labels);
      const series = samples.get(key) ?? { labels: s.labels, byTime: new Map<number, SeqValue>() };
      samples.set(key, series);
      let t = 0;
      for (const v of s.vals) {
        if (!v.omitted) series.byTime.set(t, v);
        t += cmd.gapMs;
      }
    }
    const batch: PromSeries[] = [];
    for (const { labels, byTime } of samples.values()) {
      const timestamps = [...byTime.keys()].filter((t) => !byTime.get(t)!.histogram).sort((a, b) => a - b);
      const histograms = new Map<number, FloatHistogram>();
      for (const [t, v] of byTime) if (v.histogram) histograms.set(t, v.histogram);
      this.overlay.add(labels, histograms, timestamps);
      // A JS array quiets the stale marker's signalling NaN (its bits change); a Float64Array keeps them, and the
      // store only indexes `values`.
      const values = new Float64Array(timestamps.length);
      timestamps.forEach((t, i) => {
        const v = byTime.get(t)!;
        if (v.stale) writeStaleNaN(values, i);
        else values[i] = v.value;
      });
      if (timestamps.length > 0) batch.push({ labels, timestamps, values: values as unknown as number[] });
    }
    if (cmd.withNhcb) {
      for (const [labels, histograms] of customBucketsHistograms(samples.values()))
        this.overlay.add(labels, histograms, []);
    }
    const { rejected } = await this.storage.append(this.tenant, batch);
    if (Object.keys(rejected).length > 0)
      throw new Error(`the store refused samples of a load command: ${JSON.stringify(rejected)}`);
  }
}

/**
 * load_with_nhcb: every classic histogram of a load (its `_bucket`, `_count` and `_sum` series) also as a native
 * histogram with custom buckets named without the suffix, one per timestamp.
 */
function customBucketsHistograms(
  series: Iterable<{ labels: Label[]; byTime: Map<number, SeqValue> }>,
): [Label[], Map<number, FloatHistogram>][] {
  interface Parts {
    buckets: Map<number, number>;
    count?: number;
    sum: number;
  }
  const byBase = new Map<string, { labels: Label[]; byTime: Map<number, Parts> }>();
  for (const { labels, byTime } of series) {
    const name = labels.find((l) => l.name === METRIC_NAME)?.value ?? '';
    const m = /^(.*)_(bucket|count|sum)$/.exec(name);
    if (!m) continue;
    let le = NaN;
    if (m[2] === 'bucket') {
      le = parseNum(labels.find((l) => l.name === 'le')?.value ?? 'NaN');
      if (Number.isNaN(le)) continue;
    }
    const base = labels
      .filter((l) => l.name !== 'le')
      .map((l) => (l.name === METRIC_NAME ? { name: l.name, value: m[1]! } : l));
    const key = labelsKey(base);
    const entry = byBase.get(key) ?? { labels: base, byTime: new Map<number, Parts>() };
    byBase.set(key, entry);
    for (const [t, v] of byTime) {
      if (v.histogram) continue;
      const parts = entry.byTime.get(t) ?? { buckets: new Map<number, number>(), sum: 0 };
      entry.byTime.set(t, parts);
      if (m[2] === 'bucket') parts.buckets.set(le, v.value);
      else if (m[2] === 'count') parts.count = v.value;
      else parts.sum = v.value;
    }
  }
  const out: [Label[], Map<number, FloatHistogram>][] = [];
  for (const { labels, byTime } of byBase.values()) {
    const histograms = new Map<number, FloatHistogram>();
    for (const [t, parts] of byTime) {
      const bounds = [...parts.buckets.keys()].sort((a, b) => a - b);
      const count = parts.count ?? (bounds.length > 0 ? parts.buckets.get(bounds[bounds.length - 1]!)! : 0);
      if (bounds[bounds.length - 1] !== Infinity) {
        bounds.push(Infinity);
        parts.buckets.set(Infinity, count);
      }
      const h = emptyHistogram(CUSTOM_BUCKETS_SCHEMA, bounds.slice(0, -1));
      h.count = count;
      h.sum = parts.sum;
      let prev = 0;
      for (const b of bounds) {
        const cumulative = parts.buckets.get(b)!;
        h.positiveBuckets.push(cumulative - prev);
        prev = cumulative;
      }
      h.positiveSpans = [{ offset: 0, length: bounds.length }];
      histograms.set(t, h);
    }
    out.push([labels, histograms]);
  }
  return out;
}

class EvalFailure extends Error {}

function stripPosition(msg: string): string {
  return msg.replace(/ \(\d+:\d+\)$/, '');
}

function checkExpectedFailure(cmd: EvalCmd, err: Error): void {
  const msg = err.message;
  if (cmd.failMessage !== undefined && cmd.failMessage !== msg) {
    throw new EvalFailure(`expected error ${JSON.stringify(cmd.failMessage)}, got: ${msg}`);
  }
  if (cmd.failRegexp && !cmd.failRegexp.test(msg))
    throw new EvalFailure(`expected error matching ${cmd.failRegexp}, got: ${msg}`);
  const ef = cmd.expects.find((e) => e.type === 'fail');
  if (ef && !(ef.regex ? ef.regex.test(msg) : ef.message === msg)) {
    throw new EvalFailure(`expected error matching ${JSON.stringify(ef.message ?? String(ef.regex))}, got: ${msg}`);
  }
}

function isFail(cmd: EvalCmd): boolean {
  return cmd.fail || cmd.expects.some((e) => e.type === 'fail');
}

function isOrdered(cmd: EvalCmd): boolean {
  return cmd.ordered || cmd.expects.some((e) => e.type === 'ordered');
}

function checkAnnotations(cmd: EvalCmd, r: RawResult): void {
  const warnings = r.warnings.map(stripPosition);
  const infos = r.infos.map(stripPosition);
  if (cmd.warn && warnings.length === 0) throw new EvalFailure('expected warnings but got none');
  if (cmd.info && infos.length === 0) throw new EvalFailure('expected info annotations but got none');
  const validate = (type: 'warn' | 'info', actual: string[]) => {
    const exp = cmd.expects.filter((e) => e.type === type);
    if (exp.length === 0) return;
    if (actual.length === 0) throw new EvalFailure(`expected ${type} annotations but none were found`);
    const match = (e: ExpectCmd, a: string) => (e.regex ? e.regex.test(a) : e.message === a);
    for (const e of exp) {
      if (!actual.some((a) => match(e, a)))
        throw new EvalFailure(
          `expected ${type} annotation ${e.message ?? String(e.regex)}, found: ${actual.join('; ')}`,
        );
    }
    for (const a of actual) {
      if (!exp.some((e) => match(e, a))) throw new EvalFailure(`unexpected ${type} annotation ${JSON.stringify(a)}`);
    }
  };
  validate('warn', warnings);
  validate('info', infos);
  if (cmd.expects.some((e) => e.type === 'no_warn') && warnings.length > 0)
    throw new EvalFailure(`unexpected warnings: ${warnings.join('; ')}`);
  if (cmd.expects.some((e) => e.type === 'no_info') && infos.length > 0)
    throw new EvalFailure(`unexpected infos: ${infos.join('; ')}`);
}

function fmtValue(v: number, h: FloatHistogram | undefined): string {
  return h ? histogramText(h) : String(v);
}

function fmtSeries(s: RawSeries): string {
  const points = s.values.map((v, i) => `${fmtValue(v, s.histograms?.[i])}@${s.timestamps[i]! / 1000}`);
  return `${formatLabels(s.labels)} ${points.join(' ')}`;
}

/** A histogram in the test files' notation, for messages. */
function histogramText(h: FloatHistogram): string {
  const parts = [`schema:${h.schema}`, `count:${h.count}`, `sum:${h.sum}`];
  if (h.zeroCount !== 0) parts.push(`z_bucket:${h.zeroCount}`);
  if (h.zeroThreshold !== 0) parts.push(`z_bucket_w:${h.zeroThreshold}`);
  if (h.customValues.length > 0) parts.push(`custom_values:[${h.customValues.join(' ')}]`);
  const spans = (sp: { offset: number; length: number }[]) => sp.map((x) => `${x.offset}:${x.length}`).join(',');
  if (h.positiveBuckets.length > 0)
    parts.push(`buckets:[${h.positiveBuckets.join(' ')}] spans:[${spans(h.positiveSpans)}]`);
  if (h.negativeBuckets.length > 0)
    parts.push(`n_buckets:[${h.negativeBuckets.join(' ')}] n_spans:[${spans(h.negativeSpans)}]`);
  return `{{${parts.join(' ')}}}`;
}

/** promqltest's comparison: both compacted, floats almost equal, layout and bounds exactly equal. */
function histogramsMatch(expected: FloatHistogram, actual: FloatHistogram): boolean {
  const e = compactHistogram(expected);
  const a = compactHistogram(actual);
  const near = (x: number, y: number) => almostEqual(x, y, EPSILON);
  const sameSpans = (x: { offset: number; length: number }[], y: { offset: number; length: number }[]) =>
    x.length === y.length && x.every((sp, i) => sp.offset === y[i]!.offset && sp.length === y[i]!.length);
  const sameCounts = (x: number[], y: number[]) => x.length === y.length && x.every((c, i) => near(c, y[i]!));
  if (e.schema !== a.schema || !near(e.count, a.count) || !near(e.sum, a.sum)) return false;
  if (e.schema === CUSTOM_BUCKETS_SCHEMA && e.customValues.join() !== a.customValues.join()) return false;
  if (e.zeroThreshold !== a.zeroThreshold || !near(e.zeroCount, a.zeroCount)) return false;
  return (
    sameSpans(e.negativeSpans, a.negativeSpans) &&
    sameCounts(e.negativeBuckets, a.negativeBuckets) &&
    sameSpans(e.positiveSpans, a.positiveSpans) &&
    sameCounts(e.positiveBuckets, a.positiveBuckets)
  );
}

/** Why an expected point of `what` differs from the actual one (in promqltest's words), or null when they match. */
function pointMismatch(exp: SeqValue, value: number, h: FloatHistogram | undefined, what: string): string | null {
  if (exp.histogram && !h)
    return `expected histogram ${histogramText(exp.histogram)} for ${what} but got float value ${value}`;
  if (!exp.histogram && h) return `expected float value ${exp.value} for ${what} but got histogram ${histogramText(h)}`;
  if (exp.histogram && h)
    return histogramsMatch(exp.histogram, h)
      ? null
      : `expected ${histogramText(exp.histogram)} for ${what} but got ${histogramText(h)}`;
  const want = exp.stale ? NaN : exp.value;
  return almostEqual(value, want, EPSILON) ? null : `expected ${want} for ${what} but got ${value}`;
}

function compareResult(cmd: EvalCmd, r: RawResult): void {
  switch (r.resultType) {
    case 'matrix': {
      if (isOrdered(cmd)) throw new EvalFailure('expected ordered result, but query returned a matrix');
      if (cmd.expectScalar) throw new EvalFailure('expected scalar result, but got matrix');
      const seen = new Set<string>();
      for (const s of r.series) {
        const key = labelsKey(s.labels);
        const exp = cmd.expected.get(key);
        if (!exp) throw new EvalFailure(`unexpected metric ${fmtSeries(s)}`);
        seen.add(key);
        const expT: number[] = [];
        const expV: SeqValue[] = [];
        exp.vals.forEach((v, i) => {
          const t = cmd.start + i * cmd.step;
          if (t > cmd.end)
            throw new EvalFailure(
              `expected ${exp.vals.length} points for ${formatLabels(exp.labels)}, but query time range cannot return this many points`,
            );
          if (!v.omitted) {
            expT.push(t);
            expV.push(v);
          }
        });
        if (expT.length !== s.timestamps.length) {
          throw new EvalFailure(`expected ${expT.length} points for ${formatLabels(exp.labels)}, got ${fmtSeries(s)}`);
        }
        for (let i = 0; i < expT.length; i++) {
          if (expT[i] !== s.timestamps[i])
            throw new EvalFailure(
              `expected timestamp ${expT[i]} at index ${i} for ${formatLabels(exp.labels)}, got ${fmtSeries(s)}`,
            );
          const what = `${formatLabels(exp.labels)} at t=${s.timestamps[i]! / 1000}`;
          const mismatch = pointMismatch(expV[i]!, s.values[i]!, s.histograms?.[i], what);
          if (mismatch) throw new EvalFailure(`${mismatch}, got ${fmtSeries(s)}`);
        }
      }
      for (const [k, e] of cmd.expected)
        if (!seen.has(k)) throw new EvalFailure(`expected metric ${formatLabels(e.labels)} not found`);
      return;
    }
    case 'vector': {
      if (cmd.expectScalar)
        throw new EvalFailure(`expected scalar result, but got vector ${r.series.map(fmtSeries).join(', ')}`);
      const seen = new Set<string>();
      r.series.forEach((s, idx) => {
        const key = labelsKey(s.labels);
        const exp = cmd.expected.get(key);
        if (!exp)
          throw new EvalFailure(
            `unexpected metric ${formatLabels(s.labels)} in result, has value ${fmtValue(s.values[0]!, s.histograms?.[0])}`,
          );
        if (isOrdered(cmd) && exp.pos !== idx + 1)
          throw new EvalFailure(
            `expected metric ${formatLabels(s.labels)} at position ${exp.pos} but was at ${idx + 1}`,
          );
        const mismatch = pointMismatch(exp.vals[0]!, s.values[0]!, s.histograms?.[0], formatLabels(s.labels));
        if (mismatch) throw new EvalFailure(mismatch);
        seen.add(key);
      });
      for (const [k, e] of cmd.expected)
        if (!seen.has(k)) throw new EvalFailure(`expected metric ${formatLabels(e.labels)} not found`);
      return;
    }
    case 'scalar':
      if (!cmd.expectScalar) throw new EvalFailure(`expected vector or matrix result, but got scalar ${r.value}`);
      if (!almostEqual(cmd.scalar!, r.value, EPSILON))
        throw new EvalFailure(`expected scalar ${cmd.scalar} but got ${r.value}`);
      return;
    case 'string':
      if (cmd.expectedString !== r.value)
        throw new EvalFailure(
          `expected string ${JSON.stringify(cmd.expectedString)} but got ${JSON.stringify(r.value)}`,
        );
      return;
  }
}

/** The reference harness's extra instant queries: all selectors (outside subqueries with @) pinned with @ t. */
function atModifierVariants(expr: Expr, t: number): { expr: Expr; time: number }[] {
  let unsafe = false;
  walk(expr, (node) => {
    if (node.type === 'Call' && AT_MODIFIER_UNSAFE_FUNCTIONS.has(node.func.name)) unsafe = true;
  });
  if (unsafe) return [];
  const pin = (e: Expr): void => {
    walk(e, (node, path) => {
      // Prometheus resolves start()/end() only at query time, so the harness sees them as unset and pins them too.
      const pinned = (at: { kind: string } | null) => at !== null && at.kind === 'time';
      if (path.some((p) => p.type === 'SubqueryExpr' && pinned(p.at))) return;
      if ((node.type === 'VectorSelector' || node.type === 'SubqueryExpr') && !pinned(node.at))
        node.at = { kind: 'time', ms: t };
    });
  };
  const times = t === 0 ? [-1000, 0, 1000] : [-10 * t, 0, Math.trunc(t / 5), t, 10 * t];
  return times.map((time) => {
    const copy = structuredClone(expr);
    pin(copy);
    return { expr: copy, time };
  });
}

export class ConformanceRunner {
  private readonly engine = new Engine({
    lookbackDeltaMs: 5 * 60_000,
    maxSamples: 50_000_000,
    timeoutMs: 100_000,
    defaultSubqueryStepMs: 60_000,
  });

  async runFile(file: string, content: string): Promise<EvalOutcome[]> {
    const cmds = parseTestFile(content);
    const dataDir = await mkdtemp(join(tmpdir(), 'promdog-conformance-'));
    const storage = new Storage({ dataDir, ...STORE_OPTIONS });
    const store = new TestStore(storage);
    const outcomes: EvalOutcome[] = [];
    try {
      for (const cmd of cmds) {
        if (cmd.kind === 'clear') store.clear();
        else if (cmd.kind === 'load') await store.load(cmd);
        else outcomes.push(await this.runEval(file, cmd, store));
      }
    } finally {
      await storage.close();
      await rm(dataDir, { recursive: true, force: true });
    }
    return outcomes;
  }

  private async runEval(file: string, cmd: EvalCmd, store: TestStore): Promise<EvalOutcome> {
    const base = { file, line: cmd.line, expr: cmd.expr };
    let ast: Expr | null = null;
    try {
      ast = parseExpr(cmd.expr);
    } catch {
      // Left to the engine, which reports the parse error like any other failure.
    }
    try {
      if (cmd.isRange) await this.execRange(cmd, store);
      else await this.execInstant(cmd, store, ast);
      return { ...base, status: 'pass' };
    } catch (e) {
      return { ...base, status: 'fail', message: (e as Error).message };
    }
  }

  private async execRange(cmd: EvalCmd, store: TestStore): Promise<void> {
    let r: RawResult;
    try {
      r = await this.engine.rangeQueryRaw(store.querier, cmd.expr, cmd.start, cmd.end, cmd.step);
    } catch (e) {
      if (!(e instanceof PromQLError)) throw e;
      if (isFail(cmd)) return checkExpectedFailure(cmd, e);
      throw new EvalFailure(`error evaluating query: ${e.message}`);
    }
    if (isFail(cmd)) throw new EvalFailure('expected error evaluating query but got none');
    checkAnnotations(cmd, r);
    compareResult(cmd, r);
  }

  private async execInstant(cmd: EvalCmd, store: TestStore, ast: Expr | null): Promise<void> {
    const queries: { expr: string | Expr; time: number; label: string }[] = [
      { expr: cmd.expr, time: cmd.start, label: '' },
    ];
    if (ast) {
      for (const v of atModifierVariants(ast, cmd.start))
        queries.push({ expr: v.expr, time: v.time, label: ` [@-pinned variant at ${v.time / 1000}s]` });
    }
    for (const q of queries) {
      let r: RawResult;
      try {
        r = await this.engine.instantQueryRaw(store.querier, q.expr, q.time);
      } catch (e) {
        if (!(e instanceof PromQLError)) throw e;
        if (isFail(cmd)) {
          checkExpectedFailure(cmd, e);
          continue;
        }
        throw new EvalFailure(`error evaluating query${q.label}: ${e.message}`);
      }
      if (isFail(cmd)) throw new EvalFailure(`expected error evaluating query${q.label} but got none`);
      try {
        checkAnnotations(cmd, r);
        compareResult(cmd, r);
      } catch (e) {
        throw new EvalFailure(`${(e as Error).message}${q.label}`);
      }
      let rr: RawResult;
      try {
        rr = await this.engine.rangeQueryRaw(store.querier, q.expr, q.time - 60_000, q.time + 60_000, 60_000);
      } catch (e) {
        throw new EvalFailure(`error evaluating query in range mode${q.label}: ${(e as Error).message}`);
      }
      if (isOrdered(cmd)) continue;
      if (rr.resultType !== 'matrix') throw new EvalFailure('range mode did not return a matrix');
      const vec: RawSeries[] = [];
      for (const s of rr.series) {
        const idx = s.timestamps.indexOf(q.time);
        if (idx < 0) continue;
        const h = s.histograms?.[idx];
        vec.push({
          labels: s.labels,
          timestamps: [q.time],
          values: [s.values[idx]!],
          ...(h ? { histograms: [h] } : {}),
        });
      }
      try {
        if (r.resultType === 'scalar') {
          compareResult(cmd, { ...r, value: vec[0]?.values[0] ?? NaN });
        } else {
          compareResult(cmd, { resultType: 'vector', series: vec, warnings: [], infos: [] });
        }
      } catch (e) {
        throw new EvalFailure(`range mode${q.label}: ${(e as Error).message}`);
      }
    }
  }
}
