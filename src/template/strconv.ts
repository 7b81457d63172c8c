// Go's strconv as far as templates need it: FormatFloat digit for digit (shortest and fixed precision, ties to even),
// Quote, Unquote, and the integer and float parsers behind template literals and Prometheus' ConvertToFloat.

/** A *strconv.NumError's message: `strconv.ParseFloat: parsing "x": invalid syntax`. */
export class NumError extends Error {
  constructor(fn: string, input: string, reason: 'invalid syntax' | 'value out of range') {
    super(`strconv.${fn}: parsing ${quote(input)}: ${reason}`);
  }
}

/** strconv.ErrSyntax, as Unquote returns it. */
export class ErrSyntax extends Error {
  constructor() {
    super('invalid syntax');
  }
}

/** Decimal digits without trailing zeros; the value is 0.d × 10^dp (Go's decimalSlice). Zero has no digits. */
interface Digits {
  d: string;
  dp: number;
}

const f64 = new DataView(new ArrayBuffer(8));

/** The exact decimal expansion of a finite x > 0 (every double is a finite decimal fraction). */
function exactDigits(x: number): Digits {
  f64.setFloat64(0, x);
  const hi = f64.getUint32(0);
  const lo = f64.getUint32(4);
  let exp = (hi >>> 20) & 0x7ff;
  let mant = (BigInt(hi & 0xfffff) << 32n) | BigInt(lo);
  if (exp === 0) exp = 1;
  else mant |= 1n << 52n;
  const e2 = exp - 1075; // x = mant × 2^e2
  let d: string;
  let dp: number;
  if (e2 >= 0) {
    d = (mant << BigInt(e2)).toString();
    dp = d.length;
  } else {
    // mant × 2^e2 = mant × 5^-e2 × 10^e2
    d = (mant * 5n ** BigInt(-e2)).toString();
    dp = d.length + e2;
  }
  return { d: trimZeros(d), dp };
}

function trimZeros(d: string): string {
  let n = d.length;
  while (n > 0 && d.charCodeAt(n - 1) === 48) n--;
  return n === d.length ? d : d.slice(0, n);
}

/** The shortest digits that read back as x (x > 0): JavaScript's Number-to-String picks the same ones as Go. */
function shortestDigits(x: number): Digits {
  const s = String(x);
  const e = s.indexOf('e');
  const mant = e < 0 ? s : s.slice(0, e);
  const exp = e < 0 ? 0 : Number(s.slice(e + 1));
  const dot = mant.indexOf('.');
  const intPart = dot < 0 ? mant : mant.slice(0, dot);
  let d = dot < 0 ? mant : intPart + mant.slice(dot + 1);
  let dp = intPart.length + exp;
  let lead = 0;
  while (lead < d.length - 1 && d.charCodeAt(lead) === 48) lead++;
  if (lead > 0) {
    d = d.slice(lead);
    dp -= lead;
  }
  return { d: trimZeros(d), dp };
}

/** Go's decimal.Round: to nd digits, half to even on an exact tie (the digits are exact). */
function round(a: Digits, nd: number): Digits {
  if (nd < 0 || nd >= a.d.length) return a;
  const next = a.d.charCodeAt(nd);
  const up = next === 53 && nd + 1 === a.d.length ? nd > 0 && (a.d.charCodeAt(nd - 1) - 48) % 2 === 1 : next >= 53;
  if (!up) {
    const d = trimZeros(a.d.slice(0, nd));
    return { d, dp: d === '' ? 0 : a.dp };
  }
  let i = nd - 1;
  while (i >= 0 && a.d.charCodeAt(i) === 57) i--;
  if (i < 0) return { d: '1', dp: a.dp + 1 };
  return { d: a.d.slice(0, i) + String.fromCharCode(a.d.charCodeAt(i) + 1), dp: a.dp };
}

export type FloatFormat = 'b' | 'e' | 'E' | 'f' | 'g' | 'G' | 'x' | 'X';

