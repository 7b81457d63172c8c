// What alerting and recording rules share: the expression in Prometheus' canonical form (the query the ruler runs
// and the APIs show), the labels (the group's, then the rule's), health and the last error, the last evaluation's
// time and duration; and what an evaluation gets from its group.
import type { Logger } from 'pino';
import type { Label, PromSeries } from '../model/prometheus.js';
import type { RawResult } from '../promql/engine.js';
import type { Expr } from '../promql/ast.js';
import { exprString } from '../promql/printer.js';
import type { RuleDefinition } from './rule-file.js';
import { pairsToLabels } from './labels.js';

export type RuleHealth = 'unknown' | 'ok' | 'err';

/** What one rule evaluation needs from its group and manager. */
export interface EvalContext {
  /** An instant query of the tenant's data at a time (ms). */
  query(expr: string, timeMs: number): Promise<RawResult>;
  queryOffsetMs: number;
  /** The group's limit on series (recording) or alerts (alerting); 0: none. */
  limit: number;
  externalLabels: Record<string, string>;
  externalURL: string;
  logger: Logger;
}

export interface InstantSample {
  labels: Label[];
  value: number;
}

/** A rule expression's result as samples: a vector's, or a scalar as one sample without labels. */
export function vectorSamples(r: RawResult): InstantSample[] {
  switch (r.resultType) {
    case 'vector':
      return r.series.map((s) => ({ labels: s.labels, value: s.values[0]! }));
    case 'scalar':
      return [{ labels: [], value: r.value }];
    default:
      throw new Error('rule result is not a vector or scalar');
  }
}

export abstract class RuleBase {
  abstract readonly kind: 'alert' | 'record';
  readonly name: string;
  readonly ast: Expr;
  /** Prometheus' String() of the expression: what is queried, linked and shown. */
  readonly exprText: string;
  readonly labels: Label[];
  health: RuleHealth = 'unknown';
  lastError: string | undefined;
  /** Wall-clock start of the last evaluation (ms); 0 before the first. */
  lastEvaluation = 0;
  lastDurationMs = 0;

  constructor(def: RuleDefinition, groupLabels: readonly [string, string][]) {
    this.name = def.name;
    this.ast = def.ast;
    this.exprText = exprString(def.ast);
    this.labels = pairsToLabels([...groupLabels, ...def.labels]);
  }

  /** Name plus labels: how a reload pairs a new rule with the old one whose state it takes over. */
  identity(): string {
    return `${this.name}${JSON.stringify(this.labels)}`;
  }

  abstract eval(ctx: EvalContext, ts: number): Promise<PromSeries[]>;
}
