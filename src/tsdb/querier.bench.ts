// Selection as the ruler does it, old against new in the same run: every selector of the rules benchmark's rule
// file (bench/rules-groups.ts) read from a head holding its fleet (bench/rules-fleet.ts: 100k Agent series, 60
// samples each) at one evaluation time. Three steps, each timed both ways:
// - postings: the matchers' lists intersected in matcher order by a linear walk (before) or shortest first with
//   galloping (selectPostings);
// - samples of instant selectors: every sample of the lookback window decoded (before) or only the newest one,
//   read from the open chunk (latestSampleInto, what the `latestOnly` hint asks for);
// - merge: each series keyed and grouped by its labels (mergeColumns, before) or only sorted (the head holds
//   each series once).
// Cases run in turns, the order reversed every turn; a figure is the median turn. `new` is what select() does.
//   node --max-semi-space-size=16 dist/src/tsdb/querier.bench.js [hosts=1000] [turns=15]
import { pathToFileURL } from 'node:url';
import { FLUSH_S, fleetSeries } from '../../bench/rules-fleet.js';
import { benchRuleFile } from '../../bench/rules-groups.js';
import { encodeMetricPayload } from '../../test/support/proto-writer.js';
import { decodeSeriesV2 } from '../intake/decoders/series-v2.js';
import { HostTagCache } from '../mapping/host-tags.js';
import { Mapper } from '../mapping/index.js';
import { compileMatchers, type CompiledMatcher } from '../model/matcher.js';
import type { LabelMatcher, SeriesData } from '../model/storage.js';
import { columnsOf, SeriesColumnsBuilder, sortColumns } from '../model/series-columns.js';
import { walk, type VectorSelector } from '../promql/ast.js';
import { parseRuleFile } from '../rules/rule-file.js';
import { Head, UNBOUNDED_WINDOW, type HeadSeries } from './head.js';
import { canonicalLabels, hashLabels } from './labels.js';
import { EMPTY_POSTINGS, selectPostings, subtractPostings, unionPostings, type Postings } from './postings.js';
import { HistogramHead } from './histogram-head.js';
import { HeadBlockQuerier, mergeColumns } from './querier.js';

const STEPS = 60;
const LOOKBACK_MS = 300_000;

interface Selection {
  matchers: LabelMatcher[];
  compiled: CompiledMatcher[];
  /** 0 for an instant selector. */
  rangeMs: number;
}

/** Every selector of the rule file, with the range of the matrix it is in. */
function ruleSelectors(): Selection[] {
  const parsed = parseRuleFile(benchRuleFile('30s').yaml);
  if (!parsed.groups) throw new Error(parsed.errors.join('\n'));
  const out: Selection[] = [];
  for (const g of parsed.groups)
    for (const r of g.rules) {
      const inMatrix = new Map<VectorSelector, number>();
      walk(r.ast, (node) => {
        if (node.type === 'MatrixSelector') inMatrix.set(node.vs, node.rangeMs);
      });
      walk(r.ast, (node) => {
        if (node.type === 'VectorSelector')
          out.push({
            matchers: node.matchers,
            compiled: compileMatchers(node.matchers),
            rangeMs: inMatrix.get(node) ?? 0,
          });
      });
    }
  return out;
}

