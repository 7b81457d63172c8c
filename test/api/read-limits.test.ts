// The metadata endpoints and export are bounded like queries, on a real promdog process: the request's timeout stops
// their storage reads (503 timeout, counted), and an export holds its concurrency slot until its stream is written out,
// its client goes away or its timeout cuts it off, not only until the stream starts. Rule evaluations wait for the
// same slots as the tenant's API queries.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';
import { CLI, spawnPromdog, type PromdogProcess } from '../support/process.js';
import { selfMetric } from '../support/promdog.js';

const NOW = Math.floor(Date.now() / 1000);
/** Enough series that a read of them takes several batches. */
const MANY_SERIES = 20_000;
/** 1,000 series × 1,000 samples: an export of about 20 MB, more than loopback's socket buffers hold. */
const WIDE_SERIES = 1000;
const WIDE_POINTS = Array.from({ length: 1000 }, (_, k) => NOW - 999 + k);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A promdog process with tenant `default` holding `many` and `wide`, and what the tests ask it. */
class Server {
  private constructor(
    readonly pd: PromdogProcess,
    readonly dir: string,
    readonly key: string,
  ) {}

  /** Default rules off: only the rules a test gives take query slots. */
  static async start(args: string[], ruleFile?: string): Promise<Server> {
    const dir = mkdtempSync(join(tmpdir(), 'promdog-read-limits-'));
    execFileSync(process.execPath, [CLI, 'tenant', 'add', 'default', '--data-dir', dir]);
    const rules: string[] = [];
    if (ruleFile !== undefined) {
      writeFileSync(join(dir, 'rules.yml'), ruleFile);
      rules.push('--rule-file', join(dir, 'rules.yml'));
    }
    const pd = await spawnPromdog([
      '--data-dir',
      dir,
      '--self-scrape-interval',
      '0',
      '--default-rules',
      'false',
      ...rules,
      ...args,
    ]);
    const s = new Server(pd, dir, readFileSync(join(dir, 'tenant-api-token-default'), 'utf8').trim());
    for (let from = 0; from < MANY_SERIES; from += 5000) await s.postSeries('many', from, 5000, [NOW]);
    for (let from = 0; from < WIDE_SERIES; from += 100) await s.postSeries('wide', from, 100, WIDE_POINTS);
    return s;
  }

  async stop(): Promise<void> {
    this.pd.child.kill('SIGTERM');
    await this.pd.exited;
    rmSync(this.dir, { recursive: true, force: true });
  }

  async postSeries(metric: string, from: number, count: number, times: number[]): Promise<void> {
    const parts: string[] = [];
    for (let i = from; i < from + count; i++) {
      const points = times.map((t, k) => [t, (i % 13) + k]);
      parts.push(JSON.stringify({ metric, type: 'gauge', host: 'h', tags: [`i:${i}`], points }));
    }
    const res = await fetch(`${this.pd.url}/api/v1/series`, {
      method: 'POST',
      headers: { 'dd-api-key': this.key, 'content-type': 'application/json', 'content-encoding': 'deflate' },
      body: deflateSync(`{"series":[${parts.join(',')}]}`),
    });
    await res.text();
    assert.equal(res.status, 202);
  }

  async get(path: string, params: Record<string, string>): Promise<{ status: number; body: any }> {
    const res = await fetch(`${this.pd.url}${path}?${new URLSearchParams(params)}`, {
      headers: { authorization: `Bearer ${this.key}` },
    });
    return { status: res.status, body: (await res.json()) as any };
  }

  metric(name: string, labels: Record<string, string> = {}): Promise<number> {
    return selfMetric(this.pd.url, name, labels);
  }

  /** An export request on a raw connection that stops reading at once: the server's writes back up. */
  async stalledExport(params: Record<string, string>): Promise<Socket> {
    const { hostname, port } = new URL(this.pd.url);
    const sock = connect(Number(port), hostname);
    await new Promise<void>((resolve, reject) => {
      sock.once('connect', resolve);
      sock.once('error', reject);
    });
    sock.pause();
    sock.write(
      `GET /api/v1/export?${new URLSearchParams(params)} HTTP/1.1\r\nHost: ${hostname}\r\n` +
        `Authorization: Bearer ${this.key}\r\nConnection: close\r\n\r\n`,
    );
    return sock;
  }
}

async function until(what: string, cond: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 3000; i++) {
    if (await cond()) return;
    await sleep(20);
  }
  assert.fail(`never: ${what}`);
}

