import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, statSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TenantRegistry, tokenFilePath, writeTokenFile } from './tenants.js';

const tmp = () => mkdtempSync(join(tmpdir(), 'promdog-tenants-'));

test('first start creates default and system with 0600 token files, once', () => {
  const dir = tmp();
  const files = TenantRegistry.ensureInitialTenants(dir, []);
  assert.deepEqual(files, [tokenFilePath(dir, 'default'), tokenFilePath(dir, 'system')]);
  for (const f of files) {
    assert.equal(statSync(f).mode & 0o777, 0o600);
    assert.match(readFileSync(f, 'utf8').trim(), /^[0-9a-f]{32}$/);
  }
  assert.deepEqual(TenantRegistry.ensureInitialTenants(dir, []), [], 'a restart reuses them');
  const reg = new TenantRegistry(dir, []);
  assert.deepEqual(reg.names, ['default', 'system']);
  assert.equal(reg.tenantForKey(readFileSync(files[0]!, 'utf8').trim()), 'default');
  assert.equal(reg.tenantForKey(readFileSync(files[1]!, 'utf8').trim()), 'system');
});

test('configured tenants suppress the initial ones and their keys resolve', () => {
  const dir = tmp();
  const cfg = [{ name: 'team-a', apiKeys: ['key-aaaaaaaa', 'key-bbbbbbbb'] }];
  assert.deepEqual(TenantRegistry.ensureInitialTenants(dir, cfg), []);
  const reg = new TenantRegistry(dir, cfg);
  assert.equal(reg.tenantForKey('key-aaaaaaaa'), 'team-a');
  assert.equal(reg.tenantForKey('key-bbbbbbbb'), 'team-a');
  assert.equal(reg.tenantForKey('key-aaaaaaab'), undefined);
  assert.equal(reg.tenantForKey('key-aaaaaaa'), undefined);
  assert.equal(reg.tenantForKey(''), undefined);
  assert.equal(reg.tenantForKey(undefined), undefined);
});

test('rotation replaces the key after a reload', () => {
  const dir = tmp();
  writeTokenFile(dir, 'x', 'old-key-0000000');
  const reg = new TenantRegistry(dir, []);
  assert.equal(reg.tenantForKey('old-key-0000000'), 'x');
  writeTokenFile(dir, 'x', 'new-key-0000000');
  reg.reload();
  assert.equal(reg.tenantForKey('new-key-0000000'), 'x');
  assert.equal(reg.tenantForKey('old-key-0000000'), undefined);
  assert.throws(() => writeTokenFile(dir, '../evil', 'k'), /invalid tenant name/);
});
