// Label matchers with Prometheus' semantics (model/labels/matcher.go), the one implementation the store's index,
// the PromQL engine and the query API share. A missing label has the value "": a matcher that accepts "" also
// selects series without the label.
import type { Label } from './prometheus.js';
import type { LabelMatcher, MatchType } from './storage.js';
import { compileLabelRegexp } from './regexp.js';

/** A label matcher compiled for repeated use against label values. */
export interface CompiledMatcher {
  readonly name: string;
  readonly type: MatchType;
  readonly value: string;
  /** Whether the label value (or "" for a missing label) satisfies the matcher. */
  matches(value: string): boolean;
  /** True when the matcher accepts "" (missing labels included). */
  readonly matchesEmpty: boolean;
  /**
   * When the accepted values are a finite list of literals (`=`, `=~"a|b|c"`), the list: an index looks them up
   * directly instead of testing every value of the label.
   */
  readonly literals: readonly string[] | undefined;
  /** `=~".*"`: accepts everything, constrains nothing. */
  readonly matchesAll: boolean;
}

/** Compiles a matcher; an invalid regex throws InvalidRegexpError (regexp.ts) with Go's message. */
export function compileMatcher(m: LabelMatcher): CompiledMatcher {
  let matches: (v: string) => boolean;
  let literals: readonly string[] | undefined;
  let matchesAll = false;
  const value = m.value;
  switch (m.type) {
    case '=':
      literals = [value];
      matches = (v) => v === value;
      break;
    case '!=':
      matches = (v) => v !== value;
      break;
    case '=~': {
      const re = compileLabelRegexp(value);
      literals = re.setMatches;
      matchesAll = re.matchesEverything;
      matches = re.matches;
      break;
    }
    case '!~': {
      const re = compileLabelRegexp(value);
      matches = (v) => !re.matches(v);
      break;
    }
  }
  return { name: m.name, type: m.type, value, matches, matchesEmpty: matches(''), literals, matchesAll };
}

export function compileMatchers(ms: readonly LabelMatcher[]): CompiledMatcher[] {
  return ms.map(compileMatcher);
}

/** True when the label set satisfies every matcher (a missing label matches as ""). */
export function matchesLabels(labels: readonly Label[], ms: readonly CompiledMatcher[]): boolean {
  for (const m of ms) {
    let value = '';
    for (const l of labels) {
      if (l.name === m.name) {
        value = l.value;
        break;
      }
    }
    if (!m.matches(value)) return false;
  }
  return true;
}
