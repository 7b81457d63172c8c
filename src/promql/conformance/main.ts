// CLI: `npm run conformance -- <dir>` runs every *.test file of a Prometheus PromQL test-data directory.
// Prints each failing eval, per-file counts, a line for the experimental/native-histogram files, and as the
// LAST line `N passed, M failed` for the core files. Exit code 0 only when no core eval fails.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConformanceRunner, type EvalOutcome } from './runner.js';

/** Files outside the core count: native histograms (not supported) and experimental features. */
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

export async function runDirectory(dir: string): Promise<FileSummary[]> {
  const runner = new ConformanceRunner();
  const files = readdirSync(dir).filter((f) => f.endsWith('.test')).sort();
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
  const summaries = await runDirectory(dir);
  const compact = (s: string) => (s.length > 400 ? s.slice(0, 400) + '…' : s);
  for (const s of summaries) {
    for (const o of s.outcomes) {
      if (o.status === 'fail') console.log(`FAIL ${o.file}:${o.line}: ${o.expr}\n     ${compact(o.message ?? '')}`);
    }
  }
  console.log('');
  for (const s of summaries) {
    const u = count(s.outcomes, 'unsupported');
    console.log(
      `${s.core ? 'core' : 'experimental/native'} ${s.file}: ${count(s.outcomes, 'pass')} passed, ${count(s.outcomes, 'fail')} failed` +
        (u ? `, ${u} unsupported (native histograms)` : ''),
    );
  }
  const core = summaries.filter((s) => s.core).flatMap((s) => s.outcomes);
  const other = summaries.filter((s) => !s.core).flatMap((s) => s.outcomes);
  console.log(`core unsupported (native histograms): ${count(core, 'unsupported')}`);
  console.log(`experimental/native: ${count(other, 'pass')} passed, ${count(other, 'fail')} failed, ${count(other, 'unsupported')} unsupported`);
  const failed = count(core, 'fail');
  console.log(`${count(core, 'pass')} passed, ${failed} failed`);
  process.exitCode = failed === 0 ? 0 : 1;
}

if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  await main();
}
