import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Locator, Page } from 'playwright-core';
import { launchChromium, openConsolePage, signIn } from '../support/browser.js';
import { post, startPromdog, type TestPromdog } from '../support/promdog.js';
import { PrometheusProcess } from '../support/prometheus.js';
import { dogsketchOf, encodeSketchPayload } from '../support/proto-writer.js';
import { seededRandom } from '../support/random.js';

// Explore's native histograms in real headless Chromium. A gateway promdog (mapping.distributions:
// native_histogram) remote-writes Agent sketches of two hosts into a real Prometheus with native histograms on, and
// reads them back through --query-url: each histogram series is a heatmap whose table lists the buckets Prometheus
// answers, the quantile overlay asks Prometheus for histogram_quantile and draws its lines, and the sketches'
// _max gauges still draw as lines beside them. Screenshots go to test-artifacts/console/.

const ARTIFACTS = join(process.cwd(), 'test-artifacts', 'console');
const INTERVAL_S = 10;
const INTERVALS = 12;
const HOSTS = ['web-1', 'web-2'];
const HISTOGRAM = 'checkout_latency_histogram';
/** The histograms and the _max gauges of the same sketches: a result of both kinds. */
const MIXED = `{__name__=~"${HISTOGRAM}|checkout_latency_max"}`;

interface PromHistogram {
  count: string;
  sum: string;
  buckets?: [number, string, string, string][];
}

let prom: PrometheusProcess;
let pd: TestPromdog;
let configDir: string;
let browser: Browser;

const attr = async (page: Page, selector: string, name: string) => Number(await page.getAttribute(selector, name));
const shot = (page: Page, name: string) => page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
const heatmapOf = (host: string) =>
  `.heatmap[data-series="${HISTOGRAM}{env=\\"prod\\", instance=\\"${host}\\", job=\\"ddagent\\", type=\\"distribution\\"}"]`;

/** Prometheus' own JSON for a query (the test support's types have no histograms). */
async function promData<T>(path: string, params: Record<string, string | number>): Promise<T> {
  const qs = new URLSearchParams(Object.entries(params).map(([k, v]): [string, string] => [k, String(v)]));
  const res = await fetch(`${prom.url}/api/v1/${path}?${qs}`);
  const body = (await res.json()) as { data: { result: T } };
  assert.equal(res.status, 200, JSON.stringify(body));
  return body.data.result;
}

const boundsOf = (h: PromHistogram) => (h.buckets ?? []).map(([, lower, upper]) => `${lower} ${upper}`);

/** Bucket rows (a heatmap's table, a histogram's bars) as `lower upper` each. */
function rowBounds(rows: Locator): Promise<string[]> {
  return rows.evaluateAll((trs) => trs.map((r) => `${r.getAttribute('data-lower')} ${r.getAttribute('data-upper')}`));
}

before(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  prom = await PrometheusProcess.start({ features: ['native-histograms'] });
  configDir = mkdtempSync(join(tmpdir(), 'promdog-heatmap-'));
  const config = join(configDir, 'promdog.yaml');
  writeFileSync(config, 'mapping:\n  distributions: native_histogram\n');
  pd = await startPromdog(['--remote-write-url', prom.remoteWriteUrl, '--query-url', prom.url, '--config', config]);
  // Two minutes of sketches per host, latencies that drift upwards, so the buckets in use change over time.
  const r = seededRandom(16);
  const end = Math.floor(Date.now() / 1000 / INTERVAL_S) * INTERVAL_S;
  for (let i = INTERVALS - 1; i >= 0; i--) {
    const ts = end - i * INTERVAL_S;
    const body = encodeSketchPayload(
      HOSTS.flatMap((host, k) => {
        const scale = (k + 1) * (1 + (INTERVALS - i) / 4);
        const values = Array.from({ length: 500 }, () => scale * -Math.log(1 - r()));
        return ['checkout.latency', 'payment.latency'].map((metric) => ({
          metric,
          host,
          tags: ['env:prod'],
          dogsketches: [dogsketchOf(values, ts)],
        }));
      }),
    );
    const res = await post(pd.url, '/api/beta/sketches', body, {
      encoding: 'zstd',
      key: pd.keys.default,
      contentType: 'application/x-protobuf',
    });
    assert.equal(res.status, 202, JSON.stringify(res.json));
  }
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  await pd?.close();
  await prom?.cleanup();
  rmSync(configDir, { recursive: true, force: true });
});

