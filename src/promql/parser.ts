// PromQL parser: the official lezer grammar produces a concrete tree; this module turns it into the typed AST
// (ast.ts) and type-checks it with Prometheus' rules and error wording (promql/parser/parse.go checkAST).
import { parser as lezerParser } from '@prometheus-io/lezer-promql';
import type { SyntaxNode, Tree } from '@lezer/common';
import type { LabelMatcher, MatchType } from '../model/storage.js';
import {
  documentedType,
  exprType,
  FUNCTIONS,
  type AggregateOp,
  type AtModifier,
  type BinaryOp,
  type Expr,
  type PosRange,
  type ValueType,
  type VectorMatching,
  type VectorSelector,
} from './ast.js';
import { isDuration, parseDuration } from './format.js';
import { METRIC_NAME } from './labels.js';
import { compileMatcher, type CompiledMatcher } from '../model/matcher.js';

export class ParseError extends Error {
  constructor(
    readonly pos: PosRange,
    readonly detail: string,
    readonly query: string,
  ) {
    super(`${positionString(query, pos.start)}: parse error: ${detail}`);
    this.name = 'ParseError';
  }
}

/** Prometheus' PositionRange.StartPosInput: 1-based line and column. */
export function positionString(input: string, pos: number): string {
  let line = 1;
  let lastBreak = -1;
  for (let i = 0; i < pos && i < input.length; i++) {
    if (input.charCodeAt(i) === 10) {
      line++;
      lastBreak = i;
    }
  }
  return `${line}:${pos - lastBreak}`;
}

const BINARY_OPS: Record<string, BinaryOp> = {
  Pow: '^',
  Mul: '*',
  Div: '/',
  Mod: '%',
  Atan2: 'atan2',
  Add: '+',
  Sub: '-',
  Eql: '==',
  Neq: '!=',
  Gtr: '>',
  Lss: '<',
  Gte: '>=',
  Lte: '<=',
  And: 'and',
  Or: 'or',
  Unless: 'unless',
};
const COMPARISON_OPS = new Set<BinaryOp>(['==', '!=', '>', '<', '>=', '<=']);
const SET_OPS = new Set<BinaryOp>(['and', 'or', 'unless']);
export function isComparisonOp(op: BinaryOp): boolean {
  return COMPARISON_OPS.has(op);
}

const AGGREGATE_OPS = new Set<string>([
  'sum',
  'avg',
  'count',
  'min',
  'max',
  'group',
  'stddev',
  'stdvar',
  'topk',
  'bottomk',
  'quantile',
  'count_values',
  'limitk',
  'limit_ratio',
]);
const PARAM_AGGREGATES = new Set<string>(['topk', 'bottomk', 'quantile', 'count_values', 'limitk', 'limit_ratio']);

// Go's math.MaxInt64 (2^63 − 1, which a double rounds to 2^63) in milliseconds, as seconds.
const MAX_AT_SECONDS = 2 ** 63 / 1000;

type Postfix = (inner: Expr) => Expr;

class Converter {
  constructor(private readonly input: string) {}

  fail(pos: PosRange, msg: string): never {
    throw new ParseError(pos, msg, this.input);
  }

  text(n: SyntaxNode): string {
    return this.input.slice(n.from, n.to);
  }

  children(n: SyntaxNode): SyntaxNode[] {
    const out: SyntaxNode[] = [];
    for (let c = n.firstChild; c; c = c.nextSibling) if (c.name !== 'LineComment') out.push(c);
    return out;
  }

  pos(n: SyntaxNode): PosRange {
    return { start: n.from, end: n.to };
  }

