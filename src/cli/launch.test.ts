import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { MALLOC_ENV, NODE_FLAGS, missingMallocSettings } from './launch.js';

const settings = Object.entries(MALLOC_ENV)
  .map(([name, value]) => `${name}=${value}`)
  .join(' ');

test('npm start runs the server with the settings and flags of launch.ts', () => {
  const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { scripts: { start: string } };
  assert.equal(pkg.scripts.start, `env ${settings} node ${NODE_FLAGS.join(' ')} dist/src/cli/main.js serve`);
});

test("the promdog command's first line runs node with the same settings and flags", () => {
  const first = readFileSync('src/cli/main.ts', 'utf8').split('\n')[0];
  assert.equal(first, `#!/usr/bin/env -S ${settings} node ${NODE_FLAGS.join(' ')}`);
});

test('names each setting the environment lacks, and keeps an operator value of its own', () => {
  assert.deepEqual(missingMallocSettings({}), settings.split(' '));
  assert.deepEqual(missingMallocSettings({ ...MALLOC_ENV }), []);
  assert.deepEqual(missingMallocSettings({ MALLOC_ARENA_MAX: '4', MALLOC_TOP_PAD_: '0' }), [
    `MALLOC_MMAP_THRESHOLD_=${MALLOC_ENV.MALLOC_MMAP_THRESHOLD_}`,
  ]);
});
