import assert from 'node:assert/strict';
import { deflateSync } from 'node:zlib';
import { post } from '../support/promdog.js';
import { decodedBody, loadFixture, seriesPayloadAt } from '../support/fixtures.js';
import { decodeSeriesV2 } from '../../src/intake/decoders/series-v2.js';

// Helpers of the self-monitoring acceptance tests: real Agent traffic, the query API as a client sees it, polling.

/**
 * Posts the real Agent v2 series capture (3 zlib payloads) as the Agent would, its timestamps moved so that the last
 * payload's newest point is `newestSec` (the store and Prometheus refuse samples that old). Returns what was sent.
 */
export async function postAgentCapture(
  url: string,
  key: string,
  newestSec = Math.floor(Date.now() / 1000),
): Promise<{ requests: number; points: number }> {
  const payloads = loadFixture('api_v2_series_response.json').filter((p) => p.encoding === 'deflate');
  let points = 0;
  for (const [i, p] of payloads.entries()) {
    const series = decodeSeriesV2(decodedBody(p)).series;
    const body = seriesPayloadAt(series, newestSec - 30 * (payloads.length - 1 - i));
    for (const s of series) points += s.timestamps.length;
    const r = await post(url, '/api/v2/series', deflateSync(body), {
      key,
      encoding: 'none',
      rawEncodingHeader: 'deflate',
      contentType: 'application/x-protobuf',
    });
    assert.equal(r.status, 202, JSON.stringify(r.json));
  }
  return { requests: payloads.length, points };
}

export interface ApiAnswer {
  status: number;
  body: { status: string; data?: any; error?: string };
}

/** GET a query API endpoint with `Authorization: Bearer <key>` (no header when key is null). */
export async function queryApi(
  url: string,
  key: string | null,
  path: string,
  params: Record<string, string | string[]> = {},
): Promise<ApiAnswer> {
  const qs = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) for (const x of Array.isArray(v) ? v : [v]) qs.append(k, x);
  const res = await fetch(`${url}${path}?${qs}`, { headers: key ? { authorization: `Bearer ${key}` } : {} });
  return { status: res.status, body: (await res.json()) as ApiAnswer['body'] };
}

/** The `data` of a successful answer (fails the test otherwise). */
export async function apiData(
  url: string,
  key: string,
  path: string,
  params: Record<string, string | string[]> = {},
): Promise<any> {
  const r = await queryApi(url, key, path, params);
  assert.equal(r.status, 200, JSON.stringify(r.body));
  assert.equal(r.body.status, 'success');
  return r.body.data;
}

/** An instant query's vector: [{metric, value: [t, "v"]}]. */
export async function instant(
  url: string,
  key: string,
  query: string,
): Promise<{ metric: Record<string, string>; value: [number, string] }[]> {
  const data = await apiData(url, key, '/api/v1/query', { query });
  assert.equal(data.resultType, 'vector');
  return data.result;
}

/** Polls `probe` until it returns something other than undefined/false; fails after `timeoutMs`. */
export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined | false>,
  timeoutMs = 20_000,
): Promise<T> {
  const giveUpAt = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > giveUpAt) assert.fail(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** A v1 JSON series body with one series and the given points ([unix seconds, value]). */
export function v1Series(metric: string, points: [number, number][]): string {
  return JSON.stringify({ series: [{ metric, points, type: 'gauge', host: 'selfmon-test', tags: ['test:selfmon'] }] });
}
