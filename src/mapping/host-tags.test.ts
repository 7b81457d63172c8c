import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DDHostMetadata } from '../model/datadog.js';
import { HOST_TAGS_FILE, HostTagCache } from './host-tags.js';
import type { WarnLogger } from './host-tags.js';

function md(host: string, hostTags: string[], extra: Partial<DDHostMetadata> = {}): DDHostMetadata {
  return { host, hostTags, agentVersion: '7.50.3', os: 'linux', ...extra };
}

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'promdog-host-tags-'));
}

/** Collects warnings instead of printing them. */
function recordingLogger(): WarnLogger & { messages: string[] } {
  const messages: string[] = [];
  return { messages, warn: (_obj, msg) => messages.push(msg) };
}

// A long flush delay: nothing reaches the disk unless a test flushes, so no test depends on timing.
const NO_TIMER = { flushDelayMs: 3_600_000 };

describe('HostTagCache', () => {
  test('stores tags per tenant and host, unique and sorted; size and hosts()', () => {
    const c = new HostTagCache(null);
    c.update('a', md('h1', ['role:web', 'env:prod', 'role:web']), 1000);
    c.update('a', md('h2', []), 1000);
    c.update('b', md('h1', ['env:dev']), 1000);
    assert.deepEqual(c.tags('a', 'h1'), ['env:prod', 'role:web']);
    assert.deepEqual(c.tags('b', 'h1'), ['env:dev']);
    assert.deepEqual(c.tags('a', 'unknown'), []);
    assert.equal(c.size, 3);
    assert.deepEqual(
      c.hosts('a').map((h) => [h.host, h.tags, h.agentVersion, h.os, h.updatedMs]),
      [
        ['h1', ['env:prod', 'role:web'], '7.50.3', 'linux', 1000],
        ['h2', [], '7.50.3', 'linux', 1000],
      ],
    );
    assert.deepEqual(c.hosts('nobody'), []);
  });

  test('new tags replace old ones; empty agent version and OS keep the previous values; no host name is ignored', () => {
    const c = new HostTagCache(null);
    c.update('t', md('h', ['a:1', 'b:2']), 1);
    c.update('t', md('h', ['c:3'], { agentVersion: '', os: '' }), 2);
    c.update('t', md('', ['x:y']), 3);
    const [info] = c.hosts('t');
    assert.deepEqual(info, { host: 'h', tags: ['c:3'], agentVersion: '7.50.3', os: 'linux', updatedMs: 2 });
    assert.equal(c.size, 1);
  });

  test('listeners hear about tag changes only', () => {
    const c = new HostTagCache(null);
    const heard: string[] = [];
    const off = c.onChange((tenant, host) => heard.push(`${tenant}/${host}`));
    c.update('t', md('h', ['a:1']), 1);
    c.update('t', md('h', ['a:1'], { os: 'windows' }), 2); // same tags
    c.update('t', md('h', ['a:2']), 3);
    off();
    c.update('t', md('h', ['a:3']), 4);
    assert.deepEqual(heard, ['t/h', 't/h']);
  });

  test('learn() takes metadata read back from the backend only when newer than what the cache has', () => {
    const c = new HostTagCache(null);
    const heard: string[] = [];
    c.onChange((tenant, host) => heard.push(`${tenant}/${host}`));
    const readBack = (tags: string[], updatedMs: number) => ({ host: 'h', tags, agentVersion: '', os: '', updatedMs });
    assert.equal(c.learn('t', readBack(['a:1'], 100), 500), true);
    assert.deepEqual(c.info('t', 'h'), { host: 'h', tags: ['a:1'], agentVersion: '', os: '', updatedMs: 100 });
    c.update('t', md('h', ['a:2']), 200);
    assert.equal(c.learn('t', readBack(['a:old'], 150), 500), false);
    assert.equal(c.learn('t', readBack(['a:2'], 200), 500), false);
    assert.equal(c.learn('t', readBack(['a:3'], 300), 500), true);
    assert.deepEqual(c.info('t', 'h'), {
      host: 'h',
      tags: ['a:3'],
      agentVersion: '7.50.3',
      os: 'linux',
      updatedMs: 300,
    });
    assert.deepEqual(heard, ['t/h', 't/h', 't/h']);
    assert.deepEqual(c.tenantNames(), ['t']);
    assert.equal(c.info('t', 'other'), undefined);
  });

  test('hosts silent for longer than maxAgeMs are forgotten', () => {
    const day = 24 * 3600 * 1000;
    const c = new HostTagCache(null, { maxAgeMs: day });
    c.update('t', md('old', ['a:1']), 0);
    c.update('t', md('fresh', ['b:1']), 2 * day);
    assert.deepEqual(
      c.hosts('t').map((h) => h.host),
      ['fresh'],
    );
    assert.equal(c.size, 1);
  });

  test('survives a reopen from the data dir', async () => {
    const dir = tempDir();
    const c = new HostTagCache(dir, NO_TIMER);
    c.update('default', md('web-1', ['env:prod', 'team:infra']), Date.now());
    c.update('system', md('db-1', ['role:db']), Date.now());
    assert.equal(existsSync(join(dir, HOST_TAGS_FILE)), false, 'writes are debounced, not made per update');
    await c.close();
    assert.deepEqual(readdirSync(dir), [HOST_TAGS_FILE], 'no temporary file is left behind');
    const reopened = new HostTagCache(dir, NO_TIMER);
    assert.deepEqual(reopened.tags('default', 'web-1'), ['env:prod', 'team:infra']);
    assert.deepEqual(reopened.tags('system', 'db-1'), ['role:db']);
    assert.equal(reopened.size, 2);
    assert.equal(reopened.hosts('default')[0]!.agentVersion, '7.50.3');
  });

  test('a refresh that only moves the time is saved at most hourly; a change is saved at once', async () => {
    const dir = tempDir();
    const file = join(dir, HOST_TAGS_FILE);
    const c = new HostTagCache(dir, NO_TIMER);
    const t0 = Date.now();
    c.update('t', md('h', ['a:1']), t0);
    await c.flush();
    rmSync(file);
    c.update('t', md('h', ['a:1']), t0 + 30 * 60_000);
    await c.flush();
    assert.equal(existsSync(file), false, 'same metadata 30 minutes later: nothing to write');
    c.update('t', md('h', ['a:1']), t0 + 90 * 60_000);
    await c.flush();
    assert.equal(new HostTagCache(dir).hosts('t')[0]!.updatedMs, t0 + 90 * 60_000);
    rmSync(file);
    c.update('t', md('h', ['a:1'], { os: 'windows' }), t0 + 91 * 60_000);
    await c.flush();
    assert.equal(new HostTagCache(dir).hosts('t')[0]!.os, 'windows');
  });

  test('the debounce timer writes changes by itself', async () => {
    const dir = tempDir();
    const c = new HostTagCache(dir, { flushDelayMs: 1 });
    c.update('t', md('h', ['a:1']), Date.now());
    // Wait until the file shows up (bounded) rather than for a fixed time; no flush() call here.
    for (let i = 0; i < 2000 && !existsSync(join(dir, HOST_TAGS_FILE)); i++) await new Promise((r) => setTimeout(r, 5));
    assert.ok(existsSync(join(dir, HOST_TAGS_FILE)), 'the timer wrote the file');
    assert.deepEqual(new HostTagCache(dir).tags('t', 'h'), ['a:1']);
  });

  test('a corrupt file is logged and ignored, then replaced on the next write', async () => {
    for (const garbage of [
      '{not json',
      '{"version":1,"tenants":{"t":[{"host":5}]}}',
      '{"version":99,"tenants":{}}',
      '[]',
    ]) {
      const dir = tempDir();
      writeFileSync(join(dir, HOST_TAGS_FILE), garbage);
      const log = recordingLogger();
      const c = new HostTagCache(dir, { ...NO_TIMER, logger: log });
      assert.equal(c.size, 0, garbage);
      assert.equal(log.messages.length, 1, garbage);
      assert.match(log.messages[0]!, /corrupt/);
      c.update('t', md('h', ['a:1']), Date.now());
      await c.flush();
      assert.equal(JSON.parse(readFileSync(join(dir, HOST_TAGS_FILE), 'utf8')).version, 1);
      assert.deepEqual(new HostTagCache(dir).tags('t', 'h'), ['a:1']);
    }
  });

  test('a missing data dir file starts empty without a warning; a memory-only cache writes nothing', async () => {
    const dir = tempDir();
    const log = recordingLogger();
    const c = new HostTagCache(dir, { ...NO_TIMER, logger: log });
    assert.equal(c.size, 0);
    assert.deepEqual(log.messages, []);
    const mem = new HostTagCache(null);
    mem.update('t', md('h', ['a:1']), 1);
    await mem.flush();
    assert.deepEqual(readdirSync(dir), []);
  });

  test('a failed write rejects flush and keeps the change pending', async () => {
    const dir = tempDir();
    const blocked = join(dir, 'not-a-dir');
    writeFileSync(blocked, 'a file where the data dir should be');
    const c = new HostTagCache(blocked, { ...NO_TIMER, logger: recordingLogger() });
    c.update('t', md('h', ['a:1']), Date.now());
    await assert.rejects(c.flush());
    await assert.rejects(c.flush(), 'still dirty, so it tries again');
  });
});