/** strconv.FormatFloat(x, fmt, prec, 64); prec -1 is the shortest representation that reads back exactly. */
export function formatFloat(x: number, fmt: FloatFormat, prec: number): string {
  if (Number.isNaN(x)) return 'NaN';
  if (x === Infinity) return '+Inf';
  if (x === -Infinity) return '-Inf';
  const neg = x < 0 || Object.is(x, -0);
  if (fmt === 'b' || fmt === 'x' || fmt === 'X') return (neg ? '-' : '') + formatBinary(Math.abs(x), fmt, prec);
  const abs = Math.abs(x);
  const shortest = prec < 0;
  let digs: Digits;
  if (abs === 0) digs = { d: '', dp: 0 };
  else if (shortest) digs = shortestDigits(abs);
  else {
    const exact = exactDigits(abs);
    if (fmt === 'e' || fmt === 'E') digs = round(exact, prec + 1);
    else if (fmt === 'f') digs = round(exact, exact.dp + prec);
    else {
      if (prec === 0) prec = 1;
      digs = round(exact, prec);
    }
  }
  if (shortest) {
    const nd = digs.d.length;
    if (fmt === 'e' || fmt === 'E') prec = Math.max(nd - 1, 0);
    else if (fmt === 'f') prec = Math.max(nd - digs.dp, 0);
    else prec = nd;
  }
  return (neg ? '-' : '') + formatDigits(digs, shortest, prec, fmt);
}

const MASK_60 = (1n << 60n) - 1n;
const MASK_64 = (1n << 64n) - 1n;

/** %b (mantissa p exponent) and %x/%X (hexadecimal fraction, binary exponent) of x ≥ 0, as Go's fmtB and fmtX. */
function formatBinary(x: number, fmt: 'b' | 'x' | 'X', prec: number): string {
  f64.setFloat64(0, x);
  let exp = (f64.getUint32(0) >>> 20) & 0x7ff;
  let mant = f64.getBigUint64(0) & ((1n << 52n) - 1n);
  if (exp === 0) exp++;
  else mant |= 1n << 52n;
  exp -= 1023;
  if (fmt === 'b') {
    const e = exp - 52;
    return `${mant}p${e >= 0 ? '+' : ''}${e}`;
  }
  if (mant === 0n) exp = 0;
  // The leading 1 (if any) at bit 60.
  mant <<= 8n;
  while (mant !== 0n && (mant & (1n << 60n)) === 0n) {
    mant <<= 1n;
    exp--;
  }
  if (prec >= 0 && prec < 15) {
    const shift = BigInt(prec * 4);
    const extra = (mant << shift) & MASK_60;
    mant >>= 60n - shift;
    if ((extra | (mant & 1n)) > 1n << 59n) mant++;
    mant <<= 60n - shift;
    if ((mant & (1n << 61n)) !== 0n) {
      mant >>= 1n;
      exp++;
    }
  }
  const hex = fmt === 'X' ? '0123456789ABCDEF' : HEX;
  let out = `0${fmt}${(mant >> 60n) & 1n}`;
  mant = (mant << 4n) & MASK_64;
  if (prec < 0 && mant !== 0n) {
    out += '.';
    for (; mant !== 0n; mant = (mant << 4n) & MASK_64) out += hex[Number((mant >> 60n) & 15n)];
  } else if (prec > 0) {
    out += '.';
    for (let i = 0; i < prec; i++, mant = (mant << 4n) & MASK_64) out += hex[Number((mant >> 60n) & 15n)];
  }
  const e = Math.abs(exp);
  return `${out}${fmt === 'X' ? 'P' : 'p'}${exp < 0 ? '-' : '+'}${e < 10 ? '0' : ''}${e}`;
}

function formatDigits(digs: Digits, shortest: boolean, prec: number, fmt: FloatFormat): string {
  if (fmt === 'e' || fmt === 'E') return fmtE(digs, prec, fmt);
  if (fmt === 'f') return fmtF(digs, prec);
  const nd = digs.d.length;
  // Trailing fractional zeros in 'e' form are trimmed; %e is used if the exponent is less than -4 or at least the
  // precision (6 for the shortest form).
  let eprec = prec;
  if (eprec > nd && nd >= digs.dp) eprec = nd;
  if (shortest) eprec = 6;
  const exp = digs.dp - 1;
  if (exp < -4 || exp >= eprec) {
    if (prec > nd) prec = nd;
    return fmtE(digs, prec - 1, fmt === 'g' ? 'e' : 'E');
  }
  if (prec > digs.dp) prec = nd;
  return fmtF(digs, Math.max(prec - digs.dp, 0));
}