/** The selection before: lists intersected in matcher order, each by a linear walk over both. */
function postingsBefore(head: Head, matchers: readonly CompiledMatcher[]): Postings {
  const linear = (a: Postings, b: Postings): Postings => {
    if (a.length > b.length) [a, b] = [b, a];
    const out = new Uint32Array(a.length);
    let n = 0;
    let j = 0;
    for (let i = 0; i < a.length && j < b.length; i++) {
      const x = a[i]!;
      while (j < b.length && b[j]! < x) j++;
      if (j < b.length && b[j] === x) out[n++] = x;
    }
    return out.subarray(0, n);
  };
  const values = (m: CompiledMatcher, accept: boolean): Postings => {
    if (accept && m.literals) return unionPostings(m.literals.map((v) => head.postingsFor(m.name, v)));
    const lists: Postings[] = [];
    for (const v of head.labelValuesOf(m.name)) if (m.matches(v) === accept) lists.push(head.postingsFor(m.name, v));
    return unionPostings(lists);
  };
  let result: Postings | undefined;
  const subtract: CompiledMatcher[] = [];
  for (const m of matchers) {
    if (m.matchesAll) continue;
    if (m.matchesEmpty) subtract.push(m);
    else result = result ? linear(result, values(m, true)) : values(m, true);
    if (result && result.length === 0) return EMPTY_POSTINGS;
  }
  result ??= head.allPostings();
  for (const m of subtract) result = subtractPostings(result, values(m, false));
  return result;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;

export interface QuerierBenchResult {
  series: number;
  selectors: number;
  /** Median ms per pass over every selector, before and now. */
  postings: { before: number; now: number };
  instantSamples: { before: number; now: number };
  merge: { before: number; now: number };
  select: { before: number; now: number };
}

export function benchRuleSelection(hosts = 1000, turns = 15): QuerierBenchResult {
  const head = new Head(2 * 3600_000);
  const mapper = new Mapper({ keepUtf8Names: false }, new HostTagCache(null));
  const t0Sec = 1_700_000_000;
  for (let h = 0; h < hosts; h += 100) {
    const payload = decodeSeriesV2(encodeMetricPayload(fleetSeries(h, Math.min(100, hosts - h), t0Sec, 0, STEPS)));
    for (const s of mapper.map('default', payload, Date.now()).series) {
      const labels = canonicalLabels(s.labels);
      const hash = hashLabels(labels);
      const hs = head.get(labels, hash) ?? head.create(labels, hash);
      for (let i = 0; i < s.timestamps.length; i++) head.append(hs, s.timestamps[i]!, s.values[i]!, UNBOUNDED_WINDOW);
    }
  }
  const querier = new HeadBlockQuerier(head, new HistogramHead(head.blockRangeMs), () => []);
  const selections = ruleSelectors();
  const ts = (t0Sec + (STEPS - 1) * FLUSH_S) * 1000;
  const window = (s: Selection) => ({ mint: ts - (s.rangeMs || LOOKBACK_MS) + 1, maxt: ts });
  const matching = (s: Selection): HeadSeries[] => {
    const { mint, maxt } = window(s);
    return head.matchingSeries(s.compiled, mint, maxt);
  };
  const instant = selections.filter((s) => s.rangeMs === 0);
  const parts = selections.map((s) => {
    const { mint, maxt } = window(s);
    return columnsOf(matching(s).flatMap((hs) => head.samples(hs, mint, maxt) ?? []));
  });

  const cases: Record<string, () => void> = {
    'postings before': () => {
      for (const s of selections) postingsBefore(head, s.compiled);
    },
    'postings now': () => {
      for (const s of selections) selectPostings(head, s.compiled);
    },
    'instant samples before': () => {
      for (const s of instant) for (const hs of matching(s)) head.samples(hs, ts - LOOKBACK_MS + 1, ts);
    },
    'instant samples now': () => {
      for (const s of instant) {
        const out = new SeriesColumnsBuilder();
        for (const hs of matching(s))
          if (!head.latestSampleInto(hs, ts - LOOKBACK_MS + 1, ts, out)) head.samples(hs, ts - LOOKBACK_MS + 1, ts);
      }
    },
    'merge before': () => {
      for (const p of parts) mergeColumns(p);
    },
    'merge now': () => {
      for (const p of parts) sortColumns(p);
    },
    'select before': () => {
      for (const s of selections) {
        const { mint, maxt } = window(s);
        const found: SeriesData[] = [];
        for (const id of postingsBefore(head, s.compiled)) {
          const hs = head.byId.get(id)!;
          if (hs.maxT < mint || hs.minT > maxt) continue;
          const d = head.samples(hs, mint, maxt);
          if (d) found.push(d);
        }
        mergeColumns(columnsOf(found));
      }
    },
    'select now': () => {
      for (const s of selections) {
        const { mint, maxt } = window(s);
        void querier.select(s.matchers, mint, maxt, s.rangeMs === 0 ? { latestOnly: true } : undefined);
      }
    },
  };
  const names = Object.keys(cases);
  const times = new Map<string, number[]>(names.map((n) => [n, []]));
  for (let turn = 0; turn < turns; turn++) {
    for (const name of turn % 2 ? [...names].reverse() : names) {
      const start = performance.now();
      cases[name]!();
      times.get(name)!.push(performance.now() - start);
    }
  }
  const fig = (what: string) => ({
    before: median(times.get(`${what} before`)!),
    now: median(times.get(`${what} now`)!),
  });
  return {
    series: head.numSeries,
    selectors: selections.length,
    postings: fig('postings'),
    instantSamples: fig('instant samples'),
    merge: fig('merge'),
    select: fig('select'),
  };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const [hosts, turns] = process.argv.slice(2).map(Number);
  const r = benchRuleSelection(hosts || 1000, turns || 15);
  console.log(`${r.selectors} selectors of the rule file over ${r.series} head series, ms per pass (median):`);
  for (const what of ['postings', 'instantSamples', 'merge', 'select'] as const) {
    const f = r[what];
    console.log(
      `${what.padEnd(16)} before ${f.before.toFixed(1).padStart(7)}  now ${f.now.toFixed(1).padStart(7)}  ×${(f.before / f.now).toFixed(2)}`,
    );
  }
}
