import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import https from 'node:https';
import { connect, type ConnectionOptions } from 'node:tls';
import { makeTestCertificates } from '../support/tls.js';
import { startPromdog, type TestPromdog } from '../support/promdog.js';

// The HTTPS listener's defaults are TLS 1.2 with forward-secret AEAD suites and TLS 1.3; --tls-min-version and
// --tls-ciphers change them. Real TLS clients: Node's, and openssl s_client. The test certificate is ECDSA.

const certs = makeTestCertificates(mkdtempSync(join(tmpdir(), 'promdog-tls-')));
const ca = readFileSync(certs.caFile);
const tlsArgs = ['--tls-cert', certs.certFile, '--tls-key', certs.keyFile];

/** A TLS handshake with the server: its protocol and cipher, or the client's error code. */
function handshake(url: string, opts: ConnectionOptions): Promise<string> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const s = connect({ host: hostname, port: Number(port), ca, servername: 'localhost', ...opts }, () => {
      resolve(`${s.getProtocol()} ${s.getCipher().name}`);
      s.end();
    });
    s.on('error', (e: NodeJS.ErrnoException) => resolve(`error ${e.code ?? e.message}`));
  });
}

/** `openssl s_client` against the server (asynchronously: the server runs in this process). */
function sClient(url: string, args: string[]): Promise<{ code: number | null; out: string }> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const child = spawn(
      'openssl',
      ['s_client', '-brief', '-connect', `${hostname}:${port}`, '-CAfile', certs.caFile, ...args],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let out = '';
    child.stdout.on('data', (c) => (out += c));
    child.stderr.on('data', (c) => (out += c));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, out }));
  });
}

describe('TLS defaults', () => {
  let pd: TestPromdog;
  before(async () => {
    pd = await startPromdog(tlsArgs);
  });
  after(async () => pd.close());

  const handshakeFailures = () => selfMetricOverTls(pd, 'tls_handshake');

  test('TLS 1.3 and TLS 1.2 with ECDHE and AES-GCM or ChaCha20-Poly1305 are accepted', async () => {
    assert.match(await handshake(pd.url, {}), /^TLSv1\.3 TLS_AES_128_GCM_SHA256$/);
    for (const cipher of [
      'ECDHE-ECDSA-AES128-GCM-SHA256',
      'ECDHE-ECDSA-AES256-GCM-SHA384',
      'ECDHE-ECDSA-CHACHA20-POLY1305',
    ])
      assert.equal(await handshake(pd.url, { maxVersion: 'TLSv1.2', ciphers: cipher }), `TLSv1.2 ${cipher}`);
  });

  test('TLS 1.1 and TLS 1.2 CBC suites are refused by the server, and counted', async () => {
    const before = await handshakeFailures();
    // SECLEVEL=0 lets this client offer what the server must refuse.
    const old = { minVersion: 'TLSv1', maxVersion: 'TLSv1.1', ciphers: 'DEFAULT@SECLEVEL=0' } as const;
    assert.equal(await handshake(pd.url, old), 'error ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION');
    for (const cipher of ['ECDHE-ECDSA-AES128-SHA', 'ECDHE-ECDSA-AES256-SHA384']) {
      assert.equal(
        await handshake(pd.url, { maxVersion: 'TLSv1.2', ciphers: cipher }),
        'error ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE',
      );
    }
    assert.equal((await handshakeFailures()) - before, 3);
  });

  test('openssl s_client: TLS 1.3 and 1.2 AEAD connect, TLS 1.1 and a CBC suite do not', async () => {
    const tls13 = await sClient(pd.url, ['-tls1_3']);
    assert.equal(tls13.code, 0, tls13.out);
    assert.match(tls13.out, /Protocol version: TLSv1\.3/);
    const tls12 = await sClient(pd.url, ['-tls1_2', '-cipher', 'ECDHE-ECDSA-AES128-GCM-SHA256']);
    assert.equal(tls12.code, 0, tls12.out);
    assert.match(tls12.out, /Ciphersuite: ECDHE-ECDSA-AES128-GCM-SHA256/);
    const tls11 = await sClient(pd.url, ['-tls1_1', '-cipher', 'DEFAULT@SECLEVEL=0']);
    assert.notEqual(tls11.code, 0, tls11.out);
    const cbc = await sClient(pd.url, ['-tls1_2', '-cipher', 'ECDHE-ECDSA-AES128-SHA256']);
    assert.notEqual(cbc.code, 0, cbc.out);
  });

  test('a plain-HTTP request on the TLS port is answered 400 in plain HTTP, and counted', async () => {
    const plain = pd.url.replace('https://', 'http://');
    const res = await fetch(`${plain}/api/v1/query?query=1`);
    assert.equal(res.status, 400);
    assert.match(((await res.json()) as { errors: string[] }).errors[0]!, /this port speaks HTTPS/);
    assert.equal(await selfMetricOverTls(pd, 'plain_http'), 1);
    // The port still speaks TLS to TLS clients.
    assert.match(await handshake(pd.url, {}), /^TLSv1\.3 TLS_AES_128_GCM_SHA256$/);
  });
});

describe('--tls-min-version and --tls-ciphers', () => {
  let pd: TestPromdog;
  before(async () => {
    pd = await startPromdog([
      ...tlsArgs,
      '--tls-min-version',
      'TLS1.3',
      '--tls-ciphers',
      'TLS_CHACHA20_POLY1305_SHA256',
    ]);
  });
  after(async () => pd.close());

  test('TLS 1.2 is refused; TLS 1.3 gets the one suite allowed', async () => {
    const gcm12 = { maxVersion: 'TLSv1.2', ciphers: 'ECDHE-ECDSA-AES128-GCM-SHA256' } as const;
    assert.equal(await handshake(pd.url, gcm12), 'error ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION');
    assert.equal(await handshake(pd.url, {}), 'TLSv1.3 TLS_CHACHA20_POLY1305_SHA256');
  });
});

/** promdog_http_connections_closed_total{reason} over HTTPS with the test CA (fetch cannot take one). */
async function selfMetricOverTls(pd: TestPromdog, reason: string): Promise<number> {
  const text = await new Promise<string>((resolve, reject) => {
    https
      .get(`${pd.url}/metrics`, { ca }, (res) => {
        let out = '';
        res.setEncoding('utf8');
        res.on('data', (c) => (out += c));
        res.on('end', () => resolve(out));
      })
      .on('error', reject);
  });
  const m = new RegExp(`^promdog_http_connections_closed_total\\{reason="${reason}"\\} (\\S+)$`, 'm').exec(text);
  return m ? Number(m[1]) : 0;
}
