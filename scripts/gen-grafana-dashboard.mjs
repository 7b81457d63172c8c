// Writes docs/grafana/dd-api-overview.json from the console's Overview panels (src/selfmon/overview-panels.ts).
// Build first: `npx tsc -p . && node scripts/gen-grafana-dashboard.mjs`. A test fails when the committed file differs.
import { writeFileSync } from 'node:fs';
import { grafanaDashboardJson } from '../dist/src/selfmon/grafana-dashboard.js';

const file = new URL('../docs/grafana/dd-api-overview.json', import.meta.url);
writeFileSync(file, grafanaDashboardJson());
console.log(`wrote ${file.pathname}`);
