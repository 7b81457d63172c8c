// One tenant's rules (Prometheus' rules.Manager): the groups of its sources (rule files, ruler API namespaces, the
// default pack), kept running across updates. An update keeps a group whose definition did not change, replaces a
// changed one (the new group takes over the old one's alerts and series), stops removed ones and marks their series
// stale. Groups loaded by the first update restore their alerts' `for` state; groups added later do not (as in
// Prometheus).
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { PromSeries } from '../model/prometheus.js';
import type { RawResult } from '../promql/engine.js';
import { AlertingRule } from './alerting-rule.js';
import { RecordingRule } from './recording-rule.js';
import { RuleGroup, type GroupDeps } from './group.js';
import { ruleMetrics } from './metrics.js';
import type { RuleGroupDefinition } from './rule-file.js';
import type { RuleAppend, RuleNotify, RuleQuery } from './types.js';

/** Groups from one place: a rule file (its path) or a ruler API namespace (its name). */
export interface RuleSource {
  file: string;
  groups: RuleGroupDefinition[];
}

export interface RuleManagerOptions {
  tenant: string;
  query: RuleQuery;
  append: RuleAppend;
  notify: RuleNotify;
  registry: Registry;
  logger: Logger;
  /** Interval of groups that set none. */
  defaultIntervalMs: number;
  externalLabels: Record<string, string>;
  /** The URL promdog is reached at (known once it listens), for generator URLs and templates. */
  externalURL(): string;
  /** Prometheus --rules.alert.resend-delay: a firing alert is re-sent this often. */
  resendDelayMs: number;
  /** Prometheus --rules.alert.for-outage-tolerance: the longest outage after which `for` state is restored. */
  outageToleranceMs: number;
  /** Prometheus --rules.alert.for-grace-period: a restored alert fires no sooner than this after a start. */
  forGracePeriodMs: number;
}

export class RuleManager {
  readonly tenant: string;
  private groups = new Map<string, RuleGroup>();
  private loadedOnce = false;
  private started = false;
  private readonly stopping = new AbortController();
  /** Removed groups waiting to write their stale markers. */
  private readonly retiring = new Set<Promise<void>>();
  /** Updates run one at a time. */
  private updating: Promise<void> = Promise.resolve();
  private readonly deps: GroupDeps;

  constructor(private readonly opts: RuleManagerOptions) {
    this.tenant = opts.tenant;
    const tenant = opts.tenant;
    this.deps = {
      tenant,
      query: (expr: string, timeMs: number): Promise<RawResult> => opts.query(tenant, expr, timeMs),
      append: (series: PromSeries[]) => opts.append(tenant, series),
      notify: (alerts) => opts.notify(tenant, alerts),
      logger: opts.logger.child({ component: 'ruler', tenant }),
      metrics: ruleMetrics(opts.registry),
      externalLabels: opts.externalLabels,
      externalURL: () => opts.externalURL().replace(/\/+$/, ''),
      resendDelayMs: opts.resendDelayMs,
      outageToleranceMs: opts.outageToleranceMs,
      forGracePeriodMs: opts.forGracePeriodMs,
      onEvaluated: () => this.countAlerts(),
    };
  }

  /** promdog_rule_alerts: the tenant's alerts by state. */
  private countAlerts(): void {
    let pending = 0;
    let firing = 0;
    for (const g of this.groups.values())
      for (const r of g.rules)
        if (r instanceof AlertingRule)
          for (const a of r.active.values()) {
            if (a.state === 'pending') pending++;
            else if (a.state === 'firing') firing++;
          }
    this.deps.metrics.alerts.set({ tenant: this.tenant, state: 'pending' }, pending);
    this.deps.metrics.alerts.set({ tenant: this.tenant, state: 'firing' }, firing);
  }

  /** Groups sorted by file, then name (the rules API's order). */
  ruleGroups(): RuleGroup[] {
    return [...this.groups.values()].sort((a, b) =>
      a.file !== b.file ? (a.file < b.file ? -1 : 1) : a.name < b.name ? -1 : a.name > b.name ? 1 : 0,
    );
  }

  /** Replaces the rule configuration with these sources (already checked). */
  update(sources: RuleSource[]): Promise<void> {
    const run = this.updating.then(() => this.apply(sources));
    this.updating = run.catch(() => {});
    return run;
  }

  private build(sources: RuleSource[]): Map<string, RuleGroup> {
    const shouldRestore = !this.loadedOnce;
    const out = new Map<string, RuleGroup>();
    for (const source of sources) {
      for (const g of source.groups) {
        const rules = g.rules.map((r) =>
          r.kind === 'alert' ? new AlertingRule(r, g.labels, !shouldRestore) : new RecordingRule(r, g.labels),
        );
        const group = new RuleGroup(
          {
            file: source.file,
            name: g.name,
            intervalMs: g.intervalMs > 0 ? g.intervalMs : this.opts.defaultIntervalMs,
            ...(g.queryOffsetMs !== undefined ? { queryOffsetMs: g.queryOffsetMs } : {}),
            limit: g.limit,
            rules,
            shouldRestore,
          },
          this.deps,
        );
        out.set(`${source.file};${g.name}`, group);
      }
    }
    return out;
  }

  private async apply(sources: RuleSource[]): Promise<void> {
    if (this.stopping.signal.aborted) return;
    const next = this.build(sources);
    this.loadedOnce = true;
    const old = this.groups;
    const replaced: Promise<void>[] = [];
    for (const [key, group] of next) {
      const before = old.get(key);
      old.delete(key);
      if (before && before.definitionKey === group.definitionKey) {
        next.set(key, before);
        continue;
      }
      replaced.push(
        (async () => {
          if (before) {
            await before.stop();
            group.copyState(before);
          }
          if (this.started) group.start();
        })(),
      );
    }
    for (const removed of old.values()) {
      const retire = (async () => {
        await removed.stop();
        removed.deleteMetrics();
        await removed.markStaleAfterRemoval(this.stopping.signal);
      })();
      this.retiring.add(retire);
      void retire.finally(() => this.retiring.delete(retire));
    }
    await Promise.all(replaced);
    this.groups = next;
  }

  /** Starts evaluating (after the store is open). */
  start(): void {
    this.started = true;
    for (const g of this.groups.values()) g.start();
  }

  /** Stops every group after its evaluation in progress; removed groups give up their pending stale markers. */
  async stop(): Promise<void> {
    this.stopping.abort();
    await this.updating;
    await Promise.all([...this.groups.values()].map((g) => g.stop()));
    await Promise.all([...this.retiring]);
  }
}
