// Go's text/template builtin functions (funcs.go): and or not len index slice print printf println html js urlquery
// call eq ne lt le gt ge, with their error messages.
import { htmlEscape, jsEscape, queryEscape } from './escape.js';
import { FuncError, type TemplateFunc } from './exec.js';
import { sprint, sprintf, sprintln } from './fmt.js';
import {
  GoComplex,
  GoMap,
  GoNamed,
  GoPointer,
  GoSlice,
  GoStruct,
  GoTime,
  goStringLength,
  INTERFACE,
  indirect,
  indirectInterface,
  isAscii,
  isNilValue,
  isTrue,
  NIL_INTERFACE,
  REFLECT_VALUE,
  STRING,
  typeOf,
  UINT8,
  utf8Bytes,
  type Value,
  zeroValue,
} from './values.js';

type Kind = 'invalid' | 'bool' | 'complex' | 'int' | 'float' | 'string' | 'uint';

/** Go's basicKind: the comparison class of a value ('invalid' for maps, pointers, structs and no value). */
function basicKind(v: Value): Kind {
  switch (typeof v) {
    case 'boolean':
      return 'bool';
    case 'bigint':
      return 'int';
    case 'number':
      return 'float';
    case 'string':
      return 'string';
  }
  if (v instanceof GoNamed) return typeof v.value === 'string' ? 'string' : v.type.kind === 'uint' ? 'uint' : 'int';
  if (v instanceof GoComplex) return 'complex';
  return 'invalid';
}

function intValue(v: Value): bigint {
  return typeof v === 'bigint' ? v : ((v as GoNamed).value as bigint);
}

function stringValue(v: Value): string {
  return typeof v === 'string' ? v : ((v as GoNamed).value as string);
}

/** reflect.Value's Kind as Go names it in some messages. */
function kindOf(v: Value): string {
  if (v === undefined) return 'invalid';
  return typeOf(v)!.kind;
}

function typeName(v: Value): string {
  return typeOf(v)?.name ?? '<nil>';
}

const NO_COMPARISON = 'missing argument for comparison';
const BAD_COMPARISON = 'invalid type for comparison';

function eq(arg1: Value, others: readonly Value[]): boolean {
  arg1 = indirectInterface(arg1);
  if (others.length === 0) throw new FuncError(NO_COMPARISON);
  const k1 = basicKind(arg1);
  for (let arg of others) {
    arg = indirectInterface(arg);
    const k2 = basicKind(arg);
    let truth = false;
    if (k1 !== k2) {
      // Integers compare regardless of the sign of their type.
      if (k1 === 'int' && k2 === 'uint') truth = intValue(arg1) >= 0n && intValue(arg1) === intValue(arg);
      else if (k1 === 'uint' && k2 === 'int') truth = intValue(arg) >= 0n && intValue(arg1) === intValue(arg);
      else if (arg1 !== undefined && arg !== undefined)
        throw new FuncError(`incompatible types for comparison: ${typeName(arg1)} and ${typeName(arg)}`);
    } else {
      switch (k1) {
        case 'bool':
        case 'float':
          truth = arg1 === arg;
          break;
        case 'int':
        case 'uint':
          truth = intValue(arg1) === intValue(arg);
          break;
        case 'string':
          truth = stringValue(arg1) === stringValue(arg);
          break;
        case 'complex':
          truth = (arg1 as GoComplex).re === (arg as GoComplex).re && (arg1 as GoComplex).im === (arg as GoComplex).im;
          break;
        default:
          truth = eqOther(arg1, arg);
      }
    }
    if (truth) return true;
  }
  return false;
}

/** eq of maps, slices, pointers and structs: nil-ness, or identity for comparable types. */
function eqOther(a: Value, b: Value): boolean {
  if (a !== undefined && b !== undefined && kindOf(a) !== kindOf(b))
    throw new FuncError(
      `non-comparable types ${sprintf('%s', [a])}: ${typeName(a)}, ${typeName(b)}: ${sprintf('%v', [b])}`,
    );
  const nilA = a === undefined || isNilValue(a);
  const nilB = b === undefined || isNilValue(b);
  if (nilA || nilB) return nilA === nilB;
  if (b instanceof GoMap || b instanceof GoSlice || (b instanceof GoStruct && b.type.fields!.length > 0))
    throw new FuncError(`non-comparable type ${sprintf('%s', [b])}: ${typeName(b)}`);
  if (a instanceof GoTime && b instanceof GoTime) return a.unixMs === b.unixMs;
  return a === b;
}

