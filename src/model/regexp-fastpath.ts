// The fast path of Prometheus regex matchers (its FastRegexMatcher): patterns made only of literals, `.*`, `.+`,
// groups and alternation — `foo`, `a|b|c`, `.*`, `.+`, `foo.*`, `.*foo`, `.*foo.*`, `(prod|dev)-.*`, `(?i)foo` —
// are matched with string operations and never reach the regex engine. Anything else makes `analyzePattern` return
// undefined and the caller uses the engine. Every pattern accepted here is valid RE2 by construction (literals,
// escaped punctuation, `.` followed by `*` or `+`, plain or `(?:` groups, `|`, one leading `(?i)`), so skipping
// the engine skips no syntax error.

/** One alternative: literal runs separated by gaps of any characters (at least `min` of them: `.*` 0, `.+` 1). */
interface Glob {
  /** literals[0] is the prefix, the last is the suffix; literals.length === gaps.length + 1. */
  literals: string[];
  gaps: number[];
}

export interface FastPattern {
  /** Whether the whole value matches. */
  matches(value: string): boolean;
  /** The accepted values when they are a finite list of literals (case-sensitive, no gaps), else undefined. */
  readonly setMatches: readonly string[] | undefined;
  /** `.*`: every value matches. */
  readonly matchesEverything: boolean;
}

