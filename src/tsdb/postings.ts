import type { CompiledMatcher } from '../model/matcher.js';

// Postings: sorted, duplicate-free lists of series references (head series IDs or block series indexes).

export type Postings = Uint32Array;

export const EMPTY_POSTINGS: Postings = new Uint32Array(0);

/**
 * The references in both lists. Walks the shorter list and gallops through the longer one (doubling steps, then a
 * binary search), so a short list against a long one costs its length times a logarithm, not the long one's length:
 * a metric's few thousand series against an `env` label's tens of thousands.
 */
export function intersectPostings(a: Postings, b: Postings): Postings {
  if (a.length > b.length) [a, b] = [b, a];
  const out = new Uint32Array(a.length);
  const m = b.length;
  let n = 0;
  let j = 0;
  for (let i = 0; i < a.length && j < m; i++) {
    const x = a[i]!;
    if (b[j]! < x) {
      // b[j] < x: double the step until b[hi] >= x (or the end), then search (j, hi) for the first b >= x.
      let step = 1;
      let hi = j + 1;
      while (hi < m && b[hi]! < x) {
        j = hi;
        step *= 2;
        hi = j + step;
      }
      let lo = j + 1;
      if (hi > m) hi = m;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (b[mid]! < x) lo = mid + 1;
        else hi = mid;
      }
      j = lo;
    }
    if (j < m && b[j] === x) out[n++] = x;
  }
  return out.subarray(0, n);
}

export function subtractPostings(a: Postings, b: Postings): Postings {
  const out = new Uint32Array(a.length);
  let n = 0;
  let j = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    while (j < b.length && b[j]! < x) j++;
    if (j < b.length && b[j] === x) continue;
    out[n++] = x;
  }
  return out.subarray(0, n);
}

export function unionPostings(lists: Postings[]): Postings {
  if (lists.length === 0) return EMPTY_POSTINGS;
  if (lists.length === 1) return lists[0]!;
  let total = 0;
  for (const l of lists) total += l.length;
  const all = new Uint32Array(total);
  let at = 0;
  for (const l of lists) {
    all.set(l, at);
    at += l.length;
  }
  all.sort();
  let n = 0;
  for (let i = 0; i < all.length; i++) if (i === 0 || all[i] !== all[i - 1]) all[n++] = all[i]!;
  return all.subarray(0, n);
}

/** An inverted index that a matcher set can be resolved against (head index and block index both provide it). */
export interface PostingsSource {
  /** Every series reference, sorted. */
  allPostings(): Postings;
  /** Values of a label name (any order), or an empty iterable. */
  labelValuesOf(name: string): Iterable<string>;
  /** Postings of name=value (empty when absent). */
  postingsFor(name: string, value: string): Postings;
}

/** Union of the postings of every value of `m.name` that `accept` says yes to. */
function postingsForValues(src: PostingsSource, m: CompiledMatcher, accept: boolean): Postings {
  if (accept && m.literals) return unionPostings(m.literals.map((v) => src.postingsFor(m.name, v)));
  const lists: Postings[] = [];
  for (const v of src.labelValuesOf(m.name)) if (m.matches(v) === accept) lists.push(src.postingsFor(m.name, v));
  return unionPostings(lists);
}

/** Series references matching every matcher (all series when there are none). */
export function selectPostings(src: PostingsSource, matchers: readonly CompiledMatcher[]): Postings {
  const lists: Postings[] = [];
  const subtract: CompiledMatcher[] = [];
  for (const m of matchers) {
    if (m.matchesAll) continue;
    if (m.matchesEmpty) subtract.push(m);
    else {
      const p = postingsForValues(src, m, true);
      if (p.length === 0) return EMPTY_POSTINGS;
      lists.push(p);
    }
  }
  let result: Postings;
  if (lists.length === 0) result = src.allPostings();
  else {
    // Shortest first: every intermediate result is then at most as long as the shortest list.
    lists.sort((x, y) => x.length - y.length);
    result = lists[0]!;
    for (let i = 1; i < lists.length && result.length > 0; i++) result = intersectPostings(result, lists[i]!);
    if (result.length === 0) return EMPTY_POSTINGS;
  }
  // A matcher accepting "" keeps series without the label: drop only series whose value it rejects.
  for (const m of subtract) {
    result = subtractPostings(result, postingsForValues(src, m, false));
    if (result.length === 0) return EMPTY_POSTINGS;
  }
  return result;
}
