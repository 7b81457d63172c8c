// The groups written through the ruler configuration API (Mimir/Cortex), per tenant and namespace, kept durably in
// the data dir: one rule file per namespace under rules/<tenant>/, rewritten atomically so a crash or kill -9 leaves
// the old or the new namespace, never a torn one.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { unlinkDurably, writeFileAtomic } from '../durable/atomic-file.js';
import { formatDuration } from '../promql/printer.js';
import { parseRuleFile, type RuleGroupDefinition } from './rule-file.js';

const SUFFIX = '.yaml';

/** A namespace as a file name: letters, digits, `_` and `-` kept, every other UTF-8 byte as %XX (no `..`, no `/`). */
export function namespaceFileName(namespace: string): string {
  let out = '';
  for (const byte of Buffer.from(namespace, 'utf8')) {
    const c = String.fromCharCode(byte);
    out += /[A-Za-z0-9_-]/.test(c) ? c : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out + SUFFIX;
}

function namespaceOfFile(file: string): string | undefined {
  if (!file.endsWith(SUFFIX)) return undefined;
  try {
    return decodeURIComponent(file.slice(0, -SUFFIX.length));
  } catch {
    return undefined;
  }
}

const pairs = (p: [string, string][]) => (p.length > 0 ? Object.fromEntries(p) : undefined);

/** A group as Prometheus' rulefmt marshals it (empty fields left out), for storage and the API's YAML. */
export function groupToYamlObject(g: RuleGroupDefinition): Record<string, unknown> {
  const out: Record<string, unknown> = { name: g.name };
  if (g.intervalMs > 0) out.interval = formatDuration(g.intervalMs);
  if (g.queryOffsetMs !== undefined) out.query_offset = formatDuration(g.queryOffsetMs);
  if (g.limit !== 0) out.limit = g.limit;
  if (g.labels.length > 0) out.labels = pairs(g.labels);
  out.rules = g.rules.map((r) => {
    const rule: Record<string, unknown> = r.kind === 'alert' ? { alert: r.name } : { record: r.name };
    rule.expr = r.expr;
    if (r.forMs !== 0) rule.for = formatDuration(r.forMs);
    if (r.keepFiringForMs !== 0) rule.keep_firing_for = formatDuration(r.keepFiringForMs);
    if (r.labels.length > 0) rule.labels = pairs(r.labels);
    if (r.annotations.length > 0) rule.annotations = pairs(r.annotations);
    return rule;
  });
  return out;
}

export interface StoredNamespaces {
  /** Namespace → its groups, in the order they were written. */
  namespaces: Map<string, RuleGroupDefinition[]>;
  /** Files that no longer load (named with the problem); their namespaces are left out. */
  errors: string[];
}

export class NamespaceStore {
  constructor(private readonly dir: string) {}

  private tenantDir(tenant: string): string {
    return join(this.dir, tenant);
  }

  /** Every namespace of a tenant as stored. */
  load(tenant: string): StoredNamespaces {
    const namespaces = new Map<string, RuleGroupDefinition[]>();
    const errors: string[] = [];
    const dir = this.tenantDir(tenant);
    let files: string[];
    try {
      files = readdirSync(dir).sort();
    } catch {
      return { namespaces, errors };
    }
    for (const f of files) {
      const namespace = namespaceOfFile(f);
      if (namespace === undefined) continue;
      const path = join(dir, f);
      const parsed = parseRuleFile(readFileSync(path, 'utf8'));
      if (parsed.groups) namespaces.set(namespace, parsed.groups);
      else errors.push(...parsed.errors.map((e) => `${path}: ${e}`));
    }
    return { namespaces, errors };
  }

  /** Writes a namespace's groups; an empty list deletes the namespace. Resolves once durable. */
  async write(tenant: string, namespace: string, groups: RuleGroupDefinition[]): Promise<void> {
    const file = join(this.tenantDir(tenant), namespaceFileName(namespace));
    if (groups.length === 0) await unlinkDurably(file);
    else await writeFileAtomic(file, stringify({ groups: groups.map(groupToYamlObject) }));
  }
}
