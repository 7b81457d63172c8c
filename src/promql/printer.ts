// PromQL printer for /api/v1/format_query and rule expressions: the canonical one-line form of an AST
// (Prometheus' Node.String(), promql/parser/printer.go) and the pretty form (Node.Pretty(0),
// promql/parser/prettier.go) that splits nodes longer than 100 characters over indented lines.
import type { AggregateExpr, AtModifier, BinaryExpr, Expr, VectorMatching, VectorSelector } from './ast.js';
import type { LabelMatcher } from '../model/storage.js';
import { formatFloatPlain } from './format.js';

const MAX_CHARACTERS_PER_LINE = 100;
const INDENT = '  ';

/** Go's strconv.Quote for the characters PromQL strings hold: escapes quotes, backslashes and control characters. */
export function goQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    switch (ch) {
      case '"':
        out += '\\"';
        continue;
      case '\\':
        out += '\\\\';
        continue;
      case '\x07':
        out += '\\a';
        continue;
      case '\b':
        out += '\\b';
        continue;
      case '\f':
        out += '\\f';
        continue;
      case '\n':
        out += '\\n';
        continue;
      case '\r':
        out += '\\r';
        continue;
      case '\t':
        out += '\\t';
        continue;
      case '\v':
        out += '\\v';
        continue;
    }
    if (c < 0x20 || c === 0x7f) out += `\\x${c.toString(16).padStart(2, '0')}`;
    // A byte of invalid UTF-8 kept by the parser (unquoteString) is written back as the byte.
    else if (c >= 0xdc80 && c <= 0xdcff) out += `\\x${(c - 0xdc00).toString(16)}`;
    else if (c >= 0x80 && c < 0xa0) out += `\\u${c.toString(16).padStart(4, '0')}`;
    else out += ch;
  }
  return `${out}"`;
}

const DURATION_UNITS: [string, number, boolean][] = [
  // Years and weeks only when exact: "90d" reads better than "12w6d" (prometheus/common model.Duration.String).
  ['y', 365 * 24 * 3600 * 1000, true],
  ['w', 7 * 24 * 3600 * 1000, true],
  ['d', 24 * 3600 * 1000, false],
  ['h', 3600 * 1000, false],
  ['m', 60 * 1000, false],
  ['s', 1000, false],
  ['ms', 1, false],
];

/** A duration in milliseconds as Prometheus prints it (`1h30m`, `5m`, `0s`). */
export function formatDuration(ms: number): string {
  if (ms === 0) return '0s';
  let rest = ms;
  let out = '';
  for (const [unit, mult, exact] of DURATION_UNITS) {
    if (exact && rest % mult !== 0) continue;
    const v = Math.floor(rest / mult);
    if (v > 0) {
      out += `${v}${unit}`;
      rest -= v * mult;
    }
  }
  return out;
}

function isLegacyName(s: string): boolean {
  return /^[a-zA-Z_][a-zA-Z0-9_]*$/.test(s);
}

function labelList(names: string[]): string {
  return names.map((n) => (isLegacyName(n) ? n : goQuote(n))).join(', ');
}

function matcherString(m: LabelMatcher): string {
  return (isLegacyName(m.name) ? m.name : goQuote(m.name)) + m.type + goQuote(m.value);
}

function atString(at: AtModifier | null): string {
  if (!at) return '';
  if (at.kind === 'start') return ' @ start()';
  if (at.kind === 'end') return ' @ end()';
  return ` @ ${(at.ms / 1000).toFixed(3)}`;
}

function offsetString(ms: number): string {
  if (ms > 0) return ` offset ${formatDuration(ms)}`;
  if (ms < 0) return ` offset -${formatDuration(-ms)}`;
  return '';
}

function selectorBody(vs: VectorSelector): string {
  const parts: string[] = [];
  for (const m of vs.matchers) {
    // The metric name is printed in front, not as a matcher.
    if (m.name === '__name__' && m.type === '=' && m.value === vs.name && m.value !== '') continue;
    parts.push(matcherString(m));
  }
  parts.sort();
  return vs.name + (parts.length > 0 ? `{${parts.join(',')}}` : '');
}