describe('Explore over native histograms (gateway to a real Prometheus)', { timeout: 60_000 }, () => {
  test('a heatmap per histogram series with its buckets as a table, quantiles on request, floats as lines', async () => {
    const { page, errors } = await openConsolePage(browser);
    const quantileQueries: string[] = [];
    page.on('request', (req) => {
      const query = new URLSearchParams(req.postData() ?? '').get('query');
      if (req.url().endsWith('/api/v1/query_range') && query?.startsWith('histogram_quantile('))
        quantileQueries.push(query);
    });
    try {
      await signIn(page, pd.url, pd.keys.default);
      await page.goto(`${pd.url}/#/explore?expr=${encodeURIComponent(MIXED)}&range=5m&step=10s&tab=graph`);
      await page.waitForSelector('#graph[data-series]');
      await page.waitForSelector(`${heatmapOf('web-2')}`);
      // The _max gauges draw as lines; each histogram series is a heatmap on a log axis.
      assert.equal(await attr(page, '#graph', 'data-series'), HOSTS.length);
      assert.ok((await attr(page, '#graph', 'data-points')) > 0);
      assert.equal(await page.locator('.heatmap').count(), HOSTS.length);
      const from = await attr(page, '#graph', 'data-from');
      const to = await attr(page, '#graph', 'data-to');
      const heatmap = heatmapOf('web-1');
      assert.equal(await page.getAttribute(heatmap, 'data-axis'), 'log');
      assert.ok(await page.locator(`${heatmap} canvas.heatmap-canvas[role="img"]`).isVisible());
      // Its samples and distinct buckets are those of Prometheus' answer over the same range.
      const [series] = await promData<{ histograms: [number, PromHistogram][] }[]>('query_range', {
        query: `${HISTOGRAM}{instance="web-1"}`,
        start: from,
        end: to,
        step: 10,
      });
      assert.ok(series);
      assert.equal(await attr(page, heatmap, 'data-samples'), series.histograms.length);
      assert.equal(
        await attr(page, heatmap, 'data-buckets'),
        new Set(series.histograms.flatMap(([, h]) => boundsOf(h))).size,
      );

      // The text alternative: the table lists the newest sample's buckets as Prometheus answers them at its time.
      await page.click(`${heatmap} .heatmap-table-toggle`);
      assert.equal(await page.getAttribute(`${heatmap} .heatmap-table-toggle`, 'aria-expanded'), 'true');
      const bucketsAt = async (t: number) => {
        const [sample] = await promData<{ histogram: [number, PromHistogram] }[]>('query', {
          query: `${HISTOGRAM}{instance="web-1"}`,
          time: t,
        });
        return boundsOf(sample!.histogram[1]);
      };
      const newest = await attr(page, `${heatmap} .heatmap-table`, 'data-time');
      assert.equal(newest, series.histograms.at(-1)![0]);
      assert.deepEqual(await rowBounds(page.locator(`${heatmap} .heatmap-table tbody tr`)), await bucketsAt(newest));
      // Keyboard: Tab goes from the table's button to the heatmap, ← chooses the sample before, the table follows.
      await page.focus(`${heatmap} .heatmap-table-toggle`);
      await page.keyboard.press('Tab');
      assert.equal(await page.evaluate('document.activeElement.className'), 'heatmap-canvas');
      await page.keyboard.press('ArrowLeft');
      await page.keyboard.press('ArrowLeft');
      const earlier = await attr(page, `${heatmap} .heatmap-table`, 'data-time');
      assert.equal(earlier, series.histograms.at(-3)![0]);
      assert.deepEqual(await rowBounds(page.locator(`${heatmap} .heatmap-table tbody tr`)), await bucketsAt(earlier));
      assert.match((await page.textContent(`${heatmap} .heatmap-readout`)) ?? '', /\(\S+, \S+\]: count \S+/);
      // Hovering a cell reads out its time, bounds and count.
      const box = (await page.locator(`${heatmap} canvas.heatmap-canvas`).boundingBox())!;
      await page.mouse.move(box.x + box.width - 16, box.y + box.height / 2);
      assert.match(
        (await page.textContent(`${heatmap} .heatmap-readout`)) ?? '',
        /· (\(\S+, \S+\]: count \S+|no bucket here)$/,
      );

      // Quantiles on request: histogram_quantile through the API, one line per quantile over each heatmap.
      await page.check('#show-quantiles');
      await page.waitForSelector(`${heatmap}[data-quantiles="3"]`);
      assert.equal(await attr(page, heatmapOf('web-2'), 'data-quantiles'), 3);
      assert.deepEqual(
        quantileQueries.sort(),
        [0.5, 0.9, 0.99].map((q) => `histogram_quantile(${q}, ${MIXED})`),
      );
      assert.deepEqual(await page.locator(`${heatmap} .heatmap-quantile-key`).allTextContents(), ['p50', 'p90', 'p99']);
      assert.match(page.url(), /quantiles=0\.5%2C0\.9%2C0\.99/);
      await shot(page, 'explore-heatmap');

      // An instant query shows a histogram's buckets as bars, as Prometheus answers them.
      await page.click('button[data-tab="table"]');
      await page.waitForSelector('#result-table[data-rows]');
      assert.equal(await page.locator('#result-table table.buckets').count(), HOSTS.length);
      const web1 = page.locator('#result-table > tbody > tr', { hasText: `${HISTOGRAM}{env="prod", instance="web-1"` });
      const [now] = await promData<{ histogram: [number, PromHistogram] }[]>('query', {
        query: `${HISTOGRAM}{instance="web-1"}`,
      });
      assert.deepEqual(await rowBounds(web1.locator('table.buckets tbody tr')), boundsOf(now!.histogram[1]));
      await shot(page, 'explore-histogram-table');
      assert.deepEqual(errors, []);
    } finally {
      await page.close();
    }
  });

  test('quantiles that cannot be computed are a note; the heatmaps are still drawn', async () => {
    const { page, errors } = await openConsolePage(browser);
    try {
      await signIn(page, pd.url, pd.keys.default);
      // histogram_quantile drops the name: the two metrics of each host become one labelset, which Prometheus refuses.
      const expr = encodeURIComponent('{__name__=~"checkout_latency_histogram|payment_latency_histogram"}');
      await page.goto(`${pd.url}/#/explore?expr=${expr}&range=5m&tab=graph&quantiles=0.9`);
      await page.waitForSelector('#query-notes .note');
      assert.match((await page.textContent('#query-notes')) ?? '', /^Quantiles not drawn: .*same labelset/);
      assert.equal(await page.locator('.heatmap[data-quantiles="0"]').count(), 2 * HOSTS.length);
      assert.equal(await page.locator('#query-error:not([hidden])').count(), 0);
      // The browser logs the backend's 422 answers (an execution error).
      assert.deepEqual(
        errors.filter((e) => !/status of 422/.test(e)),
        [],
      );
    } finally {
      await page.close();
    }
  });

  test('an empty result, then a failing one, leaves no heatmap behind', async () => {
    const { page, errors } = await openConsolePage(browser);
    try {
      await signIn(page, pd.url, pd.keys.default);
      await page.goto(`${pd.url}/#/explore?expr=${HISTOGRAM}&range=5m&tab=graph&quantiles=0.9`);
      await page.waitForSelector(`${heatmapOf('web-1')}[data-quantiles="1"]`);
      // Histograms only: no line chart, the heatmaps alone.
      assert.ok(await page.locator('#graph').isHidden());
      await page.goto(`${pd.url}/#/explore?expr=no_such_metric&range=5m&tab=graph&quantiles=0.9`);
      await page.reload();
      await page.waitForSelector('#graph.chart-empty[data-series="0"]');
      assert.equal(await page.locator('.heatmap').count(), 0);
      assert.equal(await page.textContent('#graph .chart-note'), 'No data');
      await page.goto(`${pd.url}/#/explore?expr=${HISTOGRAM}&range=5m&tab=graph&quantiles=2`);
      await page.reload();
      await page.waitForSelector('#query-error:not([hidden])');
      assert.match((await page.textContent('#query-error')) ?? '', /invalid quantile "2"/);
      assert.equal(await page.locator('.heatmap').count(), 0);
      assert.deepEqual(errors, []);
    } finally {
      await page.close();
    }
  });
});
