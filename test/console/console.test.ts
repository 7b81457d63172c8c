import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';
import StatsD from 'hot-shots';
import type { Browser, Page } from 'playwright-core';
import { launchChromium, openConsolePage, signIn as signInAs } from '../support/browser.js';
import { startPromdog, post, type TestPromdog } from '../support/promdog.js';
import { PrometheusProcess } from '../support/prometheus.js';
import { firingRuleFlags } from '../support/ruler-flags.js';
import { loadFixture, decodedBody, seriesPayloadAt } from '../support/fixtures.js';
import { decodeSeriesV2 } from '../../src/intake/decoders/series-v2.js';
import { OVERVIEW_PANELS } from '../../src/selfmon/overview-panels.js';
import type { DDSeries } from '../../src/model/datadog.js';
import { agentEventsPayload } from '../support/agent-events.js';

// The web console in real headless Chromium against a real promdog (embedded store, 1 s self-scrape) that keeps
// receiving the Agent captures (moved to now), a host metadata payload, the check_run capture and DogStatsD from
// hot-shots while the pages are driven, with events from the events API, an Agent envelope and DogStatsD.
// Screenshots of every page go to test-artifacts/console/.

const ARTIFACTS = join(process.cwd(), 'test-artifacts', 'console');
const CAPTURE_HOST = 'COMP-N52P6N99MH';
/** Host tags the capture host reports in its /intake/ metadata (the captures hold no /intake/ payload). */
const CAPTURE_HOST_TAGS = ['env:capture', 'team:agent', 'role:router'];

interface CheckRun {
  check: string;
  host_name: string;
  timestamp: number;
  status: number;
  message: string;
  tags: string[] | null;
}

let pd: TestPromdog;
/** The rule file that gives the Overview's ruler and notifier panels something to draw. */
let ruler: { args: string[]; dir: string } | undefined;
let browser: Browser;
/** Started before the traffic is set up; after() closes it even when the set-up failed half way. */
let launching: Promise<Browser> | undefined;
let captureSeries: DDSeries[][];
let checks: CheckRun[];
let traffic: NodeJS.Timeout;
let statsd: InstanceType<typeof StatsD>;
/** The events posted at set-up, by what they are. */
const postedEvents: { deploy: string; disk: string } = { deploy: '', disk: '' };

const nowS = () => Math.floor(Date.now() / 1000);

async function postSeries(payload: DDSeries[], newestS: number): Promise<void> {
  const r = await post(pd.url, '/api/v2/series', deflateSync(seriesPayloadAt(payload, newestS)), {
    key: pd.keys.default,
    encoding: 'none',
    rawEncodingHeader: 'deflate',
    contentType: 'application/x-protobuf',
  });
  assert.equal(r.status, 202, JSON.stringify(r.json));
}

async function postChecks(list: CheckRun[]): Promise<void> {
  const r = await post(pd.url, '/api/v1/check_run', deflateSync(JSON.stringify(list)), {
    key: pd.keys.default,
    encoding: 'none',
    rawEncodingHeader: 'deflate',
  });
  assert.equal(r.status, 202, JSON.stringify(r.json));
}

/** An instant query over the API (test set-up and cross-checks, not what the pages do), at now or `timeS`. */
async function query(
  key: string,
  expr: string,
  timeS?: number,
): Promise<{ status: string; error?: string; data?: { result: unknown[] } }> {
  const at = timeS === undefined ? '' : `&time=${timeS}`;
  const res = await fetch(`${pd.url}/api/v1/query?query=${encodeURIComponent(expr)}${at}`, {
    headers: { authorization: `Bearer ${key}` },
  });
  return (await res.json()) as { status: string; error?: string; data?: { result: unknown[] } };
}

async function waitFor(what: string, cond: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

const openPage = () => openConsolePage(browser);
const signIn = (page: Page, key: string) => signInAs(page, pd.url, key);

async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
}

/** Waits for the Overview's status line of a completed load. */
const overviewUpdated = (page: Page) => page.locator('.toolbar .status', { hasText: /^Updated/ }).waitFor();

const attr = async (page: Page, selector: string, name: string) => Number(await page.getAttribute(selector, name));

/** Types an expression into the (CodeMirror) editor, replacing what is there. */
async function typeExpr(page: Page, expr: string): Promise<void> {
  await page.click('#expr-editor .cm-content');
  await page.keyboard.press('ControlOrMeta+a');
  await page.keyboard.press('Backspace');
  await page.keyboard.type(expr);
}

