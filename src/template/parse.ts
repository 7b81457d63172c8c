// The template parser: Go's text/template/parse/parse.go (Go 1.24), with its error messages
// (`template: <name>:<line>: <message>`). Parsing yields the main tree and every {{define}}d or {{block}} tree.
import { Item, Lexer, type Token } from './lex.js';
import {
  type ArgNode,
  type BranchNode,
  type ChainNode,
  type CommandNode,
  type DelimiterNode,
  isEmptyTree,
  type ListNode,
  type Node,
  type NumberNode,
  nodeString,
  type PipeNode,
  type TemplateNode,
  type Tree,
  type VariableNode,
} from './nodes.js';
import { parseFloat64, parseInt64, parseUint, quote, unquote, unquoteChar } from './strconv.js';

/** A template that does not parse; the message is Go's. */
export class ParseError extends Error {
  override name = 'ParseError';
}

/**
 * How deep parentheses and control structures may nest. Go allows 10,000 parentheses (1,000 on WebAssembly, whose
 * stack is small, as here) and any depth of control structures; the parser and the executor recurse once per level,
 * and the executor allows as many (DEFAULT_LIMITS.maxDepth).
 */
export const MAX_NESTING = 500;

/** State shared by the parsers of one text: the main template's and those of its {{define}}s. */
interface Shared {
  readonly lex: Lexer;
  readonly text: string;
  readonly parseName: string;
  readonly trees: Map<string, Tree>;
  readonly hasFunction: (name: string) => boolean;
  nesting: number;
}

/**
 * Parses a template text into its trees by name (the main one under `name`). `hasFunction` says which function
 * names exist (Go checks them at parse time). Throws ParseError.
 */
export function parseTemplates(name: string, text: string, hasFunction: (name: string) => boolean): Map<string, Tree> {
  const shared: Shared = { lex: new Lexer(text), text, parseName: name, trees: new Map(), hasFunction, nesting: 0 };
  const main = new TreeParser(name, shared);
  main.parse();
  return shared.trees;
}

/** Go's item.String(), how a token shows in `unexpected … in …`. */
function tokenString(t: Token): string {
  if (t.type === Item.EOF) return 'EOF';
  if (t.type === Item.Error) return t.val;
  if (t.type > Item.Keyword) return `<${t.val}>`;
  const runes = [...t.val];
  if (runes.length > 10) return `${quote(runes.slice(0, 10).join(''))}...`;
  return quote(t.val);
}

class TreeParser {
  private readonly token: Token[] = [];
  private peekCount = 0;
  private vars: string[] = ['$'];
  private actionLine = 0;
  private rangeDepth = 0;
  private root: ListNode | undefined;

  constructor(
    private name: string,
    private readonly s: Shared,
  ) {}

  // --- tokens

  private next(): Token {
    if (this.peekCount > 0) this.peekCount--;
    else this.token[0] = this.s.lex.nextItem();
    return this.token[this.peekCount]!;
  }

  private backup(): void {
    this.peekCount++;
  }

  private backup2(t1: Token): void {
    this.token[1] = t1;
    this.peekCount = 2;
  }

  private backup3(t2: Token, t1: Token): void {
    this.token[1] = t1;
    this.token[2] = t2;
    this.peekCount = 3;
  }

  private peek(): Token {
    if (this.peekCount > 0) return this.token[this.peekCount - 1]!;
    this.peekCount = 1;
    this.token[0] = this.s.lex.nextItem();
    return this.token[0];
  }

  private nextNonSpace(): Token {
    for (;;) {
      const t = this.next();
      if (t.type !== Item.Space) return t;
    }
  }

  private peekNonSpace(): Token {
    const t = this.nextNonSpace();
    this.backup();
    return t;
  }

  // --- errors

  private errorf(message: string): never {
    throw new ParseError(`template: ${this.s.parseName}:${this.token[0]?.line ?? 1}: ${message}`);
  }

  private expect(expected: Item, context: string): Token {
    const t = this.nextNonSpace();
    if (t.type !== expected) this.unexpected(t, context);
    return t;
  }

