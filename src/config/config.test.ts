import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ConfigError,
  defaultMaxActiveSeriesPerTenant,
  loadServeConfig,
  parseDurationMs,
  parseHostPort,
  samplesRateOf,
} from './config.js';

test('defaults', () => {
  const c = loadServeConfig([], {});
  assert.deepEqual(c.listen, { host: '0.0.0.0', port: 9099 });
  assert.equal(c.dataDir, './data');
  assert.deepEqual(c.remoteWrite, []);
  assert.equal(c.noAuth, false);
  assert.equal(c.retentionMs, 15 * 86_400_000);
  assert.equal(c.limits.requestTimeoutMs, 15_000);
});

test('flag beats env beats file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'promdog-cfg-'));
  const file = join(dir, 'c.yaml');
  writeFileSync(file, 'listen: 127.0.0.1:1000\ndata_dir: /from/file\nretention: 2d\nno_auth: true\n');
  const env = { PROMDOG_DATA_DIR: '/from/env', PROMDOG_LISTEN: '127.0.0.1:2000' };
  const c = loadServeConfig(['--config', file, '--listen', '127.0.0.1:3000'], env);
  assert.equal(c.listen.port, 3000);
  assert.equal(c.dataDir, '/from/env');
  assert.equal(c.retentionMs, 2 * 86_400_000);
  assert.equal(c.noAuth, true);
});

test('remote-write targets from flags, env and YAML with every option', () => {
  assert.deepEqual(
    loadServeConfig(
      ['--remote-write-url', 'http://a/api/v1/write', '--remote-write-url', 'http://b/w'],
      {},
    ).remoteWrite.map((t) => t.url),
    ['http://a/api/v1/write', 'http://b/w'],
  );
  assert.equal(loadServeConfig([], { PROMDOG_REMOTE_WRITE_URL: 'http://a/w,http://b/w' }).remoteWrite.length, 2);
  const dir = mkdtempSync(join(tmpdir(), 'promdog-cfg-'));
  const file = join(dir, 'c.yaml');
  writeFileSync(
    file,
    `remote_write:
  - url: https://mimir:8080/api/v1/push
    headers: { X-Extra: "1" }
    basic_auth: { username: u, password: p }
    tls: { ca_file: /ca.pem }
    tenant_header: X-Tenant
    timeout: 2s
  - url: http://prom:9090/api/v1/write
    bearer_token: tok
    tenant_header: ""
    allow_mixed_tenants: true
tenants:
  - name: team-a
    api_keys: [abcdefgh12345678]
`,
  );
  const c = loadServeConfig(['--config', file], {});
  assert.deepEqual(c.remoteWrite[0], {
    url: 'https://mimir:8080/api/v1/push',
    headers: { 'X-Extra': '1' },
    basicAuth: { username: 'u', password: 'p' },
    tlsCaFile: '/ca.pem',
    tlsInsecureSkipVerify: false,
    tenantHeader: 'X-Tenant',
    allowMixedTenants: false,
    timeoutMs: 2000,
  });
  assert.equal(c.remoteWrite[1]!.tenantHeader, '');
  assert.equal(c.remoteWrite[1]!.allowMixedTenants, true);
  assert.equal(c.remoteWrite[1]!.bearerToken, 'tok');
  assert.deepEqual(c.tenants, [
    { name: 'team-a', apiKeys: ['abcdefgh12345678'], rules: { ruleFiles: [], externalLabels: {} } },
  ]);
});

test('bad configuration says what and where', () => {
  const dir = mkdtempSync(join(tmpdir(), 'promdog-cfg-'));
  const write = (text: string) => {
    const f = join(dir, `c${Math.random()}.yaml`);
    writeFileSync(f, text);
    return f;
  };
  assert.throws(() => loadServeConfig(['--listen', 'nope'], {}), /--listen: expected HOST:PORT/);
  assert.throws(() => loadServeConfig(['--bogus'], {}), ConfigError);
  assert.throws(() => loadServeConfig(['--remote-write-url', 'ftp://x'], {}), /not an http\(s\) URL/);
  assert.throws(() => loadServeConfig(['--config', write('listn: x')], {}), /unknown key "listn"/);
  assert.throws(
    () => loadServeConfig(['--config', write('tenants: [{name: "bad name", api_keys: [abcdefghij]}]')], {}),
    /tenants\[0\]\.name/,
  );
  assert.throws(() => loadServeConfig(['--config', write('a: [')], {}), /invalid YAML/);
  assert.throws(() => loadServeConfig(['--tls-cert', '/c.pem'], {}), /go together/);
  assert.throws(() => loadServeConfig(['--retention', '15 days'], {}), /invalid duration/);
});

