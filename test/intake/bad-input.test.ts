import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { PrometheusProcess } from '../support/prometheus.js';
import { startPromdog, post, selfMetric, type TestPromdog } from '../support/promdog.js';
import { zstdBomb } from '../support/zstd-bomb.js';

// Bad input gets its status and a JSON error, and the server stays ready and keeps accepting good data.

let prom: PrometheusProcess;
let pd: TestPromdog;
const now = () => Math.floor(Date.now() / 1000);
const good = (metric: string) => JSON.stringify({ series: [{ metric, points: [[now(), 1]], host: 'h' }] });

before(async () => {
  prom = await PrometheusProcess.start({ outOfOrderTimeWindow: '1h' });
  pd = await startPromdog(['--remote-write-url', prom.remoteWriteUrl]);
});
after(async () => {
  await pd?.close();
  await prom?.cleanup();
});

async function assertStillServing(tag: string): Promise<void> {
  assert.equal((await fetch(`${pd.url}/-/ready`)).status, 200, `${tag}: not ready`);
  const metric = `badinput.after.${tag}`;
  const r = await post(pd.url, '/api/v1/series', good(metric), { key: pd.keys.default });
  assert.equal(r.status, 202, `${tag}: good data refused after bad input`);
  assert.equal((await prom.query(metric.replace(/\./g, '_'))).length, 1, `${tag}: good data not stored`);
}

const errorOf = (r: { json: any }) => {
  assert.ok(
    Array.isArray(r.json?.errors) && typeof r.json.errors[0] === 'string',
    `JSON error expected, got ${JSON.stringify(r.json)}`,
  );
  return r.json.errors[0] as string;
};

describe('malformed bodies → 400 with what and where', () => {
  test('truncated JSON', async () => {
    const body = good('x').slice(0, 25);
    for (const path of [
      '/api/v1/series',
      '/api/v2/series',
      '/api/v1/check_run',
      '/api/v1/distribution_points',
      '/intake/',
      '/api/v1/events',
      '/api/v1/metadata',
    ]) {
      const r = await post(pd.url, path, body, { key: pd.keys.default, encoding: 'deflate' });
      assert.equal(r.status, 400, path);
      assert.match(errorOf(r), /JSON|position|unexpected|end/i, path);
    }
    await assertStillServing('truncated_json');
  });

  test('garbage protobuf', async () => {
    const garbage = Buffer.from([0x0a, 0xff, 0xff, 0xff, 0x0f, 1, 2, 3]);
    for (const path of ['/api/v2/series', '/api/beta/sketches']) {
      const r = await post(pd.url, path, garbage, {
        key: pd.keys.default,
        encoding: 'zstd',
        contentType: 'application/x-protobuf',
      });
      assert.equal(r.status, 400, path);
      assert.match(errorOf(r), /byte|truncat|length/i);
    }
    await assertStillServing('garbage_protobuf');
  });

  test('wrong value types', async () => {
    const cases: [string, unknown][] = [
      ['/api/v1/series', { series: [{ metric: 'm', points: [[now(), 'one']] }] }],
      ['/api/v1/series', { series: [{ metric: 'm', points: 'x' }] }],
      ['/api/v1/series', { series: 'nope' }],
      ['/api/v2/series', { series: [{ metric: 'm', points: [{ timestamp: 'yesterday', value: 1 }] }] }],
      ['/api/v1/check_run', [{ check: 'c', host_name: 'h', status: 7 }]],
      ['/api/v1/check_run', { check: 'c' }],
      ['/api/v1/distribution_points', { series: [{ metric: 'd', points: [[now(), 5]] }] }],
    ];
    for (const [path, body] of cases) {
      const r = await post(pd.url, path, JSON.stringify(body), { key: pd.keys.default });
      assert.equal(r.status, 400, `${path} ${JSON.stringify(body)}`);
      errorOf(r);
    }
    await assertStillServing('wrong_types');
  });

  test('corrupt compression', async () => {
    const r = await post(pd.url, '/api/v1/series', Buffer.from('definitely not gzip'), {
      key: pd.keys.default,
      encoding: 'none',
      rawEncodingHeader: 'gzip',
    });
    assert.equal(r.status, 400);
    assert.match(errorOf(r), /gzip/);
  });
});

