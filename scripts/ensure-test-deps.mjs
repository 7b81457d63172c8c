// What `npm test` needs beyond node_modules: a real Prometheus (Debian package) as remote-write target and PromQL
// reference, a real VictoriaMetrics as another gateway backend, a real Alertmanager for the notifier's tests, and
// Chromium for the console's browser tests.
// Installs them when running as root (CI, fresh machines); otherwise names exactly what to install.
import { execFileSync, spawnSync } from 'node:child_process';

const needed = [
  { bin: 'prometheus', pkg: 'prometheus' },
  { bin: 'victoria-metrics', pkg: 'victoria-metrics' },
  { bin: 'prometheus-alertmanager', pkg: 'prometheus-alertmanager' },
  // The console's browser tests drive Debian's Chromium through playwright-core (no browser download).
  { bin: 'chromium', pkg: 'chromium' },
  // The gateway replicas' end-to-end test puts them behind a real load balancer.
  { bin: 'haproxy', pkg: 'haproxy' },
];
const has = (bin) => spawnSync('sh', ['-c', `command -v ${bin}`], { stdio: 'ignore' }).status === 0;
const missing = needed.filter((n) => !has(n.bin));
if (missing.length === 0) process.exit(0);
const pkgs = missing.map((m) => m.pkg);
if (process.getuid && process.getuid() === 0) {
  console.log(`ensure-test-deps: installing ${pkgs.join(' ')} (apt-get)`);
  execFileSync('apt-get', ['update'], { stdio: 'inherit' });
  execFileSync('apt-get', ['install', '-y', '--no-install-recommends', ...pkgs], {
    stdio: 'inherit',
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
} else {
  console.error(
    `ensure-test-deps: missing ${missing.map((m) => m.bin).join(', ')}; install with: sudo apt-get install -y ${pkgs.join(' ')}`,
  );
  process.exit(1);
}
