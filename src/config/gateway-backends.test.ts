import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadServeConfig } from './config.js';

const dir = mkdtempSync(join(tmpdir(), 'promdog-cfg-'));
let files = 0;
/** loadServeConfig over a YAML file with `yaml`, plus flags. */
const load = (yaml: string, flags: string[] = []) => {
  const f = join(dir, `c${files++}.yaml`);
  writeFileSync(f, yaml);
  return loadServeConfig(['--config', f, ...flags], {});
};
/** The ConfigError `yaml` is refused with. */
const refusal = (yaml: string, flags: string[] = []): string => {
  try {
    load(yaml, flags);
  } catch (e) {
    assert.ok(e instanceof ConfigError, String(e));
    return e.message;
  }
  assert.fail(`accepted:\n${yaml}`);
};

test("a tenant's own remote-write targets and query URL, with every option", () => {
  const c = load(`remote_write: [http://mimir:8080/api/v1/push]
query_url: http://mimir:8080/prometheus
tenants:
  team-a:
    remote_write:
      - url: https://prom-a:9090/api/v1/write
        tenant_header: ""
        basic_auth: { username: a, password: pa }
        timeout: 3s
      - http://archive:8428/api/v1/write
    query_url:
      url: https://prom-a:9090
      tenant_header: ""
      bearer_token: tok
      timeout: 10s
      max_response_bytes: 1MiB
  team-b: {}
`);
  const a = c.tenants.find((t) => t.name === 'team-a')!;
  assert.deepEqual(a.remoteWrite, [
    {
      url: 'https://prom-a:9090/api/v1/write',
      headers: {},
      basicAuth: { username: 'a', password: 'pa' },
      tlsInsecureSkipVerify: false,
      timeoutMs: 3000,
      tenantHeader: '',
      allowMixedTenants: false,
    },
    {
      url: 'http://archive:8428/api/v1/write',
      headers: {},
      tlsInsecureSkipVerify: false,
      timeoutMs: 5000,
      tenantHeader: 'X-Scope-OrgID',
      allowMixedTenants: false,
    },
  ]);
  assert.deepEqual(a.queryUrl, {
    url: 'https://prom-a:9090',
    headers: {},
    bearerToken: 'tok',
    tlsInsecureSkipVerify: false,
    timeoutMs: 10_000,
    tenantHeader: '',
    allowMixedTenants: false,
    maxResponseBytes: 1024 * 1024,
  });
  const b = c.tenants.find((t) => t.name === 'team-b')!;
  assert.equal(b.remoteWrite, undefined);
  assert.equal(b.queryUrl, undefined);
  assert.equal(c.queryUrl?.tenantHeader, 'X-Scope-OrgID');
  assert.equal(c.queryUrl?.maxResponseBytes, 64 * 1024 * 1024);
});

test('default targets without a tenant header would mix every tenant: refused, saying what to change', () => {
  const message = refusal(`remote_write:
  - http://mimir:8080/api/v1/push
  - { url: "http://prom:9090/api/v1/write", tenant_header: "" }
`);
  assert.equal(
    message,
    'remote_write[1] (http://prom:9090/api/v1/write) sends no tenant header (tenant_header: "") and would serve every ' +
      'tenant without its own remote_write (default, system and any tenant added later): their samples would mix in ' +
      'one store with nothing to tell them apart. To fix it, set tenant_header to the header that backend tells ' +
      'tenants apart by (X-Scope-OrgID for Mimir, Cortex and Thanos), or, to keep those tenants in that one backend ' +
      'on purpose, set allow_mixed_tenants: true on remote_write[1].',
  );
  // Even when every tenant configured has its own targets: a tenant added later (promdog tenant add) lands there.
  assert.match(
    refusal(`remote_write: [{ url: "http://prom:9090/api/v1/write", tenant_header: "" }]
tenants:
  default: { remote_write: ["http://prom-default:9090/api/v1/write"] }
  system: { remote_write: ["http://prom-system:9090/api/v1/write"] }
`),
    /^remote_write\[0\] .* would serve every tenant without its own remote_write/,
  );
  assert.match(
    refusal('remote_write: [http://mimir/api/v1/push]\nquery_url: { url: "http://prom:9090", tenant_header: "" }\n'),
    /^query_url \(http:\/\/prom:9090\) sends no tenant header .* would serve every tenant without its own query_url .*: each would read the others' data\. .* allow_mixed_tenants: true on query_url\.$/,
  );
  const allowed =
    load(`remote_write: [{ url: "http://prom:9090/api/v1/write", tenant_header: "", allow_mixed_tenants: true }]
query_url: { url: "http://prom:9090", tenant_header: "", allow_mixed_tenants: true }
`);
  assert.equal(allowed.remoteWrite[0]!.allowMixedTenants, true);
  // Flags and the environment always send the default tenant header.
  assert.equal(
    loadServeConfig(['--remote-write-url', 'http://prom:9090/api/v1/write', '--query-url', 'http://prom:9090'], {})
      .queryUrl?.tenantHeader,
    'X-Scope-OrgID',
  );
});

