// A rule group as Prometheus 3.5 runs it (rules/group.go): evaluated at its interval in its stable slot (schedule.ts),
// its rules in order so each sees the recording rules before it; missed slots counted and skipped; results appended
// with stale markers for series that went away; alerts sent; and, after a start, the `for` state of its alerts
// restored from ALERTS_FOR_STATE once it has evaluated twice.
import { performance } from 'node:perf_hooks';
import type { Logger } from 'pino';
import type { Label, PromSeries } from '../model/prometheus.js';
import { labelsKey } from '../model/labels.js';
import type { RawResult } from '../promql/engine.js';
import { STALE_NAN_ARRAY } from '../promql/staleness.js';
import { goQuote } from '../promql/printer.js';
import { walk } from '../promql/ast.js';
import { compileMatcher } from '../model/matcher.js';
import { exploreFragment } from '../model/console-links.js';
import { AlertingRule, type Alert } from './alerting-rule.js';
import type { RecordingRule } from './recording-rule.js';
import type { EvalContext } from './rule.js';
import { labelsToRecord } from './labels.js';
import { GROUP_FAMILIES, type RuleMetrics } from './metrics.js';
import { evalTimestamp } from './schedule.js';
import type { AlertNotification } from '../model/alert.js';

export type Rule = AlertingRule | RecordingRule;

/** What a group gets from its tenant's manager. */
export interface GroupDeps {
  tenant: string;
  query(expr: string, timeMs: number): Promise<RawResult>;
  append(series: PromSeries[]): Promise<void>;
  notify(alerts: AlertNotification[]): void;
  logger: Logger;
  metrics: RuleMetrics;
  externalLabels: Record<string, string>;
  /** promdog's external URL without a trailing slash; generator URLs point at its console. */
  externalURL(): string;
  resendDelayMs: number;
  outageToleranceMs: number;
  forGracePeriodMs: number;
  /** Called after each evaluation (the manager refreshes its alert counts). */
  onEvaluated(): void;
}

export interface GroupSpec {
  /** The rule file, or the ruler API namespace, the group comes from. */
  file: string;
  name: string;
  intervalMs: number;
  /** Undefined: 0 (Prometheus' default rule query offset). */
  queryOffsetMs?: number;
  limit: number;
  rules: Rule[];
  /** Restore `for` state from ALERTS_FOR_STATE after the second evaluation (groups loaded at start). */
  shouldRestore: boolean;
}

/** How far behind its expression a rule's lookback for a stale ALERTS_FOR_STATE marker still reaches. */
const LOOKBACK_MS = 5 * 60_000;

/**
 * A stale marker's value array. A Float64Array on purpose: V8 quiets the signalling NaN that is Prometheus'
 * StaleNaN when it is stored into a plain number[], and the sinks read values by index and slice, which a typed
 * array serves with the exact bits.
 */
const STALE_VALUES = STALE_NAN_ARRAY as unknown as number[];

function staleMarker(labels: Label[], t: number): PromSeries {
  return { labels, timestamps: [t], values: STALE_VALUES };
}

/** A PromQL selector matching exactly these labels (names quoted when they are not legacy names). */
function selectorFor(labels: Label[]): string {
  const parts = labels.map((l) => {
    const name = /^[a-zA-Z_][a-zA-Z0-9_]*$/.test(l.name) ? l.name : goQuote(l.name);
    return `${name}=${goQuote(l.value)}`;
  });
  return `{${parts.join(',')}}`;
}

/**
 * Per rule: the earlier rules of the group whose results it may read (a selector whose metric name matches an
 * earlier recording rule's name, or ALERTS / ALERTS_FOR_STATE after an alerting rule, or one without a name), as
 * Prometheus' rule dependency analysis finds them. A rule waits for those rules' appends only.
 */
