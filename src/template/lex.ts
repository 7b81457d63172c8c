// The template lexer: Go's text/template/parse/lex.go (Go 1.24), pulled one item at a time by the parser.
// Positions are UTF-16 indexes into the input; errors that show a column convert them to Go's byte offsets.
import { quote as goQuote, isPrint } from './strconv.js';

export const enum Item {
  Error,
  Bool,
  Char,
  CharConstant,
  Complex,
  Assign,
  Declare,
  EOF,
  Field,
  Identifier,
  LeftDelim,
  LeftParen,
  Number,
  Pipe,
  RawString,
  RightDelim,
  RightParen,
  Space,
  String,
  Text,
  Variable,
  // Keywords come after all the rest.
  Keyword,
  Block,
  Break,
  Continue,
  Dot,
  Define,
  Else,
  End,
  If,
  Nil,
  Range,
  Template,
  With,
}

export interface Token {
  type: Item;
  pos: number;
  val: string;
  line: number;
}

const KEYWORDS = new Map<string, Item>([
  ['.', Item.Dot],
  ['block', Item.Block],
  ['break', Item.Break],
  ['continue', Item.Continue],
  ['define', Item.Define],
  ['else', Item.Else],
  ['end', Item.End],
  ['if', Item.If],
  ['range', Item.Range],
  ['nil', Item.Nil],
  ['template', Item.Template],
  ['with', Item.With],
]);

const LEFT_DELIM = '{{';
const RIGHT_DELIM = '}}';
const LEFT_COMMENT = '/*';
const RIGHT_COMMENT = '*/';
const EOF = -1;

function isSpace(r: number): boolean {
  return r === 32 || r === 9 || r === 13 || r === 10;
}

const ALPHANUMERIC = /[\p{L}\p{Nd}_]/u;
function isAlphaNumeric(r: number): boolean {
  if (r < 0x80) return r === 95 || (r >= 48 && r <= 57) || (r >= 65 && r <= 90) || (r >= 97 && r <= 122);
  return r !== EOF && ALPHANUMERIC.test(String.fromCodePoint(r));
}

function hasLeftTrimMarker(s: string, i: number): boolean {
  return s.charCodeAt(i) === 45 && isSpace(s.charCodeAt(i + 1));
}

function hasRightTrimMarker(s: string, i: number): boolean {
  return isSpace(s.charCodeAt(i)) && s.charCodeAt(i + 1) === 45;
}

function countNewlines(s: string, from: number, to: number): number {
  let n = 0;
  for (let i = s.indexOf('\n', from); i >= 0 && i < to; i = s.indexOf('\n', i + 1)) n++;
  return n;
}

/** `U+0023 '#'` as Go's %#U writes a rune. */
export function goRuneNotation(r: number): string {
  const hex = r.toString(16).toUpperCase().padStart(4, '0');
  return isPrint(r) ? `U+${hex} '${String.fromCodePoint(r)}'` : `U+${hex}`;
}

type StateFn = ((l: Lexer) => StateFn) | null;

export class Lexer {
  private pos = 0;
  private start = 0;
  private atEOF = false;
  private parenDepth = 0;
  private line = 1;
  private startLine = 1;
  private item: Token = { type: Item.EOF, pos: 0, val: 'EOF', line: 1 };
  private insideAction = false;

  constructor(private input: string) {}

  /** The next item; after an error or EOF it keeps returning EOF. */
  nextItem(): Token {
    this.item = { type: Item.EOF, pos: this.pos, val: 'EOF', line: this.startLine };
    let state: StateFn = this.insideAction ? lexInsideAction : lexText;
    while (state !== null) state = state(this);
    return this.item;
  }

  next(): number {
    if (this.pos >= this.input.length) {
      this.atEOF = true;
      return EOF;
    }
    const r = this.input.codePointAt(this.pos)!;
    this.pos += r > 0xffff ? 2 : 1;
    if (r === 10) this.line++;
    return r;
  }

  peek(): number {
    const r = this.next();
    this.backup();
    return r;
  }

