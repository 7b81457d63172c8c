// docs/alerting.md against the code and the real tools: each monitor of the default pack as the page shows it is the
// rule the defaults generate, the page's defaults are the configuration's, its rule files pass promtool and promdog's
// checks, its promdog configurations load, and its Alertmanager configuration passes amtool.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parse as parseYaml } from 'yaml';
import { loadServeConfig } from '../../src/config/config.js';
import { SERVICE_CHECK_METRIC, sanitizeMetricName } from '../../src/mapping/index.js';
import { defaultPackFile } from '../../src/rules/default-rules.js';
import { loadRuleFiles } from '../../src/rules/rule-files.js';

const run = promisify(execFile);
const PROMTOOL = process.env.PROMTOOL_BIN ?? '/usr/bin/promtool';
const AMTOOL = process.env.AMTOOL_BIN ?? '/usr/bin/amtool';
const PAGE = readFileSync(join(process.cwd(), 'docs', 'alerting.md'), 'utf8');
const dir = mkdtempSync(join(tmpdir(), 'promdog-alerting-doc-'));

interface Block {
  /** The `## ` section it is in. */
  section: string;
  /** The last line of prose before it. */
  caption: string;
  text: string;
}

/** The page's ```yaml blocks. */
function yamlBlocks(): Block[] {
  const blocks: Block[] = [];
  let section = '';
  let caption = '';
  const lines = PAGE.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.startsWith('## ')) section = line.slice(3);
    if (line === '```yaml') {
      const end = lines.indexOf('```', i + 1);
      blocks.push({ section, caption, text: `${lines.slice(i + 1, end).join('\n')}\n` });
      i = end;
    } else if (line.trim() !== '') caption = line;
  }
  return blocks;
}

function writeTemp(name: string, text: string): string {
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
}

test('each monitor of the default pack is shown as the defaults generate it', () => {
  const names = { metric: sanitizeMetricName, serviceCheck: SERVICE_CHECK_METRIC };
  const generated = (
    parseYaml(defaultPackFile(loadServeConfig([], {}).rules.defaultPack, names)) as {
      groups: { rules: { alert: string }[] }[];
    }
  ).groups[0]!.rules;
  const shown = yamlBlocks()
    .filter((b) => b.section === 'The default rule pack' && b.text.startsWith('- alert:'))
    .map((b) => (parseYaml(b.text) as { alert: string }[])[0]!);
  assert.deepEqual(
    shown.map((r) => r.alert),
    generated.map((r) => r.alert),
    'every monitor, in the pack’s order',
  );
  for (const [i, rule] of shown.entries()) assert.deepEqual(rule, generated[i], rule.alert);
});

test('the defaults the page lists are the configuration’s', () => {
  const block = yamlBlocks().find((b) => b.text.includes('default_pack:'));
  assert.ok(block);
  const file = writeTemp('defaults.yml', block.text);
  assert.deepEqual(
    loadServeConfig(['--config', file], {}).rules.defaultPack,
    loadServeConfig([], {}).rules.defaultPack,
  );
});

test('the page’s rule files pass promtool and promdog’s checks', async () => {
  const files = yamlBlocks().filter((b) => b.text.startsWith('groups:'));
  assert.equal(files.length, 2, 'the example file and the self-monitoring rules');
  for (const [i, b] of files.entries()) {
    assert.deepEqual(loadRuleFiles([writeTemp(`rules-${i}.yml`, b.text)]).errors, []);
    // Debian's promtool is Prometheus 2.42's: it predates a group's query_offset and labels.
    const for242 = b.text.replace(/^ {4}(query_offset|labels):.*\n/gm, '');
    const { stdout } = await run(PROMTOOL, ['check', 'rules', writeTemp(`rules-${i}-2.42.yml`, for242)]);
    assert.match(stdout, /SUCCESS/);
  }
});

test('the worked set-up: promdog’s configurations load, Alertmanager’s passes amtool', async () => {
  const blocks = yamlBlocks().filter((b) => b.section === 'Alertmanager');
  const promdog = blocks.filter((b) => /^(external_url|tenants):/.test(b.text));
  assert.equal(promdog.length, 2);
  for (const [i, b] of promdog.entries()) loadServeConfig(['--config', writeTemp(`promdog-${i}.yml`, b.text)], {});
  const am = blocks.find((b) => b.caption === '`alertmanager.yml`:');
  assert.ok(am);
  const { stdout } = await run(AMTOOL, ['check-config', writeTemp('alertmanager.yml', am.text)]);
  assert.match(stdout, /SUCCESS/);
});
