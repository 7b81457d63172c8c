import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { AlertmanagerProcess } from '../support/alertmanager.js';
import { launchChromium, openConsolePage, signIn } from '../support/browser.js';
import { freePort } from '../support/ports.js';
import { post, startPromdog, type TestPromdog } from '../support/promdog.js';
import { apiData, waitFor } from '../selfmon/support.js';

// The console's Alerts and Rules pages, and the Overview's ruler and notifier panels, in headless Chromium against a
// real promdog evaluating real rule files every second and notifying a real Alertmanager. Tenant `default` has a
// rule file (an alert that waits `for` 30s, one that fires at once, one that never does, and a group whose rule fails
// at evaluation); tenant `system` gets a group through the ruler API; the default rule pack is off so that each
// tenant has exactly these rules. Screenshots go to test-artifacts/console/.

const ARTIFACTS = join(process.cwd(), 'test-artifacts', 'console');
const DEMO_HIGH_EXPR = 'demo_value > 10';

const RULES = `groups:
  - name: demo
    interval: 1s
    rules:
      - record: demo:value:max
        expr: max(demo_value)
      - alert: DemoHigh
        expr: ${DEMO_HIGH_EXPR}
        for: 30s
        labels:
          severity: page
        annotations:
          summary: 'demo_value high on {{ $labels.instance }}'
          description: "demo_value is {{ $value }}, above 10.\\nLook at the demo service."
          runbook_url: https://runbooks.example/demo-high
      - alert: DemoLow
        expr: demo_value < 10
        labels:
          severity: ticket
        annotations:
          summary: 'demo_value low on {{ $labels.instance }}'
      - alert: DemoQuiet
        expr: demo_value > 1000
  - name: broken
    interval: 1s
    rules:
      - record: demo:ratio
        expr: demo_value / on() demo_value
`;

/** A group, for the ruler API, of one alert that fires at once. */
const alwaysFiringGroup = (group: string, alert: string) =>
  `name: ${group}\ninterval: 1s\nrules:\n  - alert: ${alert}\n    expr: vector(1)\n`;

