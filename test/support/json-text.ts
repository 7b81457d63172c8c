// Random JSON text for the JSON scanner and decoder tests (src/intake/decoders/): every form of value a client may
// write and some it should not, bytes that are not UTF-8, and random edits of valid bodies.

/** A private-use character the generator writes where withInvalidUtf8 puts bytes that are not UTF-8. */
export const INVALID_UTF8_MARK = '\ue000';
const MARK_BYTES = Buffer.from(INVALID_UTF8_MARK);
const INVALID_UTF8 = [
  [0xff],
  [0x80],
  [0xc3],
  [0xe2, 0x82],
  [0xed, 0xa0, 0x80],
  [0xc0, 0xaf],
  [0xf0, 0x9f, 0x98],
  [0xf8, 0x88, 0x80, 0x80, 0x80],
];

/** The UTF-8 of `text` with every INVALID_UTF8_MARK replaced by an invalid sequence. */
export function withInvalidUtf8(text: string, rand: () => number): Buffer {
  const bytes = Buffer.from(text);
  const parts: Buffer[] = [];
  let from = 0;
  for (let at = bytes.indexOf(MARK_BYTES); at >= 0; at = bytes.indexOf(MARK_BYTES, from)) {
    parts.push(bytes.subarray(from, at), Buffer.from(INVALID_UTF8[Math.floor(rand() * INVALID_UTF8.length)]!));
    from = at + MARK_BYTES.length;
  }
  parts.push(bytes.subarray(from));
  return Buffer.concat(parts);
}

/** How mutate edits a body. */
export interface Mutation {
  /** Bytes an edit writes (most of the time; otherwise any byte). */
  alphabet: Buffer;
  /** An edit writes from the alphabet with this probability. */
  alphabetShare: number;
  /** Edits are 1 .. maxEdits. */
  maxEdits: number;
  /** An edit replaces a byte with this probability; otherwise it deletes one or inserts one, half and half. */
  replaceShare: number;
}

/** `body` with a few random bytes replaced, deleted or inserted. */
export function mutate(body: Buffer, rand: () => number, m: Mutation): Buffer {
  const bytes = Array.from(body);
  for (let e = 0; e < 1 + Math.floor(rand() * m.maxEdits); e++) {
    const at = Math.floor(rand() * bytes.length);
    const c = rand() < m.alphabetShare ? m.alphabet[Math.floor(rand() * m.alphabet.length)]! : Math.floor(rand() * 256);
    if (rand() < m.replaceShare) bytes[at] = c;
    else if (rand() < 0.5) bytes.splice(at, 1);
    else bytes.splice(at, 0, c);
  }
  return Buffer.from(bytes);
}

/** Random JSON values, every shape a client may send and the edge cases of strings and numbers. */
export class JsonTextGenerator {
  constructor(protected readonly rand: () => number) {}

  pick<T>(options: readonly T[]): T {
    return options[Math.floor(this.rand() * options.length)]!;
  }

  /** Whitespace (none most of the time). */
  ws(): string {
    return this.rand() < 0.75 ? '' : this.pick([' ', '\n', '\t', '\r\n  ', '  \t ']);
  }

  /** A JSON string literal: ASCII, every escape, raw UTF-8, and INVALID_UTF8_MARK where withInvalidUtf8 puts bad bytes. */
  string(): string {
    let text = '"';
    const parts = 1 + Math.floor(this.rand() * 4);
    for (let k = 0; k < parts; k++) {
      const r = this.rand();
      if (r < 0.55)
        text += this.pick([
          'system.cpu.user',
          'env:prod',
          'host-1',
          'a',
          '',
          'role:web',
          'ip-10-0-1-2.ec2.internal',
          'gauge',
          'x y',
        ]);
      else if (r < 0.75)
        text += this.pick([
          '\\"',
          '\\\\',
          '\\/',
          '\\b',
          '\\f',
          '\\n',
          '\\r',
          '\\t',
          '\\u0041',
          '\\u00e9',
          '\\ud83d\\ude00',
          '\\ud800',
          '\\uDFFF',
          '\\u0000',
        ]);
      else if (r < 0.95) text += this.pick(['é', '中文', '😀', '\u2028', '\u00ff', '\ufeff']);
      else text += INVALID_UTF8_MARK;
    }
    return `${text}"`;
  }

  /** A JSON number in one of the forms clients write, and the edge cases of doubles. */
  number(): string {
    const r = this.rand();
    const digits = (n: number): string => Array.from({ length: n }, () => Math.floor(this.rand() * 10)).join('');
    if (r < 0.15) return String(1_700_000_000 + Math.floor(this.rand() * 1e6));
    if (r < 0.3) return String(Math.floor(this.rand() * 1e6) * (this.rand() < 0.2 ? -1 : 1));
    if (r < 0.45) return JSON.stringify((this.rand() - 0.3) * 10 ** Math.floor(this.rand() * 30 - 10));
    if (r < 0.55) return `${Math.floor(this.rand() * 1e5)}.${digits(1 + Math.floor(this.rand() * 4))}`;
    if (r < 0.65) {
      const int =
        this.rand() < 0.3 ? '0' : String(1 + Math.floor(this.rand() * 9)) + digits(Math.floor(this.rand() * 12));
      return `${this.rand() < 0.2 ? '-' : ''}${int}.${digits(1 + Math.floor(this.rand() * 20))}`;
    }
    if (r < 0.75) {
      const mantissa = `${1 + Math.floor(this.rand() * 9)}${this.rand() < 0.5 ? `.${digits(1 + Math.floor(this.rand() * 18))}` : digits(Math.floor(this.rand() * 4))}`;
      return `${this.rand() < 0.2 ? '-' : ''}${mantissa}${this.pick(['e', 'E'])}${this.pick(['', '+', '-'])}${Math.floor(this.rand() * 40)}`;
    }
    if (r < 0.85) return `${1 + Math.floor(this.rand() * 9)}${digits(15 + Math.floor(this.rand() * 15))}`;
    return this.pick([
      '0',
      '-0',
      '-0.0',
      '0.0',
      '0e5',
      '-0E-3',
      '0.000001',
      '1e22',
      '1e23',
      '9007199254740993',
      '9007199254740992.5',
      '999999999999999',
      '1000000000000000',
      '123456789012345.6',
      '1.7976931348623157e308',
      '1e309',
      '-1e400',
      '4.9e-324',
      '5e-324',
      '2e-324',
      '1e-400',
      '2.2250738585072011e-308',
      '0.1',
      '0.3',
      '1.5e-7',
      '123456789e-22',
      '123456789e-23',
      '1234567890123456e-22',
      '42e0',
      '100',
      '-5',
    ]);
  }

  /** Any JSON value, for members the decoder does not read. */
  value(depth = 0): string {
    const r = this.rand();
    if (depth < 3 && r < 0.15)
      return `[${this.ws()}${Array.from({ length: Math.floor(this.rand() * 3) }, () => this.value(depth + 1)).join(`${this.ws()},${this.ws()}`)}${this.ws()}]`;
    if (depth < 3 && r < 0.3)
      return `{${this.ws()}${Array.from({ length: Math.floor(this.rand() * 3) }, () => `${this.string()}${this.ws()}:${this.ws()}${this.value(depth + 1)}`).join(`${this.ws()},${this.ws()}`)}${this.ws()}}`;
    if (r < 0.5) return this.string();
    if (r < 0.7) return this.number();
    return this.pick(['null', 'true', 'false']);
  }
}
