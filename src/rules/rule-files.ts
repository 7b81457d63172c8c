// Rule files from patterns: each pattern expanded like Go's filepath.Glob (`*`, `?`, `[…]` within one path element;
// what Prometheus' rule_files take), each file read and checked. A pattern without wildcards names a file that must
// exist; a wildcard pattern may match nothing.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { parseRuleFile } from './rule-file.js';
import type { RuleSource } from './manager.js';

const META = /[*?[\\]/;

/** Go's filepath.Match pattern for one path element as a RegExp. */
function elementPattern(pattern: string): RegExp | undefined {
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '\\') {
      const next = pattern[++i];
      if (next === undefined) return undefined;
      re += next.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    } else if (c === '[') {
      const end = pattern.indexOf(']', i + 2);
      if (end < 0) return undefined;
      let body = pattern.slice(i + 1, end);
      const negated = body.startsWith('^');
      if (negated) body = body.slice(1);
      re += `[${negated ? '^' : ''}${body.replace(/[\]\\^]/g, '\\$&')}]`;
      i = end;
    } else re += c.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`, 'su');
}

/** The files a pattern names, sorted as Go's Glob returns them; throws on a malformed pattern. */
export function expandPattern(pattern: string): string[] {
  if (!META.test(pattern)) {
    try {
      statSync(pattern);
      return [pattern];
    } catch {
      return [];
    }
  }
  const dir = dirname(pattern);
  const re = elementPattern(basename(pattern));
  if (!re) throw new Error(`syntax error in pattern: ${pattern}`);
  const dirs = META.test(dir) && dir !== pattern ? expandPattern(dir) : [dir];
  const out: string[] = [];
  for (const d of dirs) {
    let entries: string[];
    try {
      entries = readdirSync(d).sort();
    } catch {
      continue;
    }
    for (const e of entries) if (re.test(e)) out.push(join(d, e));
  }
  return out;
}

export interface LoadedRuleFiles {
  sources: RuleSource[];
  /** promtool-style messages, each starting with the file (or pattern) it is about. */
  errors: string[];
}

/** Reads and checks every file the patterns name (a file named by two patterns is read once). */
export function loadRuleFiles(patterns: readonly string[]): LoadedRuleFiles {
  const sources: RuleSource[] = [];
  const errors: string[] = [];
  const seen = new Set<string>();
  for (const pattern of patterns) {
    let files: string[];
    try {
      files = expandPattern(pattern);
    } catch (e) {
      errors.push(`${pattern}: ${(e as Error).message}`);
      continue;
    }
    if (files.length === 0 && !META.test(pattern)) {
      errors.push(`${pattern}: no such rule file`);
      continue;
    }
    for (const file of files) {
      if (seen.has(file)) continue;
      seen.add(file);
      let text: string;
      try {
        text = readFileSync(file, 'utf8');
      } catch (e) {
        errors.push(`${file}: ${(e as Error).message}`);
        continue;
      }
      const parsed = parseRuleFile(text);
      if (parsed.groups) sources.push({ file, groups: parsed.groups });
      else for (const err of parsed.errors) errors.push(`${file}: ${err}`);
    }
  }
  return { sources, errors };
}
