// What `npm test` needs beyond node_modules: a real Prometheus (Debian package) as remote-write target and PromQL
// reference, a real VictoriaMetrics as another gateway backend, a real Alertmanager for the notifier's tests, and
// Chromium for the console's browser tests.
import { ensureDebianPackages } from './ensure-debian-packages.mjs';

ensureDebianPackages('ensure-test-deps', [
  { bin: 'prometheus', pkg: 'prometheus' },
  { bin: 'victoria-metrics', pkg: 'victoria-metrics' },
  { bin: 'prometheus-alertmanager', pkg: 'prometheus-alertmanager' },
  // The console's browser tests drive Debian's Chromium through playwright-core (no browser download).
  { bin: 'chromium', pkg: 'chromium' },
  // The gateway replicas' end-to-end test puts them behind a real load balancer.
  { bin: 'haproxy', pkg: 'haproxy' },
]);