function earlierRulesRead(rules: readonly Rule[]): number[][] {
  return rules.map((rule, i) => {
    const selectors: ((name: string) => boolean)[] = [];
    walk(rule.ast, (node) => {
      if (node.type !== 'VectorSelector') return;
      const name = node.matchers.find((m) => m.name === '__name__');
      if (!name) selectors.push(() => true);
      else {
        const m = compileMatcher(name);
        selectors.push((written) => m.matches(written));
      }
    });
    const read: number[] = [];
    for (let j = 0; j < i; j++) {
      const r = rules[j]!;
      const written = r instanceof AlertingRule ? ['ALERTS', 'ALERTS_FOR_STATE'] : [r.name];
      if (selectors.some((reads) => written.some(reads))) read.push(j);
    }
    return read;
  });
}

/** Resolves after `ms`, or at once when the signal aborts. */
function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted || ms <= 0) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done);
  });
}

export class RuleGroup {
  readonly file: string;
  readonly name: string;
  readonly intervalMs: number;
  readonly queryOffsetMs: number | undefined;
  readonly limit: number;
  readonly rules: Rule[];
  /** Identifies the definition: an update keeps a running group whose definition is unchanged. */
  readonly definitionKey: string;
  /** Wall-clock start of the last evaluation (ms), 0 before the first. */
  lastEvaluation = 0;
  lastDurationMs = 0;
  /** Slot of the last evaluation (ms). */
  lastEvalTimestamp = 0;
  /** Per rule: the series it wrote in its last evaluation, by labelsKey. */
  private seriesInPreviousEval: Map<string, Label[]>[];
  /** Series of rules no longer in the group, marked stale at the next evaluation. */
  private staleSeries: Label[][] = [];
  private shouldRestore: boolean;
  private readonly reads: number[][];
  private readonly stopping = new AbortController();
  private running: Promise<void> | undefined;
  private readonly key: string;
  private readonly logger: Logger;

  constructor(
    spec: GroupSpec,
    private readonly deps: GroupDeps,
  ) {
    this.file = spec.file;
    this.name = spec.name;
    this.intervalMs = spec.intervalMs;
    this.queryOffsetMs = spec.queryOffsetMs;
    this.limit = spec.limit;
    this.rules = spec.rules;
    this.shouldRestore = spec.shouldRestore;
    this.seriesInPreviousEval = spec.rules.map(() => new Map());
    this.reads = earlierRulesRead(spec.rules);
    this.key = `${spec.file};${spec.name}`;
    this.logger = deps.logger.child({ file: spec.file, group: spec.name });
    this.definitionKey = JSON.stringify([
      spec.file,
      spec.name,
      spec.intervalMs,
      spec.limit,
      spec.queryOffsetMs ?? null,
      spec.rules.map((r) =>
        r instanceof AlertingRule
          ? ['alert', r.name, r.exprText, r.holdMs, r.keepFiringForMs, r.labels, r.annotations]
          : ['record', r.name, r.exprText, r.labels],
      ),
    ]);
    const m = this.groupLabels();
    for (const family of GROUP_FAMILIES) deps.metrics[family].inc(m, 0);
    deps.metrics.groupRules.set(m, spec.rules.length);
    deps.metrics.groupInterval.set(m, spec.intervalMs / 1000);
  }

  private groupLabels() {
    return { tenant: this.deps.tenant, rule_group: this.key };
  }

  get effectiveQueryOffsetMs(): number {
    return this.queryOffsetMs ?? 0;
  }

  start(): void {
    this.running ??= this.run();
  }

  /** Stops after the evaluation in progress, if any. */
  async stop(): Promise<void> {
    this.stopping.abort();
    await this.running;
  }

  /** Drops the group's series from the per-group families (the group is gone). */
  deleteMetrics(): void {
    for (const family of GROUP_FAMILIES) this.deps.metrics[family].remove(this.groupLabels());
  }

  /**
   * After the group was removed from the configuration: waits two intervals (a renamed rule may write the same
   * series meanwhile), then marks every series it wrote stale, unless `managerStopping` aborts first.
   */
  async markStaleAfterRemoval(managerStopping: AbortSignal): Promise<void> {
    for (const series of this.seriesInPreviousEval) this.staleSeries.push(...series.values());
    this.seriesInPreviousEval = [];
    const removedAt = Date.now();
    await sleep(2 * this.intervalMs, managerStopping);
    if (managerStopping.aborted) return;
    await this.appendStaleSeries(removedAt);
  }

