import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startPromdog, post, selfMetric, type TestPromdog } from '../support/promdog.js';

// What the store refuses is counted by reason and not as accepted; over the active-series limit the rest of the
// request is stored (202), and a request with nothing stored is answered 400 naming the limit.

let pd: TestPromdog | undefined;
after(async () => pd?.close());

test('store refusals are counted by reason, accepted samples only once', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'promdog-acct-'));
  writeFileSync(join(dir, 'promdog.yaml'), 'storage:\n  max_active_series_per_tenant: 3\n  out_of_order_window: 5m\n');
  pd = await startPromdog(['--config', join(dir, 'promdog.yaml')]);
  const now = Math.floor(Date.now() / 1000);
  const series = (metric: string, points: number[][]) => ({ metric, points, host: 'h' });
  const send = (s: unknown[]) =>
    post(pd!.url, '/api/v1/series', JSON.stringify({ series: s }), { key: pd!.keys.default });

  assert.equal(
    (
      await send([
        series('acct.a', [
          [now - 60, 1],
          [now, 2],
        ]),
      ])
    ).status,
    202,
  );
  // One sample out of order beyond the 5-minute window (too_old), one in order: 202, 1 accepted, 1 refused.
  assert.equal(
    (
      await send([
        series('acct.a', [
          [now - 600, 3],
          [now + 1, 4],
        ]),
      ])
    ).status,
    202,
  );
  assert.equal(await selfMetric(pd.url, 'promdog_samples_accepted_total', { tenant: 'default' }), 3);
  assert.equal(await selfMetric(pd.url, 'promdog_samples_rejected_total', { tenant: 'default', reason: 'too_old' }), 1);

  // Series limit 3: acct.b and acct.c fit, acct.d and acct.e do not; the rest of the request is stored: 202.
  const r = await send([
    series('acct.b', [[now, 1]]),
    series('acct.c', [[now, 1]]),
    series('acct.d', [[now, 1]]),
    series('acct.e', [
      [now, 1],
      [now + 1, 2],
    ]),
  ]);
  assert.equal(r.status, 202);
  assert.equal(
    await selfMetric(pd.url, 'promdog_samples_rejected_total', { tenant: 'default', reason: 'series_limit' }),
    3,
  );
  assert.equal(
    await selfMetric(pd.url, 'promdog_series_rejected_total', { tenant: 'default', reason: 'series_limit' }),
    2,
  );
  assert.equal(await selfMetric(pd.url, 'promdog_samples_accepted_total', { tenant: 'default' }), 5);
  // A request of new series only, all over the limit: 400 naming it.
  const refused = await send([series('acct.f', [[now, 1]])]);
  assert.equal(refused.status, 400);
  assert.match(refused.json.errors[0], /limit of 3 active series \(storage\.max_active_series_per_tenant\)/);
  const exported = await (
    await fetch(`${pd.url}/api/v1/export?match[]={__name__=~"acct_.*"}`, {
      headers: { authorization: `Bearer ${pd.keys.default}` },
    })
  ).text();
  const names = exported
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l).metric.__name__)
    .sort();
  assert.deepEqual(names, ['acct_a', 'acct_b', 'acct_c']);
});
