import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deflateSync, gzipSync } from 'node:zlib';
import { loadServeConfig } from '../../src/config/config.js';
import { startServer, createLogger, type PromdogServer } from '../../src/server/app.js';
import { tokenFilePath } from '../../src/tenants/tenants.js';
import { zstd } from './zstd.js';

// A real promdog server in the test process, on a kernel-chosen loopback port, with its own data dir.

export interface TestPromdog {
  server: PromdogServer;
  url: string;
  dataDir: string;
  /** API keys of the tenants created at first start. */
  keys: { default: string; system: string };
  close(): Promise<void>;
}

/** `config`: the text of a YAML configuration file, written beside the data dir and given with --config. */
export async function startPromdog(
  args: string[] = [],
  opts: { dataDir?: string; keepDataDir?: boolean; config?: string } = {},
): Promise<TestPromdog> {
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'promdog-test-'));
  const configDir = opts.config === undefined ? undefined : mkdtempSync(join(tmpdir(), 'promdog-test-config-'));
  const configArgs: string[] = [];
  if (configDir !== undefined) {
    writeFileSync(join(configDir, 'promdog.yaml'), opts.config!);
    configArgs.push('--config', join(configDir, 'promdog.yaml'));
  }
  const cfg = loadServeConfig(['--listen', '127.0.0.1:0', '--data-dir', dataDir, ...configArgs, ...args], {});
  const server = await startServer(cfg, createLogger(process.env.PROMDOG_TEST_LOG ?? 'silent'));
  const key = (t: string) => {
    try {
      return readFileSync(tokenFilePath(dataDir, t), 'utf8').trim();
    } catch {
      return '';
    }
  };
  return {
    server,
    url: server.url,
    dataDir,
    keys: { default: key('default'), system: key('system') },
    async close() {
      await server.close();
      if (!opts.keepDataDir && !opts.dataDir) rmSync(dataDir, { recursive: true, force: true });
      if (configDir !== undefined) rmSync(configDir, { recursive: true, force: true });
    },
  };
}

export type WireEncoding = 'identity' | 'deflate' | 'gzip' | 'zstd' | 'zstd1' | 'none';

export async function encodeBody(body: Buffer | string, encoding: WireEncoding): Promise<Buffer> {
  const raw = typeof body === 'string' ? Buffer.from(body) : body;
  switch (encoding) {
    case 'identity':
    case 'none':
      return raw;
    case 'deflate':
      return deflateSync(raw);
    case 'gzip':
      return gzipSync(raw);
    case 'zstd':
    case 'zstd1':
      return zstd(raw);
  }
}

export interface PostResult {
  status: number;
  json: any;
  headers: Headers;
}

/** POSTs a body in the given Content-Encoding with a DD-API-KEY header (unless key is null). */
export async function post(
  baseUrl: string,
  path: string,
  body: Buffer | string,
  opts: { encoding?: WireEncoding; key?: string | null; contentType?: string; rawEncodingHeader?: string } = {},
): Promise<PostResult> {
  const encoding = opts.encoding ?? 'identity';
  const headers: Record<string, string> = { 'content-type': opts.contentType ?? 'application/json' };
  if (opts.key) headers['dd-api-key'] = opts.key;
  if (opts.rawEncodingHeader !== undefined) headers['content-encoding'] = opts.rawEncodingHeader;
  else if (encoding !== 'none') headers['content-encoding'] = encoding;
  const res = await fetch(baseUrl + path, { method: 'POST', headers, body: await encodeBody(body, encoding) });
  const text = await res.text();
  let json: any;
  try {
    json = JSON.parse(text);
  } catch {
    json = text;
  }
  return { status: res.status, json, headers: res.headers };
}

/** Reads one sample value of a self-metric from /metrics (sum over series whose labels include `labels`). */
export async function selfMetric(baseUrl: string, name: string, labels: Record<string, string> = {}): Promise<number> {
  const text = await (await fetch(`${baseUrl}/metrics`)).text();
  let sum = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const lbls = m[2] ?? '';
    if (Object.entries(labels).every(([k, v]) => lbls.includes(`${k}="${v}"`))) sum += Number(m[3]);
  }
  return sum;
}
