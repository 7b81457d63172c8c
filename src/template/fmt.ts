// Go's fmt for template values: Sprint, Sprintln and Sprintf with Go's verbs, flags, widths and precisions, and its
// error notations (`%!d(string=x)`, `%!s(MISSING)`, `%!(EXTRA float64=1)`). A port of fmt/print.go and format.go
// over the value model of values.ts.
import { formatDuration, formatTime } from './gotime.js';
import { canBackquote, type FloatFormat, formatFloat, isPrint, quote, quoteRune } from './strconv.js';
import {
  GoComplex,
  GoMap,
  GoNamed,
  type GoObject,
  type GoType,
  GoPointer,
  GoSlice,
  GoStruct,
  GoTime,
  NIL_INTERFACE,
  typeOf,
  utf8Bytes,
  type Value,
} from './values.js';

const LOWER_DIGITS = '0123456789abcdefx';
/** The fields of a time.Time: wall clock, seconds since year 1, location pointer (nil for UTC). */
const UINT64: GoType = { name: 'uint64', kind: 'uint' };
const INT64: GoType = { name: 'int64', kind: 'int' };
const LOCATION_PTR: GoType = {
  name: '*time.Location',
  kind: 'ptr',
  elem: { name: 'time.Location', kind: 'struct', fields: [] },
};
const UPPER_DIGITS = '0123456789ABCDEFX';

/** The String() of a value whose type implements fmt.Stringer, undefined otherwise. A nil pointer prints `<nil>`. */
export function stringerText(v: Value): string | undefined {
  if (v instanceof GoTime) return formatTime(v.unixMs);
  if (v instanceof GoNamed && v.type.stringer) return formatDuration(v.value as bigint);
  if (v instanceof GoPointer && v.type.stringer) return v.target === null ? '<nil>' : stringerText(v.target);
  return undefined;
}

/** A made-up but stable address per object, for `%p` and pointers inside slices (Go prints real addresses). */
const addresses = new WeakMap<GoObject, string>();
let nextAddress = 0xc000010000;
function addressOf(o: GoObject): string {
  let a = addresses.get(o);
  if (a === undefined) {
    a = `0x${nextAddress.toString(16)}`;
    nextAddress += 0x30;
    addresses.set(o, a);
  }
  return a;
}

/** A nil `any` argument: an invalid value or a nil interface. */
function isNilArg(v: Value): boolean {
  return v === undefined || v === NIL_INTERFACE;
}

function runeCount(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0xd800 || c >= 0xdc00) n++; // count the high half of a pair once
  }
  return n;
}

/**
 * The `#` flag on a float (sign first): always a decimal point, and %g/%v/%x keep their trailing zeros up to the
 * precision (6 by default).
 */
function sharpFloat(num: string, verb: string, prec: number): string {
  let digits = verb === 'v' || verb === 'g' || verb === 'G' || verb === 'x' ? (prec === -1 ? 6 : prec) : 0;
  let tail = '';
  let body = num;
  let hasDecimalPoint = false;
  let sawNonzeroDigit = false;
  for (let i = 1; i < body.length; i++) {
    const c = body[i]!;
    if (c === '.') hasDecimalPoint = true;
    else if (c === 'p' || c === 'P' || ((c === 'e' || c === 'E') && verb !== 'x' && verb !== 'X')) {
      tail = body.slice(i);
      body = body.slice(0, i);
    } else {
      if (c !== '0') sawNonzeroDigit = true;
      if (sawNonzeroDigit) digits--; // significant digits after the first non-zero one
    }
  }
  if (!hasDecimalPoint) {
    if (body.length === 2 && body[1] === '0') digits--; // a leading 0 counts once
    body += '.';
  }
  if (digits > 0) body += '0'.repeat(digits);
  return body + tail;
}

class Printer {
  out = '';
  // fmt.fmtFlags and the width and precision of the verb being formatted
  widPresent = false;
  precPresent = false;
  minus = false;
  plus = false;
  sharp = false;
  space = false;
  zero = false;
  plusV = false;
  sharpV = false;
  wid = 0;
  prec = 0;
  /** Set while writing a bad-verb notation: methods are not called then (fmt's pp.erroring). */
  private erroring = false;

