import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MALLOC_ENV, NODE_FLAGS } from '../../src/cli/launch.js';
import { CLI, NODE_LAUNCHER, spawnPromdog, type PromdogProcess } from '../support/process.js';

// The malloc settings reach the server's process however it is started as documented, and a server started
// without them says so (src/cli/launch.ts says why they matter).

const WARNING = /^started without MALLOC_ARENA_MAX/;
const withoutSettings = Object.fromEntries(Object.keys(MALLOC_ENV).map((name) => [name, undefined]));
const tmp = () => mkdtempSync(join(tmpdir(), 'promdog-launch-'));

function environOf(pid: number): Map<string, string> {
  const pairs = readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').filter(Boolean);
  return new Map(pairs.map((p) => [p.slice(0, p.indexOf('=')), p.slice(p.indexOf('=') + 1)]));
}

async function stopped(p: PromdogProcess): Promise<void> {
  p.child.kill('SIGTERM');
  assert.equal(await p.exited, 0);
}

describe('launching promdog', () => {
  test("the promdog command's first line sets the malloc settings and flags, and no warning is logged", async () => {
    const shebang = readFileSync(CLI, 'utf8').split('\n')[0]!;
    assert.match(shebang, /^#!\/usr\/bin\/env -S /);
    const launcher = { command: '/usr/bin/env', args: ['-S', shebang.slice('#!/usr/bin/env -S '.length)] };
    const p = await spawnPromdog(['--data-dir', tmp(), '--no-auth'], withoutSettings, CLI, launcher);
    try {
      const environ = environOf(p.child.pid!);
      for (const [name, value] of Object.entries(MALLOC_ENV)) assert.equal(environ.get(name), value, name);
      const cmdline = readFileSync(`/proc/${p.child.pid}/cmdline`, 'utf8').split('\0');
      for (const flag of NODE_FLAGS) assert.ok(cmdline.includes(flag), `${flag} in ${cmdline.join(' ')}`);
      assert.equal(p.logs.filter((l) => WARNING.test(String(l.msg))).length, 0);
    } finally {
      await stopped(p);
    }
  });

  test('a server started by plain node without them warns once, naming each', async () => {
    const p = await spawnPromdog(['--data-dir', tmp(), '--no-auth'], withoutSettings, CLI, NODE_LAUNCHER);
    try {
      const warnings = p.logs.filter((l) => WARNING.test(String(l.msg)));
      assert.equal(warnings.length, 1);
      assert.equal(warnings[0]!.level, 40);
      assert.deepEqual(
        warnings[0]!.missing,
        Object.entries(MALLOC_ENV).map(([name, value]) => `${name}=${value}`),
      );
    } finally {
      await stopped(p);
    }
  });
});
