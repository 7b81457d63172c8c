import type { FloatHistogram } from '../../src/model/histogram.js';
import { emptyHistogram } from '../../src/model/histogram-ops.js';

/** A schema-6 float histogram with nothing in it but what `h` sets (tests' shorthand). */
export function histogram(h: Partial<FloatHistogram>): FloatHistogram {
  return { ...emptyHistogram(6), zeroThreshold: 2 ** -30, ...h };
}
