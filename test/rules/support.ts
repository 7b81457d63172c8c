import assert from 'node:assert/strict';
import { type AgentCheck, capturedChecks } from '../support/agent-checks.js';
import type { PrometheusAlert } from '../support/prometheus.js';

// What the ruler's end-to-end tests share: the real Agent's service checks with changed statuses, and reads of a
// promdog's rules and alerts APIs.

/** The captured checks with some statuses changed: `statusOf` answers a check's new status, or undefined to keep it. */
export function checksWith(statusOf: (c: AgentCheck) => number | undefined): AgentCheck[] {
  return capturedChecks().map((c) => ({ ...c, status: statusOf(c) ?? c.status }));
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
