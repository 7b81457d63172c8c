import type { LabelMatcher } from '../model/storage.js';

/**
 * A label matcher compiled for repeated use against label values. Prometheus semantics: regexes are fully anchored,
 * `.` matches newlines (Prometheus compiles `^(?s:re)$`), and a missing label has the value "" — so a matcher that
 * matches "" also selects series without the label.
 */
export interface CompiledMatcher {
  readonly name: string;
  readonly type: LabelMatcher['type'];
  readonly value: string;
  /** Whether the label value (or "" for a missing label) satisfies the matcher. */
  matches(value: string): boolean;
  /** True when the matcher accepts "" (missing labels included). */
  readonly matchesEmpty: boolean;
  /**
   * When the set of accepted values is a finite list of literals (`=`, `=~"a|b|c"`), the list: the index looks them
   * up directly instead of testing every value of the label.
   */
  readonly literals: readonly string[] | undefined;
  /** `=~".*"`: accepts everything, constrains nothing. */
  readonly matchesAll: boolean;
}

export class InvalidMatcherError extends Error {
  override name = 'InvalidMatcherError';
}

const REGEX_META = /[\\^$.|?*+()[\]{}]/;

/** The literal alternatives of a regex made only of literals and `|`, or undefined. */
export function literalAlternatives(re: string): string[] | undefined {
  const parts = re.split('|');
  for (const p of parts) if (REGEX_META.test(p)) return undefined;
  return parts;
}

function compileRegex(re: string): (v: string) => boolean {
  if (re === '.*') return () => true;
  if (re === '.+') return (v) => v.length > 0;
  const literals = literalAlternatives(re);
  if (literals) {
    if (literals.length === 1) {
      const only = literals[0];
      return (v) => v === only;
    }
    const set = new Set(literals);
    return (v) => set.has(v);
  }
  let flags = 's';
  let body = re;
  // RE2's leading case-insensitivity flag, which JS regexes only accept as a flag.
  if (body.startsWith('(?i)')) {
    flags += 'i';
    body = body.slice(4);
  }
  let rx: RegExp;
  try {
    rx = new RegExp(`^(?:${body})$`, flags);
  } catch (err) {
    throw new InvalidMatcherError(`invalid regular expression ${JSON.stringify(re)}: ${(err as Error).message}`);
  }
  return (v) => rx.test(v);
}

export function compileMatcher(m: LabelMatcher): CompiledMatcher {
  let test: (v: string) => boolean;
  let literals: string[] | undefined;
  let matchesAll = false;
  switch (m.type) {
    case '=':
      literals = [m.value];
      test = (v) => v === m.value;
      break;
    case '!=':
      test = (v) => v !== m.value;
      break;
    case '=~':
      literals = literalAlternatives(m.value);
      matchesAll = m.value === '.*';
      test = compileRegex(m.value);
      break;
    case '!~': {
      const inner = compileRegex(m.value);
      test = (v) => !inner(v);
      break;
    }
    default:
      throw new InvalidMatcherError(`unknown matcher type ${JSON.stringify((m as LabelMatcher).type)}`);
  }
  return {
    name: m.name,
    type: m.type,
    value: m.value,
    matches: test,
    matchesEmpty: test(''),
    literals,
    matchesAll,
  };
}

export function compileMatchers(ms: readonly LabelMatcher[]): CompiledMatcher[] {
  return ms.map(compileMatcher);
}