test('durations and host:port', () => {
  assert.equal(parseDurationMs('1h30m', 'x'), 5_400_000);
  assert.equal(parseDurationMs('500ms', 'x'), 500);
  assert.equal(parseDurationMs('10', 'x'), 10_000);
  assert.deepEqual(parseHostPort('[::1]:80', 'x'), { host: '::1', port: 80 });
  assert.deepEqual(parseHostPort(':80', 'x'), { host: '0.0.0.0', port: 80 });
  assert.throws(() => parseHostPort('h:99999', 'x'));
});

test('mapping cache bounds from YAML', () => {
  const dir = mkdtempSync(join(tmpdir(), 'promdog-cfg-'));
  const file = join(dir, 'c.yaml');
  writeFileSync(file, 'mapping:\n  series_cache_size: 5000\n  series_cache_idle: 30m\n');
  const c = loadServeConfig(['--config', file], {});
  assert.equal(c.mapping.seriesCacheSize, 5000);
  assert.equal(c.mapping.seriesCacheIdleMs, 1_800_000);
  writeFileSync(file, 'mapping:\n  series_cache_idle: soon\n');
  assert.throws(() => loadServeConfig(['--config', file], {}), /mapping\.series_cache_idle/);
});

test('mapping.distributions: one of three modes, in local and gateway mode alike', () => {
  const dir = mkdtempSync(join(tmpdir(), 'promdog-cfg-'));
  const file = join(dir, 'c.yaml');
  const gateway = ['--remote-write-url', 'http://127.0.0.1:9090/api/v1/write'];
  writeFileSync(file, 'mapping:\n  distributions: native_histogram\n');
  assert.equal(loadServeConfig(['--config', file, ...gateway], {}).mapping.distributions, 'native_histogram');
  assert.equal(loadServeConfig(['--config', file], {}).mapping.distributions, 'native_histogram');
  writeFileSync(file, 'mapping:\n  distributions: both\n');
  assert.equal(loadServeConfig(['--config', file], {}).mapping.distributions, 'both');
  assert.equal(loadServeConfig(['--config', file, ...gateway], {}).mapping.distributions, 'both');
  writeFileSync(file, 'mapping:\n  distributions: quantiles\n');
  assert.equal(loadServeConfig(['--config', file], {}).mapping.distributions, 'quantiles');
  writeFileSync(file, 'mapping:\n  distributions: histogram\n');
  assert.throws(
    () => loadServeConfig(['--config', file, ...gateway], {}),
    /expected one of quantiles, native_histogram, both/,
  );
  assert.equal(loadServeConfig([], {}).mapping.distributions, undefined);
});

