import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'undici';
import { encodeMetricPayload } from '../support/proto-writer.js';
import { startPromdog, type TestPromdog } from '../support/promdog.js';

// Issue row: 20,000 idle connections exhausted the file descriptors and reset 91 % of a normal client's requests.
// Scaled down: a limit of 40 connections and 200 idle sockets. Over the limit new connections are closed at once and
// counted; the Agent's and another tenant's established connections keep working; the idle ones are closed after
// the header timeout, and new clients get in again.

const MAX_CONNECTIONS = 40;
const IDLE_SOCKETS = 200;

let pd: TestPromdog;
let agent: Client;
let otherTenant: Client;
const idle: Socket[] = [];

before(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'promdog-conn-'));
  writeFileSync(join(dir, 'promdog.yaml'), 'limits:\n  header_timeout: 3s\n');
  pd = await startPromdog(['--config', join(dir, 'promdog.yaml'), '--max-connections', String(MAX_CONNECTIONS)]);
  // One connection each, opened before the flood.
  agent = new Client(pd.url, { pipelining: 1, keepAliveTimeout: 60_000 });
  otherTenant = new Client(pd.url, { pipelining: 1, keepAliveTimeout: 60_000 });
});

after(async () => {
  for (const s of idle) s.destroy();
  await agent.close();
  await otherTenant.close();
  await pd.close();
});

async function get(client: Client, path: string, key = ''): Promise<{ status: number; text: string }> {
  const res = await client.request({ method: 'GET', path, headers: key ? { authorization: `Bearer ${key}` } : {} });
  return { status: res.statusCode, text: await res.body.text() };
}

async function agentPost(): Promise<number> {
  const body = encodeMetricPayload([
    {
      metric: 'conn.test',
      type: 3,
      tags: ['env:ci'],
      points: [{ timestamp: Math.floor(Date.now() / 1000), value: 1 }],
    },
  ]);
  const res = await agent.request({
    method: 'POST',
    path: '/api/v2/series',
    headers: { 'dd-api-key': pd.keys.default, 'content-type': 'application/x-protobuf' },
    body,
  });
  await res.body.text();
  return res.statusCode;
}

async function counter(reason: string): Promise<number> {
  const { text } = await get(agent, '/metrics');
  const m = new RegExp(`^promdog_http_connections_closed_total\\{reason="${reason}"\\} (\\S+)$`, 'm').exec(text);
  return m ? Number(m[1]) : 0;
}

async function until(what: string, check: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const giveUp = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > giveUp) throw new Error(`not within ${timeoutMs} ms: ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

test('over --max-connections new connections are closed and counted; established ones keep working', async () => {
  assert.equal(await agentPost(), 202);
  assert.equal((await get(otherTenant, '/api/v1/query?query=1', pd.keys.system)).status, 200);

  const url = new URL(pd.url);
  let closedByServer = 0;
  for (let i = 0; i < IDLE_SOCKETS; i++) {
    const s = connect(Number(url.port), url.hostname);
    s.on('error', () => {});
    s.on('close', () => closedByServer++);
    s.resume();
    idle.push(s);
  }
  // The two clients hold 2 of the 40: 38 idle sockets stay open, the rest are closed at once.
  const refused = IDLE_SOCKETS - (MAX_CONNECTIONS - 2);
  await until(`${refused} sockets closed`, async () => closedByServer >= refused);
  assert.ok((await counter('max_connections')) >= refused);

  for (let i = 0; i < 5; i++) {
    assert.equal(await agentPost(), 202, "the Agent's established connection");
    assert.equal((await get(otherTenant, '/api/v1/query?query=conn_test', pd.keys.system)).status, 200);
    assert.equal((await get(agent, '/-/ready')).status, 200);
  }
  const answer = await get(otherTenant, '/api/v1/query?query=count(conn_test)', pd.keys.default);
  assert.match(answer.text, /"value":\[[\d.]+,"1"\]/, 'what the Agent posted during the flood is stored');

  // The idle sockets sent no request: the header timeout closes them, and a new client is served again.
  await until('every idle socket closed', async () => closedByServer === IDLE_SOCKETS);
  assert.ok((await counter('timeout')) >= MAX_CONNECTIONS - 2);
  const fresh = await fetch(`${pd.url}/-/ready`);
  assert.equal(fresh.status, 200);
});