  clearFlags(): void {
    this.widPresent = this.precPresent = this.minus = this.plus = this.sharp = false;
    this.space = this.zero = this.plusV = this.sharpV = false;
    this.wid = this.prec = 0;
  }

  private writePadding(n: number): void {
    if (n <= 0) return;
    this.out += (this.zero && !this.minus ? '0' : ' ').repeat(n);
  }

  /** Pads s on the left (or right with `-`) to the width, counted in characters. */
  padString(s: string): void {
    if (!this.widPresent || this.wid === 0) {
      this.out += s;
      return;
    }
    const width = this.wid - runeCount(s);
    if (!this.minus) {
      this.writePadding(width);
      this.out += s;
    } else {
      this.out += s;
      this.writePadding(width);
    }
  }

  private truncate(s: string): string {
    if (!this.precPresent) return s;
    let n = this.prec;
    let i = 0;
    for (const ch of s) {
      if (--n < 0) return s.slice(0, i);
      i += ch.length;
    }
    return s;
  }

  private fmtInteger(u: bigint, base: number, signed: boolean, verb: string, digits: string): void {
    const negative = signed && u < 0n;
    if (negative) u = -u;
    let prec = 0;
    if (this.precPresent) {
      prec = this.prec;
      if (prec === 0 && u === 0n) {
        const oldZero = this.zero;
        this.zero = false;
        this.writePadding(this.wid);
        this.zero = oldZero;
        return;
      }
    } else if (this.zero && !this.minus && this.widPresent) {
      prec = this.wid;
      if (negative || this.plus || this.space) prec--;
    }
    let s = u.toString(base);
    if (digits === UPPER_DIGITS) s = s.toUpperCase();
    if (s.length < prec) s = '0'.repeat(prec - s.length) + s;
    if (this.sharp) {
      if (base === 2) s = `0b${s}`;
      else if (base === 8 && s[0] !== '0') s = `0${s}`;
      else if (base === 16) s = `0${digits[16]}${s}`;
    }
    if (verb === 'O') s = `0o${s}`;
    if (negative) s = `-${s}`;
    else if (this.plus) s = `+${s}`;
    else if (this.space) s = ` ${s}`;
    const oldZero = this.zero;
    this.zero = false;
    this.padString(s);
    this.zero = oldZero;
  }

  private fmtUnicode(u: bigint): void {
    let s = u.toString(16).toUpperCase();
    const prec = this.precPresent && this.prec > 4 ? this.prec : 4;
    if (s.length < prec) s = '0'.repeat(prec - s.length) + s;
    s = `U+${s}`;
    if (this.sharp && u <= 0x10ffffn && isPrint(Number(u))) s += ` '${String.fromCodePoint(Number(u))}'`;
    const oldZero = this.zero;
    this.zero = false;
    this.padString(s);
    this.zero = oldZero;
  }

  private fmtFloat(v: number, verb: string, prec: number): void {
    if (this.precPresent) prec = this.prec;
    let num = formatFloat(v, verb as FloatFormat, prec);
    if (num[0] !== '-' && num[0] !== '+') num = `+${num}`;
    if (this.space && num[0] === '+' && !this.plus) num = ` ${num.slice(1)}`;
    if (num[1] === 'I' || num[1] === 'N') {
      const oldZero = this.zero;
      this.zero = false;
      if (num[1] === 'N' && !this.space && !this.plus) num = num.slice(1);
      this.padString(num);
      this.zero = oldZero;
      return;
    }
    if (this.sharp && verb !== 'b') num = sharpFloat(num, verb, prec);
    if (this.plus || num[0] !== '+') {
      if (this.zero && !this.minus && this.widPresent && this.wid > num.length) {
        this.out += num[0];
        this.writePadding(this.wid - num.length);
        this.out += num.slice(1);
        return;
      }
      this.padString(num);
      return;
    }
    this.padString(num.slice(1));
  }