  /**
   * Converts an expression node. `post` is a pending postfix modifier (range, subquery, offset, @): the lezer
   * grammar gives those no precedence, so `a or b offset 5m` arrives as `(a or b) offset 5m`; PromQL binds them
   * tightest, so they are pushed down to the right-most operand of binary and unary expressions.
   */
  expr(n: SyntaxNode, post: Postfix | null = null): Expr {
    const pos = this.pos(n);
    const kids = this.children(n);
    const done = (e: Expr) => (post ? post(e) : e);
    const chain = (mine: Postfix): Postfix => (post ? (e) => post(mine(e)) : mine);
    switch (n.name) {
      case 'PromQL':
        if (kids.length === 0) this.fail(pos, 'no expression found in input');
        return this.expr(kids[0]!);
      case 'NumberDurationLiteral':
        return done({ type: 'NumberLiteral', val: this.number(n), pos });
      case 'StringLiteral':
        return done({ type: 'StringLiteral', val: this.string(n), pos });
      case 'ParenExpr':
        return done({ type: 'ParenExpr', expr: this.expr(kids.find((k) => k.name !== '(' && k.name !== ')')!), pos });
      case 'VectorSelector':
        return done(this.vectorSelector(n, kids));
      case 'MatrixSelector': {
        const rangeMs = this.duration(kids.find((k) => k.name === 'DurationExpr')!);
        return this.expr(
          kids[0]!,
          chain((inner) => {
            const p = { start: inner.pos.start, end: pos.end };
            if (inner.type !== 'VectorSelector') this.fail(p, 'ranges only allowed for vector selectors');
            if (inner.offsetMs !== 0) this.fail(p, 'no offset modifiers allowed before range');
            if (inner.at !== null) this.fail(p, 'no @ modifiers allowed before range');
            if (rangeMs <= 0) this.fail(p, 'range must be greater than 0');
            return { type: 'MatrixSelector', vs: inner, rangeMs, pos: p };
          }),
        );
      }
      case 'SubqueryExpr': {
        const durs = kids.filter((k) => k.name === 'DurationExpr');
        const rangeMs = this.duration(durs[0]!);
        const stepMs = durs.length > 1 ? this.duration(durs[1]!) : 0;
        return this.expr(
          kids[0]!,
          chain((inner) => {
            const p = { start: inner.pos.start, end: pos.end };
            if (rangeMs <= 0) this.fail(p, 'range must be greater than 0');
            if (durs.length > 1 && stepMs <= 0) this.fail(p, 'step must be greater than 0');
            return { type: 'SubqueryExpr', expr: inner, rangeMs, stepMs, offsetMs: 0, at: null, pos: p };
          }),
        );
      }
      case 'OffsetExpr': {
        const offsetMs = this.offsetDuration(kids.find((k) => k.name === 'OffsetDurationExpr')!);
        return this.expr(
          kids[0]!,
          chain((inner) => this.applyOffset(inner, offsetMs, { start: inner.pos.start, end: pos.end })),
        );
      }
      case 'StepInvariantExpr': {
        const atNode = kids[2]!;
        let at: AtModifier;
        if (atNode.name === 'AtModifierPreprocessors') {
          at = { kind: this.text(atNode) === 'start' ? 'start' : 'end' };
        } else {
          const secs = this.number(atNode);
          if (!Number.isFinite(secs) || Math.abs(secs) >= MAX_AT_SECONDS) {
            this.fail(
              pos,
              `timestamp out of bounds for @ modifier: ${Number.isFinite(secs) ? secs.toFixed(6) : Number.isNaN(secs) ? 'NaN' : secs > 0 ? '+Inf' : '-Inf'}`,
            );
          }
          at = { kind: 'time', ms: Math.round(secs * 1000) };
        }
        return this.expr(
          kids[0]!,
          chain((inner) => this.applyAt(inner, at, { start: inner.pos.start, end: pos.end })),
        );
      }
      case 'UnaryExpr': {
        const op = this.text(kids[0]!) as '-' | '+';
        const inner = this.expr(kids[1]!, post);
        if (inner.type === 'NumberLiteral') {
          return { type: 'NumberLiteral', val: op === '-' ? -inner.val : inner.val, pos };
        }
        return { type: 'UnaryExpr', op, expr: inner, pos };
      }
      case 'BinaryExpr':
        return this.binary(n, kids, post);
      case 'AggregateExpr':
        return done(this.aggregate(n, kids));
      case 'FunctionCall': {
        const name = this.text(kids[0]!);
        const func = FUNCTIONS.get(name);
        if (!func) this.fail(this.pos(kids[0]!), `unknown function with name "${name}"`);
        const args = this.callArgs(kids[1]!);
        return done({ type: 'Call', func, args, pos });
      }
      case 'AnchoredExpr':
      case 'SmoothedExpr':
        return this.fail(pos, `${n.name === 'AnchoredExpr' ? 'anchored' : 'smoothed'} modifier is not supported`);
      default:
        this.fail(pos, `unexpected ${JSON.stringify(this.text(n))}`);
    }
  }