before(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  ruler = await firingRuleFlags();
  pd = await startPromdog(['--dogstatsd-listen', '127.0.0.1:0', '--self-scrape-interval', '1s', ...ruler.args]);
  launching = launchChromium();

  captureSeries = loadFixture('api_v2_series_response.json')
    .filter((p) => p.encoding === 'deflate')
    .map((p) => decodeSeriesV2(decodedBody(p)).series);
  const start = nowS();
  for (const [i, s] of captureSeries.entries()) await postSeries(s, start - 30 * (captureSeries.length - i));
  const meta = JSON.stringify({
    internalHostname: CAPTURE_HOST,
    agentVersion: '7.44.0-devel',
    os: 'darwin',
    'host-tags': { system: CAPTURE_HOST_TAGS },
  });
  assert.equal((await post(pd.url, '/intake/', meta, { key: pd.keys.default, encoding: 'gzip' })).status, 202);
  for (const p of loadFixture('api_v1_metadata_response.json')) {
    assert.equal(
      (
        await post(pd.url, '/api/v1/metadata', p.data, {
          key: pd.keys.default,
          encoding: 'none',
          rawEncodingHeader: 'deflate',
        })
      ).status,
      202,
    );
  }
  // The check_run capture two minutes ago, then again now with ntp.in_sync turned WARNING.
  checks = JSON.parse(
    decodedBody(loadFixture('api_v1_check_run_response.json').find((x) => x.encoding === 'deflate')!).toString(),
  ) as CheckRun[];
  await postChecks(checks.map((c) => ({ ...c, timestamp: start - 120 })));
  await postChecks(checks.map((c) => ({ ...c, timestamp: start, status: c.check === 'ntp.in_sync' ? 1 : c.status })));

  // Events: one from the events API and one from the Agent on the capture host, ten minutes ago and five; one
  // from DogStatsD (below, once hot-shots is up).
  const deploy = await post(
    pd.url,
    '/api/v1/events',
    JSON.stringify({
      title: 'Deploy checkout v2',
      text: 'rolled out by CI',
      date_happened: start - 600,
      host: CAPTURE_HOST,
      tags: ['env:capture', 'service:checkout'],
      alert_type: 'success',
      source_type_name: 'jenkins',
    }),
    { key: pd.keys.default },
  );
  assert.equal(deploy.status, 202);
  postedEvents.deploy = deploy.json.event.id_str;
  const envelope = agentEventsPayload(
    [
      {
        title: 'Disk almost full',
        text: '/var at 91%\nclean up old logs',
        ts: start - 300,
        host: '',
        tags: ['env:capture'],
        alertType: 'error',
        sourceTypeName: 'nagios',
      },
    ],
    CAPTURE_HOST,
  );
  assert.equal((await post(pd.url, '/intake/', envelope, { key: pd.keys.default, encoding: 'deflate' })).status, 202);

  // While the pages are driven: the Agent keeps posting (so POST rates move between self-scrapes), a client with a
  // wrong key is refused (403), a sample a day ahead is rejected (too_far_in_future), and an app sends DogStatsD.
  statsd = new StatsD({
    host: '127.0.0.1',
    port: pd.server.dogstatsd!.udpAddress()!.port,
    protocol: 'udp',
    maxBufferSize: 0,
  });
  statsd.event('Cache flushed', 'by the nightly job', { priority: 'low', hostname: 'cache-1' }, ['team:cache']);
  let tick = 0;
  traffic = setInterval(() => {
    tick++;
    statsd.increment('blog.app.testcounter', 2);
    statsd.histogram('blog.app.testhist', 1 + (tick % 3));
    void postSeries(captureSeries[0]!, nowS()).catch(() => undefined);
    void post(pd.url, '/api/v2/series', '{"series":[]}', { key: 'not-a-key' }).catch(() => undefined);
    // An Agent route promdog does not serve, for the unknown-routes panel.
    void post(pd.url, '/api/intake/metrics/v3beta/series', '', { key: pd.keys.default }).catch(() => undefined);
    const future = {
      series: [{ metric: 'clock.skewed', points: [[nowS() + 86_400, 1]], host: 'skewed-host', type: 'gauge' }],
    };
    void post(pd.url, '/api/v1/series', JSON.stringify(future), { key: pd.keys.default }).catch(() => undefined);
  }, 500);
  const stream = await waitForEvents(pd.keys.default, 3);
  postedEvents.disk = stream.find((e) => e.title === 'Disk almost full')!.id;
  browser = await launching;
});

