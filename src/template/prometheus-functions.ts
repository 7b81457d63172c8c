// Prometheus' template functions (template/template.go of Prometheus v3.5, with humanizeDuration,
// humanizeTimestamp and ConvertToFloat from prometheus/common's helpers/templates), plus `now`, `toDuration`
// (Prometheus 3.6) and `urlQueryEscape` (3.8).
import { compileGoRegexp, expandTemplate, InvalidRegexpError } from '../model/regexp.js';
import { queryEscape } from './escape.js';
import { FuncError, type TemplateFunc } from './exec.js';
import { sprintf } from './fmt.js';
import { isIP, joinHostPort, splitHostPort } from './hostport.js';
import { canBackquote, formatFloat, NumError, parseFloat64, quote } from './strconv.js';
import { title, toLower, toUpper } from './text-case.js';
import {
  AnyMap,
  compareGoStrings,
  DURATION,
  DURATION_PTR,
  GoNamed,
  GoPointer,
  GoSlice,
  type GoStruct,
  GoTime,
  HTML,
  INTERFACE,
  NIL_INTERFACE,
  QUERY_RESULT,
  SAMPLE_PTR,
  STRING,
  samplePointer,
  type StringMap,
  TIME_PTR,
  typeOf,
  type Value,
} from './values.js';

/** A sample as the template `query` function returns it (Prometheus' `queryResult` element). */
export interface TemplateSample {
  labels: Record<string, string>;
  value: number;
}

/** What the Prometheus functions need from the expansion they run in. */
export interface PrometheusEnv {
  /** The evaluation time, for `now`. */
  readonly timestampMs: number;
  /** The external URL, for `externalURL` and `pathPrefix`. */
  readonly externalURL: string;
  /** The samples of an instant query at the evaluation time; throws FuncError when the query fails. */
  query(expr: string): readonly TemplateSample[];
}

type Func = TemplateFunc<PrometheusEnv>;

const NIL_DEREFERENCE = 'runtime error: invalid memory address or nil pointer dereference';

/** The struct a *template.sample points to; a nil pointer panics in Go, which the template reports. */
function sampleOf(v: Value): GoStruct {
  const target = (v as GoPointer).target;
  if (target === null) throw new FuncError(NIL_DEREFERENCE);
  return target as GoStruct;
}

function sampleLabel(v: Value, name: string): string {
  const labels = sampleOf(v).fields[0] as StringMap;
  return (labels.get(name) as string | undefined) ?? '';
}

/** prometheus/common's ConvertToFloat. */
export function convertToFloat(v: Value): number {
  switch (typeof v) {
    case 'number':
      return v;
    case 'bigint':
      return Number(v);
    case 'string':
      try {
        return parseFloat64(v);
      } catch (e) {
        if (e instanceof NumError) throw new FuncError(e.message);
        throw e;
      }
  }
  if (v instanceof GoNamed && v.type === DURATION) return durationSeconds(v.value as bigint);
  throw new FuncError(`can't convert ${v === undefined || v === NIL_INTERFACE ? '<nil>' : typeOf(v)!.name} to float`);
}

/** time.Duration.Seconds() */
function durationSeconds(ns: bigint): number {
  return Number(ns / 1_000_000_000n) + Number(ns % 1_000_000_000n) / 1e9;
}

/** %.4g */
function g4(v: number): string {
  return formatFloat(v, 'g', 4);
}

function humanize(v: number): string {
  if (v === 0 || !Number.isFinite(v)) return g4(v);
  let prefix = '';
  if (Math.abs(v) >= 1) {
    for (const p of ['k', 'M', 'G', 'T', 'P', 'E', 'Z', 'Y']) {
      if (Math.abs(v) < 1000) break;
      prefix = p;
      v /= 1000;
    }
    return g4(v) + prefix;
  }
  for (const p of ['m', 'u', 'n', 'p', 'f', 'a', 'z', 'y']) {
    if (Math.abs(v) >= 1) break;
    prefix = p;
    v *= 1000;
  }
  return g4(v) + prefix;
}

