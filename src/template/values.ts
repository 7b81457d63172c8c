// Go values as text/template sees them through reflection, for the few types a Prometheus template meets: the
// template data struct, label maps, query results and samples, the functions' results. JavaScript primitives stand
// for the common Go types (string, float64, int as bigint, bool); the rest are small classes carrying their Go type,
// whose name appears in Go's error messages and %T.

export type Kind =
  | 'bool'
  | 'int'
  | 'uint'
  | 'float'
  | 'complex'
  | 'string'
  | 'map'
  | 'slice'
  | 'struct'
  | 'ptr'
  | 'interface'
  | 'func';

export interface FieldInfo {
  readonly name: string;
  readonly type: GoType;
}

export interface GoType {
  /** As reflect.Type.String() writes it: `map[string]string`, `*template.sample`. */
  readonly name: string;
  readonly kind: Kind;
  /** Element type of maps, slices and pointers. */
  readonly elem?: GoType;
  readonly fields?: readonly FieldInfo[];
  /** Whether values of the type implement fmt.Stringer (time.Time, time.Duration). */
  readonly stringer?: boolean;
}

function basic(name: string, kind: Kind): GoType {
  return { name, kind };
}

export const BOOL = basic('bool', 'bool');
export const INT = basic('int', 'int');
export const UINT8 = basic('uint8', 'uint');
export const FLOAT64 = basic('float64', 'float');
export const COMPLEX128 = basic('complex128', 'complex');
export const STRING = basic('string', 'string');
export const INTERFACE = basic('interface {}', 'interface');
/** reflect.Value: the parameter type of Go's builtin functions, which take their arguments unconverted. */
export const REFLECT_VALUE = basic('reflect.Value', 'struct');
/** html/template.HTML, what safeHtml returns: a string type of its own. */
export const HTML = basic('template.HTML', 'string');
export const STRING_MAP: GoType = { name: 'map[string]string', kind: 'map', elem: STRING };
export const ANY_MAP: GoType = { name: 'map[string]interface {}', kind: 'map', elem: INTERFACE };
/** Prometheus' template.sample: `struct { Labels map[string]string; Value interface{} }`. */
export const SAMPLE: GoType = {
  name: 'template.sample',
  kind: 'struct',
  fields: [
    { name: 'Labels', type: STRING_MAP },
    { name: 'Value', type: INTERFACE },
  ],
};
export const SAMPLE_PTR: GoType = { name: '*template.sample', kind: 'ptr', elem: SAMPLE };
export const QUERY_RESULT: GoType = { name: 'template.queryResult', kind: 'slice', elem: SAMPLE_PTR };
export const TIME: GoType = { name: 'time.Time', kind: 'struct', fields: [], stringer: true };
export const TIME_PTR: GoType = { name: '*time.Time', kind: 'ptr', elem: TIME, stringer: true };
export const DURATION: GoType = { name: 'time.Duration', kind: 'int', stringer: true };
export const DURATION_PTR: GoType = { name: '*time.Duration', kind: 'ptr', elem: DURATION, stringer: true };

/** A Go struct type built from its fields (the alert template data is an anonymous struct). */
export function structType(fields: FieldInfo[]): GoType {
  const name = `struct { ${fields.map((f) => `${f.name} ${f.type.name}`).join('; ')} }`;
  return { name, kind: 'struct', fields };
}

/**
 * A value: undefined is Go's invalid reflect.Value (a missing value, `<no value>`); string, number (float64),
 * bigint (int) and boolean are themselves; everything else is a GoObject.
 */
export type Value = undefined | string | number | bigint | boolean | GoObject;

export abstract class GoObject {
  abstract readonly type: GoType;
}

/** A map with string keys. Iteration and printing go in key order, as Go's fmt and text/template sort them. */
export abstract class GoMap extends GoObject {
  abstract get(key: string): Value;
  abstract has(key: string): boolean;
  abstract get size(): number;
  abstract sortedKeys(): string[];
}

/** map[string]string over a plain record (label sets are passed without copying). */
export class StringMap extends GoMap {
  readonly type = STRING_MAP;
  constructor(readonly entries: Readonly<Record<string, string>>) {
    super();
  }
  get(key: string): Value {
    return Object.hasOwn(this.entries, key) ? this.entries[key] : undefined;
  }
  has(key: string): boolean {
    return Object.hasOwn(this.entries, key);
  }
  get size(): number {
    return Object.keys(this.entries).length;
  }
  sortedKeys(): string[] {
    return Object.keys(this.entries).sort(compareGoStrings);
  }
}

/** map[string]interface{} (what `args` returns). */
export class AnyMap extends GoMap {
  readonly type = ANY_MAP;
  constructor(readonly entries: Map<string, Value>) {
    super();
  }
  get(key: string): Value {
    return this.entries.get(key);
  }
  has(key: string): boolean {
    return this.entries.has(key);
  }
  get size(): number {
    return this.entries.size;
  }
  sortedKeys(): string[] {
    return [...this.entries.keys()].sort(compareGoStrings);
  }
}

export class GoSlice extends GoObject {
  constructor(
    readonly type: GoType,
    readonly items: Value[],
  ) {
    super();
  }
}

export class GoStruct extends GoObject {
  constructor(
    readonly type: GoType,
    readonly fields: readonly Value[],
  ) {
    super();
  }
  field(name: string): { found: boolean; value: Value } {
    const i = this.type.fields!.findIndex((f) => f.name === name);
    return i < 0 ? { found: false, value: undefined } : { found: true, value: this.fields[i] };
  }
}

