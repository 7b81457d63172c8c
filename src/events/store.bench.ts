// Event store benchmark: append throughput (fdatasync included), opening (reading every segment's summary), and
// reads over 1 h and 24 h of a tenant's events: a page of the newest 100, a rare host's events (filtered while
// scanning the range), and one event by id. Reads should cost in proportion to the range scanned, not to the store.
// Run: `node dist/src/events/store.bench.js [events] [hours]` (default 200000 events over 48 h).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import type { DDEvent } from '../model/datadog.js';
import { silentLogger } from '../tsdb/fsutil.js';
import type { EventQuery } from './query.js';
import { EventStore } from './store.js';

const HOUR = 3600_000;

function event(i: number, nowMs: number): DDEvent {
  return {
    title: `Deploy ${i} of service-${i % 50}`,
    text: `Rolled out build ${i} to ${i % 7} hosts; ${'details '.repeat(20)}`,
    host: `host-${i % 500}`,
    tags: [`env:${i % 3 === 0 ? 'prod' : 'dev'}`, `service:service-${i % 50}`, `team:t${i % 9}`],
    timestamp: nowMs / 1000,
    alertType: i % 10 === 0 ? 'error' : 'info',
    priority: '',
    sourceTypeName: 'jenkins',
    aggregationKey: '',
  };
}

async function time<T>(fn: () => Promise<T>, runs: number): Promise<{ ms: number; result: T }> {
  let result = await fn();
  const start = performance.now();
  for (let i = 0; i < runs; i++) result = await fn();
  return { ms: (performance.now() - start) / runs, result };
}

async function main(): Promise<void> {
  const total = Number(process.argv[2] ?? 200_000);
  const hours = Number(process.argv[3] ?? 48);
  const dir = await mkdtemp(join(tmpdir(), 'promdog-events-bench-'));
  const clock = { now: Date.UTC(2026, 0, 1) };
  const options = {
    dataDir: dir,
    retentionMs: 15 * 24 * HOUR,
    maxBytesPerTenant: 1024 ** 3,
    logger: silentLogger,
    now: () => clock.now,
  };
  try {
    const store = new EventStore({ ...options, registry: new Registry() });
    await store.start();
    const batch = 100;
    const concurrency = 8;
    const step = (hours * HOUR) / total;
    let appendMs = 0;
    for (let i = 0; i < total; i += batch * concurrency) {
      const started = performance.now();
      const writes: Promise<unknown>[] = [];
      for (let c = 0; c < concurrency; c++) {
        const first = i + c * batch;
        const events = Array.from({ length: Math.min(batch, total - first) }, (_, k) => event(first + k, clock.now));
        if (events.length > 0) writes.push(store.append('bench', events));
      }
      await Promise.all(writes);
      appendMs += performance.now() - started;
      clock.now += step * batch * concurrency;
    }
    await store.close();
    console.log(
      `append: ${Math.round(total / (appendMs / 1000))} events/s (batches of ${batch}, ${concurrency} at once)`,
    );

    const opening = performance.now();
    const reopened = new EventStore({ ...options, registry: new Registry() });
    await reopened.start();
    console.log(`open: ${Math.round(performance.now() - opening)} ms for ${total} events`);

    const end = clock.now;
    const query = (rangeMs: number, over: Partial<EventQuery>): EventQuery => ({
      fromMs: end - rangeMs,
      toMs: end,
      conditions: [],
      order: 'newest',
      limit: 100,
      ...over,
    });
    for (const [label, rangeMs] of [
      ['1h', HOUR],
      ['24h', 24 * HOUR],
    ] as const) {
      const newest = await time(() => reopened.query('bench', query(rangeMs, {})), 20);
      const rare = await time(
        () =>
          reopened.query(
            'bench',
            query(rangeMs, { conditions: [{ field: 'host', values: ['host-7'], negate: false }] }),
          ),
        5,
      );
      console.log(
        `${label}: newest 100 ${newest.ms.toFixed(2)} ms; host-7 (${rare.result.events.length} events) ${rare.ms.toFixed(2)} ms`,
      );
    }
    const someId = (await reopened.query('bench', query(HOUR, { limit: 1 }))).events[0]!.id;
    const byId = await time(() => reopened.get('bench', someId), 20);
    console.log(`get by id: ${byId.ms.toFixed(2)} ms`);
    await reopened.close();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