describe('limits, encodings, auth, routes', () => {
  test('a 512 MiB zstd bomb gets 413 and memory stays bounded', async (t) => {
    for (const declareSize of [false, true]) {
      const rssBefore = process.memoryUsage().rss;
      const started = Date.now();
      const r = await post(pd.url, '/api/v2/series', zstdBomb(512 << 20, { declareSize }), {
        key: pd.keys.default,
        encoding: 'none',
        rawEncodingHeader: 'zstd',
      });
      t.diagnostic(`bomb (declared size: ${declareSize}) answered ${r.status} after ${Date.now() - started} ms`);
      assert.equal(r.status, 413);
      assert.match(errorOf(r), /decompressed size limit/);
      const grown = process.memoryUsage().rss - rssBefore;
      assert.ok(grown < 200 << 20, `RSS grew by ${grown >> 20} MiB`);
    }
    assert.ok((await selfMetric(pd.url, 'promdog_requests_rejected_total', { reason: 'too_large' })) >= 2);
    await assertStillServing('bomb');
  });

  test('an oversized compressed body gets 413', async () => {
    const r = await post(pd.url, '/api/v1/series', Buffer.alloc(11 << 20, 0x20), { key: pd.keys.default });
    assert.equal(r.status, 413);
    await assertStillServing('oversized');
  });

  test('unknown encodings get 415', async () => {
    for (const enc of ['br', 'snappy', 'compress']) {
      const r = await post(pd.url, '/api/v1/series', good('m'), {
        key: pd.keys.default,
        encoding: 'none',
        rawEncodingHeader: enc,
      });
      assert.equal(r.status, 415, enc);
      assert.match(errorOf(r), new RegExp(enc));
    }
  });

  test('missing and wrong keys get 403 {"errors":["Forbidden"]} and are counted', async () => {
    const before = await selfMetric(pd.url, 'promdog_http_requests_total', {
      tenant: '',
      route: '/api/v2/series',
      code: '403',
    });
    for (const key of [null, 'wrong', `${pd.keys.default}x`]) {
      const r = await post(pd.url, '/api/v2/series', good('m'), { key });
      assert.equal(r.status, 403);
      assert.deepEqual(r.json, { errors: ['Forbidden'] });
    }
    assert.equal(
      await selfMetric(pd.url, 'promdog_http_requests_total', { tenant: '', route: '/api/v2/series', code: '403' }),
      before + 3,
    );
    // any case of the header name, and the query parameter
    const viaQuery = await post(pd.url, `/api/v1/series?api_key=${pd.keys.default}`, good('auth.query'), { key: null });
    assert.equal(viaQuery.status, 202);
    const upper = await fetch(`${pd.url}/api/v1/series`, {
      method: 'POST',
      headers: { 'DD-Api-Key': pd.keys.default },
      body: good('auth.header'),
    });
    assert.equal(upper.status, 202);
  });

  test('unknown routes get 404 and are counted as unmatched', async () => {
    const before = await selfMetric(pd.url, 'promdog_http_requests_total', {
      tenant: '',
      route: 'unmatched',
      code: '404',
    });
    const r = await post(pd.url, '/api/v3/nothing', good('m'), { key: pd.keys.default });
    assert.equal(r.status, 404);
    errorOf(r);
    assert.equal(
      await selfMetric(pd.url, 'promdog_http_requests_total', { tenant: '', route: 'unmatched', code: '404' }),
      before + 1,
    );
  });

  test('a client that disconnects mid-body does not hurt the server', async () => {
    await new Promise<void>((resolve) => {
      const u = new URL(pd.url);
      const req = request({
        host: u.hostname,
        port: u.port,
        path: '/api/v1/series',
        method: 'POST',
        headers: { 'dd-api-key': pd.keys.default, 'content-length': '100000' },
      });
      req.on('error', () => resolve());
      req.write('{"series":[');
      setTimeout(() => {
        req.destroy();
        resolve();
      }, 50);
    });
    await assertStillServing('disconnect');
  });
});
