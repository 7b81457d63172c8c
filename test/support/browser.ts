import { chromium, type Browser, type Page } from 'playwright-core';

// The web console's browser tests: Debian's Chromium, headless, driven through playwright-core.

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/** A fresh tab (own sessionStorage) that records console errors and uncaught exceptions. */
export async function openConsolePage(browser: Browser): Promise<{ page: Page; errors: string[] }> {
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  const errors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(`${m.text()} (${m.location().url})`);
  });
  page.on('pageerror', (e) => errors.push(`uncaught: ${e.message}`));
  return { page, errors };
}

/** Signs in on the console at `baseUrl` with a tenant's key; resolves once the header shows the tenant. */
export async function signIn(page: Page, baseUrl: string, key: string): Promise<void> {
  await page.goto(`${baseUrl}/`);
  await page.fill('#api-key', key);
  await page.click('#sign-in');
  await page.waitForSelector('#tenant');
}