describe('read limits: metadata reads and export stop at the timeout and free their slot', () => {
  let s: Server;
  const inFlight = () => s.metric('promdog_query_in_flight');
  const timedOut = () => s.metric('promdog_query_rejected_total', { reason: 'timeout' });
  const exportsAnswered = () => s.metric('promdog_query_requests_total', { endpoint: 'export', code: '200' });

  before(async () => {
    s = await Server.start(['--query-max-concurrency', '4', '--query-max-concurrency-per-tenant', '2']);
  });
  after(() => s?.stop());

  test('series, labels and label values stop at the request timeout: 503 timeout, counted', async () => {
    const before = await timedOut();
    const reads: [string, Record<string, string>][] = [
      ['/api/v1/series', { 'match[]': 'many' }],
      ['/api/v1/labels', { 'match[]': 'many' }],
      ['/api/v1/label/i/values', { 'match[]': 'many' }],
      ['/api/v1/export', { 'match[]': 'many' }],
    ];
    for (const [path, params] of reads) {
      // Within the time limit: answered.
      const ok = await fetch(`${s.pd.url}${path}?${new URLSearchParams(params)}`, {
        headers: { authorization: `Bearer ${s.key}` },
      });
      await ok.text();
      assert.equal(ok.status, 200, path);
      // A time limit of 0 has passed before the read starts.
      const r = await s.get(path, { ...params, timeout: '0s' });
      assert.equal(r.status, 503, `${path}: ${JSON.stringify(r.body)}`);
      assert.equal(r.body.errorType, 'timeout');
    }
    assert.equal(await timedOut(), before + reads.length);
    assert.equal(await inFlight(), 0);
  });

  test('an export holds its slot while its client reads, and frees it when the client goes away', async () => {
    const answered = await exportsAnswered();
    const sock = await s.stalledExport({ 'match[]': 'wide' });
    // The handler has answered 200 and handed over its stream; the client reads nothing, so the stream is not over.
    await until('the export answered', async () => (await exportsAnswered()) === answered + 1);
    assert.equal(await inFlight(), 1);
    // The tenant's other slot still serves its queries.
    const q = await s.get('/api/v1/query', { query: 'count(many)', time: String(NOW) });
    assert.equal(q.body.data.result[0].value[1], String(MANY_SERIES));
    sock.destroy();
    await until('the slot freed', async () => (await inFlight()) === 0);
  });

  test('an export whose client stops reading is cut off at its timeout and frees its slot', async () => {
    const answered = (await exportsAnswered()) + (await timedOut());
    const sock = await s.stalledExport({ 'match[]': 'wide', timeout: '2s' });
    sock.on('error', () => {}); // the server cuts the connection: a reset is expected
    const received: Buffer[] = [];
    sock.on('data', (c: Buffer) => received.push(c));
    const closed = new Promise<void>((resolve) => sock.once('close', () => resolve()));
    // Answered: 200 and its stream, or 503 if the read itself took longer than the timeout.
    await until('the export answered', async () => (await exportsAnswered()) + (await timedOut()) === answered + 1);
    // The client still reads nothing: only the timeout frees the slot.
    await until('the slot freed', async () => (await inFlight()) === 0);
    assert.equal(sock.destroyed, false);
    sock.resume();
    await closed;
    const text = Buffer.concat(received).toString('latin1');
    const status = text.slice(0, text.indexOf('\r\n'));
    if (status === 'HTTP/1.1 200 OK') assert.ok(!text.endsWith('\r\n0\r\n\r\n'), 'the stream was cut, not finished');
    else assert.equal(status, 'HTTP/1.1 503 Service Unavailable');
  });
});

describe("rule evaluations take the tenant's query slots", () => {
  let s: Server;
  before(async () => {
    const rules =
      'groups:\n  - name: counts\n    interval: 1s\n    rules:\n      - record: many_count\n        expr: count(many)\n';
    s = await Server.start(['--query-max-concurrency', '4', '--query-max-concurrency-per-tenant', '1'], rules);
  });
  after(() => s?.stop());

  test("a rule waits while the tenant's only slot is held, and records once it is free", async () => {
    // The tenant's one slot held by an export whose client reads nothing.
    const sock = await s.stalledExport({ 'match[]': 'wide' });
    await until(
      'the export answered',
      async () => (await s.metric('promdog_query_requests_total', { endpoint: 'export', code: '200' })) === 1,
    );
    // The group's next evaluation queues behind it.
    await until('a rule evaluation waiting', async () => (await s.metric('promdog_query_queued')) === 1);
    sock.destroy();
    await until('the queue empty', async () => (await s.metric('promdog_query_queued')) === 0);
    await until('the rule recorded', async () => {
      const r = await s.get('/api/v1/query', { query: 'many_count' });
      return r.body.data.result[0]?.value[1] === String(MANY_SERIES);
    });
  });
});
