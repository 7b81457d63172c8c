import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import {
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  writeFileSync,
  openSync,
  fsyncSync,
  closeSync,
} from 'node:fs';
import { join } from 'node:path';
import type { TenantConfig } from '../config/config.js';
import { TENANT_NAME_RE } from '../config/config.js';

// Tenants and their API keys. A key names its tenant. Keys come from the --config file and from
// `<data-dir>/tenant-api-token-<name>` files (one key per file, mode 0600), which `promdog tenant add|rotate` write and
// the first start creates for `default` and `system`. Keys are never logged.

export const TOKEN_FILE_PREFIX = 'tenant-api-token-';
export const INITIAL_TENANTS = ['default', 'system'] as const;

const sha256 = (s: string) => createHash('sha256').update(s).digest();

/** A Datadog-style API key: 32 hex characters (128 random bits). */
export function newApiKey(): string {
  return randomBytes(16).toString('hex');
}

export function tokenFilePath(dataDir: string, tenant: string): string {
  return join(dataDir, TOKEN_FILE_PREFIX + tenant);
}

/** Writes a token file atomically with mode 0600. */
export function writeTokenFile(dataDir: string, tenant: string, key: string): string {
  if (!TENANT_NAME_RE.test(tenant)) throw new Error(`invalid tenant name "${tenant}": must match ${TENANT_NAME_RE}`);
  mkdirSync(dataDir, { recursive: true });
  const path = tokenFilePath(dataDir, tenant);
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, `${key}\n`, { mode: 0o600 });
  const fd = openSync(tmp, 'r');
  fsyncSync(fd);
  closeSync(fd);
  renameSync(tmp, path);
  return path;
}

/** Tenants with keys in token files of the data dir. */
export function readTokenFiles(dataDir: string): Map<string, string> {
  const out = new Map<string, string>();
  let names: string[];
  try {
    names = readdirSync(dataDir);
  } catch {
    return out;
  }
  for (const f of names) {
    if (!f.startsWith(TOKEN_FILE_PREFIX) || f.includes('.tmp-')) continue;
    const tenant = f.slice(TOKEN_FILE_PREFIX.length);
    if (!TENANT_NAME_RE.test(tenant)) continue;
    const key = readFileSync(join(dataDir, f), 'utf8').trim();
    if (key) out.set(tenant, key);
  }
  return out;
}

interface KeyEntry {
  tenant: string;
  key: Buffer;
}

export class TenantRegistry {
  /** sha256(key) hex → entry; the final comparison is constant-time. */
  private byHash = new Map<string, KeyEntry>();
  private tenantNames = new Set<string>();
  private lastReload = 0;

  constructor(
    private readonly dataDir: string,
    private readonly configured: TenantConfig[],
  ) {
    this.reload();
  }

  /**
   * First start: when neither the config nor the data dir names any tenant, create `default` and `system` with
   * random keys. Returns the token files written (the caller logs where they are).
   */
  static ensureInitialTenants(dataDir: string, configured: TenantConfig[]): string[] {
    if (configured.length > 0 || readTokenFiles(dataDir).size > 0) return [];
    return INITIAL_TENANTS.map((t) => writeTokenFile(dataDir, t, newApiKey()));
  }

  /** Re-reads token files (after `promdog tenant add|rotate` while running). */
  reload(): void {
    const byHash = new Map<string, KeyEntry>();
    const names = new Set<string>();
    const add = (tenant: string, key: string) => {
      names.add(tenant);
      byHash.set(sha256(key).toString('hex'), { tenant, key: Buffer.from(key) });
    };
    for (const [tenant, key] of readTokenFiles(this.dataDir)) add(tenant, key);
    for (const t of this.configured) for (const k of t.apiKeys) add(t.name, k);
    this.byHash = byHash;
    this.tenantNames = names;
    this.lastReload = Date.now();
  }

  /** The tenant a key belongs to, or undefined. An unknown key triggers a re-read of the token files (at most every 2 s). */
  tenantForKey(key: string | undefined): string | undefined {
    if (!key) return undefined;
    let found = this.lookup(key);
    if (!found && Date.now() - this.lastReload > 2000) {
      this.reload();
      found = this.lookup(key);
    }
    return found;
  }

  private lookup(key: string): string | undefined {
    const e = this.byHash.get(sha256(key).toString('hex'));
    if (!e) return undefined;
    const presented = Buffer.from(key);
    return presented.length === e.key.length && timingSafeEqual(presented, e.key) ? e.tenant : undefined;
  }

  get names(): string[] {
    return [...this.tenantNames].sort();
  }
}
