// Template execution: Go's text/template/exec.go (Go 1.24) over the value model of values.ts, with Go's error
// messages (`template: x:1:5: executing "x" at <.Foo>: can't evaluate field Foo in type …`). Bounded where Go is not:
// output size and evaluation steps, and a depth limit like Go's on nested template calls that here also counts
// nested control structures and pipelines, as each of them recurses on the JavaScript stack.
import { sprint } from './fmt.js';
import {
  type ArgNode,
  type BranchNode,
  type ChainNode,
  type CommandNode,
  errorLocation,
  type FieldNode,
  type IdentifierNode,
  type Node,
  type NumberNode,
  nodeString,
  type PipeNode,
  type TemplateNode,
  type Tree,
  type VariableNode,
} from './nodes.js';
import { quote } from './strconv.js';
import {
  BOOL,
  canBeNil,
  COMPLEX128,
  FLOAT64,
  GoComplex,
  GoMap,
  GoNamed,
  GoPointer,
  GoSlice,
  GoStruct,
  type GoType,
  INT,
  INTERFACE,
  indirect,
  indirectInterface,
  isTrue,
  NIL_INTERFACE,
  REFLECT_VALUE,
  STRING,
  typeOf,
  type Value,
  zeroValue,
} from './values.js';

/** A template execution error; the message is Go's. */
export class ExecError extends Error {
  override name = 'ExecError';
}

/** Thrown by a function to return a Go error: execution stops with `error calling <name>: <message>`. */
export class FuncError extends Error {
  override name = 'FuncError';
}

/** A template function with its Go signature, which decides how arguments are evaluated and checked. */
export interface TemplateFunc<E> {
  readonly params: readonly GoType[];
  /** The element type of a final `...` parameter. */
  readonly variadic?: GoType;
  /** Go's own builtins: `and` and `or` evaluate their arguments lazily, `call` gets the callee's name. */
  readonly builtin?: boolean;
  /** Returns the result, or throws FuncError for a Go error (and for what would panic in Go). */
  readonly call: (args: Value[], env: E) => Value;
}

/** What a template does with a missing map key (Go's `missingkey` option). */
export type MissingKey = 'invalid' | 'zero' | 'error';

export interface ExecLimits {
  /**
   * Nested {{template}} calls, {{if}}/{{with}}/{{range}} and pipelines (Go counts template calls only: 100,000, and
   * 1,000 on WebAssembly). Each level takes about 0.5 KB of the JavaScript stack, which holds some 1,800 of them.
   */
  maxDepth: number;
  /** Characters of output. */
  maxOutput: number;
  /** Commands, actions and range iterations evaluated (shared by the runs that count into one StepCounter). */
  maxSteps: number;
}

export const DEFAULT_LIMITS: ExecLimits = { maxDepth: 500, maxOutput: 1 << 20, maxSteps: 1_000_000 };

export interface ExecOptions<E> {
  /** The parsed trees by name; `name` is the one executed. */
  readonly trees: ReadonlyMap<string, Tree>;
  readonly name: string;
  readonly funcs: ReadonlyMap<string, TemplateFunc<E>>;
  readonly missingKey: MissingKey;
  readonly limits: ExecLimits;
}

/** Evaluation steps counted across executions, so that re-running a template cannot multiply its budget. */
export interface StepCounter {
  steps: number;
}

/**
 * Executes the template `opts.name` on `data`; throws ExecError. `env` is handed to every function call; other
 * exceptions a function throws pass through.
 */
export function execute<E>(opts: ExecOptions<E>, data: Value, env: E, counter: StepCounter = { steps: 0 }): string {
  const tree = opts.trees.get(opts.name);
  if (!tree) throw new ExecError(`template: ${opts.name}: ${quote(opts.name)} is an incomplete or empty template`);
  const state = new State(opts, env, tree, data, counter);
  state.walk(data, tree.root);
  return state.out;
}

const MISSING: unique symbol = Symbol('missing');
/** The value a pipeline passes to its next command; MISSING for the first. */
type Final = Value | typeof MISSING;

/** Unwinds to the enclosing {{range}}. */
const BREAK = { signal: 'break' };
const CONTINUE = { signal: 'continue' };

interface Variable {
  readonly name: string;
  value: Value;
}

class State<E> {
  out = '';
  private vars: Variable[];
  private node: Node | undefined;
  private depth = 0;
  private templateName: string;
  private readonly funcs: ReadonlyMap<string, TemplateFunc<E>>;