  private expectOneOf(a: Item, b: Item, context: string): Token {
    const t = this.nextNonSpace();
    if (t.type !== a && t.type !== b) this.unexpected(t, context);
    return t;
  }

  private unexpected(t: Token, context: string): never {
    if (t.type === Item.Error) {
      let extra = '';
      if (this.actionLine !== 0 && this.actionLine !== t.line) {
        extra = ` in action started at ${this.s.parseName}:${this.actionLine}`;
        if (t.val.endsWith(' action')) extra = extra.slice(' in action'.length); // not "action in action"
      }
      this.errorf(`${t.val}${extra}`);
    }
    this.errorf(`unexpected ${tokenString(t)} in ${context}`);
  }

  private unquote(t: Token): string {
    try {
      return unquote(t.val);
    } catch (e) {
      this.errorf((e as Error).message);
    }
  }

  private enter(): void {
    if (++this.s.nesting > MAX_NESTING) this.errorf('max expression depth exceeded');
  }

  // --- trees

  /** The top level: items to EOF, with {{define}}s parsed into trees of their own. */
  parse(): void {
    const root: ListNode = { kind: 'list', pos: this.peek().pos, nodes: [] };
    this.root = root;
    while (this.peek().type !== Item.EOF) {
      if (this.peek().type === Item.LeftDelim) {
        const delim = this.next();
        if (this.nextNonSpace().type === Item.Define) {
          new TreeParser('definition', this.s).parseDefinition();
          continue;
        }
        this.backup2(delim);
      }
      const n = this.textOrAction();
      if (n.kind === 'end' || n.kind === 'else') this.errorf(`unexpected ${nodeString(n)}`);
      root.nodes.push(n);
    }
    this.add();
  }

  private parseDefinition(): void {
    const context = 'define clause';
    const nameToken = this.expectOneOf(Item.String, Item.RawString, context);
    this.name = this.unquote(nameToken);
    this.expect(Item.RightDelim, context);
    const { list, next } = this.itemList();
    if (next.kind !== 'end') this.errorf(`unexpected ${nodeString(next)} in ${context}`);
    this.root = list;
    this.add();
  }

  private add(): void {
    const root = this.root!;
    const existing = this.s.trees.get(this.name);
    if (!existing || isEmptyTree(existing.root)) {
      this.s.trees.set(this.name, { name: this.name, parseName: this.s.parseName, root, text: this.s.text });
      return;
    }
    if (!isEmptyTree(root)) this.errorf(`template: multiple definition of template ${quote(this.name)}`);
  }

  /** textOrAction* up to an {{end}} or {{else}}, which is returned separately. */
  private itemList(): { list: ListNode; next: Node | DelimiterNode } {
    const list: ListNode = { kind: 'list', pos: this.peekNonSpace().pos, nodes: [] };
    while (this.peekNonSpace().type !== Item.EOF) {
      const n = this.textOrAction();
      if (n.kind === 'end' || n.kind === 'else') return { list, next: n };
      list.nodes.push(n);
    }
    this.errorf('unexpected EOF');
  }

  private textOrAction(): Node | DelimiterNode {
    const t = this.nextNonSpace();
    if (t.type === Item.Text) return { kind: 'text', pos: t.pos, text: t.val };
    if (t.type === Item.LeftDelim) {
      this.actionLine = t.line;
      try {
        return this.action();
      } finally {
        this.actionLine = 0;
      }
    }
    this.unexpected(t, 'input');
  }

