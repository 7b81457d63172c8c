import type { HttpTargetConfig, ServeConfig, TenantBackendConfig } from './config.js';

// What gateway mode's backends must satisfy, checked once the configuration is read: remote-write targets and query
// URLs per tenant only in gateway mode, a query URL for every tenant with rule files, and no two tenants whose data
// would meet in one backend with nothing to tell them apart.
//
// Two tenants mix when promdog would send their data (or their queries) in requests the backend cannot tell apart:
// the same URL, headers and credentials, and no tenant header. The default targets (`remote_write`, `query_url`)
// serve every tenant without its own, which is always several (`default`, `system`, and any tenant added later), so
// a default target without a tenant header always mixes. `allow_mixed_tenants: true` on a target says it is meant.

/** The tenants of a default target: every tenant without a target of its own. */
const EVERY_TENANT = Symbol('every tenant without its own');

interface BackendUse {
  /** Where it is configured, e.g. `tenants.a.remote_write[0]`. */
  where: string;
  tenant: string | typeof EVERY_TENANT;
  target: TenantBackendConfig;
}

/** What the backend sees of a request besides the tenant header: where it goes and with which credentials. */
function requestIdentity(t: HttpTargetConfig): string {
  const u = new URL(t.url);
  const headers = Object.entries(t.headers)
    .map(([k, v]) => `${k.toLowerCase()}: ${v}`)
    .sort();
  return JSON.stringify([
    u.protocol,
    u.host,
    u.pathname.replace(/\/+$/, ''),
    u.search,
    u.username,
    u.password,
    headers,
    t.basicAuth ?? null,
    t.bearerToken ?? null,
  ]);
}

/** Each group of uses that would mix tenants without every one of them saying allow_mixed_tenants. */
function mixedTenants(uses: BackendUse[], key: 'remote_write' | 'query_url', mixes: string): string[] {
  const headerless = new Map<string, BackendUse[]>();
  for (const use of uses) {
    if (use.target.tenantHeader !== '') continue;
    const id = requestIdentity(use.target);
    headerless.set(id, [...(headerless.get(id) ?? []), use]);
  }
  const problems: string[] = [];
  for (const group of headerless.values()) {
    const tenants = new Set(group.map((u) => u.tenant));
    const everyTenant = tenants.delete(EVERY_TENANT);
    if (!everyTenant && tenants.size < 2) continue;
    const unaccepted = group.filter((u) => !u.target.allowMixedTenants);
    if (unaccepted.length === 0) continue;
    const named = [...tenants].map((t) => `"${String(t)}"`);
    const whose = [
      ...(named.length > 0 ? [`tenant${named.length > 1 ? 's' : ''} ${named.join(', ')}`] : []),
      ...(everyTenant ? [`every tenant without its own ${key} (default, system and any tenant added later)`] : []),
    ].join(' and ');
    const wheres = unaccepted.map((u) => u.where).join(', ');
    const fix = everyTenant
      ? `set tenant_header to the header that backend tells tenants apart by (X-Scope-OrgID for Mimir, Cortex and Thanos), or, to keep those tenants in that one backend on purpose, set allow_mixed_tenants: true on ${wheres}`
      : `give each of them its own backend (another URL or other credentials), set tenant_header to the header that backend tells tenants apart by (X-Scope-OrgID for Mimir, Cortex and Thanos), or, to keep them in that one backend on purpose, set allow_mixed_tenants: true on ${wheres}`;
    problems.push(
      `${group.map((u) => u.where).join(', ')} (${group[0]!.target.url}) ${group.length > 1 ? 'send' : 'sends'} ` +
        'no tenant header (tenant_header: "") ' +
        `and would serve ${whose}: ${mixes}. To fix it, ${fix}.`,
    );
  }
  return problems;
}

/** Every problem of the gateway configuration, each saying what to change; empty when there is none. */
export function gatewayProblems(cfg: ServeConfig): string[] {
  const problems: string[] = [];
  const gateway = cfg.remoteWrite.length > 0;
  if (!gateway) {
    if (cfg.queryUrl)
      problems.push(
        '--query-url: only for gateway mode (--remote-write-url); the embedded store answers queries itself',
      );
    for (const t of cfg.tenants) {
      if (t.remoteWrite)
        problems.push(
          `tenants.${t.name}.remote_write: only for gateway mode; it replaces the default remote_write targets ` +
            '(--remote-write-url) for this tenant, so set those too',
        );
      if (t.queryUrl)
        problems.push(`tenants.${t.name}.query_url: only for gateway mode (--remote-write-url), like --query-url`);
    }
    return problems;
  }

  const ruleTenants = new Set(cfg.tenants.filter((t) => (t.rules?.ruleFiles.length ?? 0) > 0).map((t) => t.name));
  if (cfg.rules.files.length > 0) ruleTenants.add('default');
  for (const tenant of ruleTenants) {
    if (cfg.queryUrl || cfg.tenants.some((t) => t.name === tenant && t.queryUrl)) continue;
    problems.push(
      `rule files in gateway mode (--remote-write-url) need --query-url (or tenants.${tenant}.query_url for ` +
        `tenant "${tenant}"): the query API the rules are evaluated against`,
    );
  }

  const writes: BackendUse[] = cfg.remoteWrite.map((target, i) => ({
    where: `remote_write[${i}]`,
    tenant: EVERY_TENANT,
    target,
  }));
  const queries: BackendUse[] = cfg.queryUrl
    ? [{ where: 'query_url', tenant: EVERY_TENANT, target: cfg.queryUrl }]
    : [];
  for (const t of cfg.tenants) {
    for (const [i, target] of (t.remoteWrite ?? []).entries())
      writes.push({ where: `tenants.${t.name}.remote_write[${i}]`, tenant: t.name, target });
    if (t.queryUrl) queries.push({ where: `tenants.${t.name}.query_url`, tenant: t.name, target: t.queryUrl });
  }
  problems.push(
    ...mixedTenants(writes, 'remote_write', 'their samples would mix in one store with nothing to tell them apart'),
    ...mixedTenants(queries, 'query_url', "each would read the others' data"),
  );
  return problems;
}
