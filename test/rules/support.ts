import assert from 'node:assert/strict';
import { deflateSync } from 'node:zlib';
import { decodedBody, loadFixture } from '../support/fixtures.js';
import type { PrometheusAlert } from '../support/prometheus.js';
import { post } from '../support/promdog.js';

// What the ruler's end-to-end tests share: the real Agent's service checks, sent as the Agent sends them, and reads
// of a promdog's rules and alerts APIs.

/** A service check as the Agent posts it to /api/v1/check_run. */
export interface AgentCheck {
  check: string;
  host_name: string;
  timestamp: number;
  status: number;
  message: string;
  tags: string[] | null;
}

/** The 12 service checks of the Agent capture (`datadog.agent.up`, `ntp.in_sync`, `datadog.agent.check_status`...). */
export function capturedChecks(): AgentCheck[] {
  const payload = loadFixture('api_v1_check_run_response.json').find((p) => p.encoding === 'deflate');
  assert.ok(payload, 'the capture has its deflate payload');
  return JSON.parse(decodedBody(payload).toString()) as AgentCheck[];
}

/** The captured checks with some statuses changed: `statusOf` answers a check's new status, or undefined to keep it. */
export function checksWith(statusOf: (c: AgentCheck) => number | undefined): AgentCheck[] {
  return capturedChecks().map((c) => ({ ...c, status: statusOf(c) ?? c.status }));
}

/** Posts service checks as the Agent does (zlib-compressed JSON), stamped `atSec` (the capture's are years old). */
export async function postChecks(
  url: string,
  key: string,
  checks: AgentCheck[],
  atSec = Math.floor(Date.now() / 1000),
): Promise<void> {
  const body = deflateSync(JSON.stringify(checks.map((c) => ({ ...c, timestamp: atSec }))));
  const r = await post(url, '/api/v1/check_run', body, { key, encoding: 'none', rawEncodingHeader: 'deflate' });
  assert.equal(r.status, 202, JSON.stringify(r.json));
}

/** GET a promdog API path as a tenant; the `data` of its answer. */
export async function apiGet(url: string, key: string, path: string): Promise<any> {
  const res = await fetch(url + path, { headers: { authorization: `Bearer ${key}` } });
  const body = (await res.json()) as { status: string; data: unknown; error?: string };
  assert.equal(res.status, 200, `${path}: ${JSON.stringify(body)}`);
  return body.data;
}

/** The tenant's pending and firing alerts (in Prometheus' shape). */
export async function apiAlerts(url: string, key: string): Promise<PrometheusAlert[]> {
  return ((await apiGet(url, key, '/api/v1/alerts')) as { alerts: PrometheusAlert[] }).alerts;
}