  /** After `{{`: a control keyword or a pipeline. */
  private action(): Node | DelimiterNode {
    const t = this.nextNonSpace();
    switch (t.type) {
      case Item.Block:
        return this.blockControl();
      case Item.Break:
      case Item.Continue: {
        const kind = t.type === Item.Break ? 'break' : 'continue';
        const after = this.nextNonSpace();
        if (after.type !== Item.RightDelim) this.unexpected(after, `{{${kind}}}`);
        if (this.rangeDepth === 0) this.errorf(`{{${kind}}} outside {{range}}`);
        return { kind, pos: t.pos };
      }
      case Item.Else:
        return this.elseControl();
      case Item.End:
        return { kind: 'end', pos: this.expect(Item.RightDelim, 'end').pos };
      case Item.If:
        return this.branch('if');
      case Item.Range:
        return this.branch('range');
      case Item.Template:
        return this.templateControl();
      case Item.With:
        return this.branch('with');
    }
    this.backup();
    const first = this.peek();
    // Variables declared by an action persist until the {{end}} of the enclosing control.
    return { kind: 'action', pos: first.pos, pipe: this.pipeline('command', Item.RightDelim) };
  }

  /** declarations? command ('|' command)* */
  private pipeline(context: string, end: Item): PipeNode {
    const pipe: PipeNode = { kind: 'pipe', pos: this.peekNonSpace().pos, isAssign: false, decl: [], cmds: [] };
    for (let declaring = true; declaring; ) {
      declaring = false;
      const v = this.peekNonSpace();
      if (v.type !== Item.Variable) break;
      this.next();
      // "$x foo" needs three tokens of look-ahead to tell an argument from a declaration.
      const afterVariable = this.peek();
      const next = this.peekNonSpace();
      if (next.type === Item.Assign || next.type === Item.Declare) {
        pipe.isAssign = next.type === Item.Assign;
        this.nextNonSpace();
        pipe.decl.push(variableNode(v.pos, v.val));
        this.vars.push(v.val);
      } else if (next.type === Item.Char && next.val === ',') {
        this.nextNonSpace();
        pipe.decl.push(variableNode(v.pos, v.val));
        this.vars.push(v.val);
        if (context === 'range' && pipe.decl.length < 2) {
          const t = this.peekNonSpace().type;
          if (t !== Item.Variable && t !== Item.RightDelim && t !== Item.RightParen)
            this.errorf('range can only initialize variables');
          declaring = true; // the second variable of a range
          continue;
        }
        this.errorf(`too many declarations in ${context}`);
      } else if (afterVariable.type === Item.Space) this.backup3(v, afterVariable);
      else this.backup2(v);
    }
    for (;;) {
      const t = this.nextNonSpace();
      if (t.type === end) {
        this.checkPipeline(pipe, context);
        return pipe;
      }
      switch (t.type) {
        case Item.Bool:
        case Item.CharConstant:
        case Item.Complex:
        case Item.Dot:
        case Item.Field:
        case Item.Identifier:
        case Item.Number:
        case Item.Nil:
        case Item.RawString:
        case Item.String:
        case Item.Variable:
        case Item.LeftParen:
          this.backup();
          pipe.cmds.push(this.command());
          break;
        default:
          this.unexpected(t, context);
      }
    }
  }

  private checkPipeline(pipe: PipeNode, context: string): void {
    if (pipe.cmds.length === 0) this.errorf(`missing value for ${context}`);
    pipe.cmds.forEach((c, i) => {
      const k = c.args[0]!.kind;
      if (i > 0 && (k === 'bool' || k === 'dot' || k === 'nil' || k === 'number' || k === 'string'))
        this.errorf(`non executable command in pipeline stage ${i + 1}`);
    });
  }

  /** if, range and with: pipeline, list, optional else list (an `else if`/`else with` chain nests). */
  private branch(kind: 'if' | 'range' | 'with'): BranchNode {
    this.enter();
    const mark = this.vars.length;
    try {
      const pipe = this.pipeline(kind, Item.RightDelim);
      if (kind === 'range') this.rangeDepth++;
      const body = this.itemList();
      if (kind === 'range') this.rangeDepth--;
      let elseList: ListNode | null = null;
      if (body.next.kind === 'else') {
        const chained = kind === 'if' ? Item.If : kind === 'with' ? Item.With : undefined;
        if (chained !== undefined && this.peek().type === chained) {
          this.next();
          elseList = { kind: 'list', pos: body.next.pos, nodes: [this.branch(kind)] };
        } else {
          const rest = this.itemList();
          if (rest.next.kind !== 'end') this.errorf(`expected end; found ${nodeString(rest.next)}`);
          elseList = rest.list;
        }
      }
      return { kind, pos: pipe.pos, pipe, list: body.list, elseList };
    } finally {
      this.vars.length = mark;
      this.s.nesting--;
    }
  }

