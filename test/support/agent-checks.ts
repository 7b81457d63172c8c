import assert from 'node:assert/strict';
import { deflateSync } from 'node:zlib';
import { decodedBody, loadFixture } from './fixtures.js';
import { post } from './promdog.js';

// The real Agent's service checks (the check_run capture), and posting checks the way the Agent does.

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
