import { createInflate, deflateSync } from 'node:zlib';
import { pathToFileURL } from 'node:url';
import { STEP_S, seriesPrefix, seriesValue } from '../../test/support/agent-series.js';
import { inflateChunkBytes } from './body.js';

// Inflating an Agent-sized deflated v1 body (10,000 series) through a zlib stream with zlib's default 16 KiB output
// chunks and with the chunk size readBody picks (inflateChunkBytes). CPU time includes zlib's thread-pool work.
// Run: node dist/src/intake/body.bench.js

function inflate(body: Buffer, chunkSize: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const s = createInflate({ chunkSize });
    const out: Buffer[] = [];
    s.on('data', (c: Buffer) => out.push(c));
    s.on('end', () => resolve(Buffer.concat(out)));
    s.on('error', reject);
    s.end(body);
  });
}

async function cpuMsPerBody(body: Buffer, chunkSize: number, n: number): Promise<{ cpu: number; wall: number }> {
  for (let i = 0; i < 10; i++) await inflate(body, chunkSize);
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  for (let i = 0; i < n; i++) await inflate(body, chunkSize);
  const cpu = process.cpuUsage(cpu0);
  return { cpu: (cpu.user + cpu.system) / 1000 / n, wall: (performance.now() - t0) / n };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const parts: string[] = [];
  for (let i = 0; i < 10_000; i++)
    parts.push(`${seriesPrefix(i, 'a')}[${1_700_000_000 + STEP_S},${seriesValue('agent', i, 1)}]]}`);
  const json = Buffer.from(`{"series":[${parts.join(',')}]}`);
  const body = deflateSync(json);
  console.log(`body: ${json.length} bytes of JSON, ${body.length} deflated`);
  for (const [what, size] of [
    ['zlib default (16 KiB chunks)', 16 << 10],
    [`readBody (${inflateChunkBytes(body.length) >> 10} KiB chunks)`, inflateChunkBytes(body.length)],
  ] as const) {
    const r = await cpuMsPerBody(body, size, 100);
    console.log(`${what}: ${r.cpu.toFixed(2)} ms CPU, ${r.wall.toFixed(2)} ms wall per body`);
  }
}