  private elseControl(): DelimiterNode {
    // `{{else if …` and `{{else with …` leave the keyword pending for the branch to chain.
    const peek = this.peekNonSpace();
    if (peek.type === Item.If || peek.type === Item.With) return { kind: 'else', pos: peek.pos };
    return { kind: 'else', pos: this.expect(Item.RightDelim, 'else').pos };
  }

  /** {{block "name" pipeline}} … {{end}}: defines the template and executes it here. */
  private blockControl(): TemplateNode {
    const context = 'block clause';
    const t = this.nextNonSpace();
    const name = this.templateName(t, context);
    const pipe = this.pipeline(context, Item.RightDelim);
    this.enter();
    try {
      const block = new TreeParser(name, this.s);
      const { list, next } = block.itemList();
      if (next.kind !== 'end') this.errorf(`unexpected ${nodeString(next)} in ${context}`);
      block.root = list;
      block.add();
    } finally {
      this.s.nesting--;
    }
    return { kind: 'template', pos: t.pos, name, pipe };
  }

  private templateControl(): TemplateNode {
    const context = 'template clause';
    const t = this.nextNonSpace();
    const name = this.templateName(t, context);
    let pipe: PipeNode | null = null;
    if (this.nextNonSpace().type !== Item.RightDelim) {
      this.backup();
      pipe = this.pipeline(context, Item.RightDelim);
    }
    return { kind: 'template', pos: t.pos, name, pipe };
  }

  private templateName(t: Token, context: string): string {
    if (t.type === Item.String || t.type === Item.RawString) return this.unquote(t);
    this.unexpected(t, context);
  }

  /** operand (space operand)*, up to a pipe, right delimiter or right parenthesis. */
  private command(): CommandNode {
    const cmd: CommandNode = { kind: 'command', pos: this.peekNonSpace().pos, args: [] };
    for (;;) {
      this.peekNonSpace();
      const operand = this.operand();
      if (operand) cmd.args.push(operand);
      const t = this.next();
      if (t.type === Item.Space) continue;
      if (t.type === Item.RightDelim || t.type === Item.RightParen) this.backup();
      else if (t.type !== Item.Pipe) this.unexpected(t, 'operand');
      break;
    }
    if (cmd.args.length === 0) this.errorf('empty command');
    return cmd;
  }

  /** A term and the fields that follow it. */
  private operand(): ArgNode | null {
    const node = this.term();
    if (!node) return null;
    if (this.peek().type !== Item.Field) return node;
    const chain: ChainNode = { kind: 'chain', pos: this.peek().pos, node, fields: [] };
    while (this.peek().type === Item.Field) chain.fields.push(this.next().val.slice(1));
    switch (node.kind) {
      case 'field':
        return { kind: 'field', pos: chain.pos, ident: [...node.ident, ...chain.fields] };
      case 'variable':
        return { kind: 'variable', pos: chain.pos, ident: [...node.ident, ...chain.fields] };
      case 'bool':
      case 'string':
      case 'number':
      case 'nil':
      case 'dot':
        this.errorf(`unexpected . after term ${quote(nodeString(node))}`);
    }
    return chain;
  }

  private term(): ArgNode | null {
    const t = this.nextNonSpace();
    switch (t.type) {
      case Item.Identifier:
        if (!this.s.hasFunction(t.val)) this.errorf(`function ${quote(t.val)} not defined`);
        return { kind: 'identifier', pos: t.pos, ident: t.val };
      case Item.Dot:
        return { kind: 'dot', pos: t.pos };
      case Item.Nil:
        return { kind: 'nil', pos: t.pos };
      case Item.Variable:
        return this.useVar(t.pos, t.val);
      case Item.Field:
        return { kind: 'field', pos: t.pos, ident: t.val.slice(1).split('.') };
      case Item.Bool:
        return { kind: 'bool', pos: t.pos, value: t.val === 'true' };
      case Item.CharConstant:
      case Item.Complex:
      case Item.Number:
        return this.number(t);
      case Item.LeftParen:
        this.enter();
        try {
          return this.pipeline('parenthesized pipeline', Item.RightParen);
        } finally {
          this.s.nesting--;
        }
      case Item.String:
      case Item.RawString:
        return { kind: 'string', pos: t.pos, quoted: t.val, text: this.unquote(t) };
    }
    this.backup();
    return null;
  }

