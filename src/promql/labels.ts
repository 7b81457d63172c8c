import type { Label } from '../model/prometheus.js';
import type { LabelMatcher } from '../model/storage.js';

export const METRIC_NAME = '__name__';

export function getLabel(labels: readonly Label[], name: string): string {
  for (const l of labels) if (l.name === name) return l.value;
  return '';
}

export function dropLabel(labels: readonly Label[], name: string): Label[] {
  return labels.filter((l) => l.name !== name);
}

/** Sets (or with an empty value deletes) a label, keeping the set sorted. */
export function setLabel(labels: readonly Label[], name: string, value: string): Label[] {
  const out: Label[] = [];
  let done = false;
  for (const l of labels) {
    if (!done && l.name >= name) {
      done = true;
      if (value !== '') out.push({ name, value });
      if (l.name === name) continue;
    }
    out.push(l);
  }
  if (!done && value !== '') out.push({ name, value });
  return out;
}

export function formatLabels(labels: readonly Label[]): string {
  let name = '';
  const parts: string[] = [];
  for (const l of labels) {
    if (l.name === METRIC_NAME) name = l.value;
    else parts.push(`${l.name}=${JSON.stringify(l.value)}`);
  }
  return name + '{' + parts.join(', ') + '}';
}

const labelNameRe = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
/** Prometheus 3 accepts any UTF-8 label name; the legacy charset is still what label_replace etc. check. */
export function isValidLabelName(name: string): boolean {
  return name.length > 0 && (labelNameRe.test(name) || isValidUtf8Name(name));
}
function isValidUtf8Name(name: string): boolean {
  // Prometheus 3 (UTF-8 names): any valid UTF-8 string; JS strings from UTF-8 input always are, unless they
  // hold lone surrogates (the decoder's replacement of invalid bytes shows up as U+FFFD).
  return !/[\ud800-\udfff]/.test(name.replace(/[\ud800-\udbff][\udc00-\udfff]/g, '')) && !name.includes('\ufffd');
}

const POSIX_CLASSES: Record<string, string> = {
  alnum: '0-9A-Za-z', alpha: 'A-Za-z', ascii: '\\x00-\\x7F', blank: '\\t ', cntrl: '\\x00-\\x1F\\x7F', digit: '0-9',
  graph: '!-~', lower: 'a-z', print: ' -~', punct: '!-\\/:-@\\[-`{-~', space: '\\t\\n\\v\\f\\r ', upper: 'A-Z',
  word: '0-9A-Za-z_', xdigit: '0-9A-Fa-f',
};

function swapCase(c: string): string {
  const l = c.toLowerCase();
  return l === c ? c.toUpperCase() : l;
}

/** Translates a character class body, adding the other case of letters when case-insensitive. */
function translateClass(body: string, ci: boolean): string {
  let out = '';
  let extra = '';
  for (let i = 0; i < body.length; i++) {
    const c = body[i]!;
    if (c === '[' && body[i + 1] === ':') {
      const end = body.indexOf(':]', i + 2);
      const name = body.slice(i + 2, end);
      out += POSIX_CLASSES[name] ?? '';
      i = end + 1;
      continue;
    }
    if (c === '\\') {
      out += c + (body[i + 1] ?? '');
      i++;
      continue;
    }
    if (ci && /[a-zA-Z]/.test(c)) {
      if (body[i + 1] === '-' && /[a-zA-Z]/.test(body[i + 2] ?? '')) {
        const to = body[i + 2]!;
        out += c + '-' + to;
        extra += swapCase(c) + '-' + swapCase(to);
        i += 2;
        continue;
      }
      extra += swapCase(c);
    }
    out += c;
  }
  return out + extra;
}

/**
 * Translates an RE2 pattern into a JS RegExp anchored like Prometheus (`^(?s:re)$`). RE2 syntax that JS lacks is
 * rewritten: `(?P<name>`, flag groups `(?i)` / `(?i:...)` (case-insensitivity becomes per-letter classes),
 * POSIX classes `[[:alpha:]]`, `\z`, `\A`, `\Q..\E`.
 */
