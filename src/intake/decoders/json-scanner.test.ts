import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { INVALID_UTF8_MARK, JsonTextGenerator, mutate, withInvalidUtf8 } from '../../../test/support/json-text.js';
import { seededRandom } from '../../../test/support/random.js';
import { JsonScanner, NOT_SCANNED, keyName } from './json-scanner.js';
import { ProtoReader } from './protobuf.js';

/** Whether the scanner takes `body` as one JSON value (and nothing after it). Anything but NOT_SCANNED is a bug. */
function scansWhole(body: Buffer): boolean {
  const s = new JsonScanner(body, 0);
  try {
    s.value(0);
    return s.next() === -1;
  } catch (err) {
    if (err === NOT_SCANNED) return false;
    throw err;
  }
}

function parses(body: Buffer): boolean {
  try {
    JSON.parse(body.toString('utf8'));
    return true;
  } catch {
    return false;
  }
}

/** Asserts that the scanner takes `body` exactly when JSON.parse does. */
function assertTakenAsByParse(body: Buffer, context: string): boolean {
  const taken = scansWhole(body);
  assert.equal(taken, parses(body), `${context}: ${taken ? 'taken' : 'refused'} by the scanner`);
  return taken;
}

describe('JsonScanner checks what it passes as JSON.parse does', () => {
  test('random values: nesting, whitespace, escapes, raw and invalid UTF-8, literals, every number form', () => {
    const rand = seededRandom(12);
    const gen = new JsonTextGenerator(rand);
    let taken = 0;
    for (let k = 0; k < 3000; k++) {
      const text = `${gen.ws()}${gen.value()}${gen.ws()}`;
      if (assertTakenAsByParse(withInvalidUtf8(text, rand), text)) taken++;
    }
    assert.equal(taken, 3000, 'every generated value is valid JSON');
  });

  test('random edits of valid values are refused exactly when JSON.parse refuses them', () => {
    const rand = seededRandom(13);
    const gen = new JsonTextGenerator(rand);
    const alphabet = Buffer.from('{}[]":,0123456789.-+eEnulltruefalse \\u\t\n');
    let refused = 0;
    for (let k = 0; k < 5000; k++) {
      const valid = withInvalidUtf8(gen.value(), rand);
      const body = mutate(valid, rand, { alphabet, alphabetShare: 0.85, maxEdits: 2, replaceShare: 0.5 });
      if (!assertTakenAsByParse(body, body.toString('latin1'))) refused++;
    }
    assert.ok(refused > 1000, `${refused} refused`);
  });

  test('numbers JSON does not allow, strings with raw control characters or bad escapes, bad literals', () => {
    const texts = [
      '',
      ' ',
      '-',
      '+1',
      '01',
      '-01',
      '1.',
      '.5',
      '1.e5',
      '1e',
      '1e+',
      '1E-',
      '0x10',
      '1_000',
      'NaN',
      'Infinity',
      '- 1',
      '1 2',
      '"\u0000"',
      '"\u001f"',
      '"\t"',
      '"\n"',
      '"\\x41"',
      '"\\u12"',
      '"\\u00g0"',
      '"\\"',
      '"abc',
      'nul',
      'nulll',
      'True',
      'fals',
      '[1,]',
      '[,1]',
      '{"a"}',
      '{"a":}',
      '{"a":1,}',
      '{a:1}',
      "{'a':1}",
      '[1 2]',
      '{"a" 1}',
      '\ufeff1',
      '"\u007f"',
      '"\\/"',
      '"\\u00E9"',
      '-0',
      '0e-0',
      '1E+2',
      '[]',
      '{}',
      ' [ 1 , { "a" : null } ] ',
    ];
    for (const text of texts) assertTakenAsByParse(Buffer.from(text), JSON.stringify(text));
  });

  test('number(): every form, bit for bit (ints, decimals, exponents, -0, 16+ digits, halfway, overflow, underflow, subnormals)', () => {
    const rand = seededRandom(99);
    const gen = new JsonTextGenerator(rand);
    const forms: string[] = [];
    for (let k = 0; k < 20_000; k++) forms.push(gen.number());
    // Doubles written back in their shortest form, the way JSON serializers write them.
    const view = new DataView(new ArrayBuffer(8));
    for (let k = 0; k < 5_000; k++) {
      view.setUint32(0, Math.floor(rand() * 2 ** 32));
      view.setUint32(4, Math.floor(rand() * 2 ** 32));
      const d = view.getFloat64(0);
      if (Number.isFinite(d)) forms.push(JSON.stringify(d));
    }
    // Exactly halfway between two doubles (ties go to the even one) and just off it: 2^52..2^53 has ulp 1,
    // 2^51..2^52 ulp 1/2, 2^53..2^54 ulp 2.
    for (let k = 0; k < 2_000; k++) {
      const n = 2 ** 52 + Math.floor(rand() * 2 ** 40);
      const m = 2 ** 51 + Math.floor(rand() * 2 ** 40);
      const big = BigInt(2 ** 53) + BigInt(Math.floor(rand() * 2 ** 40)) * 2n + 1n;
      forms.push(
        `${n}.5`,
        `${n}.50`,
        `${n}.499`,
        `${n}.501`,
        `${m}.25`,
        `${m}.75`,
        `${m}.251`,
        `${big}`,
        `${big}.0`,
        `${big - 1n}.9`,
        `${n}5e-1`,
        `${m}75e-2`,
      );
    }
    for (const f of forms) {
      const s = new JsonScanner(Buffer.from(`${f},`), 0);
      const expected = JSON.parse(f) as number;
      const got = s.number();
      assert.ok(Object.is(got, expected), `${f}: ${got} instead of ${expected}`);
      assert.equal(s.pos, f.length, `${f}: ends before the comma`);
    }
  });

  test('stringValue(): unescaped as JSON.parse does, raw and invalid UTF-8 included', () => {
    const rand = seededRandom(14);
    const gen = new JsonTextGenerator(rand);
    let marked = 0;
    for (let k = 0; k < 3000; k++) {
      const text = gen.string();
      if (text.includes(INVALID_UTF8_MARK)) marked++;
      const body = withInvalidUtf8(text, rand);
      const s = new JsonScanner(body, 0);
      assert.equal(s.stringValue(new ProtoReader(body)), JSON.parse(body.toString('utf8')), text);
      assert.equal(s.pos, body.length);
      assert.equal(s.escaped, /\\/.test(text), `${text}: escaped`);
    }
    assert.ok(marked > 100, `${marked} strings with invalid UTF-8`);
  });

  test('nesting up to 64 levels is taken; deeper is left to JSON.parse', () => {
    for (const [open, close] of [
      ['[', ']'],
      ['{"a":', '}'],
    ]) {
      assert.ok(scansWhole(Buffer.from(`${open!.repeat(64)}1${close!.repeat(64)}`)), `64 × ${open}`);
      assert.ok(!scansWhole(Buffer.from(`${open!.repeat(65)}1${close!.repeat(65)}`)), `65 × ${open}`);
    }
    assert.ok(!scansWhole(Buffer.from(`${'['.repeat(100_000)}${']'.repeat(100_000)}`)), 'no stack overflow');
  });
});