  private useVar(pos: number, name: string): VariableNode {
    const v = variableNode(pos, name);
    if (!this.vars.includes(v.ident[0]!)) this.errorf(`undefined variable ${quote(v.ident[0]!)}`);
    return v;
  }

  /** Go's newNumber: the constant in every type that can represent it. */
  private number(t: Token): NumberNode {
    const text = t.val;
    const n = { kind: 'number' as const, pos: t.pos, text, isInt: false, isUint: false, isFloat: false };
    const num = { ...n, isComplex: false, int: 0n, float: 0, re: 0, im: 0 };
    if (t.type === Item.CharConstant) {
      let cp: number;
      let tail: string;
      try {
        ({ cp, tail } = unquoteChar(text.slice(1), 39));
      } catch (e) {
        this.errorf((e as Error).message);
      }
      if (tail !== "'") this.errorf(`malformed character constant: ${text}`);
      return { ...num, isInt: true, isUint: true, isFloat: true, int: BigInt(cp), float: cp };
    }
    if (t.type === Item.Complex) {
      const m = /^([+-]?[^+-]+(?:[eEpP][+-][0-9_]+)?)([+-].*)i$/.exec(text);
      const re = m ? this.parseFloatOrFail(m[1]!) : Number.NaN;
      const im = m ? this.parseFloatOrFail(m[2]!) : Number.NaN;
      if (!m) this.errorf(`expected integer`);
      return simplifyComplex({ ...num, isComplex: true, re, im });
    }
    if (text.endsWith('i')) {
      try {
        return simplifyComplex({ ...num, isComplex: true, re: 0, im: parseFloat64(text.slice(0, -1)) });
      } catch {
        // not an imaginary number: fall through to the errors below
      }
    }
    const u = parseUint(text);
    const i = parseInt64(text);
    let res: NumberNode = num;
    if (u !== undefined) res = { ...res, isUint: true };
    if (i !== undefined) res = { ...res, isInt: true, int: i, isUint: res.isUint || i === 0n };
    if (res.isInt) return { ...res, isFloat: true, float: Number(res.int) };
    if (res.isUint) return { ...res, isFloat: true, int: u!, float: Number(u) };
    let f: number;
    try {
      f = parseFloat64(text);
    } catch {
      this.errorf(`illegal number syntax: ${quote(text)}`);
    }
    // Parsed as a float but looks like an integer: too large for an int.
    if (!/[.eEpP]/.test(text)) this.errorf(`integer overflow: ${quote(text)}`);
    const isInt = Number.isInteger(f) && f >= -(2 ** 63) && f < 2 ** 63;
    return { ...res, isFloat: true, float: f, isInt, int: isInt ? BigInt(f) : 0n, isUint: isInt && f >= 0 };
  }

  private parseFloatOrFail(s: string): number {
    try {
      return parseFloat64(s);
    } catch (e) {
      this.errorf((e as Error).message);
    }
  }
}

function variableNode(pos: number, ident: string): VariableNode {
  return { kind: 'variable', pos, ident: ident.split('.') };
}

/** A complex constant with no imaginary part is also a float (and maybe an integer). */
function simplifyComplex(n: NumberNode): NumberNode {
  if (n.im !== 0) return n;
  const isInt = Number.isInteger(n.re) && n.re >= -(2 ** 63) && n.re < 2 ** 63;
  return { ...n, isFloat: true, float: n.re, isInt, int: isInt ? BigInt(n.re) : 0n, isUint: isInt && n.re >= 0 };
}