export function compileAnchoredRegex(re: string): RegExp {
  let out = '';
  const stack: boolean[] = [];
  let ci = false;
  for (let i = 0; i < re.length; i++) {
    const c = re[i]!;
    if (c === '\\') {
      const n = re[i + 1] ?? '';
      if (n === 'Q') {
        const end = re.indexOf('\\E', i + 2);
        const lit = re.slice(i + 2, end < 0 ? re.length : end);
        for (const ch of lit) out += ci && /[a-zA-Z]/.test(ch) ? `[${ch}${swapCase(ch)}]` : ch.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
        i = end < 0 ? re.length : end + 1;
        continue;
      }
      if (n === 'z') out += '$';
      else if (n === 'A') out += '^';
      else out += c + n;
      i++;
      continue;
    }
    if (c === '[') {
      let j = i + 1;
      if (re[j] === '^') j++;
      if (re[j] === ']') j++;
      while (j < re.length && re[j] !== ']') {
        if (re[j] === '\\') j++;
        else if (re[j] === '[' && re[j + 1] === ':') j = re.indexOf(':]', j + 2) + 1;
        j++;
      }
      const neg = re[i + 1] === '^';
      const body = re.slice(i + (neg ? 2 : 1), j);
      out += '[' + (neg ? '^' : '') + translateClass(body, ci) + ']';
      i = j;
      continue;
    }
    if (c === '(') {
      if (re[i + 1] === '?') {
        const flagGroup = /^\(\?([imsU-]*)(\)|:)/.exec(re.slice(i));
        if (flagGroup && flagGroup[1] !== '' ) {
          const flags = flagGroup[1]!;
          const neg = flags.indexOf('-');
          const on = neg < 0 ? flags : flags.slice(0, neg);
          const off = neg < 0 ? '' : flags.slice(neg);
          const newCi: boolean = on.includes('i') ? true : off.includes('i') ? false : ci;
          if (flagGroup[2] === ')') {
            ci = newCi;
          } else {
            stack.push(ci);
            ci = newCi;
            out += '(?:';
          }
          i += flagGroup[0].length - 1;
          continue;
        }
        if (re.startsWith('(?P<', i)) {
          stack.push(ci);
          out += '(?<';
          i += 3;
          continue;
        }
      }
      stack.push(ci);
      out += c;
      continue;
    }
    if (c === ')') {
      ci = stack.pop() ?? false;
      out += c;
      continue;
    }
    out += ci && /[a-zA-Z]/.test(c) ? `[${c}${swapCase(c)}]` : c;
  }
  try {
    return new RegExp('^(?:' + out + ')$', 'su');
  } catch {
    try {
      return new RegExp('^(?:' + out + ')$', 's');
    } catch (e) {
      throw new Error(`error parsing regexp: ${(e as Error).message}`);
    }
  }
}

export type MatchFn = (value: string) => boolean;

export function compileMatcher(m: LabelMatcher): MatchFn {
  switch (m.type) {
    case '=':
      return (v) => v === m.value;
    case '!=':
      return (v) => v !== m.value;
    case '=~': {
      const re = compileAnchoredRegex(m.value);
      return (v) => re.test(v);
    }
    case '!~': {
      const re = compileAnchoredRegex(m.value);
      return (v) => !re.test(v);
    }
  }
}

/** True when the series' labels satisfy every matcher (a missing label matches as the empty string). */
export function matchesAll(labels: readonly Label[], fns: readonly MatchFn[], matchers: readonly LabelMatcher[]): boolean {
  for (let i = 0; i < matchers.length; i++) {
    if (!fns[i]!(getLabel(labels, matchers[i]!.name))) return false;
  }
  return true;
}

/** Drops __name__ and the metadata labels __type__/__unit__, as Prometheus does when an operation changes meaning. */
export function dropMetricNameAndMetadata(labels: readonly Label[]): Label[] {
  return labels.filter((l) => l.name !== METRIC_NAME && l.name !== '__type__' && l.name !== '__unit__');
}
