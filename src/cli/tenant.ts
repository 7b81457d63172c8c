import { parseArgs } from 'node:util';
import { TENANT_NAME_RE } from '../config/config.js';
import { newApiKey, readTokenFiles, tokenFilePath, writeTokenFile } from '../tenants/tenants.js';

export const TENANT_USAGE = `promdog tenant add|list|rotate [NAME] [--data-dir DIR]
  The data dir defaults to PROMDOG_DATA_DIR or ./data. A running server picks changes up within 10 s.
  Tenants declared in a --config file are managed there, not here.
`;

/** `promdog tenant add|list|rotate`: manages the token files of the data dir. Keys are printed only as file paths. */
export async function runTenantCommand(argv: string[], defaultDataDir: string): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    options: { 'data-dir': { type: 'string' } },
    allowPositionals: true,
  });
  const dataDir = values['data-dir'] ?? defaultDataDir;
  const [action, name] = positionals;
  const existing = readTokenFiles(dataDir);
  const fail = (msg: string) => {
    process.stderr.write(`promdog tenant: ${msg}\n`);
    process.exitCode = 2;
  };
  switch (action) {
    case 'list':
      if (existing.size === 0) process.stdout.write(`no tenants in ${dataDir}\n`);
      for (const t of [...existing.keys()].sort()) process.stdout.write(`${t}\t${tokenFilePath(dataDir, t)}\n`);
      return;
    case 'add':
    case 'rotate': {
      if (!name || !TENANT_NAME_RE.test(name)) return fail(`${action} needs a tenant NAME matching ${TENANT_NAME_RE}`);
      if (action === 'add' && existing.has(name))
        return fail(`tenant "${name}" exists already (use rotate for a new key)`);
      if (action === 'rotate' && !existing.has(name)) return fail(`no tenant "${name}" in ${dataDir}`);
      const file = writeTokenFile(dataDir, name, newApiKey());
      process.stdout.write(`${action === 'add' ? 'created' : 'rotated'} tenant ${name}: API key in ${file}\n`);
      return;
    }
    default:
      return fail(`unknown action "${action ?? ''}"\n${TENANT_USAGE}`);
  }
}