function lt(arg1: Value, arg2: Value): boolean {
  arg1 = indirectInterface(arg1);
  const k1 = basicKind(arg1);
  if (k1 === 'invalid') throw new FuncError(BAD_COMPARISON);
  arg2 = indirectInterface(arg2);
  const k2 = basicKind(arg2);
  if (k2 === 'invalid') throw new FuncError(BAD_COMPARISON);
  if (k1 !== k2) {
    if (k1 === 'int' && k2 === 'uint') return intValue(arg1) < 0n || intValue(arg1) < intValue(arg2);
    if (k1 === 'uint' && k2 === 'int') return intValue(arg2) >= 0n && intValue(arg1) < intValue(arg2);
    throw new FuncError(`incompatible types for comparison: ${typeName(arg1)} and ${typeName(arg2)}`);
  }
  switch (k1) {
    case 'bool':
    case 'complex':
      throw new FuncError(BAD_COMPARISON);
    case 'float':
      return (arg1 as number) < (arg2 as number);
    case 'string':
      return compareBytes(stringValue(arg1), stringValue(arg2)) < 0;
    default:
      return intValue(arg1) < intValue(arg2);
  }
}

function compareBytes(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

function le(a: Value, b: Value): boolean {
  return lt(a, b) || eq(a, [b]);
}

/** Go's indexArg: an integer index within 0 … cap. */
function indexArg(index: Value, cap: number): number {
  let x: bigint;
  if (typeof index === 'bigint') x = index;
  else if (index instanceof GoNamed && typeof index.value === 'bigint') x = index.value;
  else if (index === undefined) throw new FuncError('cannot index slice/array with nil');
  else throw new FuncError(`cannot index slice/array with type ${typeName(index)}`);
  if (x < 0n || x > BigInt(cap)) throw new FuncError(`index out of range: ${x}`);
  return Number(x);
}

function index(item: Value, indexes: readonly Value[]): Value {
  item = indirectInterface(item);
  if (item === undefined) throw new FuncError('index of untyped nil');
  for (let ix of indexes) {
    ix = indirectInterface(ix);
    const { value, isNil } = indirect(item);
    if (isNil) throw new FuncError('index of nil pointer');
    item = value;
    if (item instanceof GoSlice) {
      const x = indexArg(ix, item.items.length);
      if (x === item.items.length) throw new FuncError('reflect: slice index out of range');
      item = item.items[x];
    } else if (typeof item === 'string' || (item instanceof GoNamed && typeof item.value === 'string')) {
      const bytes = utf8Bytes(stringValue(item));
      const x = indexArg(ix, bytes.length);
      if (x === bytes.length) throw new FuncError('reflect: string index out of range');
      item = new GoNamed(UINT8, BigInt(bytes[x]!));
    } else if (item instanceof GoMap) {
      if (ix === undefined) throw new FuncError('value is nil; should be of type string');
      if (typeof ix !== 'string') throw new FuncError(`value has type ${typeName(ix)}; should be string`);
      item = item.has(ix) ? item.get(ix) : zeroValue(item.type.elem!);
    } else throw new FuncError(`can't index item of type ${typeName(item)}`);
  }
  return item;
}

function slice(item: Value, indexes: readonly Value[]): Value {
  item = indirectInterface(item);
  if (item === undefined) throw new FuncError('slice of untyped nil');
  if (indexes.length > 3) throw new FuncError(`too many slice indexes: ${indexes.length}`);
  let length: number;
  let bytes: Uint8Array | undefined;
  if (typeof item === 'string' || (item instanceof GoNamed && typeof item.value === 'string')) {
    if (indexes.length === 3) throw new FuncError('cannot 3-index slice a string');
    const s = stringValue(item);
    if (!isAscii(s)) bytes = utf8Bytes(s);
    length = bytes ? bytes.length : s.length;
  } else if (item instanceof GoSlice) length = item.items.length;
  else throw new FuncError(`can't slice item of type ${typeName(item)}`);
  const idx = [0, length, length];
  indexes.forEach((ix, i) => {
    idx[i] = indexArg(ix, length);
  });
  if (idx[0]! > idx[1]!) throw new FuncError(`invalid slice index: ${idx[0]} > ${idx[1]}`);
  if (indexes.length === 3 && idx[1]! > idx[2]!) throw new FuncError(`invalid slice index: ${idx[1]} > ${idx[2]}`);
  if (item instanceof GoSlice) return new GoSlice(item.type, item.items.slice(idx[0], idx[1]));
  const s = stringValue(item);
  const part = bytes ? new TextDecoder().decode(bytes.subarray(idx[0], idx[1])) : s.slice(idx[0], idx[1]);
  return item instanceof GoNamed ? new GoNamed(item.type, part) : part;
}

function length(item: Value): Value {
  const { value, isNil } = indirect(item);
  if (isNil) throw new FuncError('len of nil pointer');
  if (typeof value === 'string' || (value instanceof GoNamed && typeof value.value === 'string'))
    return BigInt(goStringLength(stringValue(value)));
  if (value instanceof GoMap) return BigInt(value.size);
  if (value instanceof GoSlice) return BigInt(value.items.length);
  if (value === undefined) throw new FuncError('reflect: call of reflect.Value.Type on zero Value');
  throw new FuncError(`len of type ${typeName(value)}`);
}

/** Go's evalArgs for html, js and urlquery: fmt.Sprint of the arguments, pointers followed, nil as `<no value>`. */
function evalArgs(args: readonly Value[]): string {
  if (args.length === 1 && typeof args[0] === 'string') return args[0];
  return sprint(
    args.map((a) => {
      if (a === undefined || a === NIL_INTERFACE) return '<no value>';
      return a instanceof GoPointer && a.target !== null ? a.target : a;
    }),
  );
}

function fn<E>(
  params: TemplateFunc<E>['params'],
  call: TemplateFunc<E>['call'],
  variadic?: TemplateFunc<E>['variadic'],
): TemplateFunc<E> {
  return { params, call, builtin: true, ...(variadic ? { variadic } : {}) };
}

const V = REFLECT_VALUE;

/** Go's builtin functions, for any function environment. */
export function builtinFuncs<E>(): Map<string, TemplateFunc<E>> {
  const lazy = (): Value => {
    throw new Error('and/or are evaluated by the executor');
  };
  return new Map<string, TemplateFunc<E>>([
    ['and', fn([V], lazy, V)],
    ['or', fn([V], lazy, V)],
    ['not', fn([V], ([a]) => !isTrue(indirectInterface(a)))],
    ['len', fn([V], ([a]) => length(a))],
    ['index', fn([V], ([item, ...ix]) => index(item, ix), V)],
    ['slice', fn([V], ([item, ...ix]) => slice(item, ix), V)],
    ['print', fn([], (args) => sprint(args), INTERFACE)],
    ['printf', fn([STRING], ([format, ...args]) => sprintf(format as string, args), INTERFACE)],
    ['println', fn([], (args) => sprintln(args), INTERFACE)],
    ['html', fn([], (args) => htmlEscape(evalArgs(args)), INTERFACE)],
    ['js', fn([], (args) => jsEscape(evalArgs(args)), INTERFACE)],
    ['urlquery', fn([], (args) => queryEscape(evalArgs(args)), INTERFACE)],
    ['call', fn([V], ([name, callee]) => call(name as string, callee), V)],
    ['eq', fn([V], ([a, ...rest]) => eq(a, rest), V)],
    ['ne', fn([V, V], ([a, b]) => !eq(a, [b]))],
    ['lt', fn([V, V], ([a, b]) => lt(a, b))],
    ['le', fn([V, V], ([a, b]) => le(a, b))],
    ['gt', fn([V, V], ([a, b]) => !le(a, b))],
    ['ge', fn([V, V], ([a, b]) => !lt(a, b))],
  ]);
}

/** `call`: no value a template sees here is a function, so it always fails as Go's call does on one. */
function call(name: string, callee: Value): Value {
  callee = indirectInterface(callee);
  if (callee === undefined) throw new FuncError('call of nil');
  throw new FuncError(`non-function ${name} of type ${typeName(callee)}`);
}
