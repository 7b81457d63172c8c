// Decimal digits → double, exactly as JSON.parse and Number() round them, for the number forms clients write; the
// JSON scanner (json-scanner.ts) checks a number's grammar and hands its digits here.
//
// Up to 15 significant digits and a power of ten within ±22, one IEEE multiplication or division of two exact
// doubles is correctly rounded (Clinger's fast path).
//
// 16-19 significant digits with a fraction (longDecimal): the digits are an integer M < 10^19 and the number is
// M / 10^s (0 <= s <= 22). M is held exactly as the sum of two doubles; q1 = M / 10^s rounded, the remainder
// M - q1·10^s is computed exactly (error-free products and Sterbenz's lemma) and divided, giving q1 + q2 within
// ~2^-90 relative of the true quotient. Rounding q1 + q2 to a double is then the correctly rounded quotient unless
// q1 + q2 lies within that error of a point halfway between two doubles: longDecimal says NaN there (and for a
// power of two, whose neighbours are not evenly spaced) and Number() decides. Same technique as double-double
// libraries; see Dekker, "A floating-point technique for extending the available precision" (1971) for the
// error-free product.

/** 10^0 .. 10^22: every one exactly a double, which is what makes the fast number path exact. */
const POWERS_OF_TEN = Array.from({ length: 23 }, (_, i) => Number(`1e${i}`));
/** Significant digits a mantissa may have and still be exact: 10^15 < 2^53. */
const EXACT_DIGITS = 15;
/** Significant digits longDecimal takes: 10^19 < 2^64, so the digits split into two exact parts. */
const LONG_DIGITS = 19;

const DOT = 0x2e;
const ZERO = 0x30;
const NINE = 0x39;

/**
 * The magnitude of an unsigned decimal number, correctly rounded, or NaN when the caller must ask Number(). The
 * number's text is bytes [start, stop) (digits, maybe a `.` and an exponent, no sign); `mantissa` is the value of its
 * digits (exact when `digits` <= 15), `digits` how many of them are significant, and `scale` the power of ten the
 * digits are multiplied by (the `.` and the exponent counted in).
 */
export function decimalMagnitude(
  mantissa: number,
  digits: number,
  scale: number,
  bytes: Uint8Array,
  start: number,
  stop: number,
): number {
  if (digits <= EXACT_DIGITS && scale >= -22 && scale <= 22) {
    return scale === 0 ? mantissa : scale > 0 ? mantissa * POWERS_OF_TEN[scale]! : mantissa / POWERS_OF_TEN[-scale]!;
  }
  // 16-19 digits, as serializers write arbitrary doubles (a rate, a ratio): exact arithmetic on two doubles.
  if (digits <= LONG_DIGITS && scale >= -22 && scale <= 0) return longDecimal(bytes, start, stop, scale);
  return NaN;
}

/** Splitter for Dekker's product: 2^27 + 1. */
const SPLITTER = 134217729;
/** How close to halfway (in ulps of the result) longDecimal leaves the rounding to Number(): far above its error. */
const HALFWAY_MARGIN = 2 ** -24;
const bitsView = new DataView(new ArrayBuffer(8));

/** Low part of a·b: a·b - fl(a·b), exactly (Dekker's two-product; no overflow for the magnitudes used here). */
function productError(a: number, b: number, product: number): number {
  let t = SPLITTER * a;
  const aHigh = t - (t - a);
  const aLow = a - aHigh;
  t = SPLITTER * b;
  const bHigh = t - (t - b);
  const bLow = b - bHigh;
  return aHigh * bHigh - product + aHigh * bLow + aLow * bHigh + aLow * bLow;
}

/**
 * The number whose digits (with an optional `.`, then maybe an exponent) are bytes [p, stop), 16-19 of them
 * significant, times 10^scale (-22 <= scale <= 0: the `.` and the exponent counted in), correctly rounded; NaN when
 * too close to halfway between two doubles to be sure.
 */
function longDecimal(bytes: Uint8Array, p: number, stop: number, scale: number): number {
  // The first 15 significant digits, exact; then up to 4 more.
  let high = 0;
  let low = 0;
  let lowScale = 1;
  let significant = 0;
  for (; p < stop; p++) {
    const c = bytes[p]!;
    if (c === DOT) continue;
    if (c < ZERO || c > NINE) break;
    if (significant < EXACT_DIGITS) {
      high = high * 10 + (c - ZERO);
      if (high !== 0) significant++;
    } else {
      low = low * 10 + (c - ZERO);
      lowScale *= 10;
    }
  }
  // M = high·lowScale + low exactly, as mHigh + mLow: the product's rounding error and low are integers < 2^53.
  const product = high * lowScale;
  const rest = productError(high, lowScale, product) + low;
  const mHigh = product + rest;
  const mLow = rest - (mHigh - product);
  if (scale === 0) return mHigh;
  const divisor = POWERS_OF_TEN[-scale]!;
  const q1 = mHigh / divisor;
  const q1Times = q1 * divisor;
  // mHigh - q1·divisor is exact (the two are within a factor of 2); the remainder's rounding error is negligible.
  const remainder = mHigh - q1Times - productError(q1, divisor, q1Times) + mLow;
  const q2 = remainder / divisor;
  const result = q1 + q2;
  const roundingError = q2 - (result - q1);
  bitsView.setFloat64(0, result);
  const highBits = bitsView.getUint32(0);
  if ((highBits & 0xfffff) === 0 && bitsView.getUint32(4) === 0) return NaN;
  // The result's ulp: 2^(exponent - 52).
  bitsView.setUint32(0, (((highBits >>> 20) & 0x7ff) - 52) << 20);
  bitsView.setUint32(4, 0);
  const ulp = bitsView.getFloat64(0);
  if (Math.abs(Math.abs(roundingError) - ulp / 2) <= ulp * HALFWAY_MARGIN) return NaN;
  return result;
}
