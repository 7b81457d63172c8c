import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { Client } from 'undici';
import { encodeMetricPayload } from '../support/proto-writer.js';
import { startPromdog, type TestPromdog } from '../support/promdog.js';

// Issue row: 20,000 idle connections exhausted the file descriptors and reset 91 % of a normal client's requests.
// Scaled down: a limit of 40 connections and 200 idle sockets. Over the limit new connections are closed at once and
// counted, and no more than the limit are open; the Agent's and another tenant's established connections keep
// working; the idle ones are closed after the header timeout, or by their client, and new clients get in again.

const MAX_CONNECTIONS = 40;
const IDLE_SOCKETS = 200;

let pd: TestPromdog;
let agent: Client;
let otherTenant: Client;
const idle: Socket[] = [];

before(async () => {
  pd = await startPromdog(['--max-connections', String(MAX_CONNECTIONS)], {
    config: 'limits:\n  header_timeout: 3s\n',
  });
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

/** A sample of /metrics, read on the Agent's connection: `promdog_http_open_connections` or `...{reason="timeout"}`. */
async function metric(series: string): Promise<number> {
  const { text } = await get(agent, '/metrics');
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? 0 : Number(line.slice(series.length + 1));
}

const closedBy = (reason: string) => metric(`promdog_http_connections_closed_total{reason="${reason}"}`);
const openConnections = () => metric('promdog_http_open_connections');

async function until(what: string, check: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const giveUp = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > giveUp) throw new Error(`not within ${timeoutMs} ms: ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Opens IDLE_SOCKETS connections that send nothing; counts those the server closes. */
function openIdleSockets(): { closedByServer: () => number; sockets: Socket[] } {
  const url = new URL(pd.url);
  let closed = 0;
  const sockets: Socket[] = [];
  for (let i = 0; i < IDLE_SOCKETS; i++) {
    const s = connect(Number(url.port), url.hostname);
    s.on('error', () => {});
    s.on('close', () => closed++);
    // Reads, so that the server's close is seen.
    s.resume();
    sockets.push(s);
  }
  idle.push(...sockets);
  return { closedByServer: () => closed, sockets };
}

// The two clients hold 2 of the 40: 38 idle sockets stay open, the rest are closed at once.
const REFUSED = IDLE_SOCKETS - (MAX_CONNECTIONS - 2);

test('over --max-connections new connections are closed and counted; established ones keep working', async () => {
  assert.equal(await agentPost(), 202);
  assert.equal((await get(otherTenant, '/api/v1/query?query=1', pd.keys.system)).status, 200);

  const refusedBefore = await closedBy('max_connections');
  const flood = openIdleSockets();
  await until(`${REFUSED} sockets closed`, async () => flood.closedByServer() >= REFUSED);
  assert.ok((await closedBy('max_connections')) - refusedBefore >= REFUSED);
  assert.ok((await openConnections()) <= MAX_CONNECTIONS, 'no more connections open than the limit');

  for (let i = 0; i < 5; i++) {
    assert.equal(await agentPost(), 202, "the Agent's established connection");
    assert.equal((await get(otherTenant, '/api/v1/query?query=conn_test', pd.keys.system)).status, 200);
    assert.equal((await get(agent, '/-/ready')).status, 200);
  }
  const answer = await get(otherTenant, '/api/v1/query?query=count(conn_test)', pd.keys.default);
  assert.match(answer.text, /"value":\[[\d.]+,"1"\]/, 'what the Agent posted during the flood is stored');

  // The idle sockets sent no request: the header timeout closes them, and a new client is served again.
  await until('every idle socket closed', async () => flood.closedByServer() === IDLE_SOCKETS);
  assert.ok((await closedBy('timeout')) >= MAX_CONNECTIONS - 2);
  await assertNewConnectionServed();
});

test('connections closed by their clients free their places for new ones', async () => {
  const openBefore = await openConnections();
  const flood = openIdleSockets();
  await until(`${REFUSED} sockets closed`, async () => flood.closedByServer() >= REFUSED);
  for (const s of flood.sockets) s.destroy();
  await until('the idle sockets no longer counted', async () => (await openConnections()) <= openBefore);
  await assertNewConnectionServed();
  assert.equal(await agentPost(), 202, "the Agent's established connection");
});

/** A client on a new connection gets answers (and its connection is closed after). */
async function assertNewConnectionServed(): Promise<void> {
  const fresh = new Client(pd.url);
  try {
    assert.equal((await get(fresh, '/-/ready')).status, 200, 'a new connection');
    assert.equal((await get(fresh, '/api/v1/query?query=count(conn_test)', pd.keys.default)).status, 200);
  } finally {
    await fresh.close();
  }
}

// Node stops the header timeout when the server closes: a connection that never sent a request held the shutdown
// until its client let go, forever for a client that had vanished.
test('a connection that sends no request does not hold the shutdown', { timeout: 30_000 }, async () => {
  const own = await startPromdog();
  const url = new URL(own.url);
  const silent = connect(Number(url.port), url.hostname);
  silent.on('error', () => {});
  silent.resume();
  await new Promise((resolve) => silent.once('connect', resolve));
  const closedByServer = new Promise((resolve) => silent.once('close', resolve));
  await own.close();
  await closedByServer;
});

test('a request whose body stops arriving holds the shutdown no longer than the header timeout', {
  timeout: 30_000,
}, async () => {
  const own = await startPromdog([], { config: 'limits:\n  header_timeout: 1s\n' });
  const url = new URL(own.url);
  const stalled = connect(Number(url.port), url.hostname);
  stalled.on('error', () => {});
  stalled.resume();
  await new Promise((resolve) => stalled.once('connect', resolve));
  // Headers and 10 of the 1,000 body bytes promised; the rest never comes.
  stalled.write(
    'POST /api/v2/series HTTP/1.1\r\nHost: promdog\r\n' +
      `DD-API-KEY: ${own.keys.default}\r\nContent-Type: application/x-protobuf\r\nContent-Length: 1000\r\n\r\n`,
  );
  stalled.write(Buffer.alloc(10));
  const closedByServer = new Promise((resolve) => stalled.once('close', resolve));
  await new Promise((r) => setTimeout(r, 300));
  const started = Date.now();
  await own.close();
  await closedByServer;
  // The grace is the header timeout (1 s); Node's own request timeout (60 s) no longer runs once the server closes.
  assert.ok(Date.now() - started < 20_000, `shutdown took ${Date.now() - started} ms`);
});
