// The ruler configuration API (Mimir/Cortex) and the rules read APIs on a real promdog over loopback HTTP: writes
// checked like rule files and stored durably, each tenant seeing and changing only its own rules.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { startPromdog, type TestPromdog } from '../support/promdog.js';
import { writeTokenFile } from '../../src/tenants/tenants.js';

const BASE = '/prometheus/config/v1/rules';
/** Only the groups the tests write: the default rule pack has its own test (default-pack.test.ts). */
const ARGS = ['--default-rules=false'];
const TEAM_KEY = 'team-b-key-0123456789';
const DEFAULT_KEY = 'default-key-0123456789';

let dataDir: string;
let p: TestPromdog;
before(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'promdog-ruler-api-'));
  writeTokenFile(dataDir, 'default', DEFAULT_KEY);
  writeTokenFile(dataDir, 'team-b', TEAM_KEY);
  p = await startPromdog(ARGS, { dataDir });
});
after(async () => {
  await p?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

async function call(method: string, path: string, key: string | undefined, body?: string) {
  const headers: Record<string, string> = {};
  if (key) headers.authorization = `Bearer ${key}`;
  if (body !== undefined) headers['content-type'] = 'application/yaml';
  const res = await fetch(p.url + path, { method, headers, ...(body !== undefined ? { body } : {}) });
  const text = await res.text();
  return { status: res.status, type: res.headers.get('content-type') ?? '', text };
}

const GROUP = `name: cpu
interval: 1m
rules:
  - record: job:cpu:sum
    expr: sum by (job) (cpu)
  - alert: CpuHigh
    expr: job:cpu:sum > 0.9
    for: 5m
    labels: { severity: page }
    annotations: { summary: "{{ $labels.job }} hot" }
`;

test('a group is created, listed, read, replaced and deleted; answers are Mimir’s', async () => {
  const key = DEFAULT_KEY;
  let r = await call('POST', `${BASE}/infra`, key, GROUP);
  assert.equal(r.status, 202, r.text);
  assert.deepEqual(JSON.parse(r.text), { status: 'success', data: null, errorType: '', error: '' });
  r = await call('POST', `${BASE}/infra`, key, 'name: mem\nrules:\n  - record: m\n    expr: sum(mem)\n');
  assert.equal(r.status, 202);

  r = await call('GET', BASE, key);
  assert.equal(r.status, 200);
  assert.match(r.type, /application\/yaml/);
  const all = parseYaml(r.text) as Record<string, { name: string }[]>;
  assert.deepEqual(Object.keys(all), ['infra']);
  assert.deepEqual(
    all.infra!.map((g) => g.name),
    ['cpu', 'mem'],
  );
  assert.deepEqual(all.infra![0], {
    name: 'cpu',
    interval: '1m',
    rules: [
      { record: 'job:cpu:sum', expr: 'sum by (job) (cpu)' },
      {
        alert: 'CpuHigh',
        expr: 'job:cpu:sum > 0.9',
        for: '5m',
        labels: { severity: 'page' },
        annotations: { summary: '{{ $labels.job }} hot' },
      },
    ],
  });
  assert.deepEqual(Object.keys(parseYaml((await call('GET', `${BASE}/infra`, key)).text)), ['infra']);
  assert.deepEqual(parseYaml((await call('GET', `${BASE}/other`, key)).text), {});
  const one = await call('GET', `${BASE}/infra/mem`, key);
  assert.deepEqual(parseYaml(one.text), { name: 'mem', rules: [{ record: 'm', expr: 'sum(mem)' }] });

  // The rules API lists the groups with the namespace as their file.
  const rules = JSON.parse((await call('GET', '/api/v1/rules', key)).text);
  assert.deepEqual(
    rules.data.groups.map((g: { file: string; name: string }) => `${g.file}/${g.name}`),
    ['infra/cpu', 'infra/mem'],
  );

  // POST with the same name replaces the group.
  r = await call(
    'POST',
    `${BASE}/infra`,
    key,
    'name: mem\ninterval: 30s\nrules:\n  - record: m2\n    expr: sum(mem)\n',
  );
  assert.equal(r.status, 202);
  assert.deepEqual(parseYaml((await call('GET', `${BASE}/infra/mem`, key)).text), {
    name: 'mem',
    interval: '30s',
    rules: [{ record: 'm2', expr: 'sum(mem)' }],
  });

  assert.equal((await call('DELETE', `${BASE}/infra/mem`, key)).status, 202);
  const missing = await call('GET', `${BASE}/infra/mem`, key);
  assert.equal(missing.status, 404);
  assert.equal(JSON.parse(missing.text).error, 'group does not exist');
  assert.equal((await call('DELETE', `${BASE}/infra/mem`, key)).status, 404);
  assert.equal((await call('DELETE', `${BASE}/infra`, key)).status, 202);
  assert.equal((await call('DELETE', `${BASE}/infra`, key)).status, 404);
  assert.deepEqual(parseYaml((await call('GET', BASE, key)).text), {});
});

test('bad uploads are refused with 400 and the problem, as promtool words it; nothing is stored', async () => {
  const key = DEFAULT_KEY;
  const cases: [string, string, RegExp][] = [
    [
      'syntax',
      'name: g\nrules:\n  - record: r\n    expr: sum(rate(x[5m])\n',
      /4:11: group "g", rule 1, "r": could not parse expression: 1:\d+: parse error/,
    ],
    [
      'unknown function',
      'name: g\nrules:\n  - alert: A\n    expr: nosuch(x)\n',
      /could not parse expression: 1:1: parse error: unknown function with name "nosuch"/,
    ],
    [
      'bad duration',
      'name: g\nrules:\n  - alert: A\n    expr: x\n    for: 5 minutes\n',
      /5:10: group "g", rule 1, "A": not a valid duration string: "5 minutes"/,
    ],
    [
      'unknown field',
      'name: g\nevaluation_interval: 1m\nrules: []\n',
      /line 2: field evaluation_interval not found in type rulefmt.RuleGroup/,
    ],
    ['not YAML', 'name: [g\n', /^yaml: line \d+: /],
    ['no name', 'rules:\n  - record: r\n    expr: x\n', /Groupname must not be empty/],
    ['no rules', 'name: g\nrules: []\n', /rule group 'g' has no rules/],
  ];
  for (const [what, body, message] of cases) {
    const r = await call('POST', `${BASE}/bad`, key, body);
    assert.equal(r.status, 400, what);
    const json = JSON.parse(r.text);
    assert.equal(json.status, 'error', what);
    assert.equal(json.errorType, 'bad_data', what);
    assert.match(json.error, message, what);
  }
  assert.deepEqual(parseYaml((await call('GET', BASE, key)).text), {});
});

test('no key or an unknown key: 401 with a JSON error, for every route', async () => {
  for (const [method, path] of [
    ['GET', BASE],
    ['GET', `${BASE}/ns`],
    ['POST', `${BASE}/ns`],
    ['DELETE', `${BASE}/ns/g`],
    ['GET', '/api/v1/rules'],
    ['GET', '/api/v1/alerts'],
  ] as const) {
    for (const key of [undefined, 'not-a-key-at-all']) {
      const r = await call(method, path, key, method === 'POST' ? GROUP : undefined);
      assert.equal(r.status, 401, `${method} ${path}`);
      assert.equal(JSON.parse(r.text).status, 'error');
    }
  }
});

test('tenants are isolated: each lists, evaluates and changes only its own rules', async () => {
  const a = DEFAULT_KEY;
  assert.equal((await call('POST', `${BASE}/shared-name`, a, GROUP)).status, 202);
  assert.equal(
    (
      await call(
        'POST',
        `${BASE}/shared-name`,
        TEAM_KEY,
        'name: other\ninterval: 1s\nrules:\n  - record: b_only\n    expr: vector(1)\n',
      )
    ).status,
    202,
  );
  // B's rule writes into B's data only.
  const series = async (key: string) =>
    JSON.parse((await call('GET', '/api/v1/query?query=b_only', key)).text).data.result.length;
  const deadline = Date.now() + 20_000;
  while ((await series(TEAM_KEY)) === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
  assert.equal(await series(TEAM_KEY), 1, "B's recording rule ran");
  assert.equal(await series(DEFAULT_KEY), 0, "A does not see B's rule output");
  const names = async (key: string) =>
    JSON.parse((await call('GET', '/api/v1/rules', key)).text).data.groups.map((g: { name: string }) => g.name);
  assert.deepEqual(await names(a), ['cpu']);
  assert.deepEqual(await names(TEAM_KEY), ['other']);
  assert.deepEqual(
    (parseYaml((await call('GET', BASE, TEAM_KEY)).text) as Record<string, { name: string }[]>)['shared-name']!.map(
      (g) => g.name,
    ),
    ['other'],
  );
  // B deleting "its" cpu group finds none; A's stays.
  assert.equal((await call('DELETE', `${BASE}/shared-name/cpu`, TEAM_KEY)).status, 404);
  assert.deepEqual(await names(a), ['cpu']);
  assert.equal((await call('DELETE', `${BASE}/shared-name`, TEAM_KEY)).status, 202);
  assert.deepEqual(await names(a), ['cpu']);
  assert.equal((await call('DELETE', `${BASE}/shared-name`, a)).status, 202);
});

test('groups written through the API survive a restart', async () => {
  const key = DEFAULT_KEY;
  assert.equal((await call('POST', `${BASE}/kept`, key, GROUP)).status, 202);
  await p.close();
  p = await startPromdog(ARGS, { dataDir });
  const r = await call('GET', `${BASE}/kept/cpu`, key);
  assert.equal(r.status, 200);
  assert.equal((parseYaml(r.text) as { rules: unknown[] }).rules.length, 2);
  const groups = JSON.parse((await call('GET', '/api/v1/rules', key)).text).data.groups;
  assert.deepEqual(
    groups.map((g: { file: string; name: string }) => `${g.file}/${g.name}`),
    ['kept/cpu'],
  );
  assert.equal((await call('DELETE', `${BASE}/kept`, key)).status, 202);
});

test('/api/v1/rules filters like Prometheus 3.5 and pages groups', async () => {
  const key = DEFAULT_KEY;
  for (const [ns, body] of [
    ['f1', GROUP],
    ['f2', 'name: net\nrules:\n  - record: n\n    expr: sum(net)\n    labels: { team: net }\n'],
  ]) {
    assert.equal((await call('POST', `${BASE}/${ns}`, key, body)).status, 202);
  }
  const rules = async (qs: string) => {
    const r = await call('GET', `/api/v1/rules${qs}`, key);
    return { status: r.status, body: JSON.parse(r.text) };
  };
  const list = async (qs: string) =>
    (await rules(qs)).body.data.groups.map(
      (g: { name: string; rules: { name: string }[] }) => `${g.name}:${g.rules.map((x) => x.name).join(',')}`,
    );
  assert.deepEqual(await list(''), ['cpu:job:cpu:sum,CpuHigh', 'net:n']);
  assert.deepEqual(await list('?type=alert'), ['cpu:CpuHigh']);
  assert.deepEqual(await list('?type=record'), ['cpu:job:cpu:sum', 'net:n']);
  assert.deepEqual(await list('?rule_name[]=n&rule_name[]=CpuHigh'), ['cpu:CpuHigh', 'net:n']);
  assert.deepEqual(await list('?rule_group[]=net'), ['net:n']);
  assert.deepEqual(await list('?file[]=f1'), ['cpu:job:cpu:sum,CpuHigh']);
  assert.deepEqual(await list(`?match[]=${encodeURIComponent('{team="net"}')}`), ['net:n']);
  const first = await rules('?group_limit=1');
  assert.deepEqual(
    first.body.data.groups.map((g: { name: string }) => g.name),
    ['cpu'],
  );
  assert.match(first.body.data.groupNextToken, /^[0-9a-f]{40}$/);
  assert.deepEqual(await list(`?group_limit=1&group_next_token=${first.body.data.groupNextToken}`), ['net:n']);
  const alerting = (await rules('?type=alert&exclude_alerts=true')).body.data.groups[0].rules[0];
  assert.equal(alerting.alerts, null);
  assert.deepEqual(
    {
      type: alerting.type,
      query: alerting.query,
      duration: alerting.duration,
      labels: alerting.labels,
      health: alerting.health,
      state: alerting.state,
    },
    {
      type: 'alerting',
      query: 'job:cpu:sum > 0.9',
      duration: 300,
      labels: { severity: 'page' },
      health: 'unknown',
      state: 'inactive',
    },
  );
  for (const [qs, message] of [
    ['?type=both', 'invalid parameter "type": not supported value "both"'],
    ['?group_limit=0', 'invalid parameter "group_limit": group_limit needs to be greater than 0'],
    ['?group_next_token=abc', 'invalid parameter "group_next_token": group_limit needs to be present'],
    ['?group_limit=1&group_next_token=abc', "invalid group_next_token 'abc'"],
    ['?exclude_alerts=maybe', 'invalid parameter "exclude_alerts"'],
  ]) {
    const r = await rules(qs!);
    assert.equal(r.status, 400, qs);
    assert.ok(r.body.error.includes(message), `${qs}: ${r.body.error}`);
  }
  assert.deepEqual((await rules('')).body.warnings, undefined);
  assert.deepEqual(JSON.parse((await call('GET', '/api/v1/alerts', key)).text), {
    status: 'success',
    data: { alerts: [] },
  });
  for (const ns of ['f1', 'f2']) assert.equal((await call('DELETE', `${BASE}/${ns}`, key)).status, 202);
});

test('a tenant created while promdog runs gets a ruler on its first ruler API request', async () => {
  const key = 'team-c-key-0123456789';
  writeTokenFile(dataDir, 'team-c', key);
  // An unknown key makes promdog re-read the token files at most every 2 s.
  let r = await call('GET', BASE, key);
  for (let i = 0; i < 50 && r.status === 401; i++) {
    await new Promise((res) => setTimeout(res, 100));
    r = await call('GET', BASE, key);
  }
  assert.equal(r.status, 200);
  assert.equal((await call('POST', `${BASE}/late`, key, GROUP)).status, 202);
  const groups = JSON.parse((await call('GET', '/api/v1/rules', key)).text).data.groups;
  assert.deepEqual(
    groups.map((g: { file: string; name: string }) => `${g.file}/${g.name}`),
    ['late/cpu'],
  );
});

test('Grafana’s way in: buildinfo names Mimir’s ruler, and /config/v1/rules is the same API', async () => {
  const info = JSON.parse((await call('GET', '/api/v1/status/buildinfo', DEFAULT_KEY)).text).data;
  // What Grafana's alerting checks before it offers to edit a data source's rules.
  assert.equal(info.application, 'Grafana Mimir');
  assert.equal(info.features.ruler_config_api, 'true');
  assert.equal(info.version, '3.5.0');

  // Grafana's ruler proxy path-escapes namespace and group ("My: Namespace", slashes as %2F).
  const namespace = 'grafana/My: Namespace';
  const path = `/config/v1/rules/${encodeURIComponent(namespace)}`;
  let r = await call('POST', path, TEAM_KEY, GROUP);
  assert.equal(r.status, 202, r.text);
  r = await call('GET', `${path}/cpu`, TEAM_KEY);
  assert.equal(r.status, 200, r.text);
  assert.equal((parseYaml(r.text) as { name: string }).name, 'cpu');
  const viaMimirPath = parseYaml((await call('GET', BASE, TEAM_KEY)).text) as Record<string, unknown>;
  assert.ok(namespace in viaMimirPath, 'the group written through Grafana’s path is the same namespace');
  assert.equal((await call('GET', '/config/v1/rules', undefined)).status, 401);
  r = await call('DELETE', path, TEAM_KEY);
  assert.equal(r.status, 202);
  const afterDelete = (parseYaml((await call('GET', '/config/v1/rules', TEAM_KEY)).text) ?? {}) as object;
  assert.ok(!(namespace in afterDelete), 'the namespace is gone');
});