/** %e: d.dddde±dd */
function fmtE(digs: Digits, prec: number, fmt: 'e' | 'E'): string {
  const nd = digs.d.length;
  let out = nd === 0 ? '0' : digs.d[0]!;
  if (prec > 0) {
    out += '.';
    const m = Math.min(nd, prec + 1);
    if (m > 1) out += digs.d.slice(1, m);
    out += '0'.repeat(Math.max(0, prec + 1 - Math.max(m, 1)));
  }
  let exp = nd === 0 ? 0 : digs.dp - 1;
  const sign = exp < 0 ? '-' : '+';
  exp = Math.abs(exp);
  return `${out}${fmt}${sign}${exp < 10 ? '0' : ''}${exp}`;
}

/** %f: ddd.ddd */
function fmtF(digs: Digits, prec: number): string {
  const nd = digs.d.length;
  let out: string;
  if (digs.dp > 0) {
    const m = Math.min(nd, digs.dp);
    out = digs.d.slice(0, m) + '0'.repeat(digs.dp - m);
  } else out = '0';
  if (prec > 0) {
    out += '.';
    for (let i = 0; i < prec; i++) {
      const j = digs.dp + i;
      out += j >= 0 && j < nd ? digs.d[j] : '0';
    }
  }
  return out;
}

/** Go's unicode.IsPrint / strconv.IsPrint: letters, marks, numbers, punctuation, symbols and the ASCII space. */
export function isPrint(cp: number): boolean {
  if (cp < 0x80) return cp >= 0x20 && cp < 0x7f;
  return PRINTABLE.test(String.fromCodePoint(cp));
}
const PRINTABLE = /^[\p{L}\p{M}\p{N}\p{P}\p{S}]$/u;

const HEX = '0123456789abcdef';

function hexDigits(v: number, n: number): string {
  let s = '';
  for (let i = n - 1; i >= 0; i--) s += HEX[(v >>> (4 * i)) & 15];
  return s;
}

/** Go's appendEscapedRune for strconv.Quote (quote `"`) and QuoteRune (quote `'`). */
function escapeRune(cp: number, quoteChar: number, asciiOnly: boolean): string {
  if (cp === quoteChar || cp === 92) return `\\${String.fromCharCode(cp)}`;
  if (asciiOnly ? cp < 0x80 && isPrint(cp) : isPrint(cp)) return String.fromCodePoint(cp);
  switch (cp) {
    case 7:
      return '\\a';
    case 8:
      return '\\b';
    case 12:
      return '\\f';
    case 10:
      return '\\n';
    case 13:
      return '\\r';
    case 9:
      return '\\t';
    case 11:
      return '\\v';
  }
  if (cp < 0x20 || cp === 0x7f) return `\\x${hexDigits(cp, 2)}`;
  if (cp >= 0xd800 && cp < 0xe000) cp = 0xfffd; // a lone surrogate is not valid UTF-8: Go writes U+FFFD
  if (cp < 0x10000) return `\\u${hexDigits(cp, 4)}`;
  return `\\U${hexDigits(cp, 8)}`;
}

/** strconv.Quote (asciiOnly: QuoteToASCII). */
export function quote(s: string, asciiOnly = false): string {
  if (/^[\x20\x21\x23-\x5b\x5d-\x7e]*$/.test(s)) return `"${s}"`;
  let out = '"';
  for (const ch of s) out += escapeRune(ch.codePointAt(0)!, 34, asciiOnly);
  return `${out}"`;
}

/** strconv.QuoteRune (asciiOnly: QuoteRuneToASCII); an invalid code point is quoted as U+FFFD. */
export function quoteRune(cp: number, asciiOnly = false): string {
  if (cp < 0 || cp > 0x10ffff || (cp >= 0xd800 && cp < 0xe000)) cp = 0xfffd;
  return `'${escapeRune(cp, 39, asciiOnly)}'`;
}

/** strconv.CanBackquote: no control characters other than tab, no backquote, no BOM. */
export function canBackquote(s: string): boolean {
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    if ((cp < 0x20 && cp !== 9) || cp === 0x60 || cp === 0x7f || cp === 0xfeff) return false;
    if (cp >= 0xd800 && cp < 0xe000) return false;
  }
  return true;
}

function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}

/**
 * strconv.UnquoteChar: the first character or escape of s (which is inside quotes of kind `quoteChar`) and the rest.
 * A `\x` or octal escape yields a byte; it is returned as the character with that code.
 */
