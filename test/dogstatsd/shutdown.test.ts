import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnPromdog } from '../support/process.js';
import { freePort } from '../support/ports.js';
import { selfMetric } from '../support/promdog.js';

// DogStatsD samples of the bucket still open when promdog is stopped are flushed and stored, not lost with the
// process: after a SIGTERM and a restart on the same data directory, they are there.

test('a SIGTERM flushes the open DogStatsD bucket into the store', { timeout: 60_000 }, async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'promdog-dsd-stop-'));
  const port = await freePort();
  const pd = await spawnPromdog([
    '--data-dir',
    dataDir,
    '--dogstatsd-listen',
    `127.0.0.1:${port}`,
    '--self-scrape-interval',
    '0',
  ]);
  try {
    // Send early in a 10 s bucket, so the stop comes before the bucket closes and a regular flush could take it.
    const intoBucket = Date.now() % 10_000;
    if (intoBucket > 5_000) await new Promise((r) => setTimeout(r, 10_000 - intoBucket + 200));
    const sock = createSocket('udp4');
    await new Promise<void>((r) => sock.send('shutdown.gauge:42|g|#when:stop', port, '127.0.0.1', () => r()));
    sock.close();
    for (const giveUp = Date.now() + 10_000; (await selfMetric(pd.url, 'promdog_dogstatsd_packets_total')) < 1; ) {
      assert.ok(Date.now() < giveUp, 'the datagram was received');
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.equal(await selfMetric(pd.url, 'promdog_dogstatsd_flushed_total'), 0, 'still in the open bucket');
    pd.child.kill('SIGTERM');
    assert.equal(await pd.exited, 0);
  } finally {
    if (pd.child.exitCode === null) pd.child.kill('SIGKILL');
  }

  const again = await spawnPromdog(['--data-dir', dataDir, '--self-scrape-interval', '0']);
  try {
    const key = readFileSync(join(dataDir, 'tenant-api-token-default'), 'utf8').trim();
    const res = await fetch(`${again.url}/api/v1/query?query=shutdown_gauge`, {
      headers: { authorization: `Bearer ${key}` },
    });
    const body = (await res.json()) as {
      data: { result: { metric: Record<string, string>; value: [number, string] }[] };
    };
    assert.equal(body.data.result.length, 1, JSON.stringify(body));
    assert.equal(body.data.result[0]!.value[1], '42');
    assert.equal(body.data.result[0]!.metric.when, 'stop');
  } finally {
    again.child.kill('SIGTERM');
    await again.exited;
  }
});