  /** Takes over a group this one replaces: rules matched by name and labels keep their series and alerts. */
  copyState(from: RuleGroup): void {
    this.lastEvaluation = from.lastEvaluation;
    this.lastDurationMs = from.lastDurationMs;
    const byIdentity = new Map<string, number[]>();
    from.rules.forEach((r, i) => {
      const id = r.identity();
      byIdentity.set(id, [...(byIdentity.get(id) ?? []), i]);
    });
    this.rules.forEach((rule, i) => {
      const candidates = byIdentity.get(rule.identity());
      const fi = candidates?.shift();
      if (fi === undefined) return;
      this.seriesInPreviousEval[i] = from.seriesInPreviousEval[fi] ?? new Map();
      const old = from.rules[fi];
      if (rule instanceof AlertingRule && old instanceof AlertingRule)
        for (const [k, a] of old.active) rule.active.set(k, a);
    });
    this.staleSeries = [...from.staleSeries];
    // Rules of the old group that found no match: their series go stale.
    for (const indexes of byIdentity.values())
      for (const fi of indexes) this.staleSeries.push(...(from.seriesInPreviousEval[fi]?.values() ?? []));
  }

  private async run(): Promise<void> {
    const signal = this.stopping.signal;
    let ts = evalTimestamp(this.file, this.name, this.intervalMs, Date.now()) + this.intervalMs;
    await sleep(ts - Date.now(), signal);
    if (signal.aborted) return;
    await this.iterate(ts);
    if (this.shouldRestore) {
      // The first evaluation may run before recording rules the alerts depend on caught up: restore after a second.
      const next = await this.nextSlot(ts, signal);
      if (next === undefined) return;
      ts = next;
      await this.iterate(ts);
      await this.restoreForState(Date.now());
    }
    for (;;) {
      const next = await this.nextSlot(ts, signal);
      if (next === undefined) return;
      ts = next;
      await this.iterate(ts);
    }
  }

  /**
   * Waits for the next tick of the interval after `ts` and returns its slot, counting the slots skipped because an
   * evaluation ran late (Prometheus' ticker drops ticks the same way). Undefined once stopped.
   */
  private async nextSlot(ts: number, signal: AbortSignal): Promise<number | undefined> {
    let k = Math.max(1, Math.ceil((Date.now() - ts) / this.intervalMs));
    await sleep(ts + k * this.intervalMs - Date.now(), signal);
    if (signal.aborted) return undefined;
    k = Math.max(k, Math.floor((Date.now() - ts) / this.intervalMs));
    const missed = k - 1;
    if (missed > 0) {
      this.deps.metrics.iterationsMissed.inc(this.groupLabels(), missed);
      this.deps.metrics.iterationsScheduled.inc(this.groupLabels(), missed);
    }
    return ts + k * this.intervalMs;
  }

  private async iterate(ts: number): Promise<void> {
    const m = this.deps.metrics;
    m.iterationsScheduled.inc(this.groupLabels());
    const wallStart = Date.now();
    const start = performance.now();
    await this.evaluate(ts);
    const seconds = (performance.now() - start) / 1000;
    m.groupDuration.observe({ tenant: this.deps.tenant }, seconds);
    let ruleSum = 0;
    for (const r of this.rules) ruleSum += r.lastDurationMs;
    m.groupLastRuleDurationSum.set(this.groupLabels(), ruleSum / 1000);
    m.groupLastDuration.set(this.groupLabels(), seconds);
    m.groupLastEvalTime.set(this.groupLabels(), wallStart / 1000);
    this.lastDurationMs = seconds * 1000;
    this.lastEvaluation = wallStart;
    this.lastEvalTimestamp = ts;
    this.deps.onEvaluated();
  }