  constructor(
    private readonly opts: ExecOptions<E>,
    private readonly env: E,
    private tree: Tree,
    data: Value,
    private readonly counter: StepCounter,
  ) {
    this.vars = [{ name: '$', value: data }];
    this.templateName = opts.name;
    this.funcs = opts.funcs;
  }

  private at(node: Node): void {
    this.node = node;
  }

  private errorf(message: string): never {
    const name = this.templateName;
    if (!this.node) throw new ExecError(`template: ${name}: ${message}`);
    const location = errorLocation(this.tree, this.node.pos);
    throw new ExecError(`template: ${location}: executing ${quote(name)} at <${nodeString(this.node)}>: ${message}`);
  }

  private step(): void {
    if (++this.counter.steps > this.opts.limits.maxSteps)
      this.errorf(`template execution exceeds ${this.opts.limits.maxSteps} steps`);
  }

  private write(s: string): void {
    this.out += s;
    if (this.out.length > this.opts.limits.maxOutput)
      this.errorf(`template output exceeds ${this.opts.limits.maxOutput} characters`);
  }

  // --- variables

  private setVar(name: string, value: Value): void {
    for (let i = this.vars.length - 1; i >= 0; i--) {
      if (this.vars[i]!.name === name) {
        this.vars[i]!.value = value;
        return;
      }
    }
    this.errorf(`undefined variable: ${name}`);
  }

  private setTopVar(n: number, value: Value): void {
    this.vars[this.vars.length - n]!.value = value;
  }

  private varValue(name: string): Value {
    for (let i = this.vars.length - 1; i >= 0; i--) if (this.vars[i]!.name === name) return this.vars[i]!.value;
    this.errorf(`undefined variable: ${name}`);
  }

  // --- statements

  walk(dot: Value, node: Node): void {
    this.at(node);
    switch (node.kind) {
      case 'action': {
        this.step();
        // Variables declared by an action persist to the end of the enclosing control; a declaration prints nothing.
        const val = this.evalPipeline(dot, node.pipe);
        if (node.pipe.decl.length === 0) this.printValue(node, val);
        return;
      }
      case 'break':
        throw BREAK;
      case 'continue':
        throw CONTINUE;
      case 'if':
      case 'with':
        return this.walkIfOrWith(node, dot);
      case 'list':
        for (const n of node.nodes) this.walk(dot, n);
        return;
      case 'range':
        return this.walkRange(dot, node);
      case 'template':
        return this.walkTemplate(dot, node);
      case 'text':
        return this.write(node.text);
      default:
        this.errorf(`unknown node: ${nodeString(node)}`);
    }
  }

  /** Enters a nested structure; the caller leaves it with `this.depth--`. */
  private enter(): void {
    if (this.depth === this.opts.limits.maxDepth)
      this.errorf(`exceeded maximum template depth (${this.opts.limits.maxDepth})`);
    this.depth++;
  }

  private walkIfOrWith(node: BranchNode, dot: Value): void {
    const mark = this.vars.length;
    this.enter();
    try {
      const val = this.evalPipeline(dot, node.pipe);
      if (isTrue(indirectInterface(val))) this.walk(node.kind === 'with' ? val : dot, node.list);
      else if (node.elseList) this.walk(dot, node.elseList);
    } finally {
      this.vars.length = mark;
      this.depth--;
    }
  }

  private walkRange(dot: Value, r: BranchNode): void {
    this.at(r);
    const outer = this.vars.length;
    this.enter();
    try {
      const val = indirect(this.evalPipeline(dot, r.pipe)).value;
      const mark = this.vars.length; // the range's variables are below it, the body's above
      const decl = r.pipe.decl;
      const oneIteration = (index: Value, elem: Value) => {
        this.step();
        if (decl.length > 0) {
          if (r.pipe.isAssign) this.setVar(decl[0]!.ident[0]!, decl.length > 1 ? index : elem);
          else this.setTopVar(1, elem);
        }
        if (decl.length > 1) {
          if (r.pipe.isAssign) this.setVar(decl[1]!.ident[0]!, elem);
          else this.setTopVar(2, index);
        }
        try {
          this.walk(elem, r.list);
        } catch (e) {
          if (e !== CONTINUE) throw e;
        } finally {
          this.vars.length = mark;
        }
      };
      if (typeof val === 'bigint' || (val instanceof GoNamed && typeof val.value === 'bigint')) {
        // Go 1.22: range over an integer n counts 0 … n-1, in n's type.
        if (decl.length > 1) this.errorf(`can't use ${sprint([val])} to iterate over more than one variable`);
        const n = typeof val === 'bigint' ? val : (val.value as bigint);
        for (let i = 0n; i < n; i++) oneIteration(undefined, typeof val === 'bigint' ? i : new GoNamed(val.type, i));
        if (n > 0n) return;
      } else if (val instanceof GoSlice) {
        for (let i = 0; i < val.items.length; i++) oneIteration(BigInt(i), val.items[i]);
        if (val.items.length > 0) return;
      } else if (val instanceof GoMap) {
        for (const key of val.sortedKeys()) oneIteration(key, val.get(key));
        if (val.size > 0) return;
      } else if (val !== undefined) this.errorf(`range can't iterate over ${sprint([val])}`);
      if (r.elseList) this.walk(dot, r.elseList);
    } catch (e) {
      if (e !== BREAK) throw e;
    } finally {
      this.vars.length = outer;
      this.depth--;
    }
  }

