import type { LabelMatcher } from '../model/storage.js';

export type ValueType = 'scalar' | 'vector' | 'matrix' | 'string';

/** Prometheus' DocumentedType names, used in error messages. */
export function documentedType(t: ValueType | 'none'): string {
  switch (t) {
    case 'vector':
      return 'instant vector';
    case 'matrix':
      return 'range vector';
    default:
      return t;
  }
}

export interface PosRange {
  start: number;
  end: number;
}

/** `@` modifier: a fixed time in ms, or the query's start()/end(). */
export type AtModifier = { kind: 'time'; ms: number } | { kind: 'start' } | { kind: 'end' };

export interface NumberLiteral {
  type: 'NumberLiteral';
  val: number;
  pos: PosRange;
}
export interface StringLiteral {
  type: 'StringLiteral';
  val: string;
  pos: PosRange;
}
export interface VectorSelector {
  type: 'VectorSelector';
  name: string;
  matchers: LabelMatcher[];
  offsetMs: number;
  at: AtModifier | null;
  pos: PosRange;
}
export interface MatrixSelector {
  type: 'MatrixSelector';
  vs: VectorSelector;
  rangeMs: number;
  pos: PosRange;
}
export interface SubqueryExpr {
  type: 'SubqueryExpr';
  expr: Expr;
  rangeMs: number;
  /** 0: the engine's default subquery step. */
  stepMs: number;
  offsetMs: number;
  at: AtModifier | null;
  pos: PosRange;
}
export interface ParenExpr {
  type: 'ParenExpr';
  expr: Expr;
  pos: PosRange;
}
export interface UnaryExpr {
  type: 'UnaryExpr';
  op: '-' | '+';
  expr: Expr;
  pos: PosRange;
}

export type BinaryOp =
  | '+'
  | '-'
  | '*'
  | '/'
  | '%'
  | '^'
  | 'atan2'
  | '=='
  | '!='
  | '>'
  | '<'
  | '>='
  | '<='
  | 'and'
  | 'or'
  | 'unless';

export type Cardinality = 'one-to-one' | 'many-to-one' | 'one-to-many' | 'many-to-many';

export interface VectorMatching {
  card: Cardinality;
  on: boolean;
  labels: string[];
  include: string[];
}

export interface BinaryExpr {
  type: 'BinaryExpr';
  op: BinaryOp;
  lhs: Expr;
  rhs: Expr;
  returnBool: boolean;
  /** Set only when both sides are instant vectors. */
  matching: VectorMatching | null;
  pos: PosRange;
}

export type AggregateOp =
  | 'sum'
  | 'avg'
  | 'count'
  | 'min'
  | 'max'
  | 'group'
  | 'stddev'
  | 'stdvar'
  | 'topk'
  | 'bottomk'
  | 'quantile'
  | 'count_values'
  | 'limitk'
  | 'limit_ratio';

export interface AggregateExpr {
  type: 'AggregateExpr';
  op: AggregateOp;
  expr: Expr;
  param: Expr | null;
  grouping: string[];
  without: boolean;
  pos: PosRange;
}

export interface FunctionDef {
  name: string;
  argTypes: ValueType[];
  /** 0: exact; n > 0: up to n optional trailing args of the last type; -1: unbounded. */
  variadic: number;
  returnType: ValueType;
}

export interface Call {
  type: 'Call';
  func: FunctionDef;
  args: Expr[];
  pos: PosRange;
}

export type Expr =
  | NumberLiteral
  | StringLiteral
  | VectorSelector
  | MatrixSelector
  | SubqueryExpr
  | ParenExpr
  | UnaryExpr
  | BinaryExpr
  | AggregateExpr
  | Call;

export function exprType(e: Expr): ValueType {
  switch (e.type) {
    case 'NumberLiteral':
      return 'scalar';
    case 'StringLiteral':
      return 'string';
    case 'VectorSelector':
      return 'vector';
    case 'MatrixSelector':
    case 'SubqueryExpr':
      return 'matrix';
    case 'ParenExpr':
    case 'UnaryExpr':
      return exprType(e.expr);
    case 'BinaryExpr':
      return exprType(e.lhs) === 'scalar' && exprType(e.rhs) === 'scalar' ? 'scalar' : 'vector';
    case 'AggregateExpr':
      return 'vector';
    case 'Call':
      return e.func.returnType;
  }
}