export function unquoteChar(s: string, quoteChar: number): { cp: number; tail: string; isByte?: boolean } {
  const c = s.charCodeAt(0);
  if (c === quoteChar && (quoteChar === 39 || quoteChar === 34)) throw new ErrSyntax();
  if (c !== 92) {
    const cp = s.codePointAt(0)!;
    return { cp, tail: s.slice(cp > 0xffff ? 2 : 1) };
  }
  if (s.length <= 1) throw new ErrSyntax();
  const e = s[1]!;
  let rest = s.slice(2);
  switch (e) {
    case 'a':
      return { cp: 7, tail: rest };
    case 'b':
      return { cp: 8, tail: rest };
    case 'f':
      return { cp: 12, tail: rest };
    case 'n':
      return { cp: 10, tail: rest };
    case 'r':
      return { cp: 13, tail: rest };
    case 't':
      return { cp: 9, tail: rest };
    case 'v':
      return { cp: 11, tail: rest };
    case 'x':
    case 'u':
    case 'U': {
      const n = e === 'x' ? 2 : e === 'u' ? 4 : 8;
      if (rest.length < n) throw new ErrSyntax();
      let v = 0;
      for (let i = 0; i < n; i++) {
        const x = hexValue(rest.charCodeAt(i));
        if (x < 0) throw new ErrSyntax();
        v = v * 16 + x;
      }
      rest = rest.slice(n);
      if (e === 'x') return { cp: v, tail: rest, isByte: true };
      if (v > 0x10ffff || (v >= 0xd800 && v < 0xe000)) throw new ErrSyntax();
      return { cp: v, tail: rest };
    }
    case '\\':
      return { cp: 92, tail: rest };
    case "'":
    case '"':
      if (e.charCodeAt(0) !== quoteChar) throw new ErrSyntax();
      return { cp: e.charCodeAt(0), tail: rest };
  }
  if (e >= '0' && e <= '7') {
    let v = e.charCodeAt(0) - 48;
    if (rest.length < 2) throw new ErrSyntax();
    for (let i = 0; i < 2; i++) {
      const x = rest.charCodeAt(i) - 48;
      if (x < 0 || x > 7) throw new ErrSyntax();
      v = v * 8 + x;
    }
    if (v > 255) throw new ErrSyntax();
    return { cp: v, tail: rest.slice(2), isByte: true };
  }
  throw new ErrSyntax();
}

/** strconv.Unquote for "…" and `…` literals (raw strings lose their carriage returns, as in Go). */
export function unquote(s: string): string {
  if (s.length < 2) throw new ErrSyntax();
  const q = s.charCodeAt(0);
  if (q !== s.charCodeAt(s.length - 1)) throw new ErrSyntax();
  const body = s.slice(1, -1);
  if (q === 96) {
    if (body.includes('`')) throw new ErrSyntax();
    return body.includes('\r') ? body.replaceAll('\r', '') : body;
  }
  if (q !== 34 || body.includes('\n')) throw new ErrSyntax();
  if (!body.includes('\\') && !body.includes('"')) return body;
  // \x and octal escapes are bytes: collect UTF-8 and decode once, as Go's string holds the bytes.
  const bytes: number[] = [];
  let rest = body;
  while (rest.length > 0) {
    const { cp, tail, isByte } = unquoteChar(rest, q);
    if (isByte) bytes.push(cp);
    else for (const b of UTF8.encode(String.fromCodePoint(cp))) bytes.push(b);
    rest = tail;
  }
  return new TextDecoder().decode(Uint8Array.from(bytes));
}
const UTF8 = new TextEncoder();

/** Go's underscoreOK: underscores only between digits, or between a base prefix and a digit. */
function underscoreOK(s: string): boolean {
  let saw = '^';
  let i = 0;
  if (s.startsWith('-') || s.startsWith('+')) s = s.slice(1);
  let hex = false;
  if (s.length >= 2 && s[0] === '0' && 'bBoOxX'.includes(s[1]!)) {
    i = 2;
    saw = '0';
    hex = s[1] === 'x' || s[1] === 'X';
  }
  for (; i < s.length; i++) {
    const c = s[i]!;
    if ((c >= '0' && c <= '9') || (hex && hexValue(c.charCodeAt(0)) >= 0)) {
      saw = '0';
      continue;
    }
    if (c === '_') {
      if (saw !== '0') return false;
      saw = '_';
      continue;
    }
    if (saw === '_') return false;
    saw = '!';
  }
  return saw !== '_';
}

const MAX_UINT64 = (1n << 64n) - 1n;