test('ruler settings: flags, environment, YAML, per tenant (list or map), relative to the config file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'promdog-cfg-'));
  const file = join(dir, 'c.yaml');
  const defaults = loadServeConfig([], {});
  const { defaultPack, ...rules } = defaults.rules;
  assert.deepEqual(rules, {
    files: [],
    evaluationIntervalMs: 60_000,
    defaultRules: true,
    externalLabels: {},
    forOutageToleranceMs: 3_600_000,
    forGracePeriodMs: 600_000,
    resendDelayMs: 60_000,
  });
  assert.deepEqual(defaults.alertmanagers, []);
  assert.equal(defaults.queryUrl, undefined);
  assert.equal(defaults.externalUrl, undefined);

  const flags = loadServeConfig(
    [
      ...['--rule-file', 'a.yml', '--rule-file', 'r/*.yml', '--rule-evaluation-interval', '15s'],
      ...['--alertmanager-url', 'http://am1:9093', '--alertmanager-url', 'http://am2:9093'],
      ...['--external-url', 'https://promdog.example/', '--default-rules=false'],
    ],
    {},
  );
  assert.deepEqual(flags.rules.files, ['a.yml', 'r/*.yml']);
  assert.equal(flags.rules.evaluationIntervalMs, 15_000);
  assert.equal(flags.rules.defaultRules, false);
  assert.deepEqual(
    flags.alertmanagers.map((a) => [a.url, a.timeoutMs]),
    [
      ['http://am1:9093', 10_000],
      ['http://am2:9093', 10_000],
    ],
  );
  assert.equal(flags.externalUrl, 'https://promdog.example/');
  const env = loadServeConfig([], { PROMDOG_RULE_FILE: 'x.yml,y.yml', PROMDOG_ALERTMANAGER_URL: 'http://am:9093' });
  assert.deepEqual(env.rules.files, ['x.yml', 'y.yml']);
  assert.equal(env.alertmanagers.length, 1);

  writeFileSync(
    file,
    `remote_write: [http://prom:9090/api/v1/write]
query_url:
  url: http://mimir:8080/prometheus
  tenant_header: X-Org
  timeout: 30s
  basic_auth: { username: u, password: p }
external_url: http://promdog:9099
alertmanagers:
  - url: http://am:9093
    timeout: 3s
    bearer_token: t
rules:
  files: [rules/*.yml]
  evaluation_interval: 30s
  default_rules: false
  external_labels: { region: eu }
  for_outage_tolerance: 2h
  for_grace_period: 1m
  resend_delay: 2m
tenants:
  team-a:
    rule_files: [a/*.yml, /abs/b.yml]
    alertmanagers: [http://am-a:9093]
    external_labels: { team: a }
  team-b:
    api_keys: [abcdefgh12345678]
`,
  );
  const c = loadServeConfig(['--config', file], {});
  assert.deepEqual(c.rules, {
    files: [join(dir, 'rules/*.yml')],
    evaluationIntervalMs: 30_000,
    defaultRules: false,
    defaultPack: { ...defaultPack, intervalMs: 30_000 },
    externalLabels: { region: 'eu' },
    forOutageToleranceMs: 7_200_000,
    forGracePeriodMs: 60_000,
    resendDelayMs: 120_000,
  });
  assert.deepEqual(c.queryUrl, {
    url: 'http://mimir:8080/prometheus',
    headers: {},
    basicAuth: { username: 'u', password: 'p' },
    tlsInsecureSkipVerify: false,
    timeoutMs: 30_000,
    tenantHeader: 'X-Org',
    allowMixedTenants: false,
    maxResponseBytes: 64 * 1024 * 1024,
  });
  assert.equal(c.externalUrl, 'http://promdog:9099');
  assert.deepEqual(c.alertmanagers[0], {
    url: 'http://am:9093',
    headers: {},
    bearerToken: 't',
    tlsInsecureSkipVerify: false,
    timeoutMs: 3000,
  });
  assert.deepEqual(c.tenants[0], {
    name: 'team-a',
    apiKeys: [],
    rules: {
      ruleFiles: [join(dir, 'a/*.yml'), '/abs/b.yml'],
      externalLabels: { team: 'a' },
      alertmanagers: [{ url: 'http://am-a:9093', headers: {}, tlsInsecureSkipVerify: false, timeoutMs: 10_000 }],
    },
  });
  assert.deepEqual(c.tenants[1]!.apiKeys, ['abcdefgh12345678']);
});