  private walkTemplate(dot: Value, t: TemplateNode): void {
    this.at(t);
    const tree = this.opts.trees.get(t.name);
    if (!tree) this.errorf(`template ${quote(t.name)} not defined`);
    if (this.depth === this.opts.limits.maxDepth)
      this.errorf(`exceeded maximum template depth (${this.opts.limits.maxDepth})`);
    const newDot = this.evalPipeline(dot, t.pipe);
    this.enter();
    // No dynamic scoping: the called template sees only its own $.
    const saved = { vars: this.vars, tree: this.tree, name: this.templateName };
    this.vars = [{ name: '$', value: newDot }];
    this.tree = tree;
    this.templateName = t.name;
    try {
      this.walk(newDot, tree.root);
    } finally {
      this.depth--;
      this.vars = saved.vars;
      this.tree = saved.tree;
      this.templateName = saved.name;
    }
  }

  // --- expressions

  /** A pipeline's value; its declared variables are pushed (the caller pops them). */
  private evalPipeline(dot: Value, pipe: PipeNode | null): Value {
    if (!pipe) return undefined;
    this.at(pipe);
    let value: Final = MISSING;
    this.enter();
    try {
      for (const cmd of pipe.cmds) {
        value = this.evalCommand(dot, cmd, value);
        if (value === NIL_INTERFACE) value = undefined; // an empty interface holding nothing: no value
      }
    } finally {
      this.depth--;
    }
    const v = value === MISSING ? undefined : value;
    for (const variable of pipe.decl) {
      if (pipe.isAssign) this.setVar(variable.ident[0]!, v);
      else this.vars.push({ name: variable.ident[0]!, value: v });
    }
    return v;
  }

  private notAFunction(args: readonly ArgNode[], final: Final): void {
    if (args.length > 1 || final !== MISSING)
      this.errorf(`can't give argument to non-function ${nodeString(args[0]!)}`);
  }

  private evalCommand(dot: Value, cmd: CommandNode, final: Final): Value {
    this.step();
    const first = cmd.args[0]!;
    switch (first.kind) {
      case 'field':
        return this.evalFieldNode(dot, first, cmd.args, final);
      case 'chain':
        return this.evalChainNode(dot, first, cmd.args, final);
      case 'identifier':
        return this.evalFunction(dot, first, cmd, cmd.args, final);
      case 'pipe':
        // Parenthesized: the arguments are all inside the pipeline.
        this.notAFunction(cmd.args, final);
        return this.evalPipeline(dot, first);
      case 'variable':
        return this.evalVariableNode(first, cmd.args, final);
    }
    this.at(first);
    this.notAFunction(cmd.args, final);
    switch (first.kind) {
      case 'bool':
        return first.value;
      case 'dot':
        return dot;
      case 'nil':
        return this.errorf('nil is not a command');
      case 'number':
        return this.idealConstant(first);
      case 'string':
        return first.text;
    }
  }

  /** A number whose type nothing decides: float if written like one, else int. */
  private idealConstant(c: NumberNode): Value {
    this.at(c);
    if (c.isComplex) return new GoComplex(c.re, c.im);
    const hexInt = /^[+-]?0[xX]/.test(c.text) && !/[pP]/.test(c.text);
    if (c.isFloat && !hexInt && !c.text.startsWith("'") && /[.eEpP]/.test(c.text)) return c.float;
    if (c.isInt) return c.int;
    if (c.isUint) this.errorf(`${c.text} overflows int`);
    return undefined;
  }

