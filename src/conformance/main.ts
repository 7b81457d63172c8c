// CLI: `npm run conformance -- <dir>` runs every *.test file of a Prometheus PromQL test-data directory.
// Prints each failing eval, per-file counts, a line each for the core and the experimental/native-histogram files,
// and as the LAST line `N passed, M failed` over every file. Exit code 0 only when no eval fails anywhere; 2 when
// the directory is missing or holds no *.test file, so a wrong path never passes as an empty run.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ConformanceRunner, type EvalOutcome } from './runner.js';

/** Files outside the core count: Prometheus' experimental features (native histograms among them). */
export const NON_CORE_FILES = new Set([
  'native_histograms.test',
  'duration_expression.test',
  'limit.test',
  'name_label_dropping.test',
  'type_and_unit.test',
]);

export interface FileSummary {
  file: string;
  core: boolean;
  outcomes: EvalOutcome[];
}

/** The *.test files of a directory, sorted; throws with a message fit for the user when there are none. */
export function testFilesIn(dir: string): string[] {
  let isDir: boolean;
  try {
    isDir = statSync(dir).isDirectory();
  } catch {
    throw new Error(`no such directory: ${dir}`);
  }
  if (!isDir) throw new Error(`not a directory: ${dir}`);
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.test'))
    .sort();
  if (files.length === 0) throw new Error(`no *.test files in ${dir}`);
  return files;
}

export async function runDirectory(dir: string): Promise<FileSummary[]> {
  const runner = new ConformanceRunner();
  const files = testFilesIn(dir);
  const out: FileSummary[] = [];
  for (const file of files) {
    let outcomes: EvalOutcome[];
    try {
      outcomes = await runner.runFile(file, readFileSync(join(dir, file), 'utf8'));
    } catch (e) {
      outcomes = [{ file, line: 0, expr: '', status: 'fail', message: `could not run file: ${(e as Error).message}` }];
    }
    out.push({ file, core: !NON_CORE_FILES.has(file), outcomes });
  }
  return out;
}

function count(outcomes: EvalOutcome[], status: EvalOutcome['status']): number {
  return outcomes.filter((o) => o.status === status).length;
}

async function main(): Promise<void> {
  const dir = process.argv[2];
  if (!dir) {
    console.error('usage: conformance <promql-testdata-dir>');
    process.exit(2);
  }
  let summaries: FileSummary[];
  try {
    summaries = await runDirectory(dir);
  } catch (e) {
    console.error(`conformance: ${(e as Error).message}`);
    process.exit(2);
  }
  const compact = (s: string) => (s.length > 400 ? `${s.slice(0, 400)}…` : s);
  for (const s of summaries) {
    for (const o of s.outcomes) {
      if (o.status === 'fail') console.log(`FAIL ${o.file}:${o.line}: ${o.expr}\n     ${compact(o.message ?? '')}`);
    }
  }
  console.log('');
  for (const s of summaries) {
    console.log(
      `${s.core ? 'core' : 'experimental/native'} ${s.file}: ${count(s.outcomes, 'pass')} passed, ${count(s.outcomes, 'fail')} failed`,
    );
  }
  const core = summaries.filter((s) => s.core).flatMap((s) => s.outcomes);
  const other = summaries.filter((s) => !s.core).flatMap((s) => s.outcomes);
  const tally = (o: EvalOutcome[]) => `${count(o, 'pass')} passed, ${count(o, 'fail')} failed`;
  console.log(`core: ${tally(core)}`);
  console.log(`experimental/native: ${tally(other)}`);
  const all = summaries.flatMap((s) => s.outcomes);
  const failed = count(all, 'fail');
  console.log(`${count(all, 'pass')} passed, ${failed} failed`);
  process.exitCode = failed === 0 ? 0 : 1;
}

if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  await main();
}