/** Cross products of group alternatives beyond this are left to the engine (Prometheus' maxSetMatches). */
const MAX_ALTERNATIVES = 256;
const MAX_GROUP_DEPTH = 8;
const META = new Set(['\\', '.', '+', '*', '?', '(', ')', '|', '[', ']', '{', '}', '^', '$']);
const QUANTIFIERS = new Set(['*', '+', '?', '{']);
const ASCII_PUNCT = /^[!-/:-@[-`{-~]$/;
const NON_ASCII = /[^\p{ASCII}]/u;

class Unsupported extends Error {}

/** A recursive-descent reader of the subset; throws Unsupported for anything outside it. */
class SubsetReader {
  private i = 0;
  private depth = 0;

  constructor(private readonly s: string) {}

  readAll(): Glob[] {
    const alts = this.alternation();
    if (this.i !== this.s.length) throw new Unsupported();
    return alts;
  }

  private alternation(): Glob[] {
    const alts = this.concat();
    while (this.s[this.i] === '|') {
      this.i++;
      alts.push(...this.concat());
      // A plain list of literals (a Grafana multi-value variable) may be long; only products are capped.
    }
    return alts;
  }

  private concat(): Glob[] {
    let acc: Glob[] = [{ literals: [''], gaps: [] }];
    for (;;) {
      const c = this.s[this.i];
      if (c === undefined || c === '|' || c === ')') return acc;
      const item = this.item();
      if (acc.length * item.length > MAX_ALTERNATIVES && !(acc.length === 1 || item.length === 1))
        throw new Unsupported();
      const next: Glob[] = [];
      for (const a of acc) for (const b of item) next.push(joinGlobs(a, b));
      acc = next;
    }
  }

  private item(): Glob[] {
    const s = this.s;
    const c = s[this.i]!;
    if (c === '(') {
      if (++this.depth > MAX_GROUP_DEPTH) throw new Unsupported();
      this.i += s.startsWith('(?:', this.i) ? 3 : 1;
      if (s[this.i] === '?') throw new Unsupported(); // flags, named groups
      const alts = this.alternation();
      if (s[this.i] !== ')') throw new Unsupported();
      this.i++;
      this.depth--;
      this.noQuantifier();
      return alts;
    }
    if (c === '.') {
      const q = s[this.i + 1];
      if (q !== '*' && q !== '+') throw new Unsupported();
      this.i += 2;
      this.noQuantifier();
      return [{ literals: ['', ''], gaps: [q === '+' ? 1 : 0] }];
    }
    let lit: string;
    if (c === '\\') {
      const e = s[this.i + 1];
      if (e === undefined || !ASCII_PUNCT.test(e)) throw new Unsupported();
      lit = e;
      this.i += 2;
    } else {
      if (META.has(c)) throw new Unsupported();
      const cp = s.codePointAt(this.i)!;
      if (cp >= 0xd800 && cp <= 0xdfff) throw new Unsupported(); // a lone surrogate: not text
      lit = String.fromCodePoint(cp);
      this.i += lit.length;
    }
    this.noQuantifier();
    return [{ literals: [lit], gaps: [] }];
  }

  /** A quantifier applies to the item just read (`ab*`, `(a)+`, `.*?`): outside the subset. */
  private noQuantifier(): void {
    const n = this.s[this.i];
    if (n !== undefined && QUANTIFIERS.has(n)) throw new Unsupported();
  }
}

function joinGlobs(a: Glob, b: Glob): Glob {
  const literals = a.literals.slice(0, -1);
  literals.push(a.literals[a.literals.length - 1]! + b.literals[0]!, ...b.literals.slice(1));
  const merged: Glob = { literals, gaps: [...a.gaps, ...b.gaps] };
  // `.*.+` is one gap of at least one character.
  for (let k = merged.gaps.length - 1; k > 0; k--) {
    if (merged.literals[k] === '') {
      merged.gaps.splice(k - 1, 2, Math.max(merged.gaps[k - 1]!, merged.gaps[k]!));
      merged.literals.splice(k, 1);
    }
  }
  return merged;
}

/** Whether `v` matches the glob. Taking each middle literal's leftmost occurrence is never worse for the rest. */
function globMatches(g: Glob, v: string): boolean {
  const lits = g.literals;
  const first = lits[0]!;
  if (g.gaps.length === 0) return v === first;
  if (!v.startsWith(first)) return false;
  let pos = first.length;
  const last = lits.length - 1;
  for (let k = 1; k < last; k++) {
    const at = v.indexOf(lits[k]!, pos + g.gaps[k - 1]!);
    if (at < 0) return false;
    pos = at + lits[k]!.length;
  }
  // Positions are code point boundaries (no literal starts with a low surrogate), so a gap of one UTF-16 unit or
  // more holds at least one character.
  const suffix = lits[last]!;
  return v.length - suffix.length >= pos + g.gaps[last - 1]! && v.endsWith(suffix);
}

/**
 * The fast matcher of a pattern, or undefined when the pattern is outside the subset. `engine` answers for values
 * the fast path cannot decide (case folding beyond ASCII); it is called only for those.
 */
export function analyzePattern(pattern: string, engine: (value: string) => boolean): FastPattern | undefined {
  let foldCase = false;
  let body = pattern;
  if (body.startsWith('(?i)')) {
    foldCase = true;
    body = body.slice(4);
  }
  let globs: Glob[];
  try {
    globs = new SubsetReader(body).readAll();
  } catch (e) {
    if (e instanceof Unsupported) return undefined;
    throw e;
  }
  const matchesEverything = globs.some(
    (g) => g.gaps.length === 1 && g.gaps[0] === 0 && g.literals.every((l) => l === ''),
  );
  if (matchesEverything) return { matches: () => true, setMatches: undefined, matchesEverything };
  if (foldCase) {
    // Go folds case by Unicode simple folding (k also matches U+212A KELVIN SIGN): beyond ASCII, the engine decides.
    if (globs.some((g) => g.literals.some((l) => NON_ASCII.test(l)))) return undefined;
    const lowered = globs.map((g) => ({ literals: g.literals.map((l) => l.toLowerCase()), gaps: g.gaps }));
    const any = matcherOf(lowered);
    return {
      matches: (v) => (NON_ASCII.test(v) ? engine(v) : any(v.toLowerCase())),
      setMatches: undefined,
      matchesEverything,
    };
  }
  const literalOnly = globs.every((g) => g.gaps.length === 0);
  const setMatches = literalOnly ? [...new Set(globs.map((g) => g.literals[0]!))] : undefined;
  return { matches: matcherOf(globs), setMatches, matchesEverything };
}

function matcherOf(globs: Glob[]): (v: string) => boolean {
  if (globs.every((g) => g.gaps.length === 0)) {
    if (globs.length === 1) {
      const only = globs[0]!.literals[0]!;
      return (v) => v === only;
    }
    const set = new Set(globs.map((g) => g.literals[0]!));
    return (v) => set.has(v);
  }
  if (globs.length === 1) {
    const g = globs[0]!;
    return (v) => globMatches(g, v);
  }
  return (v) => globs.some((g) => globMatches(g, v));
}
