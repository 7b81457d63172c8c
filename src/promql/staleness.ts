// Prometheus' staleness marker: a NaN with one exact bit pattern (value.StaleNaN, 0x7ff0000000000002). Storage must
// keep these bits in the Float64Arrays it returns; a NaN produced by arithmetic does not carry them.

const STALE_NAN_HI = 0x7ff00000;
const STALE_NAN_LO = 0x00000002;

/** A Float64Array holding one stale marker, for writers that need the exact bits. */
export const STALE_NAN_ARRAY: Float64Array = (() => {
  const a = new Float64Array(1);
  const u = new Uint32Array(a.buffer);
  u[0] = STALE_NAN_LO;
  u[1] = STALE_NAN_HI;
  return a;
})();

/** Writes a stale marker into values[i] bit-exactly (a JS NaN literal may not keep the payload). */
export function writeStaleNaN(values: Float64Array, i: number): void {
  new Uint32Array(values.buffer, values.byteOffset + i * 8, 2).set(new Uint32Array(STALE_NAN_ARRAY.buffer));
}

/** True when values[i] is the stale marker. Call only for NaN values (cheap pre-check by the caller). */
export function isStaleAt(values: Float64Array, i: number): boolean {
  const u = new Uint32Array(values.buffer, values.byteOffset + i * 8, 2);
  return u[0] === STALE_NAN_LO && u[1] === STALE_NAN_HI;
}