  /**
   * One evaluation at slot `ts`: every rule in order, then the stale markers of removed rules. Rules are evaluated
   * one after the other; their appends run on while the next rules evaluate (the store commits them together), and a
   * rule that reads what earlier ones write waits for their appends first (each wait is an fsync or a remote write).
   * All have landed when this resolves.
   */
  async evaluate(ts: number): Promise<void> {
    const appending: Promise<number>[] = [];
    for (let i = 0; i < this.rules.length; i++) {
      if (this.stopping.signal.aborted) break;
      const reads = this.reads[i]!;
      if (reads.length > 0) await Promise.all(reads.map((j) => appending[j]));
      appending.push((await this.evaluateRule(i, this.rules[i]!, ts)).done);
    }
    const samples = (await Promise.all(appending)).reduce((a, b) => a + b, 0);
    if (this.stopping.signal.aborted) return;
    this.deps.metrics.groupSamples.set(this.groupLabels(), samples);
    if (this.staleSeries.length > 0) await this.appendStaleSeries(ts);
  }

  private context(): EvalContext {
    return {
      query: this.deps.query,
      queryOffsetMs: this.effectiveQueryOffsetMs,
      limit: this.limit,
      externalLabels: this.deps.externalLabels,
      externalURL: this.deps.externalURL(),
      logger: this.logger,
    };
  }

  /**
   * Evaluates rule `i` and sends its alerts; `done` settles once its results (and stale markers for its series that
   * went away) are appended, with the number of samples it produced.
   */
  private async evaluateRule(i: number, rule: Rule, ts: number): Promise<{ done: Promise<number> }> {
    const m = this.deps.metrics;
    const wallStart = Date.now();
    const start = performance.now();
    m.evalTotal.inc(this.groupLabels());
    const finish = () => {
      rule.lastDurationMs = performance.now() - start;
      rule.lastEvaluation = wallStart;
      m.evalDuration.observe({ tenant: this.deps.tenant }, rule.lastDurationMs / 1000);
    };
    const fail = (err: unknown, what: string) => {
      rule.health = 'err';
      rule.lastError = (err as Error).message ?? String(err);
      m.evalFailures.inc(this.groupLabels());
      this.logger.warn({ name: rule.name, index: i, err: rule.lastError }, what);
    };
    let series: PromSeries[];
    try {
      series = await rule.eval(this.context(), ts);
    } catch (err) {
      fail(err, 'Evaluating rule failed');
      finish();
      return { done: Promise.resolve(0) };
    }
    rule.health = 'ok';
    rule.lastError = undefined;
    if (rule instanceof AlertingRule) this.sendAlerts(rule, ts);
    const done = (async () => {
      try {
        if (series.length > 0) await this.deps.append(series);
      } catch (err) {
        fail(err, 'Rule sample appending failed');
        return series.length;
      }
      const returned = new Map<string, Label[]>();
      for (const s of series) returned.set(labelsKey(s.labels), s.labels);
      const previous = this.seriesInPreviousEval[i] ?? new Map<string, Label[]>();
      this.seriesInPreviousEval[i] = returned;
      const gone: PromSeries[] = [];
      const t = ts - this.effectiveQueryOffsetMs;
      for (const [key, labels] of previous) if (!returned.has(key)) gone.push(staleMarker(labels, t));
      if (gone.length > 0) await this.appendIgnoringErrors(gone, 'Adding stale sample failed');
      return series.length;
    })().finally(finish);
    return { done };
  }

  /** Stale markers may be refused (a newer sample from another rule): expected, so only logged at debug. */
  private async appendIgnoringErrors(series: PromSeries[], what: string): Promise<boolean> {
    try {
      await this.deps.append(series);
      return true;
    } catch (err) {
      this.logger.debug({ err: (err as Error).message, series: series.length }, what);
      return false;
    }
  }

  private async appendStaleSeries(ts: number): Promise<void> {
    const t = ts - this.effectiveQueryOffsetMs;
    const ok = await this.appendIgnoringErrors(
      this.staleSeries.map((labels) => staleMarker(labels, t)),
      'Stale sample appending for previous configuration failed',
    );
    if (ok) this.staleSeries = [];
  }