  callArgs(body: SyntaxNode): Expr[] {
    return this.children(body)
      .filter((k) => k.name !== '(' && k.name !== ')' && k.name !== ',')
      .map((k) => this.expr(k));
  }

  applyOffset(target: Expr, offsetMs: number, pos: PosRange): Expr {
    const holder = target.type === 'MatrixSelector' ? target.vs : target;
    if (holder.type !== 'VectorSelector' && holder.type !== 'SubqueryExpr') {
      this.fail(
        pos,
        'offset modifier must be preceded by an instant vector selector or range vector selector or a subquery',
      );
    }
    if (holder.offsetMs !== 0) this.fail(pos, 'offset may not be set multiple times');
    holder.offsetMs = offsetMs;
    return { ...target, pos } as Expr;
  }

  applyAt(target: Expr, at: AtModifier, pos: PosRange): Expr {
    const holder = target.type === 'MatrixSelector' ? target.vs : target;
    if (holder.type !== 'VectorSelector' && holder.type !== 'SubqueryExpr') {
      this.fail(
        pos,
        '@ modifier must be preceded by an instant vector selector or range vector selector or a subquery',
      );
    }
    if (holder.at !== null) this.fail(pos, '@ <timestamp> may not be set multiple times');
    holder.at = at;
    return { ...target, pos } as Expr;
  }

  vectorSelector(n: SyntaxNode, kids: SyntaxNode[]): VectorSelector {
    const pos = this.pos(n);
    let name = '';
    const matchers: LabelMatcher[] = [];
    const compiled: CompiledMatcher[] = [];
    for (const k of kids) {
      if (k.name === 'Identifier') name = this.text(k);
      else if (k.name === 'LabelMatchers') {
        for (const m of this.children(k)) {
          if (m.name === 'QuotedLabelName') {
            if (name !== '')
              this.fail(
                pos,
                `metric name must not be set twice: ${JSON.stringify(name)} or ${JSON.stringify(this.string(m.firstChild!))}`,
              );
            name = this.string(m.firstChild!);
          } else if (m.name === 'UnquotedLabelMatcher' || m.name === 'QuotedLabelMatcher') {
            const mk = this.children(m);
            const labelName = m.name === 'UnquotedLabelMatcher' ? this.text(mk[0]!) : this.string(mk[0]!.firstChild!);
            const type = this.text(mk[1]!) as MatchType;
            const value = this.string(mk[2]!);
            try {
              compiled.push(compileMatcher({ type, name: labelName, value }));
            } catch (e) {
              this.fail(this.pos(m), (e as Error).message);
            }
            matchers.push({ type, name: labelName, value });
          }
        }
      }
    }
    if (name !== '') {
      for (const m of matchers) {
        if (m.name === METRIC_NAME)
          this.fail(pos, `metric name must not be set twice: ${JSON.stringify(name)} or ${JSON.stringify(m.value)}`);
      }
      matchers.push({ type: '=', name: METRIC_NAME, value: name });
    } else {
      const nonEmpty = compiled.some((m) => !m.matchesEmpty);
      if (!nonEmpty) this.fail(pos, 'vector selector must contain at least one non-empty matcher');
    }
    return { type: 'VectorSelector', name, matchers, offsetMs: 0, at: null, pos };
  }

