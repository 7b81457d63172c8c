import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import { TenantRegistry, writeTokenFile } from './tenants.js';
import { requestTenant, requestTenants } from './request-tenant.js';

// The one place requests get their tenant, over real HTTP: which key sources the intake and the query side read, and
// the tenant recorded on the request for the server's request counter.

const KEY = '0123456789abcdef0123456789abcdef';
let dir: string;
let app: FastifyInstance;
let url: string;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'promdog-request-tenant-'));
  writeTokenFile(dir, 'acme', KEY);
  const byKey = requestTenants(new TenantRegistry(dir, []), false);
  const noAuth = requestTenants(new TenantRegistry(dir, []), true);
  app = Fastify();
  // Each route answers what the resolver found and what was recorded on the request.
  for (const [path, resolve] of [
    ['/intake', byKey.intake],
    ['/query', byKey.query],
    ['/no-auth', noAuth.intake],
    ['/none', () => undefined],
  ] as const) {
    app.get(path, async (req) => ({ resolved: resolve(req) ?? null, recorded: requestTenant(req) }));
  }
  await app.listen({ host: '127.0.0.1', port: 0 });
  const addr = app.server.address();
  url = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
});

after(async () => {
  await app.close();
  rmSync(dir, { recursive: true, force: true });
});

async function ask(
  path: string,
  headers: Record<string, string> = {},
): Promise<{ resolved: string | null; recorded: string }> {
  const res = await fetch(url + path, { headers });
  assert.equal(res.status, 200);
  return (await res.json()) as { resolved: string | null; recorded: string };
}

const basic = (user: string, password: string) => ({
  authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`,
});

test('the intake reads DD-API-KEY (trimmed, any case) and api_key, not Authorization', async () => {
  assert.deepEqual(await ask('/intake', { 'DD-API-KEY': ` ${KEY} ` }), { resolved: 'acme', recorded: 'acme' });
  assert.deepEqual(await ask(`/intake?api_key=${KEY}`), { resolved: 'acme', recorded: 'acme' });
  assert.deepEqual(await ask('/intake', { authorization: `Bearer ${KEY}` }), { resolved: null, recorded: '' });
  assert.deepEqual(await ask('/intake', basic('grafana', KEY)), { resolved: null, recorded: '' });
});

test('the query side also reads Bearer and the basic-auth password; Authorization comes first', async () => {
  assert.deepEqual(await ask('/query', { authorization: `Bearer ${KEY}` }), { resolved: 'acme', recorded: 'acme' });
  assert.deepEqual(await ask('/query', basic('grafana', KEY)), { resolved: 'acme', recorded: 'acme' });
  assert.deepEqual(await ask('/query', { 'dd-api-key': KEY }), { resolved: 'acme', recorded: 'acme' });
  assert.deepEqual(await ask(`/query?api_key=${KEY}`), { resolved: 'acme', recorded: 'acme' });
  assert.deepEqual(await ask('/query', { authorization: 'Bearer wrong', 'dd-api-key': KEY }), {
    resolved: null,
    recorded: '',
  });
  assert.deepEqual(
    await ask('/query', basic(KEY, '')),
    { resolved: null, recorded: '' },
    'the key is the password, not the user',
  );
});

test('unknown or missing keys resolve to nothing; without auth every request is default', async () => {
  assert.deepEqual(await ask('/query', { authorization: 'Bearer not-a-key' }), { resolved: null, recorded: '' });
  assert.deepEqual(await ask('/intake'), { resolved: null, recorded: '' });
  assert.deepEqual(await ask('/no-auth'), { resolved: 'default', recorded: 'default' });
  assert.deepEqual(
    await ask('/none', { 'dd-api-key': KEY }),
    { resolved: null, recorded: '' },
    'a route that resolves no tenant records none',
  );
});