interface EventRowJson {
  id: string;
  title: string;
}

/** The tenant's events as the console API lists them, once there are at least `n`. */
async function waitForEvents(key: string, n: number): Promise<EventRowJson[]> {
  let events: EventRowJson[] = [];
  await waitFor(`${n} events`, async () => {
    const res = await fetch(`${pd.url}/console/api/events`, { headers: { authorization: `Bearer ${key}` } });
    events = ((await res.json()) as { events: EventRowJson[] }).events;
    return events.length >= n;
  });
  return events;
}

after(async () => {
  clearInterval(traffic);
  await new Promise<void>((r) => (statsd ? statsd.close(() => r()) : r()));
  await (await launching?.catch(() => undefined))?.close();
  await pd?.close();
  if (ruler) rmSync(ruler.dir, { recursive: true, force: true });
});

describe('web console', { timeout: 60_000 }, () => {
  test('sign-in: a wrong key is refused with a clear message; the right one shows the tenant; sign out', async () => {
    const { page, errors } = await openPage();
    try {
      await page.goto(`${pd.url}/`);
      await shot(page, 'sign-in');
      await page.fill('#api-key', 'not-a-key');
      await page.click('#sign-in');
      await page.waitForSelector('#sign-in-error:not([hidden])');
      assert.match(
        (await page.textContent('#sign-in-error')) ?? '',
        /does not belong to any tenant.*missing or unknown API key/,
      );
      await page.fill('#api-key', pd.keys.default);
      await page.click('#sign-in');
      await page.waitForSelector('#tenant');
      assert.equal(await page.textContent('#tenant'), 'tenant: default');
      // A non-system tenant lands on Explore; the key stays in this tab across a reload.
      await page.waitForURL(/#\/explore/);
      await page.reload();
      await page.waitForSelector('#tenant');
      await page.click('#sign-out');
      await page.waitForSelector('#api-key');
      assert.equal(await page.evaluate('sessionStorage.length'), 0);
      // The only errors: the browser logging the refused sign-in request (HTTP 401).
      assert.deepEqual(
        errors.filter((e) => !/status of 401/.test(e)),
        [],
      );
      assert.equal(errors.length, 1, errors.join('\n'));
    } finally {
      await page.close();
    }
  });

  test('Overview (system tenant): every panel of this mode draws non-empty series', async () => {
    // Two self-scrapes with traffic in between make every rate non-zero; asked 2 s in the past, so that the
    // dashboard's newest point (a moment later) has them too.
    await waitFor('POST and rejection rates in the system tenant', async () => {
      const expr =
        'sum(rate(promdog_http_requests_total{method="POST"}[1m])) > 0 and sum(rate(promdog_samples_rejected_total[1m])) > 0';
      const r = await query(pd.keys.system, expr, Date.now() / 1000 - 2);
      return (r.data?.result.length ?? 0) > 0;
    });
    const { page, errors } = await openPage();
    try {
      await signIn(page, pd.keys.system);
      await page.waitForURL(/#\/overview/);
      assert.equal(await page.isVisible('#tenant-notice'), false);
      const panels = OVERVIEW_PANELS.filter((p) => p.mode === undefined || p.mode === 'store');
      for (const p of panels) {
        const sel = `[data-panel="${p.id}"]`;
        await page.waitForSelector(`${sel}[data-points]`);
        assert.ok((await attr(page, sel, 'data-series')) > 0, `${p.id}: series drawn`);
        assert.ok((await attr(page, sel, 'data-points')) > 0, `${p.id}: points drawn`);
      }
      // Panels of the other mode say so instead of drawing.
      for (const p of OVERVIEW_PANELS.filter((x) => x.mode === 'gateway')) {
        assert.match((await page.textContent(`#panel-${p.id}`)) ?? '', /Only in gateway mode/);
      }
      // The route label is a template, the tenant the one that posted.
      const legend = await page.textContent('#panel-posts-by-code .u-legend');
      assert.match(legend ?? '', /default \/api\/v2\/series 202/);
      await page.click('button[data-range="15m"]');
      await page.waitForURL(/range=15m/);
      await overviewUpdated(page);
      await shot(page, 'overview');
      assert.deepEqual(errors, []);
    } finally {
      await page.close();
    }
  });

  test('Explore: graph, table, URL state kept over a reload, completion, API errors verbatim', async () => {
    const { page, errors } = await openPage();
    try {
      await signIn(page, pd.keys.default);
      await page.goto(`${pd.url}/#/explore`);
      await typeExpr(page, 'system_cpu_user');
      await page.click('#run');
      await page.waitForSelector('#graph[data-series]');
      assert.ok((await attr(page, '#graph', 'data-series')) >= 1);
      assert.ok((await attr(page, '#graph', 'data-points')) > 0);
      assert.match(page.url(), /#\/explore\?expr=system_cpu_user&range=1h&tab=graph/);
      assert.match(
        (await page.textContent('#graph .u-legend')) ?? '',
        new RegExp(`system_cpu_user\\{.*instance="${CAPTURE_HOST}"`),
      );
      await shot(page, 'explore-graph');

      await page.click('button[data-tab="table"]');
      await page.waitForURL(/tab=table/);
      await page.waitForSelector('#result-table');
      const rows = await attr(page, '#result-table', 'data-rows');
      const expected = (await query(pd.keys.default, 'system_cpu_user')).data!.result.length;
      assert.ok(expected > 0);
      assert.equal(rows, expected);
      assert.match((await page.textContent('#result-table tbody')) ?? '', /job="ddagent"/);
      await shot(page, 'explore-table');

      // Reload: the URL brings back the query, the tab and the result.
      await page.reload();
      await page.waitForSelector('#result-table[data-rows]');
      assert.equal(await attr(page, '#result-table', 'data-rows'), expected);
      assert.equal(await page.textContent('#expr-editor .cm-content'), 'system_cpu_user');
      assert.equal(await page.getAttribute('button[data-tab="table"]', 'class'), 'seg active');

      // Completion offers metric names from promdog's API.
      await typeExpr(page, 'system_cpu_us');
      const option = await page.waitForSelector('.cm-tooltip-autocomplete li:has-text("system_cpu_user")');
      assert.ok(option);
      await page.keyboard.press('Escape');

      // Ctrl/Cmd+Enter runs; the API's error comes out as the API wrote it. (The editor closes the bracket.)
      await typeExpr(page, 'rate(system_cpu_user');
      assert.equal(await page.textContent('#expr-editor .cm-content'), 'rate(system_cpu_user)');
      await page.keyboard.press('ControlOrMeta+Enter');
      await page.waitForSelector('#query-error:not([hidden])');
      const apiError = (await query(pd.keys.default, 'rate(system_cpu_user)')).error!;
      assert.match(apiError, /range vector/);
      assert.equal(await page.textContent('#query-error'), apiError);

      // DogStatsD data from hot-shots is there too (its 10 s buckets flush as they close).
      await waitFor(
        'DogStatsD counter',
        async () => ((await query(pd.keys.default, 'blog_app_testcounter')).data?.result.length ?? 0) > 0,
      );
      await page.goto(`${pd.url}/#/explore?expr=${encodeURIComponent('blog_app_testcounter')}&tab=graph&range=5m`);
      await page.waitForSelector('#graph[data-points]');
      assert.ok((await attr(page, '#graph', 'data-points')) > 0);
      assert.match((await page.textContent('#graph .u-legend')) ?? '', /type="rate"/);
      // Errors: the browser logging the 400 of the bad query.
      assert.deepEqual(
        errors.filter((e) => !/status of 400/.test(e)),
        [],
      );
    } finally {
      await page.close();
    }
  });

  test('Hosts: the capture host with its host tags, agent version and series', async () => {
    const { page, errors } = await openPage();
    try {
      await signIn(page, pd.keys.default);
      await page.goto(`${pd.url}/#/hosts`);
      const row = `#hosts-table tr[data-host="${CAPTURE_HOST}"]`;
      await page.waitForSelector(row);
      const text = (await page.textContent(row)) ?? '';
      for (const tag of CAPTURE_HOST_TAGS) assert.ok(text.includes(tag), `${tag} in ${text}`);
      assert.ok(text.includes('7.44.0-devel'));
      const api = (await (
        await fetch(`${pd.url}/console/api/hosts`, { headers: { authorization: `Bearer ${pd.keys.default}` } })
      ).json()) as { hosts: { host: string; series: number }[] };
      const seriesCount = api.hosts.find((h) => h.host === CAPTURE_HOST)!.series;
      assert.ok(seriesCount > 100);
      assert.equal(Number(await page.textContent(`${row} td:last-child`)), seriesCount);
      // The SNMP device the capture reports as its own host is listed from its series.
      await page.waitForSelector('#hosts-table tr[data-host="device:COMP-N52P6N99MH:172.25.0.3"]');
      // The filter narrows the list and goes into the URL.
      await page.fill('#host-filter', 'role:router');
      await page.waitForURL(/filter=role%3Arouter/);
      assert.equal(await attr(page, '#hosts-table', 'data-rows'), 1);
      await page.fill('#host-filter', '');
      await shot(page, 'hosts');
      assert.deepEqual(errors, []);
    } finally {
      await page.close();
    }
  });

  test('Service checks: every captured check with its current status and history', async () => {
    const { page, errors } = await openPage();
    try {
      await signIn(page, pd.keys.default);
      await page.goto(`${pd.url}/#/checks`);
      await page.waitForSelector('#checks-table tbody tr');
      // One row per check, host and tags: the capture's 12 entries are 12 distinct series.
      const distinct = new Set(checks.map((c) => `${c.check} ${c.host_name} ${(c.tags ?? []).join(',')}`));
      assert.equal(await attr(page, '#checks-table', 'data-rows'), distinct.size);
      for (const c of checks) {
        const status = c.check === 'ntp.in_sync' ? 'WARNING' : 'OK';
        const n = await page
          .locator(`#checks-table tr[data-check="${c.check}"][data-host="${c.host_name}"][data-status="${status}"]`)
          .count();
        assert.ok(n >= 1, `${c.check} on ${c.host_name} is ${status}`);
      }
      // Worst first; the badge shows the status; the history strip has cells with a status.
      assert.equal(await page.getAttribute('#checks-table tbody tr:first-child', 'data-check'), 'ntp.in_sync');
      assert.equal(await page.textContent('#checks-table tbody tr:first-child .badge'), 'WARNING');
      assert.ok((await page.locator('#checks-table tbody tr:first-child .strip .cell.status-WARNING').count()) >= 1);
      assert.equal(await page.getAttribute('#check-summary .status-WARNING', 'data-count'), '1');
      assert.equal(await page.getAttribute('#check-summary .status-OK', 'data-count'), String(distinct.size - 1));
      await shot(page, 'checks');
      assert.deepEqual(errors, []);
    } finally {
      await page.close();
    }
  });

  test('Events: the stream newest first; filters in the URL; one event by its link', async () => {
    const { page, errors } = await openPage();
    try {
      const api = await waitForEvents(pd.keys.default, 3);
      await signIn(page, pd.keys.default);
      await page.goto(`${pd.url}/#/events`);
      await page.waitForSelector('#events-list[data-rows="3"]');
      const ids = await page.$$eval('#events-list article.event', (els) => els.map((e) => e.getAttribute('data-id')));
      assert.deepEqual(
        ids,
        api.map((e) => e.id),
      );
      assert.deepEqual(await page.$$eval('#events-list .event-title', (els) => els.map((e) => e.textContent)), [
        'Cache flushed',
        'Disk almost full',
        'Deploy checkout v2',
      ]);
      await shot(page, 'events');

      const rowsAfter = async (fill: () => Promise<void>, url: RegExp, titles: string[]) => {
        await fill();
        await page.waitForURL(url);
        await waitFor(`event titles ${titles.join(', ')}`, async () => {
          const shown = await page.$$eval('#events-list .event-title', (els) => els.map((e) => e.textContent));
          return JSON.stringify(shown) === JSON.stringify(titles);
        });
      };
      await rowsAfter(() => page.fill('#event-source', 'nagios'), /source=nagios/, ['Disk almost full']);
      await page.fill('#event-source', '');
      await rowsAfter(() => page.fill('#event-host', CAPTURE_HOST), new RegExp(`host=${CAPTURE_HOST}`), [
        'Disk almost full',
        'Deploy checkout v2',
      ]);
      await rowsAfter(() => page.fill('#event-tag', 'service:checkout'), /tag=service%3Acheckout/, [
        'Deploy checkout v2',
      ]);
      await page.fill('#event-tag', '');
      await page.fill('#event-host', '');
      await rowsAfter(async () => void (await page.selectOption('#event-priority', 'low')), /priority=low/, [
        'Cache flushed',
      ]);
      await page.selectOption('#event-priority', '');
      await rowsAfter(async () => void (await page.selectOption('#event-alert-type', 'error')), /alert_type=error/, [
        'Disk almost full',
      ]);
      await rowsAfter(() => page.fill('#event-text', '91%'), /text=91%25/, ['Disk almost full']);
      // The text shows its line breaks.
      assert.equal(await page.textContent('#events-list .event-text'), '/var at 91%\nclean up old logs');
      await shot(page, 'events-filtered');
      // A reload brings the filters back.
      await page.reload();
      await page.waitForSelector('#events-list[data-rows="1"]');
      assert.equal(await page.inputValue('#event-text'), '91%');
      assert.equal(await page.inputValue('#event-alert-type'), 'error');

      // The `url` the events API hands out opens that one event.
      await page.goto(`${pd.url}/#/events?id=${postedEvents.deploy}`);
      await page.waitForSelector(`#events-list article[data-id="${postedEvents.deploy}"]`);
      assert.equal(await attr(page, '#events-list', 'data-rows'), 1);
      assert.equal(await page.isVisible('#single-event'), true);
      assert.deepEqual(errors, []);
    } finally {
      await page.close();
    }
  });

  test('Explore: events as marks on the graph, title and text on hover, toggled off again', async () => {
    const { page, errors } = await openPage();
    try {
      await signIn(page, pd.keys.default);
      await page.goto(`${pd.url}/#/explore?expr=system_cpu_user&range=1h&tab=graph&events=1`);
      await page.waitForSelector('#graph[data-marks]');
      assert.equal(await attr(page, '#graph', 'data-marks'), 3);
      await page.hover(`#graph .chart-mark[data-key="${postedEvents.disk}"]`);
      const tip = page.locator('#graph .event-tip');
      await tip.waitFor();
      const tipText = (await tip.textContent()) ?? '';
      assert.match(tipText, /Disk almost full/);
      assert.match(tipText, /clean up old logs/);
      await shot(page, 'explore-event-marks');
      // An event search narrows the marks and goes into the URL.
      await page.fill('#events-query', 'source:jenkins');
      await page.press('#events-query', 'Enter');
      await page.waitForURL(/events_q=source%3Ajenkins/);
      await page.waitForSelector('#graph[data-marks="1"]');
      await page.uncheck('#show-events');
      await page.waitForSelector('#graph[data-marks="0"]');
      assert.doesNotMatch(page.url(), /events=1/);
      assert.deepEqual(errors, []);
    } finally {
      await page.close();
    }
  });

  test("Hosts: a host's metadata and its recent events", async () => {
    const { page, errors } = await openPage();
    try {
      await signIn(page, pd.keys.default);
      await page.goto(`${pd.url}/#/hosts`);
      await page.click(`#hosts-table tr[data-host="${CAPTURE_HOST}"] td:first-child a`);
      await page.waitForURL(new RegExp(`host=${CAPTURE_HOST}`));
      await page.waitForSelector('#host-detail dl.facts');
      const facts = (await page.textContent('#host-detail dl.facts')) ?? '';
      for (const want of ['7.44.0-devel', 'darwin', ...CAPTURE_HOST_TAGS]) assert.ok(facts.includes(want), want);
      await page.waitForSelector('#host-events[data-rows="2"]');
      assert.deepEqual(await page.$$eval('#host-events .event-title', (els) => els.map((e) => e.textContent)), [
        'Disk almost full',
        'Deploy checkout v2',
      ]);
      await shot(page, 'host-detail');
      await page.click('#host-detail-close');
      await page.waitForSelector('#host-detail', { state: 'hidden' });
      assert.deepEqual(errors, []);
    } finally {
      await page.close();
    }
  });

  test("tenant isolation: default sees none of the system tenant's data, system none of default's", async () => {
    const asDefault = await openPage();
    const asSystem = await openPage();
    try {
      await signIn(asDefault.page, pd.keys.default);
      await asDefault.page.goto(`${pd.url}/#/explore?expr=promdog_http_requests_total&tab=graph`);
      await asDefault.page.waitForSelector('#graph[data-series]');
      assert.equal(await attr(asDefault.page, '#graph', 'data-series'), 0);
      assert.equal(await asDefault.page.textContent('#graph .chart-note'), 'No data');
      await asDefault.page.click('button[data-tab="table"]');
      await asDefault.page.waitForSelector('#result-table[data-rows]');
      assert.equal(await attr(asDefault.page, '#result-table', 'data-rows'), 0);

      await asDefault.page.goto(`${pd.url}/#/overview`);
      await asDefault.page.waitForSelector('#tenant-notice');
      assert.match((await asDefault.page.textContent('#tenant-notice')) ?? '', /Signed in as tenant “default”/);
      await overviewUpdated(asDefault.page);
      const drawn = await asDefault.page.$$eval('[data-panel]', (els) =>
        els.map((e) => [e.getAttribute('data-panel'), e.getAttribute('data-series')]),
      );
      assert.ok(drawn.length > 0);
      for (const [id, n] of drawn) assert.equal(n, '0', `panel ${id} draws nothing for tenant default`);
      await shot(asDefault.page, 'overview-default-tenant');

      await signIn(asSystem.page, pd.keys.system);
      await asSystem.page.goto(`${pd.url}/#/explore?expr=system_cpu_user&tab=graph`);
      await asSystem.page.waitForSelector('#graph[data-series]');
      assert.equal(await attr(asSystem.page, '#graph', 'data-series'), 0);
      await asSystem.page.goto(`${pd.url}/#/hosts`);
      await asSystem.page.waitForSelector('#hosts-table[data-rows]');
      assert.equal(await asSystem.page.locator(`#hosts-table tr[data-host="${CAPTURE_HOST}"]`).count(), 0);
      await asSystem.page.goto(`${pd.url}/#/events`);
      await asSystem.page.waitForSelector('.page.events .empty:not([hidden])');
      assert.equal(await attr(asSystem.page, '#events-list', 'data-rows'), 0);
      assert.match((await asSystem.page.textContent('.page.events .empty')) ?? '', /No event matches/);
      await asSystem.page.goto(`${pd.url}/#/events?id=${postedEvents.deploy}`);
      await asSystem.page.waitForSelector('.page.events .empty:not([hidden])');
      assert.match((await asSystem.page.textContent('.page.events .empty')) ?? '', /No such event/);
      assert.deepEqual([...asDefault.errors, ...asSystem.errors], []);
    } finally {
      await asDefault.page.close();
      await asSystem.page.close();
    }
  });

  test('gateway mode: the pages say there is no store to query, hosts still come from metadata', async () => {
    // Host metadata is written as datadog_host_info: the target has to take it.
    const target = await PrometheusProcess.start();
    const gw = await startPromdog(['--remote-write-url', target.remoteWriteUrl, '--self-scrape-interval', '0']);
    const { page, errors } = await openPage();
    try {
      const meta = JSON.stringify({
        internalHostname: CAPTURE_HOST,
        agentVersion: '7.44.0-devel',
        os: 'darwin',
        'host-tags': { system: CAPTURE_HOST_TAGS },
      });
      assert.equal((await post(gw.url, '/intake/', meta, { key: gw.keys.default })).status, 202);
      await page.goto(`${gw.url}/`);
      await page.fill('#api-key', gw.keys.default);
      await page.click('#sign-in');
      await page.waitForSelector('#tenant');
      await page.goto(`${gw.url}/#/explore?expr=system_cpu_user&tab=graph`);
      await page.waitForSelector('#query-error:not([hidden])');
      const apiError = (await (
        await fetch(`${gw.url}/api/v1/query?query=up`, { headers: { authorization: `Bearer ${gw.keys.default}` } })
      ).json()) as { error: string };
      assert.equal(await page.textContent('#query-error'), apiError.error);
      assert.match(apiError.error, /gateway mode/);
      await page.goto(`${gw.url}/#/overview`);
      await page.waitForSelector('#gateway-notice');
      assert.equal(await page.locator('[data-panel]').count(), 0);
      await page.goto(`${gw.url}/#/hosts`);
      await page.waitForSelector(`#hosts-table tr[data-host="${CAPTURE_HOST}"]`);
      assert.match((await page.textContent('.page.hosts .notes')) ?? '', /gateway mode/);
      assert.match((await page.textContent(`#hosts-table tr[data-host="${CAPTURE_HOST}"]`)) ?? '', /role:router/);
      await shot(page, 'hosts-gateway');
      // The only errors: the browser logging the query API's 400 answers.
      assert.deepEqual(
        errors.filter((e) => !/status of 400/.test(e)),
        [],
      );
    } finally {
      await page.close();
      await gw.close();
      await target.cleanup();
    }
  });
});