  private printFloat(v: number, verb: string): void {
    switch (verb) {
      case 'v':
        return this.fmtFloat(v, 'g', -1);
      case 'b':
      case 'g':
      case 'G':
      case 'x':
      case 'X':
        return this.fmtFloat(v, verb, -1);
      case 'f':
      case 'e':
      case 'E':
        return this.fmtFloat(v, verb, 6);
      case 'F':
        return this.fmtFloat(v, 'f', 6);
      default:
        return this.badVerb(verb, v);
    }
  }

  private printComplex(v: GoComplex, verb: string): void {
    if (!'vbgGxXfFeE'.includes(verb)) return this.badVerb(verb, v);
    const oldPlus = this.plus;
    this.out += '(';
    this.printFloat(v.re, verb);
    this.plus = true;
    this.printFloat(v.im, verb);
    this.out += 'i)';
    this.plus = oldPlus;
  }

  private printInteger(u: bigint, signed: boolean, verb: string, arg: Value): void {
    switch (verb) {
      case 'v':
        if (this.sharpV && !signed) return this.fmtInteger(u, 16, signed, verb, LOWER_DIGITS);
        return this.fmtInteger(u, 10, signed, verb, LOWER_DIGITS);
      case 'd':
        return this.fmtInteger(u, 10, signed, verb, LOWER_DIGITS);
      case 'b':
        return this.fmtInteger(u, 2, signed, verb, LOWER_DIGITS);
      case 'o':
      case 'O':
        return this.fmtInteger(u, 8, signed, verb, LOWER_DIGITS);
      case 'x':
        return this.fmtInteger(u, 16, signed, verb, LOWER_DIGITS);
      case 'X':
        return this.fmtInteger(u, 16, signed, verb, UPPER_DIGITS);
      case 'c': {
        const cp = u >= 0n && u <= 0x10ffffn ? Number(u) : 0xfffd;
        return this.padString(String.fromCodePoint(cp >= 0xd800 && cp < 0xe000 ? 0xfffd : cp));
      }
      case 'q':
        return this.padString(quoteRune(u >= 0n && u <= 0x10ffffn ? Number(u) : -1, this.plus));
      case 'U':
        return this.fmtUnicode(BigInt.asUintN(64, u));
      default:
        return this.badVerb(verb, arg);
    }
  }

  private fmtSbx(s: string, digits: string): void {
    let bytes = utf8Bytes(s);
    if (this.precPresent && this.prec < bytes.length) bytes = bytes.subarray(0, this.prec);
    let width = 2 * bytes.length;
    if (width === 0) {
      if (this.widPresent) this.writePadding(this.wid);
      return;
    }
    if (this.space) {
      if (this.sharp) width *= 2;
      width += bytes.length - 1;
    } else if (this.sharp) width += 2;
    if (this.widPresent && this.wid > width && !this.minus) this.writePadding(this.wid - width);
    let out = this.sharp ? `0${digits[16]}` : '';
    bytes.forEach((b, i) => {
      if (this.space && i > 0) out += this.sharp ? ` 0${digits[16]}` : ' ';
      out += digits[b >> 4]! + digits[b & 15]!;
    });
    this.out += out;
    if (this.widPresent && this.wid > width && this.minus) this.writePadding(this.wid - width);
  }

  private fmtQ(s: string): void {
    s = this.truncate(s);
    if (this.sharp && canBackquote(s)) this.padString(`\`${s}\``);
    else this.padString(quote(s, this.plus));
  }

  private printString(s: string, verb: string, arg: Value): void {
    switch (verb) {
      case 'v':
        if (this.sharpV) return this.fmtQ(s);
        return this.padString(this.truncate(s));
      case 's':
        return this.padString(this.truncate(s));
      case 'x':
        return this.fmtSbx(s, LOWER_DIGITS);
      case 'X':
        return this.fmtSbx(s, UPPER_DIGITS);
      case 'q':
        return this.fmtQ(s);
      default:
        return this.badVerb(verb, arg);
    }
  }

  private printBool(b: boolean, verb: string): void {
    if (verb === 't' || verb === 'v') this.padString(b ? 'true' : 'false');
    else this.badVerb(verb, b);
  }