function humanize1024(v: number): string {
  if (Math.abs(v) <= 1 || !Number.isFinite(v)) return g4(v);
  let prefix = '';
  for (const p of ['ki', 'Mi', 'Gi', 'Ti', 'Pi', 'Ei', 'Zi', 'Yi']) {
    if (Math.abs(v) < 1024) break;
    prefix = p;
    v /= 1024;
  }
  return g4(v) + prefix;
}

const MIN_INT64 = -(1n << 63n);

/** Go's int64(f) on amd64: truncation, and the minimum int64 where the value does not fit. */
function toInt64(f: number): bigint {
  if (!Number.isFinite(f) || f >= 2 ** 63 || f < -(2 ** 63)) return MIN_INT64;
  return BigInt(Math.trunc(f));
}

function humanizeDuration(v: number): string {
  if (!Number.isFinite(v)) return g4(v);
  if (v === 0) return `${g4(v)}s`;
  if (Math.abs(v) >= 1) {
    let sign = '';
    if (v < 0) {
      sign = '-';
      v = -v;
    }
    const duration = toInt64(v);
    const seconds = duration % 60n;
    const minutes = (duration / 60n) % 60n;
    const hours = (duration / 60n / 60n) % 24n;
    const days = duration / 60n / 60n / 24n;
    if (days !== 0n) return `${sign}${days}d ${hours}h ${minutes}m ${seconds}s`;
    if (hours !== 0n) return `${sign}${hours}h ${minutes}m ${seconds}s`;
    if (minutes !== 0n) return `${sign}${minutes}m ${seconds}s`;
    return `${sign}${g4(v)}s`;
  }
  let prefix = '';
  for (const p of ['m', 'u', 'n', 'p', 'f', 'a', 'z', 'y']) {
    if (Math.abs(v) >= 1) break;
    prefix = p;
    v *= 1000;
  }
  return `${g4(v)}${prefix}s`;
}

/** Prometheus' floatToTime: seconds to a UTC time with millisecond precision; undefined for NaN and ±Inf. */
function floatToTime(v: number): GoTime | undefined {
  if (!Number.isFinite(v)) return undefined;
  const ns = v * 1e9;
  if (ns > 2 ** 63 || ns < -(2 ** 63))
    throw new FuncError(
      `${sprintf('%v', [v])} cannot be represented as a nanoseconds timestamp since it overflows int64`,
    );
  return new GoTime(Number(toInt64(ns) / 1_000_000n));
}

const DURATION_UNITS: Record<string, { pos: number; ns: bigint }> = {
  y: { pos: 1, ns: 365n * 24n * 3_600_000_000_000n },
  w: { pos: 2, ns: 7n * 24n * 3_600_000_000_000n },
  d: { pos: 3, ns: 24n * 3_600_000_000_000n },
  h: { pos: 4, ns: 3_600_000_000_000n },
  m: { pos: 5, ns: 60_000_000_000n },
  s: { pos: 6, ns: 1_000_000_000n },
  ms: { pos: 7, ns: 1_000_000n },
};

/** prometheus/common's model.ParseDuration (units y w d h m s ms, largest first, no sign), in nanoseconds. */
function parseDuration(s: string): bigint {
  if (s === '0') return 0n;
  if (s === '') throw new FuncError('empty duration string');
  const invalid = () => new FuncError(`not a valid duration string: ${quote(s)}`);
  let rest = s;
  let total = 0n;
  let lastUnit = 0;
  while (rest !== '') {
    const m = /^([0-9]*)([^0-9]*)/.exec(rest)!;
    if (m[1] === '' || m[1]!.length > 20) throw invalid();
    const v = BigInt(m[1]!);
    if (v > (1n << 64n) - 1n) throw invalid();
    if (m[2] === '') throw invalid();
    const unit = Object.hasOwn(DURATION_UNITS, m[2]!) ? DURATION_UNITS[m[2]!] : undefined;
    if (!unit) throw new FuncError(`unknown unit ${quote(m[2]!)} in duration ${quote(s)}`);
    if (unit.pos <= lastUnit) throw invalid();
    lastUnit = unit.pos;
    if (v > (1n << 63n) / unit.ns) throw new FuncError('duration out of range');
    total += v * unit.ns;
    if (total > (1n << 63n) - 1n) throw new FuncError('duration out of range');
    rest = rest.slice(m[0].length);
  }
  return total;
}