  private sendAlerts(rule: AlertingRule, ts: number): void {
    const alerts = rule.alertsToSend(ts, this.deps.resendDelayMs, this.intervalMs);
    if (alerts.length === 0) return;
    const generatorURL = `${this.deps.externalURL()}/${exploreFragment(rule.exprText)}`;
    this.deps.notify(
      alerts.map((a: Alert) => ({
        labels: labelsToRecord(a.labels),
        annotations: labelsToRecord(a.annotations),
        startsAt: a.firedAt,
        endsAt: a.resolvedAt !== 0 ? a.resolvedAt : a.validUntil,
        generatorURL,
      })),
    );
  }

  /**
   * Prometheus' RestoreForState: for each alert active now whose ALERTS_FOR_STATE series had a sample within the
   * outage tolerance, the alert keeps its original activeAt, moved forward by the outage (or to fire no sooner than
   * the grace period from now), so a restart does not start the `for` clock over.
   */
  async restoreForState(nowMs: number): Promise<void> {
    const start = performance.now();
    for (const rule of this.rules) {
      if (!(rule instanceof AlertingRule)) continue;
      if (rule.holdMs >= this.deps.forGracePeriodMs) {
        try {
          await this.restoreRule(rule, nowMs);
        } catch (err) {
          // As in Prometheus: no retry; the alert fires after its full `for`.
          this.logger.error({ alertname: rule.name, err: (err as Error).message }, "Failed to restore 'for' state");
        }
      }
      rule.restored = true;
    }
    this.shouldRestore = false;
    this.deps.metrics.groupLastRestoreDuration.set(this.groupLabels(), (performance.now() - start) / 1000);
  }

  private async restoreRule(rule: AlertingRule, nowMs: number): Promise<void> {
    const selector = selectorFor(rule.forStateLabels());
    const found = await this.deps.query(`${selector}[${this.deps.outageToleranceMs}ms]`, nowMs);
    if (found.resultType !== 'matrix') throw new Error(`expected a range vector, got a ${found.resultType}`);
    const last = new Map<string, { t: number; v: number }>();
    for (const s of found.series) {
      const n = s.timestamps.length;
      if (n === 0) continue;
      const labels = s.labels.filter((l) => l.name !== '__name__');
      last.set(labelsKey(labels), { t: s.timestamps[n - 1]!, v: s.values[n - 1]! });
    }
    if (last.size === 0) return;
    const stale = await this.staleAfter(selector, last, nowMs);
    for (const [key, a] of rule.active) {
      const s = last.get(key);
      // A stale marker after the last sample: the alert had resolved, its old activeAt does not count.
      if (!s || stale.has(key)) continue;
      const downAt = Math.floor(s.t / 1000) * 1000;
      let activeAt = Math.trunc(s.v) * 1000;
      const remaining = rule.holdMs - (downAt - activeAt);
      if (remaining <= 0) {
        // It was firing when promdog went down; the next evaluation fires it again if it still holds.
      } else if (remaining < this.deps.forGracePeriodMs) {
        activeAt = nowMs + this.deps.forGracePeriodMs - rule.holdMs;
      } else {
        activeAt += nowMs - downAt;
      }
      a.activeAt = activeAt;
      this.logger.debug({ alertname: rule.name, activeAt, labels: a.labels }, "'for' state restored");
    }
  }

  /**
   * Keys of the series whose last sample was followed by a stale marker. A query of a range sees no stale markers,
   * so this looks at the instant vector one interval after the last sample, when the ruler would have written the
   * marker: a stale series is absent there. Only answerable while the interval is inside the lookback.
   */
  private async staleAfter(selector: string, last: Map<string, { t: number }>, nowMs: number): Promise<Set<string>> {
    const stale = new Set<string>();
    if (this.intervalMs >= LOOKBACK_MS) return stale;
    const byTime = new Map<number, string[]>();
    for (const [key, { t }] of last) {
      const at = t + this.intervalMs;
      if (at > nowMs) continue;
      byTime.set(at, [...(byTime.get(at) ?? []), key]);
    }
    for (const [at, keys] of byTime) {
      const r = await this.deps.query(selector, at);
      const present = new Set<string>();
      if (r.resultType === 'vector')
        for (const s of r.series) present.add(labelsKey(s.labels.filter((l) => l.name !== '__name__')));
      for (const key of keys) if (!present.has(key)) stale.add(key);
    }
    return stale;
  }
}