function matchingString(vm: VectorMatching | null): string {
  if (!vm) return '';
  const grouped = vm.card === 'many-to-one' || vm.card === 'one-to-many';
  let s = '';
  if (vm.labels.length > 0 || vm.on || grouped) s += ` ${vm.on ? 'on' : 'ignoring'} (${labelList(vm.labels)})`;
  if (grouped) s += ` group_${vm.card === 'many-to-one' ? 'left' : 'right'} (${labelList(vm.include)})`;
  return s;
}

function aggregatePrefix(e: AggregateExpr): string {
  if (e.without) return `${e.op} without (${labelList(e.grouping)}) `;
  if (e.grouping.length > 0) return `${e.op} by (${labelList(e.grouping)}) `;
  return e.op;
}

function subquerySuffix(e: Extract<Expr, { type: 'SubqueryExpr' }>): string {
  return `[${formatDuration(e.rangeMs)}:${e.stepMs ? formatDuration(e.stepMs) : ''}]${atString(e.at)}${offsetString(e.offsetMs)}`;
}

function binaryOpString(e: BinaryExpr): string {
  return e.op + (e.returnBool ? ' bool' : '') + matchingString(e.matching);
}

/** The canonical single-line PromQL text of an expression. */
export function exprString(e: Expr): string {
  switch (e.type) {
    case 'NumberLiteral':
      return formatFloatPlain(e.val);
    case 'StringLiteral':
      return goQuote(e.val);
    case 'VectorSelector':
      return selectorBody(e) + atString(e.at) + offsetString(e.offsetMs);
    case 'MatrixSelector':
      return `${selectorBody(e.vs)}[${formatDuration(e.rangeMs)}]${atString(e.vs.at)}${offsetString(e.vs.offsetMs)}`;
    case 'SubqueryExpr':
      return exprString(e.expr) + subquerySuffix(e);
    case 'ParenExpr':
      return `(${exprString(e.expr)})`;
    case 'UnaryExpr':
      return e.op + exprString(e.expr);
    case 'BinaryExpr':
      return `${exprString(e.lhs)} ${binaryOpString(e)} ${exprString(e.rhs)}`;
    case 'AggregateExpr':
      return `${aggregatePrefix(e)}(${e.param ? `${exprString(e.param)}, ` : ''}${exprString(e.expr)})`;
    case 'Call':
      return `${e.func.name}(${e.args.map(exprString).join(', ')})`;
  }
}

/** Prometheus' pretty form: nodes whose one-line text exceeds the line length (100) are split and indented. */
export function prettyExpr(e: Expr, maxCharactersPerLine = MAX_CHARACTERS_PER_LINE): string {
  return pretty(e, 0, maxCharactersPerLine);
}

function pretty(e: Expr, level: number, max: number): string {
  const ind = INDENT.repeat(level);
  const flat = exprString(e);
  const split = flat.length > max;
  switch (e.type) {
    case 'AggregateExpr': {
      if (!split) return ind + flat;
      const param = e.param ? `${pretty(e.param, level + 1, max)},\n` : '';
      return `${ind}${aggregatePrefix(e)}(\n${param}${pretty(e.expr, level + 1, max)}\n${ind})`;
    }
    case 'BinaryExpr':
      if (!split) return ind + flat;
      return `${pretty(e.lhs, level + 1, max)}\n${ind}${binaryOpString(e)}\n${pretty(e.rhs, level + 1, max)}`;
    case 'Call':
      if (!split) return ind + flat;
      return `${ind}${e.func.name}(\n${e.args.map((a) => pretty(a, level + 1, max)).join(',\n')}\n${ind})`;
    case 'ParenExpr':
      if (!split) return ind + flat;
      return `${ind}(\n${pretty(e.expr, level + 1, max)}\n${ind})`;
    case 'SubqueryExpr':
      // Like Prometheus: an unsplit subquery is not indented.
      if (!split) return flat;
      return pretty(e.expr, level, max) + subquerySuffix(e);
    case 'UnaryExpr':
      return ind + e.op + pretty(e.expr, level, max).trim();
    default:
      return ind + flat;
  }
}