/** A pointer; target null is a nil pointer of the type. */
export class GoPointer extends GoObject {
  constructor(
    readonly type: GoType,
    readonly target: GoObject | null,
  ) {
    super();
  }
}

/** A value of a named scalar type: template.HTML (string), uint8 (bigint), time.Duration (bigint nanoseconds). */
export class GoNamed extends GoObject {
  constructor(
    readonly type: GoType,
    readonly value: string | bigint,
  ) {
    super();
  }
}

export class GoComplex extends GoObject {
  readonly type = COMPLEX128;
  constructor(
    readonly re: number,
    readonly im: number,
  ) {
    super();
  }
}

/** A time.Time as Prometheus' templates make it: UTC, millisecond precision (model.Time). */
export class GoTime extends GoObject {
  readonly type = TIME;
  constructor(readonly unixMs: number) {
    super();
  }
}

/** The zero value of interface{}: a nil interface (what a missing key of map[string]interface{} gives). */
class NilInterface extends GoObject {
  readonly type = INTERFACE;
}
export const NIL_INTERFACE: GoObject = new NilInterface();

export function typeOf(v: Value): GoType | undefined {
  switch (typeof v) {
    case 'undefined':
      return undefined;
    case 'string':
      return STRING;
    case 'number':
      return FLOAT64;
    case 'bigint':
      return INT;
    case 'boolean':
      return BOOL;
    default:
      return v.type;
  }
}

/** Sorts like Go compares strings (by UTF-8 bytes, which is code point order, not UTF-16 unit order). */
export function compareGoStrings(a: string, b: string): number {
  if (a === b) return 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) return codePointOrder(x) - codePointOrder(y);
  }
  return a.length - b.length;
}

/** Surrogates (code points above U+FFFF) sort after U+E000–U+FFFF in UTF-8. */
function codePointOrder(unit: number): number {
  if (unit < 0xd800) return unit;
  return unit >= 0xe000 ? unit - 0x800 : unit + 0x2000;
}

/** Go's `isNil` of a value of a nillable kind. */
export function isNilValue(v: Value): boolean {
  return v === NIL_INTERFACE || (v instanceof GoPointer && v.target === null);
}

/** text/template's indirect: through pointers and interfaces; isNil when it stops at a nil one. */
export function indirect(v: Value): { value: Value; isNil: boolean } {
  if (v === NIL_INTERFACE) return { value: v, isNil: true };
  if (v instanceof GoPointer) return v.target === null ? { value: v, isNil: true } : { value: v.target, isNil: false };
  return { value: v, isNil: false };
}

/** text/template's indirectInterface: a nil interface is an invalid value. */
export function indirectInterface(v: Value): Value {
  return v === NIL_INTERFACE ? undefined : v;
}

/** text/template's isTrue: the truth of a value, false for the zero value of its type. */
export function isTrue(v: Value): boolean {
  switch (typeof v) {
    case 'undefined':
      return false;
    case 'string':
      return v.length > 0;
    case 'number':
      return v !== 0;
    case 'bigint':
      return v !== 0n;
    case 'boolean':
      return v;
  }
  if (v instanceof GoMap) return v.size > 0;
  if (v instanceof GoSlice) return v.items.length > 0;
  if (v instanceof GoPointer) return v.target !== null;
  if (v instanceof GoNamed) return typeof v.value === 'string' ? v.value.length > 0 : v.value !== 0n;
  if (v instanceof GoComplex) return v.re !== 0 || v.im !== 0;
  return v !== NIL_INTERFACE; // structs (and times) are always true
}

/** The zero value of a type, as reflect.Zero makes it (for nil arguments and missing map keys). */
export function zeroValue(t: GoType): Value {
  switch (t) {
    case STRING:
      return '';
    case FLOAT64:
      return 0;
    case INT:
      return 0n;
    case BOOL:
      return false;
    case INTERFACE:
      return NIL_INTERFACE;
    case REFLECT_VALUE:
      return undefined;
  }
  switch (t.kind) {
    case 'ptr':
      return new GoPointer(t, null);
    case 'slice':
      return new GoSlice(t, []);
    case 'string':
      return new GoNamed(t, '');
    case 'int':
    case 'uint':
      return new GoNamed(t, 0n);
    default:
      return undefined;
  }
}

/** Whether an untyped nil can be assigned to the type (text/template's canBeNil). */
export function canBeNil(t: GoType): boolean {
  return t === REFLECT_VALUE || t.kind === 'map' || t.kind === 'slice' || t.kind === 'ptr' || t.kind === 'interface';
}

/** A sample of a query result, as the `query` function returns it: a *template.sample. */
export function samplePointer(labels: Readonly<Record<string, string>>, value: number): GoPointer {
  return new GoPointer(SAMPLE_PTR, new GoStruct(SAMPLE, [new StringMap(labels), value]));
}

/** Bytes of a Go string (UTF-8): JavaScript strings are UTF-16, Go's len and slice count bytes. */
export function utf8Bytes(s: string): Uint8Array {
  return UTF8_ENCODER.encode(s);
}
const UTF8_ENCODER = new TextEncoder();

export function isAscii(s: string): boolean {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: the ASCII range starts at NUL
  return /^[\x00-\x7f]*$/.test(s);
}

/** len(s) in Go: the number of UTF-8 bytes. */
export function goStringLength(s: string): number {
  return isAscii(s) ? s.length : Buffer.byteLength(s, 'utf8');
}
