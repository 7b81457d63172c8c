// What `npm run bench` needs beyond node_modules: the stores it compares promdog with — Prometheus (gateway target,
// query reference) and VictoriaMetrics (ingest and on-disk reference), both Debian packages. Installs them when
// running as root (CI, fresh machines); otherwise names exactly what to install.
import { execFileSync, spawnSync } from 'node:child_process';

const needed = [
  { bin: 'prometheus', pkg: 'prometheus' },
  { bin: 'victoria-metrics', pkg: 'victoria-metrics' },
];
const has = (bin) => spawnSync('sh', ['-c', `command -v ${bin}`], { stdio: 'ignore' }).status === 0;
const missing = needed.filter((n) => !has(n.bin));
if (missing.length === 0) process.exit(0);
const pkgs = missing.map((m) => m.pkg);
if (process.getuid && process.getuid() === 0) {
  console.log(`ensure-bench-deps: installing ${pkgs.join(' ')} (apt-get)`);
  execFileSync('apt-get', ['update'], { stdio: 'inherit' });
  execFileSync('apt-get', ['install', '-y', '--no-install-recommends', ...pkgs], {
    stdio: 'inherit',
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
} else {
  console.error(
    `ensure-bench-deps: missing ${missing.map((m) => m.bin).join(', ')}; install with: sudo apt-get install -y ${pkgs.join(' ')}`,
  );
  process.exit(1);
}
