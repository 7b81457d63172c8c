import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { seededRandom } from '../../../test/support/random.js';
import { decimalMagnitude } from './decimal.js';

/**
 * decimalMagnitude of an unsigned decimal `int[.frac]`, its arguments worked out as the JSON scanner does: the
 * digits' value (exact up to 15 significant digits), how many are significant (leading zeros are not), and the
 * scale, minus the number of fraction digits.
 */
function magnitudeOf(text: string): number {
  const digits = text.replace('.', '');
  const dot = text.indexOf('.');
  const significant = digits.replace(/^0+/, '').length;
  const bytes = Buffer.from(text, 'latin1');
  return decimalMagnitude(Number(digits), significant, dot < 0 ? 0 : dot + 1 - text.length, bytes, 0, bytes.length);
}

/**
 * Decimals of 16-19 digits, 0.d…d with s fraction digits, within 1/2^k of a point halfway between two doubles
 * (k = 53 - e - s, far below what double arithmetic resolves): the halfway point o·2^(e-53) (o odd) times 10^s
 * is o·5^s / 2^k, closest to an integer when o·5^s ≡ ±1 (mod 2^k).
 */
function nearlyHalfway(): string[] {
  const inverse = (a: bigint, m: bigint): bigint => {
    let [r0, r1, s0, s1] = [a % m, m, 1n, 0n];
    while (r1 !== 0n) {
      const q = r0 / r1;
      [r0, r1, s0, s1] = [r1, r0 - q * r1, s1, s0 - q * s1];
    }
    return ((s0 % m) + m) % m;
  };
  const out: string[] = [];
  for (const s of [16n, 19n, 22n]) {
    for (const e of [-14n, -12n, -9n, -6n]) {
      const k = 53n - e - s;
      const mod = 1n << k;
      for (const sign of [1n, mod - 1n]) {
        const residue = (inverse(5n ** s % mod, mod) * sign) % mod;
        for (let t = 0n; t < 8n; t++) {
          const odd = (1n << 52n) + ((((residue - (1n << 52n)) % mod) + mod) % mod) + t * mod;
          if (odd >= 1n << 53n) break;
          for (const digits of [(odd * 5n ** s) / mod, (odd * 5n ** s) / mod + 1n]) {
            const text = digits.toString();
            if (text.length >= 16 && text.length <= 19 && text.length <= Number(s))
              out.push(`0.${text.padStart(Number(s), '0')}`);
          }
        }
      }
    }
  }
  assert.ok(out.length > 100, `${out.length} nearly halfway decimals`);
  return out;
}

describe('decimalMagnitude', () => {
  test('up to 15 significant digits and a power of ten within ±22: exactly Number()', () => {
    const rand = seededRandom(3);
    for (let k = 0; k < 20_000; k++) {
      const digits = 1 + Math.floor(rand() * 15);
      const text = String(Math.floor(rand() * 10 ** digits));
      const frac = Math.floor(rand() * Math.min(22, text.length + 1));
      const point = text.length - frac;
      const decimal = frac === 0 ? text : `${text.slice(0, point) || '0'}.${text.slice(point)}`;
      assert.ok(Object.is(magnitudeOf(decimal), Number(decimal)), decimal);
    }
    for (const text of [
      '0',
      '0.0',
      '1',
      '0.000001',
      '123456789012345',
      '12345678901234.5',
      '0.0000000000000000000001',
    ]) {
      assert.ok(Object.is(magnitudeOf(text), Number(text)), text);
    }
  });

  test('16-19 significant digits with a fraction, as serializers write doubles: exactly Number()', () => {
    const rand = seededRandom(4);
    const view = new DataView(new ArrayBuffer(8));
    let checked = 0;
    let undecided = 0;
    for (let k = 0; k < 20_000; k++) {
      // Random doubles in [1e-5, 1e15) in their shortest form, and random digits with 5 or more after the point (with
      // fewer, a decimal of 16+ digits is often exactly halfway between two doubles, which is NaN's case below).
      view.setFloat64(0, 10 ** (rand() * 20 - 5));
      view.setUint32(4, Math.floor(rand() * 2 ** 32));
      const shortest = String(view.getFloat64(0));
      let digits = String(1 + Math.floor(rand() * 9));
      for (let n = 15 + Math.floor(rand() * 4); n > 0; n--) digits += String(Math.floor(rand() * 10));
      const at = 1 + Math.floor(rand() * (digits.length - 5));
      const leadingZeros = '0'.repeat(Math.floor(rand() * 3));
      for (const text of [shortest, `${digits.slice(0, at)}.${digits.slice(at)}`, `0.${leadingZeros}${digits}`]) {
        const significant = text.replace('.', '').replace(/^0+/, '').length;
        if (!/^\d+\.\d+$/.test(text) || significant < 16 || text.length - text.indexOf('.') - 1 > 22) continue;
        const m = magnitudeOf(text);
        // NaN leaves it to Number(): only within 2^-24 ulp of halfway, about one in ten million.
        if (Number.isNaN(m)) undecided++;
        else assert.ok(Object.is(m, Number(text)), text);
        checked++;
      }
    }
    assert.ok(checked > 20_000 && undecided < 3, `${checked} decimals, ${undecided} undecided`);
  });

  test('halfway between two doubles, or too close to tell: NaN (Number() decides), else exactly Number()', () => {
    for (const text of nearlyHalfway()) {
      const m = magnitudeOf(text);
      assert.ok(Number.isNaN(m) || Object.is(m, Number(text)), text);
    }
    // 2^52 + 0.5 lies exactly halfway between 2^52 and 2^52 + 1.
    assert.ok(Number.isNaN(magnitudeOf(`${2 ** 52}.5`)));
    assert.ok(Number.isNaN(magnitudeOf(`${2 ** 52 + 1}.50`)));
  });

  test('forms neither fast path takes: NaN', () => {
    // 16 digits without a fraction would need a positive scale; more than 19; a fraction beyond 22 digits.
    const bytes = Buffer.from('12345678901234567e3');
    assert.ok(Number.isNaN(decimalMagnitude(Number('12345678901234567'), 17, 3, bytes, 0, bytes.length)));
    assert.ok(Number.isNaN(magnitudeOf('1234567890.1234567890')));
    assert.ok(Number.isNaN(magnitudeOf(`0.${'0'.repeat(20)}123`)));
  });
});
