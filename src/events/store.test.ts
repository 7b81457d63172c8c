import { describe, test, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { ddEvent } from '../../test/support/decoder-testing.js';
import { silentLogger } from '../tsdb/fsutil.js';
import { EventStore, type EventStoreOptions } from './store.js';
import type { EventQuery } from './query.js';

const HOUR = 3600_000;
const T0 = Date.UTC(2026, 0, 15, 12);

const dirs: string[] = [];
const stores: EventStore[] = [];
afterEach(async () => {
  for (const s of stores.splice(0)) await s.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

interface Harness {
  store: EventStore;
  registry: Registry;
  clock: { now: number };
  dataDir: string;
}

async function open(
  opts: Partial<EventStoreOptions> = {},
  reuse?: { dataDir: string; clock: { now: number } },
): Promise<Harness> {
  const dataDir = reuse?.dataDir ?? mkdtempSync(join(tmpdir(), 'promdog-events-'));
  if (!reuse) dirs.push(dataDir);
  const clock = reuse?.clock ?? { now: T0 };
  const registry = new Registry();
  const store = new EventStore({
    dataDir,
    retentionMs: 15 * 24 * HOUR,
    maxBytesPerTenant: 1024 * 1024 * 1024,
    registry,
    logger: silentLogger,
    now: () => clock.now,
    ...opts,
  });
  stores.push(store);
  await store.start();
  return { store, registry, clock, dataDir };
}

async function metric(registry: Registry, name: string, labels: Record<string, string>): Promise<number> {
  const m = await registry.getSingleMetric(name)!.get();
  let sum = 0;
  for (const v of m.values) if (Object.entries(labels).every(([k, x]) => v.labels[k] === x)) sum += v.value;
  return sum;
}

const everything = (over: Partial<EventQuery> = {}): EventQuery => ({
  fromMs: 0,
  toMs: Number.MAX_SAFE_INTEGER,
  conditions: [],
  order: 'newest',
  limit: 1000,
  ...over,
});

describe('event store', () => {
  test('stores with defaults and increasing ids; reads newest or oldest first, by id, by page', async () => {
    const { store, registry } = await open();
    const times = [T0 - 5000, T0 - 1000, T0 - 3000, T0 - 1000];
    const r = await store.append(
      'default',
      times.map((t, i) => ddEvent({ title: `e${i}`, timestamp: t / 1000 })),
    );
    assert.equal(r.stored.length, 4);
    assert.deepEqual(r.rejected, []);
    const ids = r.stored.map((e) => e.id);
    assert.ok(ids.every((id, i) => Number.isSafeInteger(id) && (i === 0 || id > ids[i - 1]!)));
    assert.equal(r.stored[0]!.priority, 'normal');
    assert.equal(r.stored[0]!.alertType, 'info');

    const newest = await store.query('default', everything());
    // By time, newest first; equal times: the later stored first.
    assert.deepEqual(
      newest.events.map((e) => e.title),
      ['e3', 'e1', 'e2', 'e0'],
    );
    assert.equal(newest.next, undefined);
    const oldest = await store.query('default', everything({ order: 'oldest' }));
    assert.deepEqual(
      oldest.events.map((e) => e.title),
      ['e0', 'e2', 'e1', 'e3'],
    );
    const p1 = await store.query('default', everything({ limit: 3 }));
    assert.deepEqual(
      p1.events.map((e) => e.title),
      ['e3', 'e1', 'e2'],
    );
    assert.ok(p1.next);
    const p2 = await store.query('default', everything({ limit: 3, after: p1.next }));
    assert.deepEqual(
      p2.events.map((e) => e.title),
      ['e0'],
    );
    assert.equal(p2.next, undefined);
    const range = await store.query('default', everything({ fromMs: T0 - 3000, toMs: T0 - 2000 }));
    assert.deepEqual(
      range.events.map((e) => e.title),
      ['e2'],
    );

    assert.deepEqual(await store.get('default', ids[2]!), r.stored[2]);
    assert.equal(await store.get('default', ids[3]! + 1), undefined);
    assert.equal(await metric(registry, 'promdog_events_stored_total', { tenant: 'default' }), 4);
    assert.equal(await metric(registry, 'promdog_events_store_events', { tenant: 'default' }), 4);
    assert.ok((await metric(registry, 'promdog_events_store_bytes', { tenant: 'default' })) > 0);
  });

  test('conditions: source, host, tags (prefixes, negation), priority, alert type, text', async () => {
    const { store } = await open();
    await store.append('default', [
      ddEvent({ title: 'Deploy web', host: 'web-1', tags: ['env:prod', 'team:a'], sourceTypeName: 'jenkins' }),
      ddEvent({ title: 'Disk full', text: 'on /var', host: 'db-1', tags: ['env:dev'], alertType: 'error' }),
      ddEvent({ title: 'Backup', host: 'db-1', priority: 'low', sourceTypeName: 'Chef' }),
    ]);
    const titles = async (conditions: EventQuery['conditions']) =>
      (await store.query('default', everything({ conditions, order: 'oldest' }))).events.map((e) => e.title);
    assert.deepEqual(await titles([{ field: 'source', values: ['chef', 'jenkins'], negate: false }]), [
      'Deploy web',
      'Backup',
    ]);
    assert.deepEqual(await titles([{ field: 'host', values: ['db-*'], negate: false }]), ['Disk full', 'Backup']);
    assert.deepEqual(await titles([{ field: 'tag', values: ['env:*'], negate: false }]), ['Deploy web', 'Disk full']);
    assert.deepEqual(await titles([{ field: 'tag', values: ['env:prod'], negate: true }]), ['Disk full', 'Backup']);
    assert.deepEqual(await titles([{ field: 'priority', values: ['low'], negate: false }]), ['Backup']);
    assert.deepEqual(await titles([{ field: 'alert_type', values: ['error'], negate: false }]), ['Disk full']);
    assert.deepEqual(await titles([{ field: 'text', values: ['VAR'], negate: false }]), ['Disk full']);
    assert.deepEqual(
      await titles([
        { field: 'host', values: ['db-1'], negate: false },
        { field: 'text', values: ['backup'], negate: true },
      ]),
      ['Disk full'],
    );
  });

  test("Datadog's limits: long fields are cut and counted, events outside 18 h back / 2 h ahead refused", async () => {
    const { store, registry } = await open();
    const r = await store.append('default', [
      ddEvent({
        title: 'x'.repeat(150),
        text: '😀'.repeat(4001),
        tags: Array.from({ length: 120 }, (_, i) => `t:${i}`),
      }),
      ddEvent({ title: 'v2'.repeat(200), v2: { category: 'alert', attributes: { status: 'ok' } } }),
      ddEvent({ title: 'old', timestamp: (T0 - 19 * HOUR) / 1000 }),
      ddEvent({ title: 'future', timestamp: (T0 + 3 * HOUR) / 1000 }),
      ddEvent({ title: 'recent', timestamp: (T0 - 17 * HOUR) / 1000 }),
    ]);
    assert.deepEqual(
      r.stored.map((e) => [e.title.length, [...e.text].length, e.tags.length]),
      [
        [100, 4000, 100],
        [400, 0, 0],
        [6, 0, 0],
      ],
    );
    assert.deepEqual(
      r.rejected.map((x) => [x.index, x.reason]),
      [
        [2, 'too_old'],
        [3, 'too_far_in_future'],
      ],
    );
    assert.match(r.rejected[0]!.detail, /more than 18 h in the past/);
    assert.equal(await metric(registry, 'promdog_events_rejected_total', { reason: 'too_old' }), 1);
    assert.equal(await metric(registry, 'promdog_events_rejected_total', { reason: 'too_far_in_future' }), 1);
    for (const field of ['title', 'text', 'tags'])
      assert.equal(await metric(registry, 'promdog_events_truncated_total', { field }), 1, field);
  });

  test('tenants are apart: one tenant never reads, gets or counts another’s events', async () => {
    const { store } = await open();
    const [a] = (await store.append('team-a', [ddEvent({ title: 'a' })])).stored;
    await store.append('team-b', [ddEvent({ title: 'b' })]);
    assert.deepEqual(
      (await store.query('team-b', everything())).events.map((e) => e.title),
      ['b'],
    );
    assert.equal(await store.get('team-b', a!.id), undefined);
    assert.deepEqual((await store.query('nobody', everything())).events, []);
  });

  test('a reopened store has every acknowledged event; a torn tail is cut; ids keep increasing', async () => {
    const first = await open();
    const stored = (await first.store.append('default', [ddEvent({ title: 'one' }), ddEvent({ title: 'two' })])).stored;
    await first.store.close();
    // A write the crash tore: half a record at the end of the segment.
    const dir = join(first.dataDir, 'events', 'default');
    const [segment] = readdirSync(dir);
    const size = statSync(join(dir, segment!)).size;
    appendFileSync(join(dir, segment!), Buffer.from([200, 0, 0, 0, 1, 2, 3, 4, 1, 0]));

    const second = await open({}, first);
    assert.equal(statSync(join(dir, segment!)).size, size);
    assert.deepEqual((await second.store.query('default', everything({ order: 'oldest' }))).events, stored);
    const [three] = (await second.store.append('default', [ddEvent({ title: 'three' })])).stored;
    assert.ok(three!.id > stored[1]!.id);
    assert.equal(readdirSync(dir).length, 2, 'appends after a restart start a new segment');
  });

  test('retention: segments whose events are all past it are deleted and counted; reads hide older events', async () => {
    const h = await open({ retentionMs: 10 * HOUR, segmentSpanMs: HOUR });
    const dir = join(h.dataDir, 'events', 'default');
    for (let i = 0; i < 5; i++) {
      await h.store.append('default', [ddEvent({ title: `hour ${i}` })]);
      h.clock.now += HOUR;
    }
    assert.equal(readdirSync(dir).length, 5);
    // Now T0 + 5 h; at T0 + 11.5 h the events of hours 0 and 1 are past the 10 h retention.
    h.clock.now = T0 + 11.5 * HOUR;
    assert.deepEqual(
      (await h.store.query('default', everything({ order: 'oldest' }))).events.map((e) => e.title),
      ['hour 2', 'hour 3', 'hour 4'],
    );
    await h.store.applyRetention();
    assert.equal(readdirSync(dir).length, 3);
    assert.equal(await metric(h.registry, 'promdog_events_dropped_total', { reason: 'retention' }), 2);
    assert.equal(await metric(h.registry, 'promdog_events_store_events', { tenant: 'default' }), 3);
  });

  test('size bound: past it the oldest segments go, counted; the newest events stay', async () => {
    const maxBytes = 256 * 1024;
    const h = await open({ maxBytesPerTenant: maxBytes });
    const text = 'x'.repeat(1000);
    let n = 0;
    for (let batch = 0; batch < 40; batch++) {
      await h.store.append(
        'default',
        Array.from({ length: 10 }, () => ddEvent({ title: `e${n++}`, text })),
      );
    }
    const bytes = await metric(h.registry, 'promdog_events_store_bytes', { tenant: 'default' });
    assert.ok(bytes <= maxBytes, `${bytes} bytes over ${maxBytes}`);
    const dropped = await metric(h.registry, 'promdog_events_dropped_total', { reason: 'size' });
    const kept = (await h.store.query('default', everything({ order: 'oldest' }))).events;
    assert.ok(dropped > 0);
    assert.equal(kept.length + dropped, n);
    // What is kept is the newest, without a gap.
    assert.deepEqual(
      kept.map((e) => e.title),
      Array.from({ length: kept.length }, (_, i) => `e${n - kept.length + i}`),
    );
  });

  test('a page reads segments newest first and stops when older ones cannot change it', async () => {
    const h = await open({ segmentSpanMs: HOUR });
    for (let i = 0; i < 6; i++) {
      await h.store.append('default', [ddEvent({ title: `hour ${i}`, timestamp: h.clock.now / 1000 })]);
      h.clock.now += HOUR;
    }
    // The three oldest segments are made unreadable (a directory where the file was: reading it fails): a page of
    // the newest two never reads them.
    const dir = join(h.dataDir, 'events', 'default');
    for (const f of readdirSync(dir).sort().slice(0, 3)) {
      rmSync(join(dir, f));
      mkdirSync(join(dir, f));
    }
    const page = await h.store.query('default', everything({ limit: 2 }));
    assert.deepEqual(
      page.events.map((e) => e.title),
      ['hour 5', 'hour 4'],
    );
    assert.ok(page.next);
    await assert.rejects(h.store.query('default', everything({ limit: 4 })), /EISDIR/);
  });

  test('the next page starts at its cursor: segments all before it are not read again', async () => {
    const h = await open({ segmentSpanMs: HOUR });
    for (let i = 0; i < 6; i++) {
      await h.store.append('default', [ddEvent({ title: `hour ${i}`, timestamp: h.clock.now / 1000 })]);
      h.clock.now += HOUR;
    }
    const first = await h.store.query('default', everything({ limit: 2 }));
    assert.deepEqual(
      first.events.map((e) => e.title),
      ['hour 5', 'hour 4'],
    );
    const dir = join(h.dataDir, 'events', 'default');
    const newest = readdirSync(dir).sort().at(-1)!;
    rmSync(join(dir, newest));
    mkdirSync(join(dir, newest));
    const second = await h.store.query('default', everything({ limit: 2, after: first.next }));
    assert.deepEqual(
      second.events.map((e) => e.title),
      ['hour 3', 'hour 2'],
    );
  });
});