  binary(n: SyntaxNode, kids: SyntaxNode[], post: Postfix | null): Expr {
    const pos = this.pos(n);
    let lhs = this.expr(kids[0]!);
    const rhs = this.expr(kids[kids.length - 1]!, post);
    const opNode = kids[1]!;
    const op = BINARY_OPS[opNode.name];
    if (!op) this.fail(this.pos(opNode), `binary expression does not support operator "${this.text(opNode)}"`);
    // The grammar reads `-2 ^ 2` as (-2)^2; in PromQL a sign is a unary operator, weaker than ^: -(2^2).
    const lhsText = this.text(kids[0]!);
    let sign: '-' | '+' | null = null;
    if (op === '^' && lhs.type === 'NumberLiteral' && (lhsText[0] === '-' || lhsText[0] === '+')) {
      sign = lhsText[0];
      lhs = { type: 'NumberLiteral', val: Math.abs(lhs.val), pos: lhs.pos };
    }
    let returnBool = false;
    let matching: VectorMatching = { card: 'one-to-one', on: false, labels: [], include: [] };
    let explicitMatching = false;
    for (const k of kids.slice(2, -1)) {
      if (k.name === 'BoolModifier') returnBool = true;
      else if (k.name === 'MatchingModifierClause') {
        explicitMatching = true;
        matching = this.matchingClause(k);
      } else if (k.name === 'FillModifier') this.fail(this.pos(k), 'fill modifiers are not supported');
    }
    const opPos = this.pos(opNode);
    if (returnBool && !COMPARISON_OPS.has(op))
      this.fail(opPos, 'bool modifier can only be used on comparison operators');
    const lt = exprType(lhs);
    const rt = exprType(rhs);
    if (COMPARISON_OPS.has(op) && !returnBool && lt === 'scalar' && rt === 'scalar') {
      this.fail(opPos, 'comparisons between scalars must use BOOL modifier');
    }
    if (SET_OPS.has(op) && matching.card === 'one-to-one') matching.card = 'many-to-many';
    if (matching.on) {
      for (const l of matching.labels) {
        if (matching.include.includes(l))
          this.fail(opPos, `label ${JSON.stringify(l)} must not occur in ON and GROUP clause at once`);
      }
    }
    if (lt !== 'scalar' && lt !== 'vector')
      this.fail(lhs.pos, 'binary expression must contain only scalar and instant vector types');
    if (rt !== 'scalar' && rt !== 'vector')
      this.fail(rhs.pos, 'binary expression must contain only scalar and instant vector types');
    let vm: VectorMatching | null = matching;
    if (lt !== 'vector' || rt !== 'vector') {
      if (explicitMatching && matching.labels.length > 0)
        this.fail(pos, 'vector matching only allowed between instant vectors');
      vm = null;
    } else if (SET_OPS.has(op)) {
      if (matching.card === 'one-to-many' || matching.card === 'many-to-one')
        this.fail(pos, `no grouping allowed for "${op}" operation`);
    }
    if ((lt === 'scalar' || rt === 'scalar') && SET_OPS.has(op))
      this.fail(pos, `set operator "${op}" not allowed in binary scalar expression`);
    const bin: Expr = { type: 'BinaryExpr', op, lhs, rhs, returnBool, matching: vm, pos };
    return sign ? { type: 'UnaryExpr', op: sign, expr: bin, pos } : bin;
  }

  matchingClause(n: SyntaxNode): VectorMatching {
    const vm: VectorMatching = { card: 'one-to-one', on: false, labels: [], include: [] };
    let seenGroup = false;
    for (const k of this.children(n)) {
      switch (k.name) {
        case 'On':
          vm.on = true;
          break;
        case 'Ignoring':
          vm.on = false;
          break;
        case 'GroupLeft':
          vm.card = 'many-to-one';
          seenGroup = true;
          break;
        case 'GroupRight':
          vm.card = 'one-to-many';
          seenGroup = true;
          break;
        case 'GroupingLabels':
          if (seenGroup) vm.include = this.groupingLabels(k);
          else vm.labels = this.groupingLabels(k);
          break;
      }
    }
    return vm;
  }

  groupingLabels(n: SyntaxNode): string[] {
    const out: string[] = [];
    for (const k of this.children(n)) {
      if (k.name === 'LabelName') out.push(this.text(k));
      else if (k.name === 'QuotedLabelName') out.push(this.string(k.firstChild!));
    }
    return out;
  }

