// CPU cost of the ruler alone: the rules benchmark's fleet (bench/rules-fleet.ts) loaded into an embedded-store
// tenant database through the mapper, then every group of its rule file (bench/rules-groups.ts: 1,000 rules)
// evaluated slot after slot, one group at a time, as the groups would run over the interval, appending into that
// database (WAL fsync included). No HTTP, no other process: what is left of the end-to-end benchmark's noise is the
// machine's. Prints the CPU and wall time of each pass over all groups.
//   node --max-semi-space-size=16 dist/src/rules/group.bench.js [hosts=1000] [passes=6]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { FLUSH_S, SERIES_PER_HOST, fleetSeries } from '../../bench/rules-fleet.js';
import { benchRuleFile } from '../../bench/rules-groups.js';
import { encodeMetricPayload } from '../../test/support/proto-writer.js';
import { decodeSeriesV2 } from '../intake/decoders/series-v2.js';
import { HostTagCache } from '../mapping/host-tags.js';
import { Mapper } from '../mapping/index.js';
import { Engine } from '../promql/engine.js';
import { TenantDb } from '../tsdb/db.js';
import { AlertingRule } from './alerting-rule.js';
import { RuleGroup, type GroupDeps } from './group.js';
import { ruleMetrics } from './metrics.js';
import { RecordingRule } from './recording-rule.js';
import { parseRuleFile } from './rule-file.js';

const INTERVAL_S = 30;
const HISTORY_STEPS = 120;

export interface GroupBenchResult {
  hosts: number;
  rules: number;
  /** Per pass over every group: CPU (user + system) and wall milliseconds of this process. */
  passes: { cpuMs: number; wallMs: number }[];
}

export async function benchRuleGroups(hosts = 1000, passes = 6): Promise<GroupBenchResult> {
  const dir = mkdtempSync(join(tmpdir(), 'promdog-group-bench-'));
  const db = await TenantDb.open(dir, {});
  try {
    const mapper = new Mapper({ keepUtf8Names: false }, new HostTagCache(null));
    const t0Sec = Math.floor(Date.now() / 1000 / FLUSH_S) * FLUSH_S - HISTORY_STEPS * FLUSH_S;
    // History, then a flush per pass' worth of steps while evaluating, as Agents keep sending.
    const load = async (first: number, steps: number) => {
      for (let h = 0; h < hosts; h += 100) {
        const raw = encodeMetricPayload(fleetSeries(h, Math.min(100, hosts - h), t0Sec, first, steps));
        await db.append(mapper.map('default', decodeSeriesV2(raw), Date.now()).series);
      }
    };
    for (let k = 0; k < HISTORY_STEPS; k += 6) await load(k, 6);

    const engine = new Engine({ lookbackDeltaMs: 300_000, maxSamples: 50_000_000, timeoutMs: 120_000 });
    const deps: GroupDeps = {
      tenant: 'default',
      query: (expr, t) => engine.instantQueryRaw(db, expr, t),
      append: async (series) => {
        await db.append(series);
      },
      notify: () => {},
      logger: pino({ level: 'silent' }),
      metrics: ruleMetrics(new Registry()),
      externalLabels: { tenant: 'default' },
      externalURL: () => 'http://127.0.0.1:9090',
      resendDelayMs: 60_000,
      outageToleranceMs: 3_600_000,
      forGracePeriodMs: 600_000,
      onEvaluated: () => {},
    };
    const file = benchRuleFile(`${INTERVAL_S}s`);
    const parsed = parseRuleFile(file.yaml);
    if (!parsed.groups) throw new Error(parsed.errors.join('\n'));
    const groups = parsed.groups.map(
      (g) =>
        new RuleGroup(
          {
            file: 'rules.yml',
            name: g.name,
            intervalMs: INTERVAL_S * 1000,
            limit: 0,
            rules: g.rules.map((r) =>
              r.kind === 'alert' ? new AlertingRule(r, g.labels, true) : new RecordingRule(r, g.labels),
            ),
            shouldRestore: false,
          },
          deps,
        ),
    );

    const out: GroupBenchResult = { hosts, rules: file.recording + file.alerting, passes: [] };
    let k = HISTORY_STEPS;
    for (let p = 0; p < passes; p++) {
      await load(k, INTERVAL_S / FLUSH_S);
      k += INTERVAL_S / FLUSH_S;
      const ts = (t0Sec + (k - 1) * FLUSH_S) * 1000;
      const cpu = process.cpuUsage();
      const wall = performance.now();
      for (const g of groups) await g.evaluate(ts);
      const used = process.cpuUsage(cpu);
      out.passes.push({ cpuMs: (used.user + used.system) / 1000, wallMs: performance.now() - wall });
    }
    return out;
  } finally {
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const [hosts, passes] = process.argv.slice(2).map(Number);
  const r = await benchRuleGroups(hosts || 1000, passes || 6);
  console.log(`${r.rules} rules over ${r.hosts * SERIES_PER_HOST} series, one pass over every group:`);
  for (const [i, p] of r.passes.entries())
    console.log(`pass ${i + 1}: CPU ${p.cpuMs.toFixed(0)} ms, wall ${p.wallMs.toFixed(0)} ms`);
}
