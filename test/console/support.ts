import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { type AgentCheck, capturedChecks, postChecks } from '../support/agent-checks.js';

// What the console's browser tests share: the service checks of the Agent's check_run capture, posted as the Agent
// would, and what the Service checks page must show of them.

/** The host of the Agent captures. */
export const CAPTURE_HOST = 'COMP-N52P6N99MH';

/** A check's status in the capture's second round (`latest`): ntp.in_sync turns WARNING. */
const statusAt = (c: AgentCheck, latest: boolean) => (latest && c.check === 'ntp.in_sync' ? 1 : c.status);

/**
 * Posts the check_run capture two minutes before `nowS`, then again at `nowS` with ntp.in_sync turned WARNING.
 * Returns the capture's checks.
 */
export async function postCheckRunCapture(url: string, key: string, nowS: number): Promise<AgentCheck[]> {
  const checks = capturedChecks();
  for (const [timestamp, latest] of [
    [nowS - 120, false],
    [nowS, true],
  ] as const) {
    await postChecks(
      url,
      key,
      checks.map((c) => ({ ...c, status: statusAt(c, latest) })),
      timestamp,
    );
  }
  return checks;
}

/**
 * The Service checks page (loaded) shows one row per check, host and tags, each with its current status (ntp.in_sync
 * WARNING first, the others OK), and the summary counts them.
 */
export async function assertCaptureChecksShown(page: Page, checks: AgentCheck[]): Promise<void> {
  const distinct = new Set(checks.map((c) => `${c.check} ${c.host_name} ${(c.tags ?? []).join(',')}`));
  assert.equal(Number(await page.getAttribute('#checks-table', 'data-rows')), distinct.size);
  for (const c of checks) {
    const status = c.check === 'ntp.in_sync' ? 'WARNING' : 'OK';
    const n = await page
      .locator(`#checks-table tr[data-check="${c.check}"][data-host="${c.host_name}"][data-status="${status}"]`)
      .count();
    assert.ok(n >= 1, `${c.check} on ${c.host_name} is ${status}`);
  }
  assert.equal(await page.getAttribute('#checks-table tbody tr:first-child', 'data-check'), 'ntp.in_sync');
  assert.equal(await page.textContent('#checks-table tbody tr:first-child .badge'), 'WARNING');
  assert.equal(await page.getAttribute('#check-summary .status-WARNING', 'data-count'), '1');
  assert.equal(await page.getAttribute('#check-summary .status-OK', 'data-count'), String(distinct.size - 1));
}