/** Compiled patterns of match and reReplaceAll, so an expansion does not compile its regexps again. */
const regexps = new Map<string, ReturnType<typeof compileGoRegexp> | InvalidRegexpError>();
const MAX_CACHED_REGEXPS = 500;

function goRegexp(pattern: string): ReturnType<typeof compileGoRegexp> {
  let re = regexps.get(pattern);
  if (re === undefined) {
    try {
      re = compileGoRegexp(pattern);
    } catch (e) {
      if (!(e instanceof InvalidRegexpError)) throw e;
      re = e;
    }
    if (regexps.size >= MAX_CACHED_REGEXPS) regexps.delete(regexps.keys().next().value!);
    regexps.set(pattern, re);
  }
  if (re instanceof InvalidRegexpError) throw re;
  return re;
}

/** regexp.MustCompile(pattern).ReplaceAllString(text, repl), the panic of a bad pattern as an error. */
function reReplaceAll(pattern: string, repl: string, text: string): string {
  let re: ReturnType<typeof compileGoRegexp>;
  try {
    re = goRegexp(pattern);
  } catch (e) {
    if (!(e instanceof InvalidRegexpError)) throw e;
    const quoted = canBackquote(pattern) ? `\`${pattern}\`` : quote(pattern);
    throw new FuncError(`regexp: Compile(${quoted}): ${e.message}`);
  }
  const m = re.matcher(text);
  const names = re.namedGroups();
  const groups = re.groupCount();
  let out = '';
  let lastMatchEnd = 0;
  let searchPos = 0;
  while (searchPos <= text.length && m.find(searchPos)) {
    const start = m.start();
    const end = m.end();
    out += text.slice(lastMatchEnd, start);
    // No replacement for an empty match right after the previous match.
    if (end > lastMatchEnd || start === 0) {
      out += expandTemplate(repl, (num, name) => {
        const g = num >= 0 ? num : names[name];
        if (g === undefined || g > groups) return '';
        return m.group(g) ?? '';
      });
    }
    lastMatchEnd = end;
    // Advance past the match, by at least one character.
    const width = searchPos < text.length ? (text.codePointAt(searchPos)! > 0xffff ? 2 : 1) : 0;
    if (searchPos + width > end) searchPos += width;
    else if (searchPos + 1 > end) searchPos++;
    else searchPos = end;
  }
  return out + text.slice(lastMatchEnd);
}

function match(pattern: string, s: string): boolean {
  try {
    return goRegexp(pattern).matcher(s).find();
  } catch (e) {
    if (e instanceof InvalidRegexpError) throw new FuncError(e.message);
    throw e;
  }
}

function stripDomain(hostPort: string): string {
  const split = splitHostPort(hostPort);
  let host = split ? split.host : hostPort;
  if (isIP(host)) return hostPort;
  host = host.split('.')[0]!;
  return split && split.port !== '' ? joinHostPort(host, split.port) : host;
}

