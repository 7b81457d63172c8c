import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { launchChromium, openConsolePage, signIn } from '../support/browser.js';
import { post, startPromdog, type TestPromdog } from '../support/promdog.js';
import { PrometheusProcess } from '../support/prometheus.js';
import { firingRuleFlags } from '../support/ruler-flags.js';
import { postAgentCapture, v1Series, waitFor } from '../selfmon/support.js';
import { OVERVIEW_PANELS } from '../../src/selfmon/overview-panels.js';
import { assertCaptureChecksShown, CAPTURE_HOST, postCheckRunCapture } from './support.js';
import type { AgentCheck } from '../support/agent-checks.js';

// The web console of a gateway promdog in real headless Chromium. With --query-url every page reads the backend (a
// real Prometheus that the gateway remote-writes the Agent captures, service checks and its own metrics to) and
// shows what the embedded store's console shows; without it, the pages that query say once how to configure it,
// and the others work as before. Screenshots go to test-artifacts/console/.

const ARTIFACTS = join(process.cwd(), 'test-artifacts', 'console');

let prom: PrometheusProcess;
let withQuery: TestPromdog;
let withoutQuery: TestPromdog;
let ruler: { args: string[]; dir: string } | undefined;
let browser: Browser;
let checks: AgentCheck[];

const nowS = () => Math.floor(Date.now() / 1000);
const attr = async (page: Page, selector: string, name: string) => Number(await page.getAttribute(selector, name));
const shot = (page: Page, name: string) => page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });

/** What a gateway promdog gets from an Agent: the series captures moved to now, host metadata, service checks. */
async function sendAgentData(pd: TestPromdog): Promise<void> {
  const start = nowS();
  await postAgentCapture(pd.url, pd.keys.default, start);
  const meta = JSON.stringify({
    internalHostname: CAPTURE_HOST,
    agentVersion: '7.44.0-devel',
    os: 'darwin',
    'host-tags': { system: ['env:capture', 'role:router'] },
  });
  assert.equal((await post(pd.url, '/intake/', meta, { key: pd.keys.default })).status, 202);
  checks = await postCheckRunCapture(pd.url, pd.keys.default, start);
}

/** No page is left loading. */
async function nothingLoading(page: Page): Promise<void> {
  assert.equal(await page.getByText('Loading…').count(), 0, 'something still says Loading…');
}

before(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  prom = await PrometheusProcess.start();
  ruler = await firingRuleFlags();
  withQuery = await startPromdog([
    ...['--remote-write-url', prom.remoteWriteUrl, '--query-url', prom.url, '--self-scrape-interval', '1s'],
    ...ruler.args,
  ]);
  withoutQuery = await startPromdog(['--remote-write-url', prom.remoteWriteUrl, '--self-scrape-interval', '0']);
  await sendAgentData(withQuery);
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  await withQuery?.close();
  await withoutQuery?.close();
  await prom?.cleanup();
  if (ruler) rmSync(ruler.dir, { recursive: true, force: true });
});

