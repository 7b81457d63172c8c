// Prometheus' regular expressions: Go's RE2 syntax, fully anchored (`^(?s:re)$`: `.` matches newlines too), matched
// in linear time. Common shapes take the string fast path (regexp-fastpath.ts); the rest runs on re2js, a port of
// RE2/J, itself a port of Go's regexp package: same syntax, same error texts, no backtracking.
import { RE2JS, RE2JSException } from 're2js';
import { analyzePattern } from './regexp-fastpath.js';

/** An invalid pattern; the message is Go's (`error parsing regexp: missing closing ): `(``). */
export class InvalidRegexpError extends Error {
  override name = 'InvalidRegexpError';
}

export interface LabelRegexp {
  /** Whether the whole value matches. */
  matches(value: string): boolean;
  /** The accepted values when they are a finite list of literals (`a|b|c`), for direct index look-ups. */
  readonly setMatches: readonly string[] | undefined;
  /** `.*`: matches every value, constrains nothing. */
  readonly matchesEverything: boolean;
}

/** Compiles on re2js; `dotAll` makes `.` match `\n` too (RE2JS.DOTALL, which prepends `(?s)` to the pattern). */
function compileEngine(pattern: string, dotAll: boolean): RE2JS {
  try {
    return RE2JS.compile(pattern, dotAll ? RE2JS.DOTALL : 0);
  } catch (e) {
    if (!(e instanceof RE2JSException)) throw e;
    // DOTALL prepends `(?s)` to the text an error quotes: report the pattern as written, as Go's syntax.Parse does.
    if (dotAll) compileEngine(pattern, false);
    throw new InvalidRegexpError(goMessage(e.message));
  }
}

/** RE2/J's error text as Go writes it: Go quotes the (here empty) rest of the pattern after a trailing backslash. */
function goMessage(message: string): string {
  const m = message.startsWith('error parsing regexp: ') ? message : `error parsing regexp: ${message}`;
  return m.endsWith('trailing backslash at end of expression') ? `${m}: \`\`` : m;
}

/**
 * A label matcher's regex (Prometheus' NewFastRegexMatcher): the value must match entirely. Throws
 * InvalidRegexpError for a pattern Go rejects.
 */
export function compileLabelRegexp(pattern: string): LabelRegexp {
  // A pattern the fast path takes is valid by construction: the engine is compiled only if a value needs it.
  let engine: RE2JS | undefined;
  const fast = analyzePattern(pattern, (v) => (engine ??= compileEngine(pattern, true)).testExact(v));
  if (fast) return fast;
  engine = compileEngine(pattern, true);
  const compiled = engine;
  return { matches: (v) => compiled.testExact(v), setMatches: undefined, matchesEverything: false };
}

/** Go's regexp.Compile: unanchored, `.` not matching newlines (the template functions `match` and `reReplaceAll`). */
export function compileGoRegexp(pattern: string): RE2JS {
  return compileEngine(pattern, false);
}

/**
 * label_replace's regex (Prometheus compiles `^(?s:re)$` and expands the replacement with Go's Regexp.Expand).
 * Throws InvalidRegexpError.
 */
export class ReplaceRegexp {
  private readonly engine: RE2JS;
  private readonly groupNames: Map<string, number>;

  constructor(pattern: string) {
    // Compiled wrapped, like Prometheus, which does not parse the bare pattern first here.
    this.engine = compileEngine(`^(?s:${pattern})$`, false);
    this.groupNames = new Map(Object.entries(this.engine.namedGroups()));
  }

  /** The expanded template when the value matches, undefined when it does not. */
  replace(value: string, template: string): string | undefined {
    const m = this.engine.matcher(value);
    if (!m.matches()) return undefined;
    return expandTemplate(template, (num, name) => {
      const g = num >= 0 ? num : this.groupNames.get(name);
      if (g === undefined || g > this.engine.groupCount()) return '';
      return m.group(g) ?? '';
    });
  }
}

const NAME_CHAR = /[\p{L}\p{Nd}_]/u;

/**
 * Go's Regexp.Expand: `$$` is `$`; `$name` / `${name}` insert a group, the name being the longest run of letters,
 * digits and `_` (`$1x` is the group named `1x`); an all-digit name without leading zero is a group number; a
 * malformed reference leaves the `$` as text.
 */
export function expandTemplate(template: string, group: (num: number, name: string) => string): string {
  let out = '';
  let i = 0;
  for (;;) {
    const d = template.indexOf('$', i);
    if (d < 0) return out + template.slice(i);
    out += template.slice(i, d);
    if (template[d + 1] === '$') {
      out += '$';
      i = d + 2;
      continue;
    }
    const brace = template[d + 1] === '{';
    let j = d + (brace ? 2 : 1);
    const start = j;
    while (j < template.length) {
      const cp = String.fromCodePoint(template.codePointAt(j)!);
      if (!NAME_CHAR.test(cp)) break;
      j += cp.length;
    }
    const name = template.slice(start, j);
    if (name === '' || (brace && template[j] !== '}')) {
      out += '$';
      i = d + 1;
      continue;
    }
    if (brace) j++;
    out += group(groupNumber(name), name);
    i = j;
  }
}

/** Go's extract: up to 9 ASCII digits without a leading zero are a group number, anything else (-1) a name. */
function groupNumber(name: string): number {
  if (!/^[0-9]{1,9}$/.test(name) || (name.length > 1 && name[0] === '0')) return -1;
  return Number(name);
}