  private printPointer(v: Value, verb: string): void {
    if (!(v instanceof GoPointer || v instanceof GoMap || v instanceof GoSlice)) return this.badVerb(verb, v);
    const nil = v instanceof GoPointer && v.target === null;
    const address = nil ? 0n : BigInt(addressOf(v));
    switch (verb) {
      case 'v':
        if (this.sharpV) {
          this.out += `(${v.type.name})(${nil ? 'nil' : addressOf(v)})`;
          return;
        }
        if (nil) return this.padString('<nil>');
        return this.fmt0x64(address, !this.sharp);
      case 'p':
        return this.fmt0x64(address, !this.sharp);
      case 'b':
      case 'o':
      case 'd':
      case 'x':
      case 'X':
        return this.printInteger(address, false, verb, v);
      default:
        return this.badVerb(verb, v);
    }
  }

  private fmt0x64(u: bigint, leading0x: boolean): void {
    const sharp = this.sharp;
    this.sharp = leading0x;
    this.fmtInteger(u, 16, false, 'v', LOWER_DIGITS);
    this.sharp = sharp;
  }

  private badVerb(verb: string, v: Value): void {
    this.erroring = true;
    this.out += `%!${verb}(`;
    if (isNilArg(v)) this.out += '<nil>';
    else {
      this.out += `${typeOf(v)!.name}=`;
      this.printArg(v, 'v');
    }
    this.out += ')';
    this.erroring = false;
  }

  /** fmt's handleMethods: a Stringer prints its String() for the verbs that take a string. */
  private handleMethods(v: Value, verb: string): boolean {
    if (this.erroring || this.sharpV) return false;
    if (!'vsxXq'.includes(verb)) return false;
    const text = stringerText(v);
    if (text === undefined) return false;
    this.printString(text, verb, v);
    return true;
  }

  printArg(arg: Value, verb: string): void {
    if (isNilArg(arg)) {
      if (verb === 'T' || verb === 'v') this.padString('<nil>');
      else this.badVerb(verb, arg);
      return;
    }
    if (verb === 'T') return this.padString(this.truncate(typeOf(arg)!.name));
    if (verb === 'p') return this.printPointer(arg, 'p');
    switch (typeof arg) {
      case 'boolean':
        return this.printBool(arg, verb);
      case 'number':
        return this.printFloat(arg, verb);
      case 'bigint':
        return this.printInteger(arg, true, verb, arg);
      case 'string':
        return this.printString(arg, verb, arg);
    }
    if (arg instanceof GoComplex) return this.printComplex(arg, verb);
    if (!this.handleMethods(arg, verb)) this.printValue(arg, verb, 0);
  }

