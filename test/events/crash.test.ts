import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, request } from 'undici';
import { spawnPromdog, type PromdogProcess } from '../support/process.js';
import { seededRandom } from '../support/random.js';

// Durability of events: a real promdog process is killed with SIGKILL while clients post events, several times in a
// row. Every event answered 202 must be there after the restart, with the id and the content it was answered with.

const ROUNDS = 4;
const POSTERS = 3;

interface Acked {
  id: number;
  title: string;
  text: string;
}

async function postUntilKilled(p: PromdogProcess, key: string, poster: number, round: number, acked: Acked[]) {
  const dispatcher = new Agent({ connections: 1 });
  try {
    for (let i = 0; ; i++) {
      const title = `round ${round} poster ${poster} event ${i}`;
      const text = `payload ${'x'.repeat(i % 50)}`;
      try {
        const res = await request(`${p.url}/api/v1/events`, {
          method: 'POST',
          body: JSON.stringify({ title, text, tags: [`poster:${poster}`] }),
          headers: { 'dd-api-key': key },
          dispatcher,
        });
        const body = (await res.body.json()) as { event?: { id: number } };
        if (res.statusCode === 202) acked.push({ id: body.event!.id, title, text });
      } catch {
        return; // the process is gone
      }
    }
  } finally {
    await dispatcher.destroy();
  }
}

test(`kill -9 while events are posted, ${ROUNDS} times: every acknowledged event survives`, async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'promdog-events-crash-'));
  const random = seededRandom(20260115);
  const acked: Acked[] = [];
  let key = '';
  try {
    for (let round = 0; round < ROUNDS; round++) {
      const p = await spawnPromdog(['--data-dir', dataDir, '--self-scrape-interval', '0']);
      key ||= readFileSync(join(dataDir, 'tenant-api-token-default'), 'utf8').trim();
      const posting = Array.from({ length: POSTERS }, (_, poster) => postUntilKilled(p, key, poster, round, acked));
      await new Promise((r) => setTimeout(r, 200 + random() * 600));
      p.child.kill('SIGKILL');
      await p.exited;
      await Promise.all(posting);
    }
    const p = await spawnPromdog(['--data-dir', dataDir, '--self-scrape-interval', '0']);
    try {
      assert.ok(acked.length > 0, 'some events were acknowledged');
      const missing: string[] = [];
      for (const a of acked) {
        const res = await fetch(`${p.url}/api/v1/events/${a.id}`, { headers: { 'dd-api-key': key } });
        const body = (await res.json()) as { event?: { title: string; text: string } };
        if (res.status !== 200 || body.event?.title !== a.title || body.event.text !== a.text)
          missing.push(`${a.id} ${a.title}: ${res.status} ${JSON.stringify(body).slice(0, 200)}`);
      }
      assert.deepEqual(missing, [], `${missing.length} of ${acked.length} acknowledged events lost`);
      const ids = new Set(acked.map((a) => a.id));
      assert.equal(ids.size, acked.length, 'ids are unique over restarts');
    } finally {
      p.child.kill('SIGTERM');
      await p.exited;
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});