function fn(name: string, argTypes: ValueType[], returnType: ValueType, variadic = 0): FunctionDef {
  return { name, argTypes, variadic, returnType };
}
const V: ValueType = 'vector';
const M: ValueType = 'matrix';
const S: ValueType = 'scalar';
const STR: ValueType = 'string';

/** Every float-capable function of Prometheus 3.5 (experimental ones included: the test suite enables them). */
export const FUNCTIONS: ReadonlyMap<string, FunctionDef> = new Map(
  [
    ...[
      'abs',
      'acos',
      'acosh',
      'asin',
      'asinh',
      'atan',
      'atanh',
      'ceil',
      'cos',
      'cosh',
      'deg',
      'exp',
      'floor',
      'ln',
      'log10',
      'log2',
      'rad',
      'sgn',
      'sin',
      'sinh',
      'sqrt',
      'tan',
      'tanh',
      'absent',
      'sort',
      'sort_desc',
      'timestamp',
      'histogram_avg',
      'histogram_count',
      'histogram_sum',
      'histogram_stddev',
      'histogram_stdvar',
    ].map((n) => fn(n, [V], V)),
    ...[
      'absent_over_time',
      'avg_over_time',
      'changes',
      'count_over_time',
      'delta',
      'deriv',
      'idelta',
      'increase',
      'irate',
      'last_over_time',
      'mad_over_time',
      'max_over_time',
      'min_over_time',
      'present_over_time',
      'rate',
      'resets',
      'stddev_over_time',
      'stdvar_over_time',
      'sum_over_time',
      'ts_of_max_over_time',
      'ts_of_min_over_time',
      'ts_of_last_over_time',
    ].map((n) => fn(n, [M], V)),
    ...['days_in_month', 'day_of_month', 'day_of_week', 'day_of_year', 'hour', 'minute', 'month', 'year'].map((n) =>
      fn(n, [V], V, 1),
    ),
    fn('clamp', [V, S, S], V),
    fn('clamp_max', [V, S], V),
    fn('clamp_min', [V, S], V),
    fn('histogram_fraction', [S, S, V], V),
    fn('histogram_quantile', [S, V], V),
    fn('double_exponential_smoothing', [M, S, S], V),
    fn('label_replace', [V, STR, STR, STR, STR], V),
    fn('label_join', [V, STR, STR, STR], V, -1),
    fn('pi', [], S),
    fn('predict_linear', [M, S], V),
    fn('quantile_over_time', [S, M], V),
    fn('round', [V, S], V, 1),
    fn('scalar', [V], S),
    fn('sort_by_label', [V, STR], V, -1),
    fn('sort_by_label_desc', [V, STR], V, -1),
    fn('time', [], S),
    fn('vector', [S], V),
  ].map((f) => [f.name, f]),
);

/** Functions whose result depends on the evaluation time even with step-invariant arguments. */
export const AT_MODIFIER_UNSAFE_FUNCTIONS: ReadonlySet<string> = new Set([
  'days_in_month',
  'day_of_month',
  'day_of_week',
  'day_of_year',
  'hour',
  'minute',
  'month',
  'year',
  'predict_linear',
  'time',
  'timestamp',
]);

/** Calls `visit` on every node, parents first, with the chain of ancestors. */
export function walk(e: Expr, visit: (node: Expr, path: readonly Expr[]) => void, path: Expr[] = []): void {
  visit(e, path);
  path.push(e);
  switch (e.type) {
    case 'MatrixSelector':
      walk(e.vs, visit, path);
      break;
    case 'SubqueryExpr':
    case 'ParenExpr':
    case 'UnaryExpr':
      walk(e.expr, visit, path);
      break;
    case 'BinaryExpr':
      walk(e.lhs, visit, path);
      walk(e.rhs, visit, path);
      break;
    case 'AggregateExpr':
      if (e.param) walk(e.param, visit, path);
      walk(e.expr, visit, path);
      break;
    case 'Call':
      for (const a of e.args) walk(a, visit, path);
      break;
    default:
      break;
  }
  path.pop();
}

export function unwrapParens(e: Expr): Expr {
  while (e.type === 'ParenExpr') e = e.expr;
  return e;
}
