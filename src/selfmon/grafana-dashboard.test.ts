import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DASHBOARD_UID, grafanaDashboard, grafanaDashboardJson } from './grafana-dashboard.js';
import { OVERVIEW_PANELS } from './overview-panels.js';
import { parseExpr } from '../promql/parser.js';

interface GrafanaPanel {
  id: number;
  type: string;
  title: string;
  datasource: { type: string; uid: string };
  gridPos: { h: number; w: number; x: number; y: number };
  targets: { refId: string; expr: string; legendFormat: string; datasource: { uid: string } }[];
  fieldConfig: { defaults: { unit: string; custom: { scaleDistribution: { type: string; log?: number } } } };
}

const committedFile = join(process.cwd(), 'docs', 'grafana', 'dd-api-overview.json');

test('docs/grafana/dd-api-overview.json is the generator output (node scripts/gen-grafana-dashboard.mjs)', () => {
  assert.equal(readFileSync(committedFile, 'utf8'), grafanaDashboardJson());
});

test('every panel query parses with the PromQL parser', () => {
  for (const p of OVERVIEW_PANELS) {
    assert.ok(p.queries.length > 0, p.id);
    for (const q of p.queries) assert.doesNotThrow(() => parseExpr(q.expr), `${p.id}: ${q.expr}`);
  }
});

test('panels: unique ids, one Grafana timeseries panel each, log axis where logScale, a datasource variable', () => {
  assert.equal(new Set(OVERVIEW_PANELS.map((p) => p.id)).size, OVERVIEW_PANELS.length);
  const d = grafanaDashboard() as {
    uid: string;
    schemaVersion: number;
    panels: GrafanaPanel[];
    templating: { list: { name: string; type: string; query: string }[] };
  };
  assert.equal(d.uid, DASHBOARD_UID);
  assert.ok(d.schemaVersion >= 38, 'Grafana 10+ schema');
  assert.deepEqual(
    d.templating.list.map((v) => [v.name, v.type, v.query]),
    [['datasource', 'datasource', 'prometheus']],
  );
  assert.equal(d.panels.length, OVERVIEW_PANELS.length);
  const cells = new Set<string>();
  for (const [i, p] of OVERVIEW_PANELS.entries()) {
    const g = d.panels[i]!;
    assert.equal(g.type, 'timeseries');
    assert.equal(g.id, i + 1);
    assert.ok(g.title.startsWith(p.title));
    assert.equal(g.datasource.uid, '${datasource}');
    assert.deepEqual(
      g.targets.map((t) => [t.expr, t.legendFormat]),
      p.queries.map((q) => [q.expr, q.legend]),
    );
    assert.deepEqual(
      g.targets.map((t) => t.refId),
      ['A', 'B', 'C'].slice(0, p.queries.length),
    );
    assert.ok(g.targets.every((t) => t.datasource.uid === '${datasource}'));
    assert.equal(g.fieldConfig.defaults.custom.scaleDistribution.type, p.logScale ? 'log' : 'linear');
    assert.ok(g.fieldConfig.defaults.unit.length > 0);
    // No two panels on the same grid cell.
    const cell = `${g.gridPos.x},${g.gridPos.y}`;
    assert.ok(!cells.has(cell), cell);
    cells.add(cell);
  }
});
