// Rule files as Prometheus reads them (model/rulefmt with gopkg.in/yaml.v3, unknown fields refused): the YAML is
// decoded into groups and rules the way yaml.v3 fills Go structs, keeping each node's line and column for the
// messages. Type mistakes are collected into one "yaml: unmarshal errors" message as yaml.v3 does; a bad duration
// stops the decoding (model.Duration's unmarshaler fails it), here with the group and rule it is in.
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Node, type Pair, type Scalar } from 'yaml';
import { parseDuration } from '../promql/engine.js';

/** 1-based line and column of a YAML node; absent nodes have none (Go prints 0:0). */
export interface Position {
  line: number;
  column: number;
}

export interface Located<T> {
  value: T;
  pos?: Position;
}

/** A rule as decoded: field values plus where they are, for rulefmt's positioned messages. */
export interface DecodedRule {
  record: Located<string>;
  alert: Located<string>;
  expr: Located<string>;
  forMs: number;
  keepFiringForMs: number;
  /** In file order. */
  labels: [string, string][];
  annotations: [string, string][];
}

/** A rule group's fields, over the rules as decoded or as checked. */
export interface RuleGroupOf<R> {
  name: string;
  /** Absent (or 0): the manager's default interval. */
  intervalMs: number;
  /** Absent: the manager's default; present (even 0) overrides it. */
  queryOffsetMs?: number;
  limit: number;
  labels: [string, string][];
  rules: R[];
}

export interface DecodedGroup extends RuleGroupOf<DecodedRule> {
  pos?: Position;
}

/** Groups, or every problem found. */
export type GroupsOrErrors<G> = { groups: G[]; errors: [] } | { groups: undefined; errors: string[] };

export type DecodeResult = GroupsOrErrors<DecodedGroup>;

/** A failed duration: yaml.v3 stops decoding at the first unmarshaler error. */
class DurationError extends Error {}

const GROUPS_FIELDS = ['groups'];
const GROUP_FIELDS = ['name', 'interval', 'query_offset', 'limit', 'rules', 'labels'];
const RULE_FIELDS = ['record', 'alert', 'expr', 'for', 'keep_firing_for', 'labels', 'annotations'];

/** yaml.v3's short tag of a node as its type errors name it (`!!str`, `!!int`, `!!map`...). */
function shortTag(node: Node): string {
  if (isMap(node)) return '!!map';
  if (isSeq(node)) return '!!seq';
  if (!isScalar(node)) return '!!str';
  const v = node.value;
  if (v === null) return '!!null';
  if (typeof v === 'boolean') return '!!bool';
  if (typeof v === 'number')
    return /^[-+]?(0x[0-9a-fA-F]+|0o[0-7]+|\d+)$/.test(String(node.source)) ? '!!int' : '!!float';
  return '!!str';
}

/** The scalar's text as yaml.v3 puts it into a Go string: the source of a plain scalar, the content of a quoted one. */
function scalarText(node: Scalar): string {
  if (node.value === null) return '';
  if (node.type === 'PLAIN' && typeof node.source === 'string') return node.source;
  return String(node.value);
}

class Decoder {
  readonly typeErrors: string[] = [];
  private readonly lines: LineCounter;

  constructor(lines: LineCounter) {
    this.lines = lines;
  }

  pos(node: Node | null | undefined): Position | undefined {
    if (!node?.range) return undefined;
    const p = this.lines.linePos(node.range[0]);
    return { line: p.line, column: p.col };
  }

  private typeError(node: Node, into: string): void {
    const tag = shortTag(node);
    let text = '';
    if (isScalar(node)) {
      // yaml.v3 shows at most 10 bytes of the value, else its first 7 and "...".
      const bytes = Buffer.from(scalarText(node), 'utf8');
      text = ` \`${bytes.length > 10 ? `${bytes.subarray(0, 7).toString('utf8')}...` : bytes.toString('utf8')}\``;
    }
    this.typeErrors.push(`line ${this.pos(node)?.line ?? 0}: cannot unmarshal ${tag}${text} into ${into}`);
  }

  /**
   * The fields of a mapping node decoded into Go type `type`: unknown keys are errors like yaml.v3's KnownFields,
   * and a node that is no mapping (null aside) is a type error.
   */
  fields(node: Node | null, known: string[], type: string): Map<string, Node | null> {
    const out = new Map<string, Node | null>();
    if (!isMap(node)) {
      if (!this.isNull(node)) this.typeError(node!, type);
      return out;
    }
    for (const pair of node.items as Pair<Node, Node | null>[]) {
      const key = isScalar(pair.key) ? scalarText(pair.key) : String(pair.key);
      if (!known.includes(key)) {
        this.typeErrors.push(`line ${this.pos(pair.key)?.line ?? 0}: field ${key} not found in type ${type}`);
        continue;
      }
      out.set(key, pair.value ?? null);
    }
    return out;
  }

  isNull(node: Node | null | undefined): boolean {
    return node === null || node === undefined || (isScalar(node) && node.value === null);
  }

  string(node: Node | null | undefined): Located<string> {
    if (node === null || node === undefined) return { value: '' };
    const pos = this.pos(node);
    if (!isScalar(node)) {
      this.typeError(node, 'string');
      return { value: '', ...(pos ? { pos } : {}) };
    }
    return { value: scalarText(node), ...(pos ? { pos } : {}) };
  }