describe('web console in gateway mode with --query-url', { timeout: 60_000 }, () => {
  test('Explore draws the backend’s data over the range asked for, errors included', async () => {
    const { page, errors } = await openConsolePage(browser);
    try {
      await signIn(page, withQuery.url, withQuery.keys.default);
      await page.goto(`${withQuery.url}/#/explore?expr=system_load_1&range=15m&tab=graph`);
      await page.waitForSelector('#graph[data-series]');
      assert.equal(await attr(page, '#graph', 'data-series'), (await prom.query('system_load_1')).length);
      assert.ok((await attr(page, '#graph', 'data-points')) > 0);
      await shot(page, 'explore-gateway');
      await page.click('button[data-tab="table"]');
      await page.waitForSelector('#result-table[data-rows]');
      assert.ok((await attr(page, '#result-table', 'data-rows')) > 0);
      // A query the backend refuses: its message, and an empty chart over the range asked for, not over 1970.
      await page.goto(`${withQuery.url}/#/explore?expr=sum(&range=1h&tab=graph`);
      await page.reload();
      await page.waitForSelector('#query-error:not([hidden])');
      const backendError = await fetch(`${prom.url}/api/v1/query_range?query=sum(&start=0&end=1&step=1`);
      assert.equal(await page.textContent('#query-error'), ((await backendError.json()) as { error: string }).error);
      await page.waitForSelector('#graph[data-from]');
      assert.ok((await attr(page, '#graph', 'data-from')) > nowS() - 3600 - 60);
      assert.equal((await attr(page, '#graph', 'data-to')) - (await attr(page, '#graph', 'data-from')), 3600);
      // The errors: the browser logging the backend's 400 answers.
      assert.deepEqual(
        errors.filter((e) => !/status of 400/.test(e)),
        [],
      );
    } finally {
      await page.close();
    }
  });

  test('Service checks: every captured check with its status and history from the backend', async () => {
    const { page, errors } = await openConsolePage(browser);
    try {
      await signIn(page, withQuery.url, withQuery.keys.default);
      await page.goto(`${withQuery.url}/#/checks`);
      await page.waitForSelector('#checks-table tbody tr');
      await assertCaptureChecksShown(page, checks);
      await nothingLoading(page);
      await shot(page, 'checks-gateway');
      assert.deepEqual(errors, []);
    } finally {
      await page.close();
    }
  });

  test('Overview (system tenant): the gateway’s panels draw its metrics from the backend', async () => {
    // An Agent POST between two self-scrapes makes the POST and sample rates non-zero.
    await waitFor(
      'a self-scrape in the backend',
      async () => (await prom.query('promdog_http_requests_total')).length > 0,
    );
    const posted = await post(withQuery.url, '/api/v1/series', v1Series('gateway.console', [[nowS(), 1]]), {
      key: withQuery.keys.default,
    });
    assert.equal(posted.status, 202, JSON.stringify(posted.json));
    await waitFor('POST and remote-write rates of the self-scrape in the backend', async () => {
      const expr =
        'sum(rate(promdog_http_requests_total{method="POST"}[1m])) > 0 and sum(rate(promdog_remote_write_requests_total[1m])) > 0';
      return (await prom.query(expr, nowS() - 2)).length > 0;
    });
    const { page, errors } = await openConsolePage(browser);
    try {
      await signIn(page, withQuery.url, withQuery.keys.system);
      await page.waitForURL(/#\/overview/);
      for (const id of ['posts-by-code', 'samples-accepted', 'process-cpu', 'remote-write-requests', 'rule-alerts']) {
        const sel = `[data-panel="${id}"]`;
        await page.waitForSelector(`${sel}[data-points]`);
        assert.ok((await attr(page, sel, 'data-points')) > 0, `${id}: points drawn`);
      }
      for (const p of OVERVIEW_PANELS.filter((x) => x.mode === 'store'))
        assert.match((await page.textContent(`#panel-${p.id}`)) ?? '', /Only in embedded-store mode/);
      assert.equal(await page.locator('#query-unavailable').count(), 0);
      await page.locator('.toolbar .status', { hasText: /^Updated/ }).waitFor();
      await shot(page, 'overview-gateway');
      assert.deepEqual(errors, []);
    } finally {
      await page.close();
    }
  });

  test('Hosts, Events, Alerts and Rules: as in embedded mode, the rules evaluated through the backend', async () => {
    const { page, errors } = await openConsolePage(browser);
    try {
      await signIn(page, withQuery.url, withQuery.keys.default);
      await page.goto(`${withQuery.url}/#/hosts`);
      await page.waitForSelector(`#hosts-table tr[data-host="${CAPTURE_HOST}"]`);
      assert.match((await page.textContent(`#hosts-table tr[data-host="${CAPTURE_HOST}"]`)) ?? '', /role:router/);
      await nothingLoading(page);
      await page.goto(`${withQuery.url}/#/alerts`);
      await page.waitForSelector('#alerts-list article[data-alertname="Always"][data-state="firing"]');
      await nothingLoading(page);
      await page.goto(`${withQuery.url}/#/rules`);
      await page.waitForSelector('tr[data-health="ok"]');
      assert.equal(await page.locator('tr[data-health="err"]').count(), 0);
      await nothingLoading(page);
      await page.goto(`${withQuery.url}/#/events`);
      await page.waitForSelector('.page.events .empty:not([hidden]), #events-list article');
      await nothingLoading(page);
      assert.deepEqual(errors, []);
    } finally {
      await page.close();
    }
  });
});

describe('web console in gateway mode without --query-url', { timeout: 60_000 }, () => {
  test('the pages that query say once how to configure it; the others work', async () => {
    const meta = JSON.stringify({ internalHostname: 'bare-host', 'host-tags': { system: ['role:bare'] } });
    assert.equal((await post(withoutQuery.url, '/intake/', meta, { key: withoutQuery.keys.default })).status, 202);
    const session = await fetch(`${withoutQuery.url}/console/api/session`, {
      headers: { authorization: `Bearer ${withoutQuery.keys.default}` },
    });
    const message = ((await session.json()) as { queryUnavailable: string }).queryUnavailable;
    assert.match(message, /set --query-url .* tenants\.default\.query_url/);
    const { page, errors } = await openConsolePage(browser);
    try {
      await signIn(page, withoutQuery.url, withoutQuery.keys.default);
      for (const [route, name] of [
        ['overview', 'overview'],
        ['explore?expr=system_load_1', 'explore'],
        ['checks', 'checks'],
      ]) {
        await page.goto(`${withoutQuery.url}/#/${route}`);
        await page.reload();
        await page.waitForSelector('#query-unavailable');
        assert.equal(await page.textContent('#query-unavailable'), message);
        assert.equal(await page.getByText('--query-url').count(), 1, `${name}: the message once`);
        await nothingLoading(page);
        await shot(page, `${name}-gateway-no-query-url`);
      }
      await page.goto(`${withoutQuery.url}/#/hosts`);
      await page.waitForSelector('#hosts-table tr[data-host="bare-host"]');
      await nothingLoading(page);
      await page.goto(`${withoutQuery.url}/#/events`);
      await page.waitForSelector('.page.events .empty:not([hidden])');
      await nothingLoading(page);
      // Nothing was asked that could fail: no errors at all.
      assert.deepEqual(errors, []);
    } finally {
      await page.close();
    }
  });
});