  backup(): void {
    if (!this.atEOF && this.pos > 0) {
      const lowHalf = this.input.charCodeAt(this.pos - 1);
      const w = lowHalf >= 0xdc00 && lowHalf < 0xe000 && this.pos > 1 ? 2 : 1;
      this.pos -= w;
      if (this.input.charCodeAt(this.pos) === 10) this.line--;
    }
  }

  private thisItem(type: Item): Token {
    const t = { type, pos: this.start, val: this.input.slice(this.start, this.pos), line: this.startLine };
    this.start = this.pos;
    this.startLine = this.line;
    return t;
  }

  emit(type: Item): StateFn {
    this.item = this.thisItem(type);
    return null;
  }

  emitItem(t: Token): StateFn {
    this.item = t;
    return null;
  }

  /** Skips the pending input, counting the newlines in it. */
  ignore(): void {
    this.line += countNewlines(this.input, this.start, this.pos);
    this.start = this.pos;
    this.startLine = this.line;
  }

  accept(valid: string): boolean {
    const r = this.next();
    if (r !== EOF && valid.includes(String.fromCodePoint(r))) return true;
    this.backup();
    return false;
  }

  acceptRun(valid: string): void {
    for (;;) {
      const r = this.next();
      if (r === EOF || !valid.includes(String.fromCodePoint(r))) break;
    }
    this.backup();
  }

  errorf(message: string): StateFn {
    this.item = { type: Item.Error, pos: this.start, val: message, line: this.startLine };
    this.start = 0;
    this.pos = 0;
    this.input = '';
    return null;
  }

  /** Whether the input is at a right delimiter, possibly preceded by a trim marker. */
  atRightDelim(): { delim: boolean; trimSpaces: boolean } {
    if (hasRightTrimMarker(this.input, this.pos) && this.input.startsWith(RIGHT_DELIM, this.pos + 2))
      return { delim: true, trimSpaces: true };
    if (this.input.startsWith(RIGHT_DELIM, this.pos)) return { delim: true, trimSpaces: false };
    return { delim: false, trimSpaces: false };
  }

  /** Whether the input is at a character that may follow an identifier (breaks `.X.Y` in two). */
  atTerminator(): boolean {
    const r = this.peek();
    if (isSpace(r)) return true;
    switch (r) {
      case EOF:
      case 46: // .
      case 44: // ,
      case 124: // |
      case 58: // :
      case 41: // )
      case 40: // (
        return true;
    }
    return this.input.startsWith(RIGHT_DELIM, this.pos);
  }

  scanNumber(): boolean {
    this.accept('+-');
    let digits = '0123456789_';
    if (this.accept('0')) {
      if (this.accept('xX')) digits = '0123456789abcdefABCDEF_';
      else if (this.accept('oO')) digits = '01234567_';
      else if (this.accept('bB')) digits = '01_';
    }
    this.acceptRun(digits);
    if (this.accept('.')) this.acceptRun(digits);
    if (digits.length === 11 && this.accept('eE')) {
      this.accept('+-');
      this.acceptRun('0123456789_');
    }
    if (digits.length === 23 && this.accept('pP')) {
      this.accept('+-');
      this.acceptRun('0123456789_');
    }
    this.accept('i');
    if (isAlphaNumeric(this.peek())) {
      this.next();
      return false;
    }
    return true;
  }

  // State functions get at the fields through these accessors.
  get text(): string {
    return this.input;
  }
  get at(): number {
    return this.pos;
  }
  set at(p: number) {
    this.pos = p;
  }
  get startAt(): number {
    return this.start;
  }
  addLines(from: number, to: number): void {
    this.line += countNewlines(this.input, from, to);
  }
  textItem(): Token {
    return this.thisItem(Item.Text);
  }
  leftDelimItem(): Token {
    const t = this.thisItem(Item.LeftDelim);
    this.insideAction = true;
    this.parenDepth = 0;
    return t;
  }
  rightDelimItem(): Token {
    const t = this.thisItem(Item.RightDelim);
    this.insideAction = false;
    return t;
  }
  get depth(): number {
    return this.parenDepth;
  }
  set depth(d: number) {
    this.parenDepth = d;
  }
}

