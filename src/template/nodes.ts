// The parse tree of a template (Go's text/template/parse/node.go) and how Go writes each node back as text, which
// its execution errors quote (`executing "x" at <.Labels.foo>`).
import { quote } from './strconv.js';

interface At {
  /** UTF-16 index of the node in the template text. */
  readonly pos: number;
}

export interface TextNode extends At {
  readonly kind: 'text';
  readonly text: string;
}
export interface ListNode extends At {
  readonly kind: 'list';
  readonly nodes: Node[];
}
export interface ActionNode extends At {
  readonly kind: 'action';
  readonly pipe: PipeNode;
}
export interface BranchNode extends At {
  readonly kind: 'if' | 'range' | 'with';
  readonly pipe: PipeNode;
  readonly list: ListNode;
  readonly elseList: ListNode | null;
}
export interface TemplateNode extends At {
  readonly kind: 'template';
  readonly name: string;
  readonly pipe: PipeNode | null;
}
export interface BreakNode extends At {
  readonly kind: 'break' | 'continue';
}
/** `{{end}}` and `{{else}}`: returned by the parser's item list, never left in a tree. */
export interface EndNode extends At {
  readonly kind: 'end';
}
export interface ElseNode extends At {
  readonly kind: 'else';
}
export type DelimiterNode = EndNode | ElseNode;

export interface PipeNode extends At {
  readonly kind: 'pipe';
  isAssign: boolean;
  readonly decl: VariableNode[];
  readonly cmds: CommandNode[];
}
export interface CommandNode extends At {
  readonly kind: 'command';
  readonly args: ArgNode[];
}
export interface FieldNode extends At {
  readonly kind: 'field';
  /** The names without their dots: `.Labels.job` is ['Labels', 'job']. */
  readonly ident: string[];
}
export interface VariableNode extends At {
  readonly kind: 'variable';
  /** The variable and then its fields: `$labels.job` is ['$labels', 'job']. */
  readonly ident: string[];
}
export interface ChainNode extends At {
  readonly kind: 'chain';
  readonly node: ArgNode;
  readonly fields: string[];
}
export interface IdentifierNode extends At {
  readonly kind: 'identifier';
  readonly ident: string;
}
export interface DotNode extends At {
  readonly kind: 'dot';
}
export interface NilNode extends At {
  readonly kind: 'nil';
}
export interface BoolNode extends At {
  readonly kind: 'bool';
  readonly value: boolean;
}
export interface StringNode extends At {
  readonly kind: 'string';
  /** As written, with quotes. */
  readonly quoted: string;
  readonly text: string;
}
/** A number constant, parsed into every type that can hold it (Go's ideal constants). */
export interface NumberNode extends At {
  readonly kind: 'number';
  readonly text: string;
  readonly isInt: boolean;
  readonly isUint: boolean;
  readonly isFloat: boolean;
  readonly isComplex: boolean;
  readonly int: bigint;
  readonly float: number;
  readonly re: number;
  readonly im: number;
}

export type ArgNode =
  | PipeNode
  | FieldNode
  | VariableNode
  | ChainNode
  | IdentifierNode
  | DotNode
  | NilNode
  | BoolNode
  | StringNode
  | NumberNode;
export type Node = TextNode | ListNode | ActionNode | BranchNode | TemplateNode | BreakNode | CommandNode | ArgNode;

/** One parsed template: the main one or a `{{define}}`d one. */
export interface Tree {
  readonly name: string;
  /** The name of the top-level template being parsed, which error locations name. */
  readonly parseName: string;
  readonly root: ListNode;
  /** The whole text parsed, for error locations. */
  readonly text: string;
}

/** Go's Node.String(). */
export function nodeString(n: Node | DelimiterNode): string {
  switch (n.kind) {
    case 'text':
      return n.text;
    case 'list':
      return n.nodes.map(nodeString).join('');
    case 'action':
      return `{{${nodeString(n.pipe)}}}`;
    case 'if':
    case 'range':
    case 'with':
      return (
        `{{${n.kind} ${nodeString(n.pipe)}}}${nodeString(n.list)}` +
        `${n.elseList ? `{{else}}${nodeString(n.elseList)}` : ''}{{end}}`
      );
    case 'template':
      return `{{template ${quote(n.name)}${n.pipe ? ` ${nodeString(n.pipe)}` : ''}}}`;
    case 'break':
    case 'continue':
    case 'end':
    case 'else':
      return `{{${n.kind}}}`;
    case 'pipe': {
      const decl = n.decl.length > 0 ? `${n.decl.map(nodeString).join(', ')}${n.isAssign ? ' = ' : ' := '}` : '';
      return decl + n.cmds.map(nodeString).join(' | ');
    }
    case 'command':
      return n.args.map((a) => (a.kind === 'pipe' ? `(${nodeString(a)})` : nodeString(a))).join(' ');
    case 'field':
      return n.ident.map((i) => `.${i}`).join('');
    case 'variable':
      return n.ident.join('.');
    case 'chain': {
      const head = n.node.kind === 'pipe' ? `(${nodeString(n.node)})` : nodeString(n.node);
      return head + n.fields.map((f) => `.${f}`).join('');
    }
    case 'identifier':
      return n.ident;
    case 'dot':
      return '.';
    case 'nil':
      return 'nil';
    case 'bool':
      return n.value ? 'true' : 'false';
    case 'string':
      return n.quoted;
    case 'number':
      return n.text;
  }
}

/** Go's parse.IsEmptyTree: whether a tree holds nothing but space (an empty `{{define}}` does not redefine). */
export function isEmptyTree(n: Node): boolean {
  if (n.kind === 'list') return n.nodes.every(isEmptyTree);
  if (n.kind === 'text') return n.text.trim() === '';
  return false;
}

/** Go's ErrorContext location `name:line:column`, the column in bytes from the start of the line, 0-based. */
export function errorLocation(tree: Tree, pos: number): string {
  const before = tree.text.slice(0, pos);
  const lineStart = before.lastIndexOf('\n') + 1;
  let line = 1;
  for (let i = before.indexOf('\n'); i >= 0; i = before.indexOf('\n', i + 1)) line++;
  const column = Buffer.byteLength(before.slice(lineStart), 'utf8');
  return `${tree.parseName}:${line}:${column}`;
}