  int(node: Node | null | undefined): number {
    if (this.isNull(node)) return 0;
    const n = node!;
    if (isScalar(n) && typeof n.value === 'number' && Number.isInteger(n.value)) return n.value;
    this.typeError(n, 'int');
    return 0;
  }

  duration(node: Node | null | undefined, where: () => string): number | undefined {
    if (this.isNull(node)) return undefined;
    const n = node!;
    const text = isScalar(n) ? scalarText(n) : '';
    if (!isScalar(n)) this.typeError(n, 'string');
    try {
      return parseDuration(text);
    } catch (e) {
      const p = this.pos(n);
      throw new DurationError(`${p ? `${p.line}:${p.column}: ` : ''}${where()}${(e as Error).message}`);
    }
  }

  stringMap(node: Node | null | undefined): [string, string][] {
    if (this.isNull(node)) return [];
    const n = node!;
    if (!isMap(n)) {
      this.typeError(n, 'map[string]string');
      return [];
    }
    const out: [string, string][] = [];
    for (const pair of n.items as Pair<Node, Node | null>[]) {
      const key = this.string(pair.key).value;
      out.push([key, this.string(pair.value).value]);
    }
    return out;
  }

  sequence(node: Node | null | undefined, into: string): Node[] {
    if (this.isNull(node)) return [];
    const n = node!;
    if (!isSeq(n)) {
      this.typeError(n, into);
      return [];
    }
    return n.items as Node[];
  }
}

function groupContext(name: string, rule?: { index: number; name: string }): string {
  return rule
    ? `group ${JSON.stringify(name)}, rule ${rule.index}, ${JSON.stringify(rule.name)}: `
    : `group ${JSON.stringify(name)}: `;
}

function decodeRule(d: Decoder, node: Node, index: number, group: string): DecodedRule {
  const f = d.fields(node, RULE_FIELDS, 'rulefmt.Rule');
  const record = d.string(f.get('record'));
  const alert = d.string(f.get('alert'));
  const where = () => groupContext(group, { index, name: alert.value || record.value });
  return {
    record,
    alert,
    expr: d.string(f.get('expr')),
    forMs: d.duration(f.get('for'), where) ?? 0,
    keepFiringForMs: d.duration(f.get('keep_firing_for'), where) ?? 0,
    labels: d.stringMap(f.get('labels')),
    annotations: d.stringMap(f.get('annotations')),
  };
}

function decodeGroup(d: Decoder, node: Node): DecodedGroup {
  const f = d.fields(node, GROUP_FIELDS, 'rulefmt.RuleGroup');
  const name = d.string(f.get('name')).value;
  const where = () => groupContext(name);
  const intervalMs = d.duration(f.get('interval'), where) ?? 0;
  const queryOffsetMs = d.duration(f.get('query_offset'), where);
  const limit = d.int(f.get('limit'));
  const labels = d.stringMap(f.get('labels'));
  const rules = d.sequence(f.get('rules'), '[]rulefmt.Rule').map((r, i) => decodeRule(d, r, i + 1, name));
  const pos = d.pos(node);
  return {
    name,
    ...(pos ? { pos } : {}),
    intervalMs,
    ...(queryOffsetMs !== undefined ? { queryOffsetMs } : {}),
    limit,
    labels,
    rules,
  };
}

/** A YAML syntax error as yaml.v3 words it: `yaml: line N: <what>`. */
function syntaxError(message: string, line: number): string {
  const what = message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
  return `yaml: line ${line}: ${what}`;
}

type Root = 'file' | 'group';

function decode(text: string, root: Root): { groups?: DecodedGroup[]; errors: string[] } {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, uniqueKeys: true, prettyErrors: false, version: '1.2' });
  if (doc.errors.length > 0) {
    const e = doc.errors[0]!;
    return { errors: [syntaxError(e.message, lines.linePos(e.pos[0]).line)] };
  }
  const d = new Decoder(lines);
  const contents = doc.contents as Node | null;
  let groups: DecodedGroup[] = [];
  try {
    if (root === 'group') {
      if (!d.isNull(contents)) groups = [decodeGroup(d, contents!)];
    } else {
      const f = d.fields(contents, GROUPS_FIELDS, 'rulefmt.RuleGroups');
      groups = d.sequence(f.get('groups'), '[]rulefmt.RuleGroup').map((g) => decodeGroup(d, g));
    }
  } catch (e) {
    if (e instanceof DurationError) return { errors: [e.message] };
    throw e;
  }
  if (d.typeErrors.length > 0) return { errors: [`yaml: unmarshal errors:\n  ${d.typeErrors.join('\n  ')}`] };
  return { groups, errors: [] };
}

/** A rule file: `groups: [...]`. */
export function decodeRuleFile(text: string): DecodeResult {
  const r = decode(text, 'file');
  return r.groups ? { groups: r.groups, errors: [] } : { groups: undefined, errors: r.errors };
}

/** One group, as the ruler configuration API takes it in a POST body. */
export function decodeRuleGroup(text: string): DecodeResult {
  const r = decode(text, 'group');
  return r.groups ? { groups: r.groups, errors: [] } : { groups: undefined, errors: r.errors };
}
