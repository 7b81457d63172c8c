// What `npm run bench` needs beyond node_modules: the stores it compares promdog with — Prometheus (gateway target,
// query reference) and VictoriaMetrics (ingest and on-disk reference), both Debian packages.
import { ensureDebianPackages } from './ensure-debian-packages.mjs';

ensureDebianPackages('ensure-bench-deps', [
  { bin: 'prometheus', pkg: 'prometheus' },
  { bin: 'victoria-metrics', pkg: 'victoria-metrics' },
]);
