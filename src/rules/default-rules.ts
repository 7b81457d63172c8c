// The default rule pack: Datadog-style monitors (host not reporting, service checks CRITICAL/WARNING, Agent check
// failing, disk almost full, load per core, memory almost exhausted) for every tenant, on unless --default-rules=false.
// It comes in a later step; until then this hook returns no groups, so turning the pack on or off changes nothing.
import type { RuleSource } from './manager.js';

/** The pack's groups for a tenant. Empty until the pack lands. */
export function defaultRuleSources(_tenant: string): RuleSource[] {
  return [];
}
