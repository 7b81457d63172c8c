// Rule files on a real promdog process: a bad file stops the start with its problems; SIGHUP and POST /-/reload
// re-read the files; a file that does not load on reload leaves the previous rules running, and the failure is
// logged, counted and shown on the rules API.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI, spawnPromdog } from '../support/process.js';
import { selfMetric } from '../support/promdog.js';

const group = (name: string) => `  - name: ${name}\n    rules:\n      - record: ${name}_r\n        expr: vector(1)\n`;

test('a rule file that does not load stops the start, naming the file, group, rule and problem', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'promdog-rules-start-'));
  try {
    const bad = join(dir, 'bad.yml');
    writeFileSync(bad, 'groups:\n  - name: g\n    rules:\n      - alert: Broken\n        expr: nosuchfn(up)\n');
    const child = spawn(
      process.execPath,
      [CLI, 'serve', '--listen', '127.0.0.1:0', '--data-dir', dir, '--rule-file', bad],
      {
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    );
    let stderr = '';
    child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    assert.equal(code, 2, stderr);
    assert.ok(
      stderr.includes(
        `${bad}: 5:15: group "g", rule 1, "Broken": could not parse expression: 1:1: parse error: unknown function with name "nosuchfn"`,
      ),
      stderr,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('SIGHUP and /-/reload re-read rule files; a bad one keeps the previous rules, logged, counted and shown', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'promdog-rules-reload-'));
  const file = join(dir, 'rules.yml');
  writeFileSync(file, `groups:\n${group('first')}`);
  const p = await spawnPromdog([
    ...['--data-dir', dir, '--rule-file', join(dir, '*.yml')],
    // Only the rule files' groups: the default rule pack has its own test.
    ...['--self-scrape-interval', '0', '--default-rules=false'],
  ]);
  try {
    const key = readFileSync(join(dir, 'tenant-api-token-default'), 'utf8').trim();
    const rules = async () => {
      const body = (await (
        await fetch(`${p.url}/api/v1/rules`, { headers: { authorization: `Bearer ${key}` } })
      ).json()) as {
        data: { groups: { name: string }[] };
        warnings?: string[];
      };
      return { names: body.data.groups.map((g) => g.name), warnings: body.warnings ?? [] };
    };
    assert.deepEqual((await rules()).names, ['first']);

    writeFileSync(file, `groups:\n${group('first')}${group('second')}`);
    writeFileSync(join(dir, 'more.yml'), `groups:\n${group('third')}`);
    p.child.kill('SIGHUP');
    await p.waitForLog(/^rule files reloaded$/);
    assert.deepEqual((await rules()).names, ['third', 'first', 'second'], 'sorted by file, then name');

    writeFileSync(
      file,
      `groups:\n${group('first')}  - name: broken\n    rules:\n      - record: x\n        expr: sum(\n`,
    );
    p.child.kill('SIGHUP');
    const logged = await p.waitForLog(/SIGHUP: rule files not reloaded/);
    assert.match(
      JSON.stringify(logged.problems),
      /rules\.yml: 9:15: group \\"broken\\", rule 1, \\"x\\": could not parse/,
    );
    const after = await rules();
    assert.deepEqual(after.names, ['third', 'first', 'second'], 'the previous rules stay');
    assert.equal(after.warnings.length, 1);
    assert.match(
      after.warnings[0]!,
      /rule files not reloaded, the previous rules still run: .*rules\.yml: 9:15: group "broken"/,
    );
    assert.equal(await selfMetric(p.url, 'promdog_rule_config_last_reload_successful', { tenant: 'default' }), 0);
    assert.equal(
      await selfMetric(p.url, 'promdog_rule_config_reload_total', { tenant: 'default', result: 'failure' }),
      1,
    );

    const refused = await fetch(`${p.url}/-/reload`, { method: 'POST' });
    assert.equal(refused.status, 500);
    assert.match(((await refused.json()) as { error: string }).error, /failed to reload rules: .*group "broken"/);

    writeFileSync(file, `groups:\n${group('fixed')}`);
    const ok = await fetch(`${p.url}/-/reload`, { method: 'POST' });
    assert.equal(ok.status, 200);
    assert.deepEqual(await rules(), { names: ['third', 'fixed'], warnings: [] });
    assert.equal(await selfMetric(p.url, 'promdog_rule_config_last_reload_successful', { tenant: 'default' }), 1);
  } finally {
    p.child.kill('SIGTERM');
    await p.exited;
    rmSync(dir, { recursive: true, force: true });
  }
});
