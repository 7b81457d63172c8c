import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// scripts/check-commits.mjs (run by `npm run lint`) on small repositories of its own. They lack the commit the rule
// starts from, as a shallow clone would, so the checker looks at HEAD's subject.

const SCRIPT = join(process.cwd(), 'scripts', 'check-commits.mjs');

function repoWithCommit(subject: string) {
  const root = mkdtempSync(join(tmpdir(), 'promdog-check-commits-'));
  const git = (...args: string[]) => {
    const r = spawnSync('git', ['-C', root, '-c', 'user.name=t', '-c', 'user.email=t@example.com', ...args], {
      encoding: 'utf8',
    });
    assert.equal(r.status, 0, r.stderr);
  };
  git('init', '-q');
  writeFileSync(join(root, 'a.txt'), 'a\n');
  git('add', 'a.txt');
  git(
    'commit',
    '-q',
    '-m',
    `${subject}\n\nA body line that is much longer than seventy-two characters is fine in the body.`,
  );
  return root;
}

function check(root: string) {
  const r = spawnSync(process.execPath, [SCRIPT, root], { encoding: 'utf8' });
  return { status: r.status, out: r.stdout + r.stderr };
}

test('check-commits: a subject of 72 characters passes, 73 fails naming the commit', () => {
  const ok = repoWithCommit('x'.repeat(72));
  const long = repoWithCommit('y'.repeat(73));
  try {
    const a = check(ok);
    assert.equal(a.status, 0, a.out);
    assert.match(a.out, /1 commit subject of at most 72 characters/);
    const b = check(long);
    assert.equal(b.status, 1);
    assert.match(b.out, /[0-9a-f]{7,} subject has 73 characters \(at most 72\): y{73}/);
  } finally {
    rmSync(ok, { recursive: true, force: true });
    rmSync(long, { recursive: true, force: true });
  }
});

test('check-commits: characters are counted, not UTF-8 bytes', () => {
  const root = repoWithCommit(`Docs: ${'é'.repeat(66)}`);
  try {
    const r = check(root);
    assert.equal(r.status, 0, r.out);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