test('default rule pack: each monitor’s settings default, are set in YAML, and refused when they cannot work', () => {
  const dir = mkdtempSync(join(tmpdir(), 'promdog-cfg-'));
  const file = join(dir, 'c.yaml');
  assert.deepEqual(loadServeConfig(['--rule-evaluation-interval', '20s'], {}).rules.defaultPack, {
    intervalMs: 20_000,
    hostNotReporting: { enabled: true, noDataMs: 180_000, forMs: 120_000, seenWithinMs: 3_600_000 },
    serviceCheck: { enabled: true, forMs: 0 },
    agentCheck: { enabled: true, forMs: 300_000 },
    diskInUse: { enabled: true, above: 0.9, forMs: 300_000 },
    loadPerCore: { enabled: true, above: 1.5, forMs: 600_000 },
    memoryUsable: { enabled: true, below: 0.1, forMs: 300_000 },
  });
  writeFileSync(
    file,
    `rules:
  default_pack:
    interval: 30s
    host_not_reporting: { no_data: 10m, for: 0s, seen_within: 1d }
    service_check: { for: 1m }
    agent_check: { enabled: false }
    disk_in_use: { above: 0.8, for: 15m }
    load_per_core: { above: 4 }
    memory_usable: { below: 0.05, enabled: no }
`,
  );
  assert.deepEqual(loadServeConfig(['--config', file], {}).rules.defaultPack, {
    intervalMs: 30_000,
    hostNotReporting: { enabled: true, noDataMs: 600_000, forMs: 0, seenWithinMs: 86_400_000 },
    serviceCheck: { enabled: true, forMs: 60_000 },
    agentCheck: { enabled: false, forMs: 300_000 },
    diskInUse: { enabled: true, above: 0.8, forMs: 900_000 },
    loadPerCore: { enabled: true, above: 4, forMs: 600_000 },
    memoryUsable: { enabled: false, below: 0.05, forMs: 300_000 },
  });
  for (const [pack, message] of [
    ['[disk_in_use]', /rules\.default_pack: expected a map of monitor: settings/],
    ['{ disk: { above: 0.8 } }', /rules\.default_pack: unknown key "disk" \(known: interval, host_not_reporting, /],
    ['{ disk_in_use: 0.8 }', /rules\.default_pack\.disk_in_use: expected a map of setting: value/],
    [
      '{ disk_in_use: { threshold: 0.8 } }',
      /rules\.default_pack\.disk_in_use: unknown key "threshold" \(known: enabled, above, for\)/,
    ],
    [
      '{ disk_in_use: { above: 90 } }',
      /rules\.default_pack\.disk_in_use\.above: expected a fraction between 0 and 1 \(0\.9 = 90 % in use\), got 90/,
    ],
    ['{ disk_in_use: { above: "0.9" } }', /disk_in_use\.above: expected a fraction .*, got "0\.9"/],
    [
      '{ memory_usable: { below: 0 } }',
      /rules\.default_pack\.memory_usable\.below: expected a fraction between 0 and 1/,
    ],
    [
      '{ load_per_core: { above: -1 } }',
      /rules\.default_pack\.load_per_core\.above: expected a number of runnable processes per core above 0, got -1/,
    ],
    ['{ load_per_core: { for: soon } }', /rules\.default_pack\.load_per_core\.for: invalid duration "soon"/],
    [
      '{ service_check: { enabled: sometimes } }',
      /rules\.default_pack\.service_check\.enabled: expected true or false/,
    ],
    ['{ host_not_reporting: { no_data: 0s } }', /host_not_reporting\.no_data: must be longer than 0/],
    ['{ host_not_reporting: { no_data: 2h } }', /host_not_reporting\.seen_within: must be longer than no_data/],
    ['{ interval: 0s }', /rules\.default_pack\.interval: must be longer than 0/],
  ] as const) {
    writeFileSync(file, `rules:\n  default_pack: ${pack}\n`);
    assert.throws(
      () => loadServeConfig(['--config', file], {}),
      (e: unknown) => e instanceof ConfigError && message.test(e.message),
      pack,
    );
  }
});

test('ruler settings that cannot work are refused with what to change', () => {
  const dir = mkdtempSync(join(tmpdir(), 'promdog-cfg-'));
  const write = (text: string) => {
    const f = join(dir, `c${Math.random()}.yaml`);
    writeFileSync(f, text);
    return f;
  };
  assert.throws(() => loadServeConfig(['--query-url', 'http://p:9090'], {}), /--query-url: only for gateway mode/);
  assert.throws(
    () => loadServeConfig(['--remote-write-url', 'http://p/w', '--rule-file', 'a.yml'], {}),
    /rule files in gateway mode .* need --query-url/,
  );
  assert.throws(() => loadServeConfig(['--rule-evaluation-interval', '0s'], {}), /must be longer than 0/);
  assert.throws(() => loadServeConfig(['--default-rules', 'maybe'], {}), /--default-rules: expected true or false/);
  assert.throws(() => loadServeConfig(['--external-url', 'promdog:9099'], {}), /--external-url: not an http\(s\) URL/);
  assert.throws(() => loadServeConfig(['--config', write('rules: { file: [a] }')], {}), /rules: unknown key "file"/);
  assert.throws(
    () => loadServeConfig(['--config', write('rules: { external_labels: { __name__: x } }')], {}),
    /rules\.external_labels: invalid label name "__name__"/,
  );
  assert.throws(
    () => loadServeConfig(['--config', write('tenants: { a: { rule_files: x } }')], {}),
    /tenants\.a\.rule_files: expected a list of strings/,
  );
  assert.throws(
    () => loadServeConfig(['--config', write('alertmanagers: [{ url: x }]')], {}),
    /alertmanagers\[0\]\.url: not an http\(s\) URL/,
  );
});

test('events: retention defaults to --retention; its own retention and size bound from YAML', () => {
  assert.deepEqual(loadServeConfig(['--retention', '3d'], {}).events, {
    retentionMs: 3 * 86_400_000,
    maxBytesPerTenant: 1024 ** 3,
  });
  const dir = mkdtempSync(join(tmpdir(), 'promdog-cfg-'));
  const file = join(dir, 'c.yaml');
  writeFileSync(file, 'retention: 30d\nevents:\n  retention: 7d\n  max_bytes_per_tenant: 256MiB\n');
  assert.deepEqual(loadServeConfig(['--config', file], {}).events, {
    retentionMs: 7 * 86_400_000,
    maxBytesPerTenant: 256 * 1024 * 1024,
  });
  for (const [yaml, message] of [
    ['events:\n  keep: 1d\n', /events: unknown key "keep"/],
    ['events:\n  max_bytes_per_tenant: lots\n', /events\.max_bytes_per_tenant: expected a size/],
    ['events:\n  retention: 0s\n', /events\.retention: must be more than 0/],
  ] as const) {
    writeFileSync(file, yaml);
    assert.throws(
      () => loadServeConfig(['--config', file], {}),
      (e: unknown) => e instanceof ConfigError && message.test(e.message),
    );
  }
});

test('limits: defaults, YAML keys (0 turns a series bound off), --max-connections', () => {
  const d = loadServeConfig([], {});
  assert.equal(d.limits.maxSeriesPerRequest, 100_000);
  assert.deepEqual(d.limits.series, {}, "the mapper's defaults apply");
  assert.equal(d.limits.maxConnections, 4096);
  assert.equal(d.limits.headerTimeoutMs, 10_000);
  assert.equal(d.limits.idleTimeoutMs, 72_000);
  const dir = mkdtempSync(join(tmpdir(), 'promdog-cfg-'));
  const file = join(dir, 'c.yaml');
  writeFileSync(
    file,
    `limits:
  max_series_per_request: 5000
  max_metric_name_length: 0
  max_tags_per_series: 50
  max_label_names_per_series: 30
  max_label_name_length: 512
  max_label_value_length: 1024
  max_connections: 100
  header_timeout: 5s
  idle_timeout: 1m
`,
  );
  const c = loadServeConfig(['--config', file], {});
  assert.equal(c.limits.maxSeriesPerRequest, 5000);
  assert.deepEqual(c.limits.series, {
    maxMetricNameLength: 0,
    maxTagsPerSeries: 50,
    maxLabelNamesPerSeries: 30,
    maxLabelNameLength: 512,
    maxLabelValueLength: 1024,
  });
  assert.equal(c.limits.maxConnections, 100);
  assert.equal(c.limits.headerTimeoutMs, 5000);
  assert.equal(c.limits.idleTimeoutMs, 60_000);
  assert.equal(loadServeConfig(['--config', file, '--max-connections', '7'], {}).limits.maxConnections, 7);
  assert.equal(loadServeConfig(['--config', file], { PROMDOG_MAX_CONNECTIONS: '8' }).limits.maxConnections, 8);
  assert.throws(() => loadServeConfig(['--max-connections', '0'], {}), /--max-connections: expected a positive/);
  writeFileSync(file, 'limits:\n  max_tags_per_series: -1\n');
  assert.throws(() => loadServeConfig(['--config', file], {}), /limits\.max_tags_per_series: expected a non-negative/);
});

test('samples per second: off by default, global, per tenant over it; a burst of 20 s of the rate unless set', () => {
  const d = loadServeConfig([], {});
  assert.equal(samplesRateOf(d, 'default'), undefined);
  const dir = mkdtempSync(join(tmpdir(), 'promdog-cfg-'));
  const file = join(dir, 'c.yaml');
  writeFileSync(
    file,
    `limits: { samples_per_second: 1000, samples_burst: 5000 }
tenants:
  big: { limits: { samples_per_second: 50000 } }
  bursty: { limits: { samples_burst: 9000 } }
  free: { limits: { samples_per_second: 0 } }
`,
  );
  const c = loadServeConfig(['--config', file], {});
  assert.deepEqual(samplesRateOf(c, 'default'), { samplesPerSecond: 1000, burst: 5000 });
  assert.deepEqual(samplesRateOf(c, 'big'), { samplesPerSecond: 50_000, burst: 1_000_000 });
  assert.deepEqual(samplesRateOf(c, 'bursty'), { samplesPerSecond: 1000, burst: 9000 });
  assert.equal(samplesRateOf(c, 'free'), undefined);
  writeFileSync(file, 'limits: { samples_per_second: 200 }\n');
  assert.deepEqual(samplesRateOf(loadServeConfig(['--config', file], {}), 'x'), { samplesPerSecond: 200, burst: 4000 });
  writeFileSync(file, 'limits: { samples_burst: 0 }\n');
  assert.throws(() => loadServeConfig(['--config', file], {}), /limits\.samples_burst: expected a positive integer/);
  writeFileSync(file, 'tenants:\n  t: { limits: { samples_per_second: -1 } }\n');
  assert.throws(
    () => loadServeConfig(['--config', file], {}),
    /tenants\.t\.limits\.samples_per_second: expected a non/,
  );
  writeFileSync(file, 'tenants:\n  t: { limits: { max_tags_per_series: 3 } }\n');
  assert.throws(() => loadServeConfig(['--config', file], {}), /tenants\.t\.limits/);
});

test('the default active-series limit is half the usable memory at 4 KiB per series, in thousands', () => {
  const GiB = 1024 ** 3;
  assert.equal(defaultMaxActiveSeriesPerTenant(4 * GiB, 24 * GiB), 524_000);
  assert.equal(defaultMaxActiveSeriesPerTenant(4 * GiB, 1 * GiB), 131_000, 'a small container bounds it');
  assert.equal(defaultMaxActiveSeriesPerTenant(4 * 1024 ** 2, 4 * 1024 ** 2), 1000, 'never below 1000');
  const c = loadServeConfig([], {});
  assert.equal(c.storage.maxActiveSeriesPerTenant, defaultMaxActiveSeriesPerTenant());
  assert.ok(c.storage.maxActiveSeriesPerTenant >= 1000);
});

test('TLS: minimum version and cipher list, checked at start', () => {
  const tls = (args: string[], env = {}) =>
    loadServeConfig(['--tls-cert', '/c.pem', '--tls-key', '/k.pem', ...args], env).tls!;
  assert.equal(tls([]).minVersion, 'TLSv1.2');
  assert.match(tls([]).ciphers, /^TLS_AES_128_GCM_SHA256:.*ECDHE-RSA-CHACHA20-POLY1305$/);
  for (const suite of tls([]).ciphers.split(':'))
    assert.match(suite, /^TLS_|^ECDHE-(RSA|ECDSA)-.*(GCM|CHACHA20-POLY1305)/, 'TLS 1.3, or forward-secret AEAD');
  assert.equal(tls(['--tls-min-version', 'TLS1.3']).minVersion, 'TLSv1.3');
  assert.equal(tls([], { PROMDOG_TLS_MIN_VERSION: 'TLSv1.3' }).minVersion, 'TLSv1.3');
  assert.equal(tls(['--tls-ciphers', 'ECDHE-RSA-AES256-GCM-SHA384']).ciphers, 'ECDHE-RSA-AES256-GCM-SHA384');
  assert.throws(() => tls(['--tls-min-version', 'TLS1.1']), /--tls-min-version: expected TLS1\.2 or TLS1\.3/);
  assert.throws(() => tls(['--tls-ciphers', 'NOT-A-CIPHER']), /--tls-ciphers: .*no cipher match/);
  const dir = mkdtempSync(join(tmpdir(), 'promdog-cfg-'));
  const file = join(dir, 'c.yaml');
  writeFileSync(
    file,
    'tls:\n  cert_file: /c.pem\n  key_file: /k.pem\n  min_version: TLS1.3\n  ciphers: TLS_AES_256_GCM_SHA384\n',
  );
  assert.deepEqual(loadServeConfig(['--config', file], {}).tls, {
    certFile: '/c.pem',
    keyFile: '/k.pem',
    minVersion: 'TLSv1.3',
    ciphers: 'TLS_AES_256_GCM_SHA384',
  });
  writeFileSync(file, 'tls:\n  cert_file: /c.pem\n  key_file: /k.pem\n  min_versoin: TLS1.3\n');
  assert.throws(() => loadServeConfig(['--config', file], {}), /tls: unknown key "min_versoin"/);
});