/** Creates a group in a namespace through the ruler API (what mimirtool and Grafana do). */
async function uploadGroup(baseUrl: string, key: string, namespace: string, yaml: string): Promise<void> {
  const res = await fetch(`${baseUrl}/prometheus/config/v1/rules/${namespace}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/yaml' },
    body: yaml,
  });
  assert.equal(res.status, 202, await res.text());
}

let pd: TestPromdog;
let am: AlertmanagerProcess;
let browser: Browser;
let launching: Promise<Browser> | undefined;
let ruleDir: string;
let feeding: NodeJS.Timeout | undefined;

interface ApiAlert {
  labels: Record<string, string>;
  state: string;
}

interface ApiRule {
  name: string;
  health: string;
  lastError?: string;
}

const alertsOf = async (key: string): Promise<ApiAlert[]> => (await apiData(pd.url, key, '/api/v1/alerts')).alerts;

/** The tenant's rules by name, from the rules API. */
async function rulesOf(baseUrl: string, key: string): Promise<Map<string, ApiRule>> {
  const data = await apiData(baseUrl, key, '/api/v1/rules');
  return new Map(
    (data.groups as { rules: ApiRule[] }[]).flatMap((g) => g.rules).map((r): [string, ApiRule] => [r.name, r]),
  );
}

/** The rules API's warnings (a reload problem). */
async function ruleWarnings(key: string): Promise<string[]> {
  const res = await fetch(`${pd.url}/api/v1/rules`, { headers: { authorization: `Bearer ${key}` } });
  return ((await res.json()) as { warnings?: string[] }).warnings ?? [];
}

/** demo_value of web-1 (20: DemoHigh) and web-2 (5: DemoLow) now, as the Agent's v1 series. */
async function postDemoValues(): Promise<void> {
  const now = Math.floor(Date.now() / 1000);
  const series = [
    { metric: 'demo.value', points: [[now, 20]], type: 'gauge', host: 'web-1' },
    { metric: 'demo.value', points: [[now, 5]], type: 'gauge', host: 'web-2' },
  ];
  const r = await post(pd.url, '/api/v1/series', JSON.stringify({ series }), { key: pd.keys.default });
  assert.equal(r.status, 202, JSON.stringify(r.json));
}

async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
}

/** The alert cards shown, as "name state". */
const cards = (page: Page) =>
  page.$$eval('#alerts-list article.alert-card', (els) =>
    els.map((e) => `${e.getAttribute('data-alertname')} ${e.getAttribute('data-state')}`),
  );

/** The rule groups shown. */
const groupsShown = (page: Page) =>
  page.$$eval('#rule-groups section.rule-group', (els) => els.map((e) => e.getAttribute('data-group')));

/** Reloads the page until `cond` holds on it (the pages refresh on their own every 15 to 30 s). */
async function reloadUntil(page: Page, what: string, cond: () => Promise<boolean>, timeoutMs = 20_000) {
  await waitFor(
    what,
    async () => {
      await page.reload();
      // Loaded: the status line counts what was shown.
      await page.locator('.page .toolbar .status', { hasText: / of / }).waitFor();
      return cond();
    },
    timeoutMs,
  );
}

before(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  launching = launchChromium();
  am = await AlertmanagerProcess.start();
  ruleDir = mkdtempSync(join(tmpdir(), 'promdog-console-rules-'));
  writeFileSync(join(ruleDir, 'demo.yml'), RULES);
  pd = await startPromdog([
    '--rule-file',
    join(ruleDir, '*.yml'),
    '--default-rules=false',
    '--alertmanager-url',
    am.url,
    '--self-scrape-interval',
    '1s',
  ]);
  browser = await launching;
});

after(async () => {
  clearInterval(feeding);
  await (await launching?.catch(() => undefined))?.close();
  await pd?.close();
  await am?.cleanup();
  if (ruleDir) rmSync(ruleDir, { recursive: true, force: true });
});

describe('console: alerts and rules', { timeout: 120_000 }, () => {
  test('Alerts: none active, then an alert pending, then firing, with its labels, text, time, value and counts', async () => {
    const { page, errors } = await openConsolePage(browser);
    try {
      await signIn(page, pd.url, pd.keys.default);
      await page.goto(`${pd.url}/#/alerts`);
      await page.waitForSelector('#alerts-empty:not([hidden])');
      assert.equal(await page.getAttribute('#alerts-empty', 'data-reason'), 'none-active');
      assert.equal(await page.textContent('#alerts-empty'), 'No alerts firing or pending; 3 alerting rules loaded.');

      await postDemoValues();
      feeding = setInterval(() => void postDemoValues().catch(() => undefined), 5_000);
      await waitFor('DemoHigh pending', async () =>
        (await alertsOf(pd.keys.default)).some((a) => a.labels.alertname === 'DemoHigh' && a.state === 'pending'),
      );
      await reloadUntil(page, 'DemoHigh pending on the page', async () =>
        (await cards(page)).includes('DemoHigh pending'),
      );
      // Firing before pending; DemoLow has no `for`.
      assert.deepEqual(await cards(page), ['DemoLow firing', 'DemoHigh pending']);
      const high = page.locator('article.alert-card[data-alertname="DemoHigh"]');
      assert.equal(await high.locator('.alert-summary').textContent(), 'demo_value high on web-1');
      assert.equal(
        await high.locator('.alert-description').textContent(),
        'demo_value is 20, above 10.\nLook at the demo service.',
      );
      assert.equal(
        await high.locator('.alert-annotations a').getAttribute('href'),
        'https://runbooks.example/demo-high',
      );
      const chips = await high.locator('.alert-labels .chip').allTextContents();
      for (const want of ['instance=web-1', 'severity=page']) assert.ok(chips.includes(want), chips.join(' '));
      assert.ok(!chips.some((c) => c.startsWith('alertname=')), 'the name is the title, not a chip');
      assert.equal(await high.locator('.alert-value .mono').textContent(), '20');
      // Since when: relative, with the absolute time of the API's activeAt.
      const api = (await apiData(pd.url, pd.keys.default, '/api/v1/alerts')).alerts as (ApiAlert & {
        activeAt: string;
      })[];
      const activeAt = api.find((a) => a.labels.alertname === 'DemoHigh')!.activeAt;
      assert.equal(await high.locator('.alert-since time').getAttribute('datetime'), new Date(activeAt).toISOString());
      assert.match((await high.locator('.alert-since').textContent()) ?? '', /^Pending since \d+ s ago.+$/);
      assert.equal(await page.getAttribute('#alert-summary [data-state="firing"]', 'data-count'), '1');
      assert.equal(await page.getAttribute('#alert-summary [data-state="pending"]', 'data-count'), '1');
      assert.equal(await page.getAttribute('#nav-pending', 'data-count'), '1');
      await shot(page, 'alerts-pending');

      // Filters, kept in the URL.
      await page.selectOption('#alert-state', 'pending');
      await page.waitForURL(/state=pending/);
      assert.deepEqual(await cards(page), ['DemoHigh pending']);
      await page.selectOption('#alert-state', '');
      await page.fill('#alert-filter', 'severity=ticket');
      await page.waitForURL(/filter=severity%3Dticket/);
      assert.deepEqual(await cards(page), ['DemoLow firing']);
      await page.fill('#alert-filter', 'look at the demo');
      assert.deepEqual(await cards(page), ['DemoHigh pending']);
      await page.fill('#alert-filter', 'web-3');
      assert.deepEqual(await cards(page), []);
      assert.equal(await page.getAttribute('#alerts-empty', 'data-reason'), 'filtered');
      await page.fill('#alert-filter', '');

      // `for: 30s` later it fires.
      await waitFor(
        'DemoHigh firing',
        async () =>
          (await alertsOf(pd.keys.default)).some((a) => a.labels.alertname === 'DemoHigh' && a.state === 'firing'),
        60_000,
      );
      await reloadUntil(page, 'DemoHigh firing on the page', async () =>
        (await cards(page)).includes('DemoHigh firing'),
      );
      assert.match((await high.locator('.alert-since').textContent()) ?? '', /^Active since /);
      assert.equal(await page.getAttribute('#alert-summary [data-state="firing"]', 'data-count'), '2');
      assert.equal(await page.getAttribute('#alert-summary [data-state="pending"]', 'data-count'), '0');
      assert.equal(await page.getAttribute('#nav-firing', 'data-count'), '2');
      assert.equal(await page.isHidden('#nav-pending'), true);
      await shot(page, 'alerts-firing');
      assert.deepEqual(errors, []);
    } finally {
      await page.close();
    }
  });

  test("Alerts: the expression link is the alert's generatorURL and opens the expression in Explore", async () => {
    const received = await waitFor('DemoHigh at the Alertmanager', async () => {
      const alerts = await am.alerts(['alertname="DemoHigh"']);
      return alerts.length === 1 && alerts[0];
    });
    const { page, errors } = await openConsolePage(browser);
    try {
      await signIn(page, pd.url, pd.keys.default);
      await page.goto(`${pd.url}/#/alerts?filter=DemoHigh`);
      const link = page.locator('article.alert-card[data-alertname="DemoHigh"] .alert-expr a.expr');
      await link.waitFor();
      assert.equal(await link.textContent(), DEMO_HIGH_EXPR);
      const generator = new URL(received.generatorURL!);
      assert.equal(`${generator.origin}/`, `${pd.url}/`);
      assert.equal(await link.getAttribute('href'), generator.hash);
      await link.click();
      await page.waitForURL(/#\/explore\?expr=/);
      await page.waitForSelector('#graph[data-series]');
      assert.equal(await page.textContent('#expr-editor .cm-content'), DEMO_HIGH_EXPR);
      assert.equal(Number(await page.getAttribute('#graph', 'data-series')), 1);
      assert.deepEqual(errors, []);
    } finally {
      await page.close();
    }
  });

  test('Rules: groups with file, interval and health; a failing rule shows its lastError; filters', async () => {
    const failing = await waitFor('demo:ratio failing', async () => {
      const r = (await rulesOf(pd.url, pd.keys.default)).get('demo:ratio');
      return r?.health === 'err' && r;
    });
    assert.match(failing.lastError!, /many-to-many matching not allowed/);
    const { page, errors } = await openConsolePage(browser);
    try {
      await signIn(page, pd.url, pd.keys.default);
      await page.goto(`${pd.url}/#/rules`);
      await page.waitForSelector('#rule-groups section.rule-group');
      assert.deepEqual(await groupsShown(page), ['broken', 'demo']);
      const demo = page.locator('section.rule-group[data-group="demo"]');
      assert.equal(await demo.getAttribute('data-file'), join(ruleDir, 'demo.yml'));
      assert.equal(await demo.getAttribute('data-health'), 'ok');
      assert.match((await demo.locator('.group-head').textContent()) ?? '', /every 1s.*last evaluation \d+ s ago/);
      assert.deepEqual(
        await demo
          .locator('tbody tr')
          .evaluateAll((rows) =>
            rows.map(
              (r) => `${r.getAttribute('data-type')} ${r.getAttribute('data-rule')} ${r.getAttribute('data-health')}`,
            ),
          ),
        ['recording demo:value:max ok', 'alerting DemoHigh ok', 'alerting DemoLow ok', 'alerting DemoQuiet ok'],
      );
      const highRow = demo.locator('tr[data-rule="DemoHigh"]');
      assert.equal(await highRow.locator('a.expr').textContent(), DEMO_HIGH_EXPR);
      assert.match((await highRow.textContent()) ?? '', /for 30s/);
      assert.ok((await highRow.locator('.chip').allTextContents()).includes('severity=page'));

      const broken = page.locator('section.rule-group[data-group="broken"]');
      assert.equal(await broken.getAttribute('data-health'), 'err');
      const ratio = broken.locator('tr[data-rule="demo:ratio"]');
      assert.equal(await ratio.getAttribute('data-health'), 'err');
      const shown = (await ratio.locator('.rule-error').textContent()) ?? '';
      assert.equal(shown, (await rulesOf(pd.url, pd.keys.default)).get('demo:ratio')!.lastError);
      await shot(page, 'rules');

      await page.selectOption('#rule-health', 'err');
      await page.waitForURL(/health=err/);
      assert.deepEqual(await groupsShown(page), ['broken']);
      await page.selectOption('#rule-health', '');
      await page.selectOption('#rule-type', 'recording');
      assert.deepEqual(await groupsShown(page), ['broken', 'demo']);
      assert.equal(await demo.locator('tbody tr').count(), 1);
      await page.selectOption('#rule-type', '');
      await page.fill('#rule-filter', 'severity=page');
      await page.waitForURL(/filter=severity%3Dpage/);
      assert.deepEqual(
        await demo.locator('tbody tr').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-rule'))),
        ['DemoHigh'],
      );
      await page.fill('#rule-filter', 'no-such-rule');
      await page.waitForSelector('#rules-empty:not([hidden])');
      assert.equal(await page.textContent('#rules-empty'), 'No rule matches the filter.');

      // The Alerts page says that an alerting rule fails... none does here: its notice stays hidden.
      await page.goto(`${pd.url}/#/alerts`);
      await page.waitForSelector('#alerts-list article');
      assert.equal(await page.isHidden('#alert-rule-errors'), true);
      assert.deepEqual(errors, []);
    } finally {
      await page.close();
    }
  });

  test('a rule file that does not reload: a banner on Rules and Alerts with the problem; gone once fixed', async () => {
    const bad = join(ruleDir, 'bad.yml');
    writeFileSync(bad, 'groups:\n  - name: bad\n    rules:\n      - record: x\n        expr: sum(\n');
    const { page, errors } = await openConsolePage(browser);
    try {
      assert.equal((await fetch(`${pd.url}/-/reload`, { method: 'POST' })).status, 500);
      const [warning] = await ruleWarnings(pd.keys.default);
      assert.match(warning!, /rule files not reloaded, the previous rules still run: .*bad\.yml: 5:15: group "bad"/);
      await signIn(page, pd.url, pd.keys.default);
      await page.goto(`${pd.url}/#/rules`);
      await page.waitForSelector('#rules-warnings .reload-warning');
      assert.equal(await page.textContent('#rules-warnings .reload-warning'), warning);
      // The previous rules still run, and are still shown.
      assert.deepEqual(await groupsShown(page), ['broken', 'demo']);
      await shot(page, 'rules-reload-problem');
      await page.goto(`${pd.url}/#/alerts`);
      await page.waitForSelector('#rules-warnings .reload-warning');
      assert.equal(await page.textContent('#rules-warnings .reload-warning'), warning);

      unlinkSync(bad);
      assert.equal((await fetch(`${pd.url}/-/reload`, { method: 'POST' })).status, 200);
      await page.goto(`${pd.url}/#/rules`);
      await page.waitForSelector('#rule-groups section.rule-group');
      assert.equal(await page.locator('#rules-warnings .reload-warning').count(), 0);
      // The browser logs nothing: the reload's 500 came from the test, not the page.
      assert.deepEqual(errors, []);
    } finally {
      await page.close();
    }
  });

  test('tenant isolation: each tenant sees its own alerts and rules only; none loaded says so', async () => {
    const asSystem = await openConsolePage(browser);
    const asDefault = await openConsolePage(browser);
    try {
      await signIn(asSystem.page, pd.url, pd.keys.system);
      await asSystem.page.goto(`${pd.url}/#/alerts`);
      await asSystem.page.waitForSelector('#alerts-empty:not([hidden])');
      assert.equal(await asSystem.page.getAttribute('#alerts-empty', 'data-reason'), 'no-rules');
      assert.match(
        (await asSystem.page.textContent('#alerts-empty')) ?? '',
        /^No alerting rules are loaded for tenant “system”/,
      );
      await asSystem.page.goto(`${pd.url}/#/rules`);
      await asSystem.page.waitForSelector('#rules-empty:not([hidden])');
      assert.match((await asSystem.page.textContent('#rules-empty')) ?? '', /^No rules are loaded for tenant “system”/);

      await uploadGroup(pd.url, pd.keys.system, 'system-ns', alwaysFiringGroup('sys', 'SystemOnly'));
      await waitFor('SystemOnly firing', async () =>
        (await alertsOf(pd.keys.system)).some((a) => a.labels.alertname === 'SystemOnly' && a.state === 'firing'),
      );
      await asSystem.page.goto(`${pd.url}/#/alerts`);
      await reloadUntil(asSystem.page, 'SystemOnly on the page', async () =>
        (await cards(asSystem.page)).includes('SystemOnly firing'),
      );
      assert.deepEqual(await cards(asSystem.page), ['SystemOnly firing']);
      assert.equal(await asSystem.page.getAttribute('#nav-firing', 'data-count'), '1');
      await asSystem.page.goto(`${pd.url}/#/rules`);
      await asSystem.page.waitForSelector('#rule-groups section.rule-group');
      assert.deepEqual(await groupsShown(asSystem.page), ['sys']);
      assert.equal(await asSystem.page.getAttribute('section.rule-group', 'data-file'), 'system-ns');

      await signIn(asDefault.page, pd.url, pd.keys.default);
      await asDefault.page.goto(`${pd.url}/#/alerts`);
      await asDefault.page.waitForSelector('#alerts-list article');
      assert.deepEqual(await cards(asDefault.page), ['DemoHigh firing', 'DemoLow firing']);
      assert.equal(await asDefault.page.getAttribute('#nav-firing', 'data-count'), '2');
      await asDefault.page.goto(`${pd.url}/#/rules`);
      await asDefault.page.waitForSelector('#rule-groups section.rule-group');
      assert.deepEqual(await groupsShown(asDefault.page), ['broken', 'demo']);
      assert.deepEqual([...asSystem.errors, ...asDefault.errors], []);
    } finally {
      await asSystem.page.close();
      await asDefault.page.close();
    }
  });

  test('Overview (system tenant): the ruler and notifier panels draw the alerts and notifications', async () => {
    await waitFor('notifications sent in the system tenant', async () => {
      const r = await apiData(pd.url, pd.keys.system, '/api/v1/query', {
        query: 'sum(rate(promdog_notifications_sent_total{tenant="default"}[5m])) > 0',
        time: String(Date.now() / 1000 - 2),
      });
      return r.result.length > 0;
    });
    const { page, errors } = await openConsolePage(browser);
    try {
      await signIn(page, pd.url, pd.keys.system);
      await page.goto(`${pd.url}/#/overview?range=15m`);
      const legend = async (panel: string) => {
        await page.waitForSelector(`[data-panel="${panel}"][data-points]`);
        return (await page.textContent(`#panel-${panel} .u-legend`)) ?? '';
      };
      assert.match(await legend('rule-alerts'), /default firing/);
      assert.match(await legend('notifications'), /sent default/);
      assert.match(await legend('notification-queue'), /capacity default/);
      assert.match(await legend('rule-group-duration'), /default .*demo\.yml;demo/);
      assert.match(await legend('rule-failures'), /default .*demo\.yml;broken/);
      assert.match(await legend('rule-iterations-missed'), /default .*demo\.yml;/);
      await shot(page, 'overview-rules');
      assert.deepEqual(errors, []);
    } finally {
      await page.close();
    }
  });

  test('gateway mode without --query-url: the Alerts page says the rules cannot be evaluated, and why', async () => {
    // Rule files need --query-url in gateway mode (refused at start); groups of the ruler API (and the default pack)
    // load, and then cannot be evaluated.
    const gw = await startPromdog([
      '--remote-write-url',
      `http://127.0.0.1:${await freePort()}/api/v1/write`,
      '--self-scrape-interval',
      '0',
      '--default-rules=false',
    ]);
    const { page, errors } = await openConsolePage(browser);
    try {
      await uploadGroup(gw.url, gw.keys.default, 'ns', alwaysFiringGroup('gw', 'GatewayAlert'));
      const lastError = await waitFor('GatewayAlert failing', async () => {
        const rule = (await rulesOf(gw.url, gw.keys.default)).get('GatewayAlert');
        return rule?.health === 'err' && rule.lastError;
      });
      assert.match(lastError, /--query-url/);
      await signIn(page, gw.url, gw.keys.default);
      await page.goto(`${gw.url}/#/alerts`);
      await page.locator('#alert-rule-errors', { hasText: 'failing at their last evaluation: 1 of 1' }).waitFor();
      assert.equal(
        await page.textContent('#alert-rule-errors'),
        `Alerting rules failing at their last evaluation: 1 of 1; their alerts are not up to date. The error: ${lastError} See the rules`,
      );
      await shot(page, 'alerts-gateway-no-query-url');
      await page.click('#alert-rule-errors a');
      await page.waitForURL(/#\/rules\?health=err/);
      await page.waitForSelector('#rule-groups section.rule-group');
      assert.equal(await page.locator('tr[data-health="ok"]').count(), 0);
      assert.deepEqual(errors, []);
    } finally {
      await page.close();
      await gw.close();
    }
  });
});
