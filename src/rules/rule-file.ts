// Rule files and rule groups checked as Prometheus 3.5 checks them (model/rulefmt Validate, what `promtool check
// rules` runs): PromQL through promql's parser, metric and label names (UTF-8, Prometheus 3's default), record vs
// alert, fields a recording rule may not have, group names, and the label and annotation templates of alerting rules.
// Messages are rulefmt's: `L:C: group "g", rule N, "name": what`, the caller puts the file in front.
import { parseExpr, ParseError } from '../promql/parser.js';
import type { Expr } from '../promql/ast.js';
import { AlertTemplate, TemplateError } from '../template/alert-template.js';
import {
  decodeRuleFile,
  decodeRuleGroup,
  type DecodedGroup,
  type DecodedRule,
  type GroupsOrErrors,
  type Position,
  type RuleGroupOf,
} from './rule-yaml.js';

/** A checked rule, ready to evaluate. Label and annotation pairs keep their file order. */
export interface RuleDefinition {
  kind: 'record' | 'alert';
  name: string;
  /** The expression as written. */
  expr: string;
  ast: Expr;
  forMs: number;
  keepFiringForMs: number;
  labels: [string, string][];
  annotations: [string, string][];
}

export type RuleGroupDefinition = RuleGroupOf<RuleDefinition>;

export type RuleParseResult = GroupsOrErrors<RuleGroupDefinition>;

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Valid UTF-8 once encoded (a double-quoted YAML string can hold a lone surrogate escape). */
function wellFormed(s: string): boolean {
  return !LONE_SURROGATE.test(s);
}

/** Prometheus 3's UTF-8 name validation: any non-empty well-formed text. */
function validName(name: string): boolean {
  return name.length > 0 && wellFormed(name);
}

function at(pos: Position | undefined, alt?: Position): string {
  if (!pos) return '';
  return alt ? `${pos.line}:${pos.column}: ${alt.line}:${alt.column}: ` : `${pos.line}:${pos.column}: `;
}

/** Names the alerting-rule templates as Prometheus does, so parse and expansion errors read the same. */
export function alertTemplateName(alertName: string): string {
  return `__alert_${alertName}`;
}

/** rulefmt's Rule.Validate: every problem of one rule, each with the node it is at when there is one. */
function ruleProblems(r: DecodedRule): { pos?: Position; alt?: Position; message: string }[] {
  const out: { pos?: Position; alt?: Position; message: string }[] = [];
  const record = r.record.value;
  const alert = r.alert.value;
  const both = { ...(r.record.pos ? { pos: r.record.pos } : {}), ...(r.alert.pos ? { alt: r.alert.pos } : {}) };
  if (record !== '' && alert !== '') out.push({ ...both, message: "only one of 'record' and 'alert' must be set" });
  if (record === '' && alert === '') out.push({ ...both, message: "one of 'record' or 'alert' must be set" });
  const exprAt = r.expr.pos ? { pos: r.expr.pos } : {};
  if (r.expr.value === '') out.push({ ...exprAt, message: "field 'expr' must be set in rule" });
  else {
    try {
      parseExpr(r.expr.value);
    } catch (e) {
      if (!(e instanceof ParseError)) throw e;
      out.push({ ...exprAt, message: `could not parse expression: ${e.message}` });
    }
  }
  if (record !== '') {
    const recordAt = r.record.pos ? { pos: r.record.pos } : {};
    if (r.annotations.length > 0) out.push({ ...recordAt, message: "invalid field 'annotations' in recording rule" });
    if (r.forMs !== 0) out.push({ ...recordAt, message: "invalid field 'for' in recording rule" });
    if (r.keepFiringForMs !== 0)
      out.push({ ...recordAt, message: "invalid field 'keep_firing_for' in recording rule" });
    if (!validName(record)) out.push({ ...recordAt, message: `invalid recording rule name: ${record}` });
    // A valid UTF-8 name, but most likely an expression put in the wrong field.
    if (record.includes('{') || record.includes('}'))
      out.push({
        ...recordAt,
        message: `braces present in the recording rule name; should it be in expr?: ${record}`,
      });
  }
  for (const [name, value] of r.labels) {
    if (!validName(name) || name === '__name__') out.push({ message: `invalid label name: ${name}` });
    if (!wellFormed(value)) out.push({ message: `invalid label value: ${value}` });
  }
  for (const [name] of r.annotations) {
    if (!validName(name)) out.push({ message: `invalid annotation name: ${name}` });
  }
  if (alert !== '') {
    const check = (what: string, key: string, text: string) => {
      try {
        AlertTemplate.parse(alertTemplateName(alert), text);
      } catch (e) {
        if (!(e instanceof TemplateError)) throw e;
        out.push({ message: `${what} ${JSON.stringify(key)}: ${e.message}` });
      }
    };
    for (const [k, v] of r.labels) check('label', k, v);
    for (const [k, v] of r.annotations) check('annotation', k, v);
  }
  return out;
}

/** rulefmt's RuleGroups.Validate over decoded groups: all problems, or the checked groups when there are none. */
function validate(decoded: DecodedGroup[]): RuleParseResult {
  const errors: string[] = [];
  const seen = new Set<string>();
  for (const g of decoded) {
    if (g.name === '') errors.push(`${at(g.pos)}Groupname must not be empty`);
    if (seen.has(g.name)) errors.push(`${at(g.pos)}groupname: "${g.name}" is repeated in the same file`);
    seen.add(g.name);
    for (const [name, value] of g.labels) {
      if (!validName(name) || name === '__name__') errors.push(`invalid label name: ${name}`);
      if (!wellFormed(value)) errors.push(`invalid label value: ${value}`);
    }
    g.rules.forEach((r, i) => {
      const ruleName = r.alert.value !== '' ? r.alert.value : r.record.value;
      for (const p of ruleProblems(r)) {
        errors.push(
          `${at(p.pos, p.alt)}group ${JSON.stringify(g.name)}, rule ${i + 1}, ${JSON.stringify(ruleName)}: ${p.message}`,
        );
      }
    });
  }
  if (errors.length > 0) return { groups: undefined, errors };
  return {
    groups: decoded.map((g) => ({
      name: g.name,
      intervalMs: g.intervalMs,
      ...(g.queryOffsetMs !== undefined ? { queryOffsetMs: g.queryOffsetMs } : {}),
      limit: g.limit,
      labels: g.labels,
      rules: g.rules.map((r) => ({
        kind: r.alert.value !== '' ? 'alert' : 'record',
        name: r.alert.value !== '' ? r.alert.value : r.record.value,
        expr: r.expr.value,
        ast: parseExpr(r.expr.value),
        forMs: r.forMs,
        keepFiringForMs: r.keepFiringForMs,
        labels: r.labels,
        annotations: r.annotations,
      })),
    })),
    errors: [],
  };
}

/** A rule file's text (`groups: [...]`), decoded and checked. */
export function parseRuleFile(text: string): RuleParseResult {
  const d = decodeRuleFile(text);
  return d.groups ? validate(d.groups) : d;
}

/** One group's text, as a ruler configuration API POST carries it, decoded and checked. */
export function parseRuleGroup(text: string): RuleParseResult {
  const d = decodeRuleGroup(text);
  if (!d.groups) return d;
  if (d.groups.length === 0) return { groups: undefined, errors: ['Groupname must not be empty'] };
  return validate(d.groups);
}