  aggregate(n: SyntaxNode, kids: SyntaxNode[]): Expr {
    const pos = this.pos(n);
    const op = this.text(kids[0]!).toLowerCase() as AggregateOp;
    if (!AGGREGATE_OPS.has(op))
      this.fail(pos, `aggregation operator expected in aggregation expression but got "${op}"`);
    let grouping: string[] = [];
    let without = false;
    let args: Expr[] = [];
    for (const k of kids.slice(1)) {
      if (k.name === 'AggregateModifier') {
        const mk = this.children(k);
        without = mk[0]!.name === 'Without';
        grouping = this.groupingLabels(mk[1]!);
      } else if (k.name === 'FunctionCallBody') {
        args = this.callArgs(k);
      }
    }
    if (args.length === 0) this.fail(pos, 'no arguments for aggregate expression provided');
    const wanted = PARAM_AGGREGATES.has(op) ? 2 : 1;
    if (args.length !== wanted) {
      this.fail(
        pos,
        `wrong number of arguments for aggregate expression provided, expected ${wanted}, got ${args.length}`,
      );
    }
    const param = wanted === 2 ? args[0]! : null;
    const expr = args[wanted - 1]!;
    return { type: 'AggregateExpr', op, expr, param, grouping, without, pos };
  }

  /** A number literal: Go ParseInt(s, 0, 64) first (hex, octal, underscores), then ParseFloat; durations are seconds. */
  number(n: SyntaxNode): number {
    let s = this.text(n).trim();
    let sign = 1;
    if (s[0] === '-' || s[0] === '+') {
      if (s[0] === '-') sign = -1;
      s = s.slice(1).trim();
    }
    const v = parseNumberText(s);
    if (v === null) this.fail(this.pos(n), `error parsing number: ${s}`);
    return sign * v;
  }

  string(n: SyntaxNode): string {
    const raw = this.text(n);
    const v = unquoteString(raw);
    if (v === null) this.fail(this.pos(n), `error unquoting string ${JSON.stringify(raw)}: invalid syntax`);
    return v;
  }

  /** Duration of a range or subquery step: a duration literal, a number of seconds, or (experimental) arithmetic. */
  duration(n: SyntaxNode): number {
    return Math.round(this.durationSeconds(n) * 1000);
  }

  offsetDuration(n: SyntaxNode): number {
    const kids = this.children(n);
    if (kids.length === 2 && kids[0]!.name === 'UnaryOp') {
      const v = this.offsetDuration(kids[1]!);
      return this.text(kids[0]!) === '-' ? -v : v;
    }
    return Math.round(this.durationSeconds(n) * 1000);
  }

  durationSeconds(n: SyntaxNode): number {
    if (n.name === 'NumberDurationLiteralInDurationContext') {
      const s = this.text(n);
      if (isDuration(s)) return parseDuration(s) / 1000;
      const v = parseNumberText(s);
      if (v === null) this.fail(this.pos(n), `error parsing number: ${s}`);
      return v;
    }
    const kids = this.children(n).filter((k) => k.name !== '(' && k.name !== ')');
    if (kids.length === 1) return this.durationSeconds(kids[0]!);
    if (kids.length === 2 && kids[0]!.name === 'UnaryOp') {
      const v = this.durationSeconds(kids[1]!);
      return this.text(kids[0]!) === '-' ? -v : v;
    }
    if (kids.length === 3 && BINARY_OPS[kids[1]!.name]) {
      const a = this.durationSeconds(kids[0]!);
      const b = this.durationSeconds(kids[2]!);
      switch (kids[1]!.name) {
        case 'Add':
          return a + b;
        case 'Sub':
          return a - b;
        case 'Mul':
          return a * b;
        case 'Div':
          if (b === 0) this.fail(this.pos(n), 'division by zero');
          return a / b;
        case 'Mod':
          if (b === 0) this.fail(this.pos(n), 'modulo by zero');
          return a % b;
        case 'Pow':
          return a ** b;
      }
    }
    this.fail(this.pos(n), `unsupported duration expression ${JSON.stringify(this.text(n))}`);
  }
}