describe('JsonScanner keys', () => {
  test('keyIs() matches a key byte for byte, whatever its length (4 bytes and up)', () => {
    const names = [
      'type',
      'host',
      'tagz',
      'metric',
      'points',
      'device',
      'interval',
      'source_type_name',
      'abcde',
      'abcdefghi',
    ];
    const keys = names.map(keyName);
    const texts = [...names];
    // Every name with one byte changed, and one byte longer or shorter.
    for (const name of names) {
      for (let i = 0; i < name.length; i++) {
        texts.push(name.slice(0, i) + String.fromCharCode(name.charCodeAt(i) ^ 1) + name.slice(i + 1));
      }
      texts.push(`${name}x`, name.slice(1));
    }
    for (const text of texts) {
      const s = new JsonScanner(Buffer.from(`{ "${text}" : 1}`), 1);
      s.key();
      assert.deepEqual(
        keys.map((k) => s.keyIs(k)),
        names.map((n) => n === text),
        text,
      );
      assert.equal(s.next(), 0x31, `${text}: after the colon`);
    }
  });

  test('a key with an escape is not taken ("\\u0074ype" is type to JSON.parse)', () => {
    const s = new JsonScanner(Buffer.from('{"\\u0074ype":1}'), 1);
    assert.throws(
      () => s.key(),
      (err) => err === NOT_SCANNED,
    );
  });
});