/** The path of the external URL, decoded, as Go's url.URL.Path. */
function urlPath(url: string): string {
  const m = /^[a-zA-Z][a-zA-Z0-9+.-]*:(?:\/\/[^/?#]*)?([^?#]*)/.exec(url);
  const path = m ? m[1]! : url.replace(/[?#].*$/, '');
  try {
    return decodeURIComponent(path);
  } catch {
    return path;
  }
}

const str = (v: Value) => v as string;

/** Prometheus' template functions by name. */
export function prometheusFuncs(): Map<string, Func> {
  const f = (params: Func['params'], call: Func['call'], variadic?: Func['variadic']): Func =>
    variadic ? { params, call, variadic } : { params, call };
  const converting = (fn: (v: number) => string): Func => f([INTERFACE], ([v]) => fn(convertToFloat(v)));
  return new Map<string, Func>([
    [
      'query',
      f(
        [STRING],
        ([q], env) =>
          new GoSlice(
            QUERY_RESULT,
            env.query(str(q)).map((s) => samplePointer(s.labels, s.value)),
          ),
      ),
    ],
    [
      'first',
      f([QUERY_RESULT], ([v]) => {
        const items = (v as GoSlice).items;
        if (items.length === 0) throw new FuncError('first() called on vector with no elements');
        return items[0];
      }),
    ],
    ['label', f([STRING, SAMPLE_PTR], ([label, s]) => sampleLabel(s, str(label)))],
    ['value', f([SAMPLE_PTR], ([s]) => sampleOf(s).fields[1])],
    ['strvalue', f([SAMPLE_PTR], ([s]) => sampleLabel(s, '__value__'))],
    ['args', f([], (args) => new AnyMap(new Map(args.map((a, i) => [`arg${i}`, a]))), INTERFACE)],
    ['reReplaceAll', f([STRING, STRING, STRING], ([p, r, t]) => reReplaceAll(str(p), str(r), str(t)))],
    ['safeHtml', f([STRING], ([s]) => new GoNamed(HTML, str(s)))],
    ['match', f([STRING, STRING], ([p, s]) => match(str(p), str(s)))],
    ['title', f([STRING], ([s]) => title(str(s)))],
    ['toUpper', f([STRING], ([s]) => toUpper(str(s)))],
    ['toLower', f([STRING], ([s]) => toLower(str(s)))],
    ['graphLink', f([STRING], ([e]) => `/graph?g0.expr=${queryEscape(str(e))}&g0.tab=0`)],
    ['tableLink', f([STRING], ([e]) => `/graph?g0.expr=${queryEscape(str(e))}&g0.tab=1`)],
    [
      'sortByLabel',
      f([STRING, QUERY_RESULT], ([label, v]) => {
        const key = (s: Value) => sampleLabel(s, str(label));
        (v as GoSlice).items.sort((a, b) => compareGoStrings(key(a), key(b))); // stable, in place, as Go's
        return v;
      }),
    ],
    ['stripPort', f([STRING], ([hp]) => splitHostPort(str(hp))?.host ?? str(hp))],
    ['stripDomain', f([STRING], ([hp]) => stripDomain(str(hp)))],
    ['humanize', converting(humanize)],
    ['humanize1024', converting(humanize1024)],
    ['humanizeDuration', converting(humanizeDuration)],
    ['humanizePercentage', converting((v) => `${g4(v * 100)}%`)],
    [
      'humanizeTimestamp',
      converting((v) => {
        const t = floatToTime(v);
        return t ? sprintf('%v', [new GoPointer(TIME_PTR, t)]) : g4(v);
      }),
    ],
    [
      'toTime',
      f([INTERFACE], ([v]) => {
        const t = floatToTime(convertToFloat(v));
        if (!t) throw new FuncError('value is NaN or Inf');
        return new GoPointer(TIME_PTR, t);
      }),
    ],
    [
      'toDuration',
      f([INTERFACE], ([v]) => new GoPointer(DURATION_PTR, new GoNamed(DURATION, toInt64(convertToFloat(v) * 1e9)))),
    ],
    ['now', f([], (_, env) => env.timestampMs / 1000)],
    ['pathPrefix', f([], (_, env) => urlPath(env.externalURL))],
    ['externalURL', f([], (_, env) => env.externalURL)],
    ['parseDuration', f([STRING], ([d]) => Number(parseDuration(str(d))) / 1e9)],
    ['urlQueryEscape', f([STRING], ([s]) => queryEscape(str(s)))],
  ]);
}
