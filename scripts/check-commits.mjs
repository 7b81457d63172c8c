// Commit subjects of at most 72 characters (they show whole in `git log --oneline`, GitHub and mail), checked for
// every commit after the one below, when the rule began; older history is left as it is.
// Usage: node scripts/check-commits.mjs [ROOT]. Exit 1 when a subject is too long; a checkout without git history
// (a tarball) or without the starting commit (a shallow clone) checks what it has: HEAD's own subject.
import { spawnSync } from 'node:child_process';

const RULE_SINCE = '1035305e57505be6bea6b0590133b3488c27fc45';
const MAX_SUBJECT = 72;

const root = process.argv[2] ?? '.';
const git = (...args) => spawnSync('git', ['-C', root, ...args], { encoding: 'utf8' });

if (git('rev-parse', '--is-inside-work-tree').status !== 0) {
  console.log('check-commits: not a git checkout, nothing to check');
  process.exit(0);
}
const known = git('cat-file', '-e', `${RULE_SINCE}^{commit}`).status === 0;
const log = git('log', '--format=%h%x00%s', known ? `${RULE_SINCE}..HEAD` : '-1');
if (log.status !== 0) {
  console.error(`check-commits: git log failed: ${log.stderr.trim()}`);
  process.exit(2);
}
const commits = log.stdout
  .split('\n')
  .filter(Boolean)
  .map((line) => line.split('\0'));
const long = commits.filter(([, subject]) => [...subject].length > MAX_SUBJECT);
for (const [hash, subject] of long) {
  console.log(
    `check-commits: ${hash} subject has ${[...subject].length} characters (at most ${MAX_SUBJECT}): ${subject}`,
  );
}
if (long.length > 0) process.exit(1);
console.log(
  `check-commits: ${commits.length} commit subject${commits.length === 1 ? '' : 's'} of at most ${MAX_SUBJECT} characters`,
);
