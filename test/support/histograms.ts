import { CounterResetHint, type FloatHistogram } from '../../src/model/histogram.js';

/** A schema-6 float histogram with nothing in it but what `h` sets (tests' shorthand). */
export function histogram(h: Partial<FloatHistogram>): FloatHistogram {
  return {
    counterResetHint: CounterResetHint.Unknown,
    schema: 6,
    zeroThreshold: 2 ** -30,
    zeroCount: 0,
    count: 0,
    sum: 0,
    positiveSpans: [],
    positiveBuckets: [],
    negativeSpans: [],
    negativeBuckets: [],
    customValues: [],
    ...h,
  };
}
