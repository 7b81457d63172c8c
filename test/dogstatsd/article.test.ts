import { test } from 'node:test';
import assert from 'node:assert/strict';
import StatsD from 'hot-shots';
import { startPromdog } from '../support/promdog.js';
import { seededRandom } from '../support/random.js';

// The article's walkthrough, end to end: an application sends DogStatsD with the real hot-shots client straight to
// promdog for 35 s; PromQL over the embedded store, evaluated inside the sending window, shows the article's numbers.

const SEND_SECONDS = 35;

test(`blog.app.testcounter and blog.app.testhist over ${SEND_SECONDS} s come out as the article shows`, {
  timeout: 120_000,
}, async () => {
  const pd = await startPromdog(['--dogstatsd-listen', '127.0.0.1:0']);
  try {
    const udp = pd.server.dogstatsd!.udpAddress()!;
    const client = new StatsD({ host: '127.0.0.1', port: udp.port, protocol: 'udp', maxBufferSize: 0 });
    const draw = seededRandom(42);
    const sent: { t: number; v: number }[] = [];
    const sendStart = Date.now();
    await new Promise<void>((resolve) => {
      const timer = setInterval(() => {
        if (Date.now() - sendStart >= SEND_SECONDS * 1000) {
          clearInterval(timer);
          resolve();
          return;
        }
        client.increment('blog.app.testcounter', 2);
        const r = draw();
        const v = r < 0.1 ? 1 : r < 0.7 ? 2 : 3;
        client.histogram('blog.app.testhist', v);
        sent.push({ t: Date.now(), v });
      }, 200);
    });
    const sendEnd = Date.now();
    await new Promise<void>((r) => client.close(() => r()));
    // The last full 10 s bucket inside the window, and its flush (once closed, within the 1 s flush tick).
    const bucket = Math.floor(sendEnd / 10_000) * 10_000 - 10_000;
    assert.ok(bucket >= sendStart, 'a whole bucket lies inside the sending window');
    await new Promise((r) => setTimeout(r, Math.max(0, bucket + 20_000 + 2000 - Date.now())));

    const at = (bucket + 5000) / 1000;
    const q = async (promql: string) => {
      const res = await fetch(`${pd.url}/api/v1/query?query=${encodeURIComponent(promql)}&time=${at}`, {
        headers: { authorization: `Bearer ${pd.keys.default}` },
      });
      const body = (await res.json()) as {
        status: string;
        data: { result: { metric: Record<string, string>; value: [number, string] }[] };
      };
      assert.equal(body.status, 'success', `${promql}: ${JSON.stringify(body)}`);
      assert.equal(body.data.result.length, 1, `${promql}: ${JSON.stringify(body.data.result)}`);
      return { labels: body.data.result[0]!.metric, value: Number(body.data.result[0]!.value[1]) };
    };
    const inBucket = sent.filter((s) => s.t >= bucket && s.t < bucket + 10_000).map((s) => s.v);
    const exactAvg = inBucket.reduce((a, b) => a + b, 0) / inBucket.length;

    const counter = await q('blog_app_testcounter{type="rate"}');
    assert.ok(Math.abs(counter.value - 10) <= 1, `counter rate ${counter.value} ≈ 10`);
    assert.equal(counter.labels.job, 'ddagent');
    assert.equal((await q('blog_app_testhist_max')).value, 3);
    const avg = (await q('blog_app_testhist_avg')).value;
    assert.ok(Math.abs(avg - 2.2) <= 0.25, `avg ${avg} ≈ 2.2`);
    assert.ok(Math.abs(avg - exactAvg) < 1e-9, `avg ${avg} is the mean of the bucket's values ${exactAvg}`);
    const count = await q('blog_app_testhist_count{type="rate"}');
    assert.ok(Math.abs(count.value - 5) <= 0.5, `count rate ${count.value} ≈ 5`);
    assert.equal((await q('blog_app_testhist_median')).value, 2);
    assert.equal((await q('blog_app_testhist_95percentile')).value, 3);
  } finally {
    await pd.close();
  }
});
