// What the test and bench scripts share: the commands a run needs beyond node_modules, from Debian packages.
// Installs the missing ones when running as root (CI, fresh machines); otherwise names exactly what to install and
// exits 1.
import { execFileSync, spawnSync } from 'node:child_process';

/** @param {string} who the script's name, for its messages @param {{bin: string, pkg: string}[]} needed */
export function ensureDebianPackages(who, needed) {
  const has = (bin) => spawnSync('sh', ['-c', `command -v ${bin}`], { stdio: 'ignore' }).status === 0;
  const missing = needed.filter((n) => !has(n.bin));
  if (missing.length === 0) return;
  const pkgs = missing.map((m) => m.pkg);
  if (process.getuid && process.getuid() === 0) {
    console.log(`${who}: installing ${pkgs.join(' ')} (apt-get)`);
    execFileSync('apt-get', ['update'], { stdio: 'inherit' });
    execFileSync('apt-get', ['install', '-y', '--no-install-recommends', ...pkgs], {
      stdio: 'inherit',
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    });
    return;
  }
  console.error(
    `${who}: missing ${missing.map((m) => m.bin).join(', ')}; install with: sudo apt-get install -y ${pkgs.join(' ')}`,
  );
  process.exit(1);
}