function lexText(l: Lexer): StateFn {
  const input = l.text;
  const x = input.indexOf(LEFT_DELIM, l.at);
  if (x >= 0) {
    if (x > l.at) {
      l.at = x;
      let trimLength = 0;
      if (hasLeftTrimMarker(input, x + LEFT_DELIM.length)) {
        let k = x;
        while (k > l.startAt && isSpace(input.charCodeAt(k - 1))) k--;
        trimLength = x - k;
      }
      l.at -= trimLength;
      l.addLines(l.startAt, l.at);
      const t = l.textItem();
      l.at += trimLength;
      l.ignore();
      if (t.val.length > 0) return l.emitItem(t);
    }
    return lexLeftDelim;
  }
  l.at = input.length;
  if (l.at > l.startAt) {
    l.addLines(l.startAt, l.at);
    return l.emit(Item.Text);
  }
  return l.emit(Item.EOF);
}

function lexLeftDelim(l: Lexer): StateFn {
  l.at += LEFT_DELIM.length;
  const trimSpace = hasLeftTrimMarker(l.text, l.at);
  const afterMarker = trimSpace ? 2 : 0;
  if (l.text.startsWith(LEFT_COMMENT, l.at + afterMarker)) {
    l.at += afterMarker;
    l.ignore();
    return lexComment;
  }
  const t = l.leftDelimItem();
  l.at += afterMarker;
  l.ignore();
  return l.emitItem(t);
}

function lexComment(l: Lexer): StateFn {
  l.at += LEFT_COMMENT.length;
  const x = l.text.indexOf(RIGHT_COMMENT, l.at);
  if (x < 0) return l.errorf('unclosed comment');
  l.at = x + RIGHT_COMMENT.length;
  const { delim, trimSpaces } = l.atRightDelim();
  if (!delim) return l.errorf('comment ends before closing delimiter');
  l.ignore(); // comments are dropped
  if (trimSpaces) l.at += 2;
  l.at += RIGHT_DELIM.length;
  if (trimSpaces) while (isSpace(l.text.charCodeAt(l.at))) l.at++;
  l.ignore();
  return lexText;
}

function lexRightDelim(l: Lexer): StateFn {
  const { trimSpaces } = l.atRightDelim();
  if (trimSpaces) {
    l.at += 2;
    l.ignore();
  }
  l.at += RIGHT_DELIM.length;
  const t = l.rightDelimItem();
  if (trimSpaces) {
    while (isSpace(l.text.charCodeAt(l.at))) l.at++;
    l.ignore();
  }
  return l.emitItem(t);
}

function lexInsideAction(l: Lexer): StateFn {
  if (l.atRightDelim().delim) {
    if (l.depth === 0) return lexRightDelim;
    return l.errorf('unclosed left paren');
  }
  const r = l.next();
  if (r === EOF) return l.errorf('unclosed action');
  if (isSpace(r)) {
    l.backup(); // put the space back in case of " -}}"
    return lexSpace;
  }
  switch (r) {
    case 61: // =
      return l.emit(Item.Assign);
    case 58: // :
      if (l.next() !== 61) return l.errorf('expected :=');
      return l.emit(Item.Declare);
    case 124: // |
      return l.emit(Item.Pipe);
    case 34: // "
      return lexQuote;
    case 96: // `
      return lexRawQuote;
    case 36: // $
      return lexVariable;
    case 39: // '
      return lexChar;
    case 40: // (
      l.depth++;
      return l.emit(Item.LeftParen);
    case 41: // )
      l.depth--;
      if (l.depth < 0) return l.errorf('unexpected right paren');
      return l.emit(Item.RightParen);
  }
  if (r === 46) {
    // ".field", unless a digit follows (".5" is a number)
    const c = l.text.charCodeAt(l.at);
    if (l.at < l.text.length && (c < 48 || c > 57)) return lexField;
  }
  if (r === 46 || r === 43 || r === 45 || (r >= 48 && r <= 57)) {
    l.backup();
    return lexNumber;
  }
  if (isAlphaNumeric(r)) {
    l.backup();
    return lexIdentifier;
  }
  if (r < 0x80 && r >= 0x20 && r !== 0x7f) return l.emit(Item.Char);
  return l.errorf(`unrecognized character in action: ${goRuneNotation(r)}`);
}

