// The templates of alerting rules' labels and annotations, expanded as Prometheus' rules/alerting.go does with
// template.NewTemplateExpander(…).Expand(): Go's text/template with Prometheus' functions, the `$labels`, `$value`…
// prelude, missingkey=zero, and Prometheus' error texts.
import { builtinFuncs } from './builtins.js';
import { DEFAULT_LIMITS, type ExecOptions, ExecError, execute, FuncError, type StepCounter } from './exec.js';
import type { Tree } from './nodes.js';
import { ParseError, parseTemplates } from './parse.js';
import { type PrometheusEnv, prometheusFuncs, type TemplateSample } from './prometheus-functions.js';
import { GoStruct, INTERFACE, STRING, STRING_MAP, StringMap, structType } from './values.js';

export type { TemplateSample };

/** Runs an instant PromQL query at the evaluation time for the template's `query` function. */
export type TemplateQuery = (expr: string) => Promise<TemplateSample[]>;

export interface AlertTemplateData {
  /** $labels / .Labels */
  labels: Record<string, string>;
  /** $externalLabels / .ExternalLabels */
  externalLabels: Record<string, string>;
  /** $externalURL / .ExternalURL */
  externalURL: string;
  /** $value / .Value: a float for alerts */
  value: number | string;
}

/** A template that does not parse or expand; the message is Prometheus' (Go's, for parse errors). */
export class TemplateError extends Error {
  override name = 'TemplateError';
}

/** What Prometheus puts before every alert template so that it can use $labels, $value and the others. */
const PRELUDE =
  '{{$labels := .Labels}}{{$externalLabels := .ExternalLabels}}{{$externalURL := .ExternalURL}}{{$value := .Value}}';

/** Prometheus' AlertTemplateData: an anonymous struct, whose type Go's errors print in full. */
const ALERT_DATA = structType([
  { name: 'Labels', type: STRING_MAP },
  { name: 'ExternalLabels', type: STRING_MAP },
  { name: 'ExternalURL', type: STRING },
  { name: 'Value', type: INTERFACE },
]);

const FUNCS = new Map([...builtinFuncs<PrometheusEnv>(), ...prometheusFuncs()]);

/** Distinct `query` calls one expansion may make. */
const MAX_QUERIES = 1000;

/** A `query` whose result the expansion does not have yet: it runs the query and executes the template again. */
class QueryNeeded {
  constructor(readonly expr: string) {}
}

export class AlertTemplate {
  private readonly options: ExecOptions<PrometheusEnv>;

  private constructor(
    readonly name: string,
    trees: Map<string, Tree>,
  ) {
    this.options = { trees, name, funcs: FUNCS, missingKey: 'zero', limits: DEFAULT_LIMITS };
  }

  /**
   * Parses once, as `promtool check rules` does (the prelude included, so line and column numbers are Prometheus').
   * Throws TemplateError with Go's message, e.g. `template: __alert_x:1: unexpected "}" in operand`.
   */
  static parse(name: string, text: string): AlertTemplate {
    try {
      return new AlertTemplate(
        name,
        parseTemplates(name, PRELUDE + text, (f) => FUNCS.has(f)),
      );
    } catch (e) {
      if (e instanceof ParseError) throw new TemplateError(e.message);
      throw new TemplateError(`template: ${name}: ${(e as Error).message}`);
    }
  }

  /**
   * Expands like Prometheus' NewTemplateExpander(…).Expand(). Throws TemplateError with Prometheus' message
   * (`error executing template __alert_x: template: __alert_x:1:120: executing …`).
   */
  async expand(data: AlertTemplateData, timestampMs: number, query: TemplateQuery): Promise<string> {
    const results = new Map<string, readonly TemplateSample[] | Error>();
    const env: PrometheusEnv = {
      timestampMs,
      externalURL: data.externalURL,
      query(expr) {
        const r = results.get(expr);
        if (r === undefined) throw new QueryNeeded(expr);
        if (r instanceof Error) throw new FuncError(r.message);
        return r;
      },
    };
    const dot = new GoStruct(ALERT_DATA, [
      new StringMap(data.labels),
      new StringMap(data.externalLabels),
      data.externalURL,
      data.value,
    ]);
    const counter: StepCounter = { steps: 0 };
    // Execution is synchronous; a query not run yet stops it, runs, and the template starts over with the result.
    for (;;) {
      try {
        return execute(this.options, dot, env, counter);
      } catch (e) {
        if (e instanceof QueryNeeded && results.size < MAX_QUERIES) {
          results.set(e.expr, await query(e.expr).catch((err: unknown) => asError(err)));
          continue;
        }
        if (e instanceof QueryNeeded)
          throw new TemplateError(`error executing template ${this.name}: more than ${MAX_QUERIES} queries`);
        if (e instanceof ExecError) throw new TemplateError(`error executing template ${this.name}: ${e.message}`);
        throw new TemplateError(`panic expanding template ${this.name}: ${asError(e).message}`);
      }
    }
  }
}

function asError(e: unknown): Error {
  return e instanceof Error ? e : new Error(String(e));
}