  private printValue(v: Value, verb: string, depth: number): void {
    if (depth > 0 && v !== undefined && this.handleMethods(v, verb)) return;
    switch (typeof v) {
      case 'undefined':
        if (depth === 0) this.out += '<invalid reflect.Value>';
        else if (verb === 'v') this.out += '<nil>';
        else this.badVerb(verb, v);
        return;
      case 'boolean':
        return this.printBool(v, verb);
      case 'number':
        return this.printFloat(v, verb);
      case 'bigint':
        return this.printInteger(v, true, verb, v);
      case 'string':
        return this.printString(v, verb, v);
    }
    if (v === NIL_INTERFACE) {
      this.out += this.sharpV ? 'interface {}(nil)' : '<nil>';
      return;
    }
    if (v instanceof GoNamed) {
      if (typeof v.value === 'string') return this.printString(v.value, verb, v);
      return this.printInteger(v.value, v.type.kind === 'int', verb, v);
    }
    if (v instanceof GoComplex) return this.printComplex(v, verb);
    if (v instanceof GoMap) {
      this.out += this.sharpV ? `${v.type.name}{` : 'map[';
      v.sortedKeys().forEach((key, i) => {
        if (i > 0) this.out += this.sharpV ? ', ' : ' ';
        this.printValue(key, verb, depth + 1);
        this.out += ':';
        this.printValue(v.get(key), verb, depth + 1);
      });
      this.out += this.sharpV ? '}' : ']';
      return;
    }
    if (v instanceof GoStruct) {
      if (this.sharpV) this.out += v.type.name;
      this.out += '{';
      v.type.fields!.forEach((f, i) => {
        if (i > 0) this.out += this.sharpV ? ', ' : ' ';
        if (this.plusV || this.sharpV) this.out += `${f.name}:`;
        this.printValue(v.fields[i], verb, depth + 1);
      });
      this.out += '}';
      return;
    }
    if (v instanceof GoTime) {
      // Go's internals, for verbs that do not call String: {wall ext loc}, seconds counted from year 1, UTC's nil loc.
      const sec = Math.floor(v.unixMs / 1000);
      this.out += '{';
      this.printValue(new GoNamed(UINT64, BigInt((v.unixMs - sec * 1000) * 1e6)), verb, depth + 1);
      this.out += ' ';
      this.printValue(new GoNamed(INT64, BigInt(sec) + 62_135_596_800n), verb, depth + 1);
      this.out += ' ';
      this.printValue(new GoPointer(LOCATION_PTR, null), verb, depth + 1);
      this.out += '}';
      return;
    }
    if (v instanceof GoSlice) {
      if (this.sharpV) this.out += `${v.type.name}{`;
      else this.out += '[';
      v.items.forEach((item, i) => {
        if (i > 0) this.out += this.sharpV ? ', ' : ' ';
        this.printValue(item, verb, depth + 1);
      });
      this.out += this.sharpV ? '}' : ']';
      return;
    }
    if (v instanceof GoPointer) {
      const t = v.target;
      const composite = t instanceof GoStruct || t instanceof GoSlice || t instanceof GoMap || t instanceof GoTime;
      if (depth === 0 && t !== null && composite) {
        this.out += '&';
        return this.printValue(t, verb, depth + 1);
      }
      return this.printPointer(v, verb);
    }
    this.out += `?${typeOf(v)!.name}?`;
  }

