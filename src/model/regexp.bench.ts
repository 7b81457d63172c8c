// Regex matching cost per label value: promdog's matcher (fast path, then re2js) against the linear-time engines it
// could use alone — re2js (pure JS port of RE2/J) and re2-wasm (Google's RE2 in WebAssembly, measured only when
// installed: `npm install --no-save re2-wasm`) — and JS RegExp, which backtracks (exponential on some patterns).
// Values look like what the Datadog Agent sends: hosts, pods, devices, paths.
// Run: node dist/src/model/regexp.bench.js
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { RE2JS } from 're2js';
import { compileLabelRegexp } from './regexp.js';

type Compile = (pattern: string) => (value: string) => boolean;

export interface RegexpBenchRow {
  pattern: string;
  /** ns per value, by engine. */
  nsPerValue: Record<string, number>;
}

function labelValues(): string[] {
  const out: string[] = [];
  for (let i = 0; i < 2500; i++) {
    out.push(
      `ip-10-0-${i % 256}-${i % 97}.eu-west-1.compute.internal`,
      `web-${i % 40}-7d9f8c6b5-x${(i * 7919) % 100000}`,
      `/var/lib/docker/overlay2/${i.toString(16)}/merged`,
      `prod-eu-west-${i % 9}`,
    );
  }
  return out;
}

const PATTERNS = [
  'prod-eu-west-3', // literal
  'prod-eu-west-1|prod-eu-west-2|prod-eu-west-3', // alternation of literals (Grafana multi-value variable)
  'web-.*', // prefix
  '.*\\.compute\\.internal', // suffix
  '.*docker.*', // contains
  '(?i)PROD-EU-.*', // case-insensitive prefix
  'ip-10-0-[0-9]+-1[0-9]*\\.eu-west-1\\.compute\\.internal', // engine
  'web-\\d+-[a-z0-9]+-x.*', // engine
  '(prod|dev)-(eu|us)-west-\\d+', // engine
];

/** The JS RegExp equivalent of the patterns above (they use no syntax JS lacks but the leading `(?i)`). */
function jsRegExp(pattern: string): (v: string) => boolean {
  const ci = pattern.startsWith('(?i)');
  const re = new RegExp(`^(?:${ci ? pattern.slice(4) : pattern})$`, ci ? 'si' : 's');
  return (v) => re.test(v);
}

async function engines(): Promise<Record<string, Compile>> {
  const out: Record<string, Compile> = {
    promdog: (p) => compileLabelRegexp(p).matches,
    re2js: (p) => {
      const re = RE2JS.compile(p, RE2JS.DOTALL);
      return (v) => re.testExact(v);
    },
    'JS RegExp': jsRegExp,
  };
  try {
    const wasmModule = 're2-wasm';
    const { RE2 } = (await import(wasmModule)) as {
      RE2: new (p: string, flags: string) => { test(v: string): boolean };
    };
    out['re2-wasm'] = (p) => {
      const re = new RE2(`^(?s:${p})$`, 'u');
      return (v) => re.test(v);
    };
  } catch {
    // Not installed: measured only on request.
  }
  return out;
}

export async function benchRegexp(rounds = 20): Promise<RegexpBenchRow[]> {
  const values = labelValues();
  const all = await engines();
  const rows: RegexpBenchRow[] = [];
  for (const pattern of PATTERNS) {
    const row: RegexpBenchRow = { pattern, nsPerValue: {} };
    let expected: number | undefined;
    for (const [name, compile] of Object.entries(all)) {
      const matches = compile(pattern);
      let hits = 0;
      for (const v of values) if (matches(v)) hits++; // warm-up, and the engines must agree
      if (expected !== undefined && hits !== expected)
        throw new Error(`${name} disagrees on ${pattern}: ${hits} vs ${expected}`);
      expected = hits;
      const started = performance.now();
      for (let r = 0; r < rounds; r++) for (const v of values) if (matches(v)) hits++;
      row.nsPerValue[name] = ((performance.now() - started) * 1e6) / (rounds * values.length);
    }
    rows.push(row);
  }
  return rows;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const rows = await benchRegexp();
  const names = Object.keys(rows[0]!.nsPerValue);
  console.log(`${'pattern'.padEnd(58)}${names.map((n) => n.padStart(12)).join('')}   (ns per value)`);
  for (const r of rows) {
    console.log(`${r.pattern.padEnd(58)}${names.map((n) => r.nsPerValue[n]!.toFixed(0).padStart(12)).join('')}`);
  }
}