test("tenants' own targets mix only when the backend could not tell their requests apart", () => {
  const twoTenants = (a: string, b: string) => `remote_write: [http://mimir/api/v1/push]
tenants:
  team-a: { remote_write: [${a}] }
  team-b: { remote_write: [${b}] }
`;
  const headerless = '{ url: "http://prom:9090/api/v1/write", tenant_header: "" }';
  assert.match(
    refusal(twoTenants(headerless, '{ url: "http://prom:9090/api/v1/write/", tenant_header: "" }')),
    /^tenants\.team-a\.remote_write\[0\], tenants\.team-b\.remote_write\[0\] \(http:\/\/prom:9090\/api\/v1\/write\) send no tenant header \(tenant_header: ""\) and would serve tenants "team-a", "team-b": .* give each of them its own backend/,
  );
  // Other credentials or headers, or a tenant header: told apart (Grafana Cloud separates by basic-auth user).
  load(
    twoTenants(headerless, '{ url: "http://prom:9090/api/v1/write", tenant_header: "", basic_auth: { username: b } }'),
  );
  load(twoTenants(headerless, '{ url: "http://prom:9090/api/v1/write", tenant_header: "", headers: { X-Org: b } }'));
  load(twoTenants(headerless, 'http://prom:9090/api/v1/write'));
  load(twoTenants(headerless, '{ url: "http://prom-b:9090/api/v1/write", tenant_header: "" }'));
  // Said on purpose by every target involved.
  const allowing = '{ url: "http://prom:9090/api/v1/write", tenant_header: "", allow_mixed_tenants: true }';
  assert.match(
    refusal(twoTenants(allowing, headerless)),
    /set allow_mixed_tenants: true on tenants\.team-b\.remote_write\[0\]\.$/,
  );
  load(twoTenants(allowing, allowing));
  // The same for query URLs.
  assert.match(
    refusal(`remote_write: [http://mimir/api/v1/push]
tenants:
  team-a: { query_url: { url: "http://prom:9090/", tenant_header: "" } }
  team-b: { query_url: { url: "http://prom:9090", tenant_header: "" } }
`),
    /^tenants\.team-a\.query_url, tenants\.team-b\.query_url \(http:\/\/prom:9090\/\) .* each would read the others' data/,
  );
});

test("per-tenant backends only in gateway mode; a tenant's rule files need a query URL, its own or the default", () => {
  assert.match(
    refusal('tenants: { a: { remote_write: [http://p/w] } }'),
    /^tenants\.a\.remote_write: only for gateway mode; .* set those too$/,
  );
  assert.match(
    refusal('tenants: { a: { query_url: http://p:9090 } }'),
    /^tenants\.a\.query_url: only for gateway mode/,
  );
  assert.match(
    refusal('tenants: { a: { remote_write: [] } }'),
    /tenants\.a\.remote_write: expected at least one target/,
  );
  const rules = `remote_write: [http://mimir/api/v1/push]
tenants:
  a: { rule_files: [a.yml] }
  b: { rule_files: [b.yml], query_url: http://mimir/prometheus }
`;
  assert.equal(
    refusal(rules),
    'rule files in gateway mode (--remote-write-url) need --query-url (or tenants.a.query_url for tenant "a"): the ' +
      'query API the rules are evaluated against',
  );
  load(rules, ['--query-url', 'http://mimir/prometheus']);
});