  /** fmt's doPrintf. */
  printf(format: string, args: readonly Value[]): void {
    const end = format.length;
    let argNum = 0;
    let afterIndex = false;
    let reordered = false;
    let goodArgNum = true;
    // fmt's argNumber: an explicit argument index `[n]` at i.
    const argNumber = (i: number): { arg: number; i: number; found: boolean } => {
      if (i >= end || format[i] !== '[') return { arg: argNum, i, found: false };
      reordered = true;
      let index = 0;
      let wid = 1;
      let ok = false;
      const close = end - i >= 3 ? format.indexOf(']', i + 1) : -1;
      if (close >= 0) {
        const n = parseNum(i + 1, close);
        wid = close - i + 1;
        ok = n.isNum && n.i === close;
        if (ok) index = n.num - 1;
      }
      if (ok && index >= 0 && index < args.length) return { arg: index, i: i + wid, found: true };
      goodArgNum = false;
      return { arg: argNum, i: i + wid, found: ok };
    };
    const parseNum = (i: number, stop = end): { num: number; isNum: boolean; i: number } => {
      let num = 0;
      let isNum = false;
      while (i < stop && format[i]! >= '0' && format[i]! <= '9') {
        if (num > 1e6) return { num: 0, isNum: false, i: stop }; // a crazy long number
        num = num * 10 + format.charCodeAt(i) - 48;
        isNum = true;
        i++;
      }
      return { num, isNum, i };
    };
    const intArg = (): { num: number; ok: boolean } => {
      if (argNum >= args.length) return { num: 0, ok: false };
      const a = args[argNum++];
      let num = 0;
      let ok = false;
      if (typeof a === 'bigint') {
        ok = a >= -(1n << 63n) && a < 1n << 63n;
        num = Number(a);
      } else if (a instanceof GoNamed && typeof a.value === 'bigint') {
        ok = true;
        num = Number(a.value);
      }
      if (num > 1e6 || num < -1e6) return { num: 0, ok: false };
      return { num, ok };
    };
    let i = 0;
    while (i < end) {
      goodArgNum = true;
      const pct = format.indexOf('%', i);
      if (pct < 0) {
        this.out += format.slice(i);
        break;
      }
      this.out += format.slice(i, pct);
      i = pct + 1;
      this.clearFlags();
      flags: for (; i < end; i++) {
        switch (format[i]) {
          case '#':
            this.sharp = true;
            break;
          case '0':
            this.zero = !this.minus;
            break;
          case '+':
            this.plus = true;
            break;
          case '-':
            this.minus = true;
            this.zero = false;
            break;
          case ' ':
            this.space = true;
            break;
          default:
            break flags;
        }
      }
      let r = argNumber(i);
      argNum = r.arg;
      i = r.i;
      afterIndex = r.found;
      if (i < end && format[i] === '*') {
        i++;
        const w = intArg();
        this.wid = w.num;
        this.widPresent = w.ok;
        if (!w.ok) this.out += '%!(BADWIDTH)';
        if (this.wid < 0) {
          this.wid = -this.wid;
          this.minus = true;
          this.zero = false;
        }
        afterIndex = false;
      } else {
        const n = parseNum(i);
        this.wid = n.num;
        this.widPresent = n.isNum;
        i = n.i;
        if (afterIndex && this.widPresent) goodArgNum = false;
      }
      if (i + 1 < end && format[i] === '.') {
        i++;
        if (afterIndex) goodArgNum = false;
        r = argNumber(i);
        argNum = r.arg;
        i = r.i;
        afterIndex = r.found;
        if (i < end && format[i] === '*') {
          i++;
          const p = intArg();
          this.prec = p.num;
          this.precPresent = p.ok;
          if (this.prec < 0) {
            this.prec = 0;
            this.precPresent = false;
          }
          if (!p.ok) this.out += '%!(BADPREC)';
          afterIndex = false;
        } else {
          const n = parseNum(i);
          this.prec = n.num;
          this.precPresent = true;
          i = n.i;
        }
      }
      if (!afterIndex) {
        r = argNumber(i);
        argNum = r.arg;
        i = r.i;
        afterIndex = r.found;
      }
      if (i >= end) {
        this.out += '%!(NOVERB)';
        break;
      }
      const verb = String.fromCodePoint(format.codePointAt(i)!);
      i += verb.length;
      if (verb === '%') this.out += '%';
      else if (!goodArgNum) this.out += `%!${verb}(BADINDEX)`;
      else if (argNum >= args.length) this.out += `%!${verb}(MISSING)`;
      else {
        if (verb === 'v') {
          this.sharpV = this.sharp;
          this.sharp = false;
          this.plusV = this.plus;
          this.plus = false;
        }
        this.printArg(args[argNum], verb);
        argNum++;
      }
    }
    if (!reordered && argNum < args.length) {
      this.clearFlags();
      this.out += '%!(EXTRA ';
      args.slice(argNum).forEach((a, k) => {
        if (k > 0) this.out += ', ';
        if (isNilArg(a)) this.out += '<nil>';
        else {
          this.out += `${typeOf(a)!.name}=`;
          this.printArg(a, 'v');
        }
      });
      this.out += ')';
    }
  }
}

function isStringKind(v: Value): boolean {
  return typeof v === 'string' || (v instanceof GoNamed && typeof v.value === 'string');
}

/** fmt.Sprint: spaces between operands when neither is a string. */
export function sprint(args: readonly Value[]): string {
  if (args.length === 1 && typeof args[0] === 'string') return args[0];
  const p = new Printer();
  let prevString = false;
  args.forEach((a, i) => {
    const isString = isStringKind(a);
    if (i > 0 && !isString && !prevString) p.out += ' ';
    p.printArg(a, 'v');
    prevString = isString;
  });
  return p.out;
}

/** fmt.Sprintln: spaces between all operands and a newline. */
export function sprintln(args: readonly Value[]): string {
  const p = new Printer();
  args.forEach((a, i) => {
    if (i > 0) p.out += ' ';
    p.printArg(a, 'v');
  });
  return `${p.out}\n`;
}

/** fmt.Sprintf. */
export function sprintf(format: string, args: readonly Value[]): string {
  const p = new Printer();
  p.printf(format, args);
  return p.out;
}