  private evalFieldNode(dot: Value, field: FieldNode, args: readonly ArgNode[] | null, final: Final): Value {
    this.at(field);
    return this.evalFieldChain(dot, field.ident, args, final);
  }

  private evalChainNode(dot: Value, chain: ChainNode, args: readonly ArgNode[] | null, final: Final): Value {
    this.at(chain);
    if (chain.node.kind === 'nil') this.errorf(`indirection through explicit nil in ${nodeString(chain)}`);
    // (pipe).Field1.Field2: the pipeline, then the fields.
    const pipe = this.evalArg(dot, null, chain.node);
    return this.evalFieldChain(pipe, chain.fields, args, final);
  }

  private evalVariableNode(v: VariableNode, args: readonly ArgNode[] | null, final: Final): Value {
    this.at(v);
    const value = this.varValue(v.ident[0]!);
    if (v.ident.length === 1) {
      this.notAFunction(args ?? [v], final);
      return value;
    }
    return this.evalFieldChain(value, v.ident.slice(1), args, final);
  }

  /** .X.Y.Z on the receiver; only the last may have arguments. */
  private evalFieldChain(
    receiver: Value,
    ident: readonly string[],
    args: readonly ArgNode[] | null,
    final: Final,
  ): Value {
    const n = ident.length;
    for (let i = 0; i < n - 1; i++) receiver = this.evalField(ident[i]!, null, MISSING, receiver);
    return this.evalField(ident[n - 1]!, args, final, receiver);
  }

  private evalFunction(
    dot: Value,
    node: IdentifierNode,
    cmd: Node,
    args: readonly ArgNode[] | null,
    final: Final,
  ): Value {
    this.at(node);
    const fn = this.funcs.get(node.ident);
    if (!fn) this.errorf(`${quote(node.ident)} is not a defined function`);
    return this.evalCall(dot, fn, cmd, node.ident, args, final);
  }

  /** .Field of a struct or map (with arguments only for methods, which these values have none of). */
  private evalField(fieldName: string, args: readonly ArgNode[] | null, final: Final, receiver: Value): Value {
    if (receiver === undefined) {
      if (this.opts.missingKey === 'error') this.errorf(`nil data; no entry for key ${quote(fieldName)}`);
      return undefined;
    }
    const typeName = typeOf(receiver)!.name;
    const { value: r, isNil } = indirect(receiver);
    if (r === NIL_INTERFACE) this.errorf(`nil pointer evaluating ${typeName}.${fieldName}`);
    const hasArgs = (args !== null && args.length > 1) || final !== MISSING;
    if (r instanceof GoStruct) {
      const f = r.field(fieldName);
      if (f.found) {
        if (hasArgs) this.errorf(`${fieldName} has arguments but cannot be invoked as function`);
        return f.value;
      }
    } else if (r instanceof GoMap) {
      if (hasArgs) this.errorf(`${fieldName} is not a method but has arguments`);
      if (r.has(fieldName)) return r.get(fieldName);
      if (this.opts.missingKey === 'zero') return zeroValue(r.type.elem!);
      if (this.opts.missingKey === 'error') this.errorf(`map has no entry for key ${quote(fieldName)}`);
      return undefined;
    } else if (r instanceof GoPointer && isNil) {
      const elem = r.type.elem!;
      const hasField = elem.kind !== 'struct' || (elem.fields ?? []).some((f) => f.name === fieldName);
      if (hasField) this.errorf(`nil pointer evaluating ${typeName}.${fieldName}`);
    }
    this.errorf(`can't evaluate field ${fieldName} in type ${typeName}`);
  }

