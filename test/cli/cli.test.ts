import { describe, test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { createServer, request as httpRequest, type Server } from 'node:http';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PrometheusProcess } from '../support/prometheus.js';
import { post } from '../support/promdog.js';
import { CLI, spawnPromdog } from '../support/process.js';
import { makeTestCertificates } from '../support/tls.js';
import { Agent as UndiciAgent, request as undiciRequest } from 'undici';

// `promdog` as users run it: a real process, its log lines, its token files, its tenant commands and its shutdown.

let prom: PrometheusProcess | undefined;
after(async () => prom?.cleanup());

const tmp = () => mkdtempSync(join(tmpdir(), 'promdog-cli-'));
const cli = (args: string[]) => spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8' });

describe('promdog --version', () => {
  test('prints the version package.json declares', () => {
    const { version } = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string };
    const r = cli(['--version']);
    assert.equal(r.status, 0);
    assert.equal(r.stdout, `promdog ${version}\n`);
  });

  test("the running server reports it in buildinfo's revision", async () => {
    const p = await spawnPromdog(['--data-dir', tmp(), '--no-auth']);
    try {
      const res = await fetch(`${p.url}/api/v1/status/buildinfo`);
      const body = (await res.json()) as { data: { revision: string } };
      const { version } = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string };
      assert.equal(body.data.revision, `promdog-${version}`);
    } finally {
      p.child.kill('SIGTERM');
      await p.exited;
    }
  });
});

describe('promdog serve', () => {
  test('first start writes 0600 token files and logs where; a restart reuses them', async () => {
    prom ??= await PrometheusProcess.start();
    const dataDir = tmp();
    const p = await spawnPromdog(['--data-dir', dataDir, '--remote-write-url', prom.remoteWriteUrl]);
    const created = p.logs.filter((l) => /created tenant API token file/.test(String(l.msg))).map((l) => l.file);
    assert.deepEqual(created, [join(dataDir, 'tenant-api-token-default'), join(dataDir, 'tenant-api-token-system')]);
    const key = readFileSync(join(dataDir, 'tenant-api-token-default'), 'utf8').trim();
    for (const f of created) assert.equal(statSync(String(f)).mode & 0o777, 0o600);
    assert.ok(!JSON.stringify(p.logs).includes(key), 'the key is never logged');
    p.child.kill('SIGTERM');
    assert.equal(await p.exited, 0);

    const again = await spawnPromdog(['--data-dir', dataDir, '--remote-write-url', prom.remoteWriteUrl]);
    assert.equal(again.logs.filter((l) => /created tenant/.test(String(l.msg))).length, 0);
    const r = await post(again.url, '/api/v1/validate', '', { key });
    assert.equal(r.status, 200);
    again.child.kill('SIGTERM');
    assert.equal(await again.exited, 0);
  });

  test('SIGTERM lets an in-flight request finish before exiting', async () => {
    prom ??= await PrometheusProcess.start();
    // A slow remote-write target: a proxy that holds each write for 1.5 s before passing it to Prometheus.
    const target = new URL(prom.remoteWriteUrl);
    const slow: Server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () =>
        setTimeout(() => {
          const fwd = httpRequest(
            { host: target.hostname, port: target.port, path: target.pathname, method: 'POST', headers: req.headers },
            (up) => {
              res.writeHead(up.statusCode ?? 502, up.headers);
              up.pipe(res);
            },
          );
          fwd.end(Buffer.concat(chunks));
        }, 1500),
      );
    });
    await new Promise<void>((r) => slow.listen(0, '127.0.0.1', r));
    const port = (slow.address() as { port: number }).port;
    const dataDir = tmp();
    const p = await spawnPromdog([
      '--data-dir',
      dataDir,
      '--remote-write-url',
      `http://127.0.0.1:${port}/api/v1/write`,
    ]);
    const key = readFileSync(join(dataDir, 'tenant-api-token-default'), 'utf8').trim();
    const inflight = post(
      p.url,
      '/api/v1/series',
      JSON.stringify({ series: [{ metric: 'drain.metric', points: [[Math.floor(Date.now() / 1000), 7]], host: 'h' }] }),
      { key },
    );
    await new Promise((r) => setTimeout(r, 300));
    p.child.kill('SIGTERM');
    const r = await inflight;
    assert.equal(r.status, 202, 'the in-flight request was answered after SIGTERM');
    // Else its keep-alive connection keeps the server open until a 72 s idle timeout.
    assert.equal(r.headers.get('connection'), 'close', 'an answer sent while shutting down closes its connection');
    assert.equal(await p.exited, 0);
    assert.ok(p.logs.some((l) => /draining/.test(String(l.msg))));
    assert.equal((await prom.query('drain_metric'))[0]?.value[1], '7');
    slow.close();
  });

  test('a bad flag or config exits 2 with a message that names it', () => {
    const r = cli(['serve', '--listen', 'nonsense']);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /--listen: expected HOST:PORT/);
    const u = cli(['serve', '--frobnicate']);
    assert.equal(u.status, 2);
    assert.match(u.stderr, /frobnicate/);
    // Tenants that would mix in one backend: refused before anything starts, naming the key and the fix.
    const dir = tmp();
    const config = join(dir, 'promdog.yaml');
    writeFileSync(config, 'remote_write: [{ url: "http://127.0.0.1:9/api/v1/write", tenant_header: "" }]\n');
    const mixed = cli(['serve', '--config', config, '--data-dir', dir]);
    assert.equal(mixed.status, 2);
    assert.match(
      mixed.stderr,
      /remote_write\[0\] .* sends no tenant header .* set allow_mixed_tenants: true on remote_write\[0\]/,
    );
  });
});