/** Go's ParseInt(s, 0, 64) then ParseFloat(s, 64) as Prometheus' parseNumber; durations as seconds. Null: invalid. */
export function parseNumberText(s: string): number | null {
  if (isDuration(s)) return parseDuration(s) / 1000;
  const lower = s.toLowerCase();
  if (lower === 'inf' || lower === '+inf' || lower === 'infinity') return Infinity;
  if (lower === '-inf' || lower === '-infinity') return -Infinity;
  if (lower === 'nan') return NaN;
  if (/^0x[0-9a-f_]+$/i.test(s)) return parseInt(s.slice(2).replace(/_/g, ''), 16);
  if (/^0o?[0-7_]+$/i.test(s) && s.length > 1) return parseInt(s.replace(/^0o?/i, '').replace(/_/g, ''), 8);
  if (/^0b[01_]+$/i.test(s)) return parseInt(s.slice(2).replace(/_/g, ''), 2);
  if (/^(\d+(_\d+)*)$/.test(s)) return Number(s.replace(/_/g, ''));
  if (/^((\d+(_?\d+)*)?\.?\d*(_?\d+)*)([eE][+-]?\d+)?$/.test(s) && /\d/.test(s)) {
    const v = Number(s.replace(/_/g, ''));
    return Number.isNaN(v) ? null : v;
  }
  return null;
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Escaped bytes (`\xc3\xa9`) as text: valid UTF-8 decoded, and every byte of invalid UTF-8 kept as the lone
 * surrogate U+DC00 + byte (Go strings hold any bytes; goQuote writes such a byte back as `\xNN`).
 */
function bytesToString(bytes: number[]): string {
  let out = '';
  for (let i = 0; i < bytes.length; ) {
    const b = bytes[i]!;
    const len = b < 0x80 ? 1 : b >= 0xc2 && b < 0xe0 ? 2 : b >= 0xe0 && b < 0xf0 ? 3 : b >= 0xf0 && b < 0xf5 ? 4 : 0;
    if (len > 0 && i + len <= bytes.length) {
      try {
        out += strictUtf8.decode(Uint8Array.from(bytes.slice(i, i + len)));
        i += len;
        continue;
      } catch {
        // Not a valid sequence: the first byte stays a byte.
      }
    }
    out += b < 0x80 ? String.fromCharCode(b) : String.fromCharCode(0xdc00 + b);
    i++;
  }
  return out;
}

/** Go's strconv.Unquote for "..." and '...' (escapes) and `...` (raw). Null when invalid. */
export function unquoteString(raw: string): string | null {
  if (raw.length < 2) return null;
  const q = raw[0];
  if (raw[raw.length - 1] !== q) return null;
  const body = raw.slice(1, -1);
  if (q === '`') return body.includes('`') ? null : body;
  if (q !== '"' && q !== "'") return null;
  let out = '';
  const bytes: number[] = [];
  const flushBytes = () => {
    if (bytes.length) {
      out += bytesToString(bytes);
      bytes.length = 0;
    }
  };
  for (let i = 0; i < body.length; i++) {
    const c = body[i]!;
    if (c === '\n') return null;
    if (c === q) return null;
    if (c !== '\\') {
      flushBytes();
      out += c;
      continue;
    }
    const e = body[++i];
    if (e === undefined) return null;
    switch (e) {
      case 'a':
        flushBytes();
        out += '\x07';
        break;
      case 'b':
        flushBytes();
        out += '\b';
        break;
      case 'f':
        flushBytes();
        out += '\f';
        break;
      case 'n':
        flushBytes();
        out += '\n';
        break;
      case 'r':
        flushBytes();
        out += '\r';
        break;
      case 't':
        flushBytes();
        out += '\t';
        break;
      case 'v':
        flushBytes();
        out += '\v';
        break;
      case '\\':
        flushBytes();
        out += '\\';
        break;
      case '"':
      case "'":
        if (e !== q) return null;
        flushBytes();
        out += e;
        break;
      case 'x': {
        const h = body.slice(i + 1, i + 3);
        if (!/^[0-9a-fA-F]{2}$/.test(h)) return null;
        bytes.push(parseInt(h, 16));
        i += 2;
        break;
      }
      case 'u':
      case 'U': {
        const len = e === 'u' ? 4 : 8;
        const h = body.slice(i + 1, i + 1 + len);
        if (h.length !== len || !/^[0-9a-fA-F]+$/.test(h)) return null;
        const cp = parseInt(h, 16);
        if (cp > 0x10ffff || (cp >= 0xd800 && cp < 0xe000)) return null;
        flushBytes();
        out += String.fromCodePoint(cp);
        i += len;
        break;
      }
      default: {
        if (e >= '0' && e <= '7') {
          const o = body.slice(i, i + 3);
          if (!/^[0-7]{3}$/.test(o)) return null;
          const v = parseInt(o, 8);
          if (v > 255) return null;
          bytes.push(v);
          i += 2;
          break;
        }
        return null;
      }
    }
  }
  flushBytes();
  return out;
}

/**
 * How deeply an expression may nest. Conversion, type checking, evaluation and printing recurse once (or a few
 * times) per level; without a bound a query of thousands of nested parentheses exhausts the stack. 400 is far
 * beyond any written query.
 */
export const MAX_NESTING_DEPTH = 400;

/** A query refused for nesting deeper than MAX_NESTING_DEPTH (counted apart from other parse errors). */
export class NestingTooDeepError extends ParseError {}

const tooDeep = (input: string, at: number) =>
  new NestingTooDeepError(
    { start: at, end: at },
    `the expression nests more than ${MAX_NESTING_DEPTH} levels deep (parentheses, calls, operators)`,
    input,
  );

/**
 * Brackets nested beyond the limit, found by a flat scan before lezer runs: lezer itself gives up on very deep input
 * with a misleading "unexpected" error, and spends time on it first.
 */
function checkBracketDepth(input: string): void {
  let depth = 0;
  for (let i = 0; i < input.length; i++) {
    const c = input[i]!;
    if (c === '(' || c === '[' || c === '{') {
      if (++depth > MAX_NESTING_DEPTH) throw tooDeep(input, i);
    } else if (c === ')' || c === ']' || c === '}') depth--;
    else if (c === '"' || c === "'" || c === '`') {
      // Skip the string literal (backslash escapes except in raw strings).
      for (i++; i < input.length && input[i] !== c; i++) if (input[i] === '\\' && c !== '`') i++;
    } else if (c === '#') {
      while (i < input.length && input[i] !== '\n') i++;
    }
  }
}

/** Expression nodes lezer nests one inside the other: unary and binary operator chains have no brackets. */
const NESTING_NODES = new Set([
  'ParenExpr',
  'BinaryExpr',
  'UnaryExpr',
  'FunctionCall',
  'AggregateExpr',
  'SubqueryExpr',
  'MatrixSelector',
  'OffsetExpr',
  'StepInvariantExpr',
]);

/** The expression's nesting within the limit, measured on lezer's tree with its iterative walk (no recursion). */
function checkExpressionDepth(tree: Tree, input: string): void {
  let depth = 0;
  tree.iterate({
    enter: (node) => {
      if (!NESTING_NODES.has(node.name)) return;
      if (++depth > MAX_NESTING_DEPTH) throw tooDeep(input, node.from);
    },
    leave: (node) => {
      if (NESTING_NODES.has(node.name)) depth--;
    },
  });
}

function firstError(root: SyntaxNode): SyntaxNode | null {
  const cursor = root.cursor();
  do {
    if (cursor.type.isError) return cursor.node;
  } while (cursor.next());
  return null;
}

function describeUnexpected(input: string, at: number): string {
  if (at >= input.length) return 'unexpected end of input';
  const rest = input.slice(at);
  const tok = /^([a-zA-Z_:][a-zA-Z0-9_:]*|\d+(\.\d+)?|"[^"]*"?|'[^']*'?|[=!<>]=|=~|!~|\S)/.exec(rest)?.[0] ?? rest[0]!;
  return `unexpected ${JSON.stringify(tok)}`;
}

/** Parses and type-checks a PromQL expression. Throws ParseError with Prometheus-style `line:col: parse error: ...`. */
export function parseExpr(input: string): Expr {
  checkBracketDepth(input);
  let tree = lezerParser.parse(input);
  let err = firstError(tree.topNode);
  // The lezer grammar lacks Go's `2.` float form; where it stops right after one, read the dot as a space.
  let source = input;
  while (err && err.from > 0 && source[err.from] === '.' && /\d/.test(source[err.from - 1]!)) {
    source = `${source.slice(0, err.from)} ${source.slice(err.from + 1)}`;
    tree = lezerParser.parse(source);
    err = firstError(tree.topNode);
  }
  const top = tree.topNode;
  if (err) {
    const fnCall = /([a-zA-Z_][a-zA-Z0-9_]*)\s*$/.exec(source.slice(0, err.from));
    if (source[err.from] === '(' && fnCall && !FUNCTIONS.has(fnCall[1]!)) {
      const at = err.from - fnCall[0].length;
      throw new ParseError(
        { start: at, end: err.from },
        `unknown function with name ${JSON.stringify(fnCall[1])}`,
        input,
      );
    }
    // An empty error node marks where the parser gave up; a non-empty one covers the text it could not use.
    throw new ParseError({ start: err.from, end: err.to }, describeUnexpected(input, err.from), input);
  }
  if (input.trim() === '' || !top.firstChild)
    throw new ParseError({ start: 0, end: 0 }, 'no expression found in input', input);
  checkExpressionDepth(tree, input);
  const conv = new Converter(source);
  const expr = conv.expr(top);
  checkTypes(expr, conv);
  return expr;
}

function expectType(e: Expr, want: ValueType, context: string, conv: Converter): void {
  checkTypes(e, conv);
  const t = exprType(e);
  if (t !== want) conv.fail(e.pos, `expected type ${documentedType(want)} in ${context}, got ${documentedType(t)}`);
}

function checkTypes(e: Expr, conv: Converter): void {
  switch (e.type) {
    case 'AggregateExpr':
      expectType(e.expr, 'vector', 'aggregation expression', conv);
      if (e.param) {
        expectType(e.param, e.op === 'count_values' ? 'string' : 'scalar', 'aggregation parameter', conv);
      }
      return;
    case 'BinaryExpr':
      checkTypes(e.lhs, conv);
      checkTypes(e.rhs, conv);
      return;
    case 'Call': {
      const f = e.func;
      const nargs = f.argTypes.length;
      if (f.variadic === 0) {
        if (nargs !== e.args.length)
          conv.fail(e.pos, `expected ${nargs} argument(s) in call to "${f.name}", got ${e.args.length}`);
      } else {
        const na = nargs - 1;
        if (na > e.args.length)
          conv.fail(e.pos, `expected at least ${na} argument(s) in call to "${f.name}", got ${e.args.length}`);
        else if (f.variadic > 0 && na + f.variadic < e.args.length) {
          conv.fail(
            e.pos,
            `expected at most ${na + f.variadic} argument(s) in call to "${f.name}", got ${e.args.length}`,
          );
        }
      }
      e.args.forEach((a, i) => {
        const t = f.argTypes[Math.min(i, nargs - 1)]!;
        expectType(a, t, `call to function "${f.name}"`, conv);
      });
      return;
    }
    case 'ParenExpr':
      checkTypes(e.expr, conv);
      return;
    case 'UnaryExpr': {
      checkTypes(e.expr, conv);
      const t = exprType(e.expr);
      if (t !== 'scalar' && t !== 'vector') {
        conv.fail(
          e.pos,
          `unary expression only allowed on expressions of type scalar or instant vector, got "${documentedType(t)}"`,
        );
      }
      return;
    }
    case 'SubqueryExpr': {
      checkTypes(e.expr, conv);
      const t = exprType(e.expr);
      if (t !== 'vector') conv.fail(e.pos, `subquery is only allowed on instant vector, got ${t} instead`);
      return;
    }
    default:
      return;
  }
}