function lexSpace(l: Lexer): StateFn {
  let numSpaces = 0;
  while (isSpace(l.peek())) {
    l.next();
    numSpaces++;
  }
  // A trim-marked right delimiter starts with a space: leave it for lexRightDelim.
  if (hasRightTrimMarker(l.text, l.at - 1) && l.text.startsWith(RIGHT_DELIM, l.at + 1)) {
    l.backup();
    if (numSpaces === 1) return lexRightDelim;
  }
  return l.emit(Item.Space);
}

function lexIdentifier(l: Lexer): StateFn {
  for (;;) {
    const r = l.next();
    if (isAlphaNumeric(r)) continue;
    l.backup();
    const word = l.text.slice(l.startAt, l.at);
    if (!l.atTerminator()) return l.errorf(`bad character ${goRuneNotation(r)}`);
    const key = KEYWORDS.get(word);
    if (key !== undefined && key > Item.Keyword) return l.emit(key);
    if (word[0] === '.') return l.emit(Item.Field);
    if (word === 'true' || word === 'false') return l.emit(Item.Bool);
    return l.emit(Item.Identifier);
  }
}

function lexField(l: Lexer): StateFn {
  return lexFieldOrVariable(l, Item.Field);
}

function lexVariable(l: Lexer): StateFn {
  if (l.atTerminator()) return l.emit(Item.Variable); // just "$"
  return lexFieldOrVariable(l, Item.Variable);
}

function lexFieldOrVariable(l: Lexer, type: Item.Field | Item.Variable): StateFn {
  if (l.atTerminator()) return l.emit(type === Item.Variable ? Item.Variable : Item.Dot);
  let r: number;
  for (;;) {
    r = l.next();
    if (!isAlphaNumeric(r)) {
      l.backup();
      break;
    }
  }
  if (!l.atTerminator()) return l.errorf(`bad character ${goRuneNotation(r)}`);
  return l.emit(type);
}

function lexChar(l: Lexer): StateFn {
  return lexQuoted(l, 39, Item.CharConstant, 'unterminated character constant');
}

/** A character constant or a quoted string (the opening quote is scanned); escapes are checked by the parser. */
function lexQuoted(l: Lexer, quote: number, type: Item, unterminated: string): StateFn {
  for (;;) {
    let r = l.next();
    if (r === 92) {
      r = l.next();
      if (r !== EOF && r !== 10) continue;
      return l.errorf(unterminated);
    }
    if (r === EOF || r === 10) return l.errorf(unterminated);
    if (r === quote) return l.emit(type);
  }
}

function lexNumber(l: Lexer): StateFn {
  if (!l.scanNumber()) return l.errorf(`bad number syntax: ${goQuote(l.text.slice(l.startAt, l.at))}`);
  const sign = l.peek();
  if (sign === 43 || sign === 45) {
    // complex: 1+2i, no spaces, ends in 'i'
    if (!l.scanNumber() || l.text[l.at - 1] !== 'i')
      return l.errorf(`bad number syntax: ${goQuote(l.text.slice(l.startAt, l.at))}`);
    return l.emit(Item.Complex);
  }
  return l.emit(Item.Number);
}

function lexQuote(l: Lexer): StateFn {
  return lexQuoted(l, 34, Item.String, 'unterminated quoted string');
}

function lexRawQuote(l: Lexer): StateFn {
  for (;;) {
    const r = l.next();
    if (r === EOF) return l.errorf('unterminated raw quoted string');
    if (r === 96) return l.emit(Item.RawString);
  }
}