describe('promdog tenant', () => {
  test('add, list, rotate; a running server picks the new keys up', async () => {
    prom ??= await PrometheusProcess.start();
    const dataDir = tmp();
    const p = await spawnPromdog(['--data-dir', dataDir, '--remote-write-url', prom.remoteWriteUrl]);
    const add = cli(['tenant', 'add', 'team-a', '--data-dir', dataDir]);
    assert.equal(add.status, 0, add.stderr);
    assert.match(add.stdout, /created tenant team-a: API key in .*tenant-api-token-team-a/);
    const keyA = readFileSync(join(dataDir, 'tenant-api-token-team-a'), 'utf8').trim();
    assert.ok(!add.stdout.includes(keyA), 'the key is not printed');
    assert.equal(cli(['tenant', 'add', 'team-a', '--data-dir', dataDir]).status, 2, 'adding twice fails');
    const list = execFileSync(process.execPath, [CLI, 'tenant', 'list', '--data-dir', dataDir], { encoding: 'utf8' });
    assert.deepEqual(
      list
        .trim()
        .split('\n')
        .map((l) => l.split('\t')[0]),
      ['default', 'system', 'team-a'],
    );
    // An unknown key makes the server re-read the token files (at most every 2 s).
    let status = 0;
    for (let i = 0; i < 30 && status !== 200; i++) {
      status = (await post(p.url, '/api/v1/validate', '', { key: keyA })).status;
      if (status !== 200) await new Promise((r) => setTimeout(r, 250));
    }
    assert.equal(status, 200, 'new tenant key accepted by the running server');

    const rot = cli(['tenant', 'rotate', 'team-a', '--data-dir', dataDir]);
    assert.equal(rot.status, 0, rot.stderr);
    const keyA2 = readFileSync(join(dataDir, 'tenant-api-token-team-a'), 'utf8').trim();
    assert.notEqual(keyA2, keyA);
    status = 0;
    for (let i = 0; i < 30 && status !== 200; i++) {
      status = (await post(p.url, '/api/v1/validate', '', { key: keyA2 })).status;
      if (status !== 200) await new Promise((r) => setTimeout(r, 250));
    }
    assert.equal(status, 200, 'rotated key accepted');
    assert.equal(
      (await post(p.url, '/api/v1/validate', '', { key: keyA })).status,
      403,
      'old key refused after rotation',
    );
    assert.equal(cli(['tenant', 'rotate', 'nobody', '--data-dir', dataDir]).status, 2);
    assert.equal(cli(['tenant', 'add', '../x', '--data-dir', dataDir]).status, 2);
    p.child.kill('SIGTERM');
    assert.equal(await p.exited, 0);
  });
});

describe('HTTPS', () => {
  test('--tls-cert/--tls-key serve the intake over TLS; plain HTTP is answered 400 and logged', async () => {
    prom ??= await PrometheusProcess.start();
    const dir = tmp();
    const { caFile, certFile, keyFile } = makeTestCertificates(dir);
    const p = await spawnPromdog([
      '--data-dir',
      dir,
      '--remote-write-url',
      prom.remoteWriteUrl,
      '--tls-cert',
      certFile,
      '--tls-key',
      keyFile,
    ]);
    assert.match(p.url, /^https:\/\//);
    const key = readFileSync(join(dir, 'tenant-api-token-default'), 'utf8').trim();
    const dispatcher = new UndiciAgent({ connect: { ca: readFileSync(caFile) } });
    const body = JSON.stringify({
      series: [{ metric: 'tls.metric', points: [[Math.floor(Date.now() / 1000), 3]], host: 'h' }],
    });
    const res = await undiciRequest(`${p.url}/api/v1/series`, {
      method: 'POST',
      body,
      headers: { 'dd-api-key': key },
      dispatcher,
    });
    assert.equal(res.statusCode, 202);
    await res.body.dump();
    assert.equal((await prom.query('tls_metric'))[0]?.value[1], '3');
    const plain = await fetch(`${p.url.replace('https:', 'http:')}/-/healthy`);
    assert.equal(plain.status, 400);
    assert.match(((await plain.json()) as { errors: string[] }).errors[0]!, /this port speaks HTTPS/);
    await p.waitForLog(/^plain HTTP request on the HTTPS port/);
    await dispatcher.close();
    p.child.kill('SIGTERM');
    assert.equal(await p.exited, 0);
  });
});
