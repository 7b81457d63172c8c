// Builds the web console (web/console) into dist/console: type-checks it with its own tsconfig (DOM lib), bundles
// it with esbuild into one minified JS and one CSS file (uPlot's CSS included) with content hashes in their names,
// plus source maps, and writes index.html naming them. promdog serves dist/console (src/console/server.ts).
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { createRequire } from 'node:module';
import { build } from 'esbuild';

const started = performance.now();
const SRC = 'web/console';
const OUT = 'dist/console';
const ASSETS = join(OUT, 'assets');

const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
const check = spawnSync(process.execPath, [tsc, '-p', join(SRC, 'tsconfig.json'), '--noEmit'], { stdio: 'inherit' });
if (check.status !== 0) {
  console.error('build-console: type errors in web/console (above); nothing written');
  process.exit(1);
}

// Old hashed files would pile up otherwise.
rmSync(OUT, { recursive: true, force: true });
mkdirSync(ASSETS, { recursive: true });
const result = await build({
  entryPoints: { app: join(SRC, 'main.ts') },
  bundle: true,
  minify: true,
  sourcemap: 'linked',
  format: 'esm',
  target: 'es2022',
  platform: 'browser',
  outdir: ASSETS,
  entryNames: '[name]-[hash]',
  metafile: true,
  legalComments: 'linked',
  logLevel: 'warning',
});

const outputs = Object.keys(result.metafile.outputs);
const pick = (ext) => {
  const found = outputs.filter((f) => f.endsWith(ext));
  if (found.length !== 1)
    throw new Error(`build-console: expected one ${ext} output, got ${found.join(', ') || 'none'}`);
  return `/console/assets/${basename(found[0])}`;
};
const html = readFileSync(join(SRC, 'index.html'), 'utf8').replace('%JS%', pick('.js')).replace('%CSS%', pick('.css'));
writeFileSync(join(OUT, 'index.html'), html);

const kib = (n) => `${(n / 1024).toFixed(1)} KiB`;
for (const file of [join(OUT, 'index.html'), ...outputs.sort()]) {
  const size = statSync(file).size;
  const gz = file.endsWith('.map') ? '' : ` (gzip ${kib(gzipSync(readFileSync(file)).length)})`;
  console.log(`  ${file.padEnd(44)} ${kib(size).padStart(10)}${gz}`);
}
console.log(`build-console: wrote ${OUT} in ${Math.round(performance.now() - started)} ms`);
