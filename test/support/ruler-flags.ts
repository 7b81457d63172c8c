import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './ports.js';

/**
 * promdog flags that give the ruler's and the notifier's self-metrics series: a rule file (in a new temporary
 * directory, `dir`, for the caller to remove) with one group evaluated every second whose alert fires at once, sent
 * to an Alertmanager address nobody listens on, so notifications are sent, fail and are dropped.
 */
export async function firingRuleFlags(): Promise<{ args: string[]; dir: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'promdog-test-rules-'));
  const file = join(dir, 'rules.yml');
  writeFileSync(
    file,
    'groups:\n  - name: selfmon\n    interval: 1s\n    rules:\n      - alert: Always\n        expr: vector(1)\n',
  );
  const alertmanager = `http://127.0.0.1:${await freePort()}/`;
  return { args: ['--rule-file', file, '--alertmanager-url', alertmanager], dir };
}