  private evalCall(
    dot: Value,
    fn: TemplateFunc<E>,
    node: Node,
    name: string,
    args: readonly ArgNode[] | null,
    final: Final,
  ): Value {
    const argNodes = args ? args.slice(1) : []; // args[0] is the function itself
    const numIn = argNodes.length + (final === MISSING ? 0 : 1);
    let numFixed = argNodes.length;
    if (fn.variadic) {
      numFixed = fn.params.length;
      if (numIn < numFixed)
        this.errorf(`wrong number of args for ${name}: want at least ${fn.params.length} got ${argNodes.length}`);
    } else if (numIn !== fn.params.length) {
      this.errorf(`wrong number of args for ${name}: want ${fn.params.length} got ${numIn}`);
    }
    if (fn.builtin && (name === 'and' || name === 'or')) {
      // Short-circuit: the first false (and) or true (or) argument, else the last.
      let v: Value;
      for (const arg of argNodes) {
        v = this.evalArg(dot, REFLECT_VALUE, arg);
        if (isTrue(indirectInterface(v)) === (name === 'or')) return v;
      }
      return final === MISSING ? v : final;
    }
    const argv: Value[] = [];
    let i = 0;
    for (; i < numFixed && i < argNodes.length; i++) argv.push(this.evalArg(dot, fn.params[i]!, argNodes[i]!));
    if (fn.variadic) for (; i < argNodes.length; i++) argv.push(this.evalArg(dot, fn.variadic, argNodes[i]!));
    if (final !== MISSING) {
      let t = fn.params[fn.params.length - 1]!;
      if (fn.variadic) t = numIn - 1 < numFixed ? fn.params[numIn - 1]! : fn.variadic;
      argv.push(this.validateType(final, t));
    }
    if (fn.builtin && name === 'call')
      argv.unshift(argNodes.length === 0 ? sprint([final as Value]) : nodeString(argNodes[0]!));
    try {
      return fn.call(argv, this.env);
    } catch (e) {
      if (!(e instanceof FuncError)) throw e;
      this.at(node);
      this.errorf(`error calling ${name}: ${e.message}`);
    }
  }

  /** Checks that a value can be passed as a parameter of type t (t null: anything). */
  private validateType(value: Value, t: GoType | null): Value {
    if (t === null || t === REFLECT_VALUE) return value;
    if (value === undefined) {
      if (canBeNil(t)) return zeroValue(t);
      this.errorf(`invalid value; expected ${t.name}`);
    }
    const vt = typeOf(value)!;
    if (t === INTERFACE || vt === t) return value;
    if (value instanceof GoPointer && vt.elem === t) {
      if (value.target === null) this.errorf(`dereference of nil pointer of type ${t.name}`);
      return value.target;
    }
    this.errorf(`wrong type for value; expected ${t.name}; got ${vt.name}`);
  }

  private evalArg(dot: Value, t: GoType | null, n: ArgNode): Value {
    this.at(n);
    switch (n.kind) {
      case 'dot':
        return this.validateType(dot, t);
      case 'nil':
        if (t !== null && canBeNil(t)) return zeroValue(t);
        return this.errorf(`cannot assign nil to ${t?.name}`);
      case 'field':
        return this.validateType(this.evalFieldNode(dot, n, [n], MISSING), t);
      case 'variable':
        return this.validateType(this.evalVariableNode(n, null, MISSING), t);
      case 'pipe':
        return this.validateType(this.evalPipeline(dot, n), t);
      case 'identifier':
        return this.validateType(this.evalFunction(dot, n, n, null, MISSING), t);
      case 'chain':
        return this.validateType(this.evalChainNode(dot, n, null, MISSING), t);
    }
    switch (t) {
      case BOOL:
        if (n.kind === 'bool') return n.value;
        return this.errorf(`expected bool; found ${nodeString(n)}`);
      case STRING:
        if (n.kind === 'string') return n.text;
        return this.errorf(`expected string; found ${nodeString(n)}`);
      case INT:
        if (n.kind === 'number' && n.isInt) return n.int;
        return this.errorf(`expected integer; found ${nodeString(n)}`);
      case FLOAT64:
        if (n.kind === 'number' && n.isFloat) return n.float;
        return this.errorf(`expected float; found ${nodeString(n)}`);
      case COMPLEX128:
        if (n.kind === 'number' && n.isComplex) return new GoComplex(n.re, n.im);
        return this.errorf(`expected complex; found ${nodeString(n)}`);
      case INTERFACE:
      case REFLECT_VALUE:
        return this.evalEmptyInterface(n);
    }
    this.errorf(`can't handle ${nodeString(n)} for arg of type ${t?.name}`);
  }

  /** A constant passed where any type goes: its natural type. */
  private evalEmptyInterface(n: ArgNode): Value {
    this.at(n);
    switch (n.kind) {
      case 'bool':
        return n.value;
      case 'number':
        return this.idealConstant(n);
      case 'string':
        return n.text;
    }
    this.errorf(`can't handle assignment of ${nodeString(n)} to empty interface argument`);
  }

  private printValue(node: Node, v: Value): void {
    this.at(node);
    if (typeof v === 'string') return this.write(v);
    if (v instanceof GoPointer && v.target !== null) v = v.target; // fmt handles a nil pointer
    this.write(v === undefined ? '<no value>' : sprint([v]));
  }
}