/** strconv.ParseUint(s, 0, 64): base prefixes 0x 0o 0b and a leading 0 for octal; undefined when invalid. */
export function parseUint(s: string): bigint | undefined {
  if (s === '') return undefined;
  let base = 10;
  let digits = s;
  if (s[0] === '0') {
    const p = s[1]?.toLowerCase();
    if (s.length >= 3 && p === 'b') base = 2;
    else if (s.length >= 3 && p === 'o') base = 8;
    else if (s.length >= 3 && p === 'x') base = 16;
    else base = 8;
    digits = base === 8 && p !== 'o' ? s.slice(1) : s.slice(2);
  }
  let n = 0n;
  let underscores = false;
  const b = BigInt(base);
  for (const c of digits) {
    if (c === '_') {
      underscores = true;
      continue;
    }
    const d = hexValue(c.charCodeAt(0));
    if (d < 0 || d >= base) return undefined;
    n = n * b + BigInt(d);
    if (n > MAX_UINT64) return undefined;
  }
  if (underscores && !underscoreOK(s)) return undefined;
  return n;
}

/** strconv.ParseInt(s, 0, 64); undefined when invalid or out of range. */
export function parseInt64(s: string): bigint | undefined {
  const neg = s.startsWith('-');
  const u = parseUint(neg || s.startsWith('+') ? s.slice(1) : s);
  if (u === undefined) return undefined;
  if (neg ? u > 1n << 63n : u >= 1n << 63n) return undefined;
  return neg ? -u : u;
}

/** strconv.ParseFloat(s, 64): decimal and hexadecimal literals, Inf, Infinity, NaN; throws NumError. */
export function parseFloat64(s: string): number {
  const special = parseSpecial(s);
  if (special !== undefined) return special;
  const v = readFloat(s);
  if (v === undefined) throw new NumError('ParseFloat', s, 'invalid syntax');
  if (!Number.isFinite(v)) throw new NumError('ParseFloat', s, 'value out of range');
  return v;
}

function parseSpecial(s: string): number | undefined {
  let sign = 1;
  let body = s;
  if (s[0] === '+' || s[0] === '-') {
    if (s[0] === '-') sign = -1;
    body = s.slice(1);
  } else if (/^nan$/i.test(s)) return Number.NaN;
  if (/^inf(inity)?$/i.test(body)) return sign * Infinity;
  return undefined;
}

/** Go's readFloat syntax (the whole string must be the number), then the correctly rounded value. */
function readFloat(s: string): number | undefined {
  let i = 0;
  let neg = false;
  if (s[i] === '+' || s[i] === '-') neg = s[i++] === '-';
  let hex = false;
  if (i + 2 < s.length && s[i] === '0' && (s[i + 1] === 'x' || s[i + 1] === 'X')) {
    hex = true;
    i += 2;
  }
  const start = i;
  let sawDigits = false;
  let sawDot = false;
  let underscores = false;
  for (; i < s.length; i++) {
    const c = s[i]!;
    if (c === '_') underscores = true;
    else if (c === '.') {
      if (sawDot) break;
      sawDot = true;
    } else if ((c >= '0' && c <= '9') || (hex && hexValue(c.charCodeAt(0)) >= 0)) sawDigits = true;
    else break;
  }
  if (!sawDigits) return undefined;
  const mantEnd = i;
  let exp = 0;
  const expChar = hex ? 'p' : 'e';
  if (i < s.length && s[i]!.toLowerCase() === expChar) {
    i++;
    let esign = 1;
    if (s[i] === '+' || s[i] === '-') esign = s[i++] === '-' ? -1 : 1;
    if (i >= s.length || s[i]! < '0' || s[i]! > '9') return undefined;
    for (; i < s.length && ((s[i]! >= '0' && s[i]! <= '9') || s[i] === '_'); i++) {
      if (s[i] === '_') underscores = true;
      else if (exp < 10000) exp = exp * 10 + s.charCodeAt(i) - 48;
    }
    exp *= esign;
  } else if (hex) return undefined;
  if (i !== s.length) return undefined;
  if (underscores && !underscoreOK(s)) return undefined;
  const mant = s.slice(start, mantEnd).replaceAll('_', '');
  let v: number;
  if (hex) {
    const dot = mant.indexOf('.');
    const digits = dot < 0 ? mant : mant.slice(0, dot) + mant.slice(dot + 1);
    const fracBits = dot < 0 ? 0 : 4 * (mant.length - dot - 1);
    v = Number(BigInt(`0x${digits || '0'}`)) * 2 ** (exp - fracBits);
  } else v = Number(`${mant}e${exp}`);
  return neg ? -v : v;
}
