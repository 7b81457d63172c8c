// The ruler's wiring: what the rules part gets from the rest of promdog. Its queries go to the tenant's embedded store
// through the PromQL engine, or in gateway mode to the tenant's query backend (--query-url or its own); its results through the server's sink
// (the store's WAL, or remote write) with the tenant's name; its alerts to the tenant's notifier. Per tenant: rule
// files (--rule-file for `default`, tenants.<name>.rule_files), Alertmanagers (the tenant's, else the global ones)
// and external labels (tenant=<name>, the global ones, the tenant's own). The default rule pack is over Agent data as
// the mapping names it, for every tenant but `system` (promdog's own metrics, no Agent data), and only where rules
// can be evaluated (gateway mode needs --query-url).
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { ConfigError, type ServeConfig, type TenantRulesConfig } from '../config/config.js';
import type { PromSeries } from '../model/prometheus.js';
import type { Querier } from '../model/storage.js';
import { Notifier } from '../notifier/notifier.js';
import { SERVICE_CHECK_METRIC, sanitizeMetricName } from '../mapping/index.js';
import { Engine } from '../promql/engine.js';
import { defaultRuleSources } from '../rules/default-rules.js';
import { noQueryUrlMessage, type QueryBackends } from './query-backends.js';
import { RuleLoadError, Ruler } from '../rules/ruler.js';
import { SYSTEM_TENANT } from '../selfmon/self-scrape.js';
import type { RuleAppend, RuleQuery } from '../rules/types.js';
import type { AlertNotification } from '../model/alert.js';
import type { Sink } from '../sinks/sink.js';
import type { ConcurrencyLimiter } from '../api/limiter.js';
import { join } from 'node:path';

export interface RulesWiringDeps {
  /** The query API's admission: each rule's query waits for one of its tenant's slots like an API query. */
  admission: ConcurrencyLimiter;
  registry: Registry;
  logger: Logger;
  /** The server's sink (set before the ruler starts). */
  sink(): Sink;
  /** The tenant's store querier in embedded mode; undefined in gateway mode. */
  querier(tenant: string): Querier | undefined;
  /** Gateway mode's query backends (closed by the server, after the ruler). */
  queryBackends: QueryBackends;
  /** The URL promdog is reached at (set once it listens). */
  listenUrl(): string;
}

export interface RulesWiring {
  ruler: Ruler;
  /** Loads the tenants' rules; a rule file that does not load is a ConfigError naming every problem. */
  load(tenants: readonly string[]): Promise<void>;
  start(): void;
  /** Tenants that appeared since (new keys in the data dir). */
  addTenants(tenants: readonly string[]): Promise<void>;
  /** Re-reads the rule files (SIGHUP, /-/reload); resolves to the problems, empty when all loaded. */
  reload(): Promise<string[]>;
  /** Stops evaluating, then flushes the notifiers; before the sink closes. */
  close(): Promise<void>;
}

const NOTIFIER_STOP_MS = 5_000;

/** Every sample the sink refused is an error of the rule that produced it. */
function appendThrough(sink: () => Sink, timeoutMs: number): RuleAppend {
  return async (tenant: string, series: PromSeries[]) => {
    const { rejected } = await sink().write({ tenant, series, metadata: [] }, Date.now() + timeoutMs);
    const reasons = Object.entries(rejected).filter(([, n]) => (n ?? 0) > 0);
    if (reasons.length > 0)
      throw new Error(`the store refused samples: ${reasons.map(([reason, n]) => `${n} ${reason}`).join(', ')}`);
  };
}

export function createRules(cfg: ServeConfig, deps: RulesWiringDeps): RulesWiring {
  const gateway = cfg.remoteWrite.length > 0;
  const tenantRules = new Map<string, TenantRulesConfig>();
  for (const t of cfg.tenants) if (t.rules) tenantRules.set(t.name, t.rules);
  const externalLabelsFor = (tenant: string) => ({
    tenant,
    ...cfg.rules.externalLabels,
    ...tenantRules.get(tenant)?.externalLabels,
  });

  let unadmitted: RuleQuery;
  if (!gateway) {
    const engine = new Engine({
      lookbackDeltaMs: cfg.query.lookbackDeltaMs,
      maxSamples: cfg.query.maxSamples,
      timeoutMs: cfg.query.timeoutMs,
      // Prometheus' rule engine steps subqueries without a step at the global evaluation interval.
      defaultSubqueryStepMs: cfg.rules.evaluationIntervalMs,
    });
    unadmitted = (tenant, expr, timeMs) => {
      const q = deps.querier(tenant);
      if (!q) return Promise.reject(new Error('the embedded store is not open'));
      return engine.instantQueryRaw(q, expr, timeMs);
    };
  } else {
    unadmitted = (tenant, expr, timeMs) => {
      const client = deps.queryBackends.clientFor(tenant);
      if (!client) return Promise.reject(new Error(noQueryUrlMessage(tenant)));
      return client.instantQuery(tenant, expr, timeMs);
    };
  }
  // A tenant's rules are its queries too: they wait for its slots, so a heavy rule group and a flood of API queries
  // share one budget and other tenants keep theirs. Past the queue (503) the rule's evaluation fails with that error.
  const query: RuleQuery = async (tenant, expr, timeMs) => {
    const release = await deps.admission.acquire(tenant, cfg.query.timeoutMs);
    try {
      return await unadmitted(tenant, expr, timeMs);
    } finally {
      release();
    }
  };

  const defaultPack = cfg.rules.defaultRules
    ? defaultRuleSources(cfg.rules.defaultPack, {
        metric: (name) => (cfg.mapping.keepUtf8Names ? name : sanitizeMetricName(name)),
        serviceCheck: SERVICE_CHECK_METRIC,
      })
    : [];
  /** The system tenant holds promdog's own metrics only; in gateway mode a tenant needs a query URL to evaluate. */
  const packOffLogged = new Set<string>();
  const packFor = (tenant: string) => {
    if (tenant === SYSTEM_TENANT || defaultPack.length === 0) return [];
    if (gateway && !deps.queryBackends.clientFor(tenant)) {
      if (packOffLogged.has(tenant)) return [];
      packOffLogged.add(tenant);
      deps.logger.info(
        { tenant },
        'default rule pack off for this tenant: gateway mode without a query URL (--query-url, tenants.<name>.query_url)',
      );
      return [];
    }
    return defaultPack;
  };

  const notifiers = new Map<string, Notifier | undefined>();
  const notifierFor = (tenant: string): Notifier | undefined => {
    if (notifiers.has(tenant)) return notifiers.get(tenant);
    const alertmanagers = tenantRules.get(tenant)?.alertmanagers ?? cfg.alertmanagers;
    const notifier =
      alertmanagers.length > 0
        ? new Notifier({
            tenant,
            alertmanagers,
            externalLabels: externalLabelsFor(tenant),
            registry: deps.registry,
            logger: deps.logger.child({ component: 'notifier', tenant }),
          })
        : undefined;
    notifiers.set(tenant, notifier);
    return notifier;
  };

  const ruler = new Ruler({
    manager: {
      query,
      append: appendThrough(deps.sink, cfg.limits.requestTimeoutMs),
      notify: (tenant: string, alerts: AlertNotification[]) => notifierFor(tenant)?.send(alerts),
      registry: deps.registry,
      logger: deps.logger,
      defaultIntervalMs: cfg.rules.evaluationIntervalMs,
      externalURL: () => cfg.externalUrl ?? deps.listenUrl(),
      resendDelayMs: cfg.rules.resendDelayMs,
      outageToleranceMs: cfg.rules.forOutageToleranceMs,
      forGracePeriodMs: cfg.rules.forGracePeriodMs,
    },
    storeDir: join(cfg.dataDir, 'rules'),
    settingsFor: (tenant) => ({
      ruleFiles: [...(tenantRules.get(tenant)?.ruleFiles ?? []), ...(tenant === 'default' ? cfg.rules.files : [])],
      externalLabels: externalLabelsFor(tenant),
    }),
    defaultRules: packFor,
  });

  return {
    ruler,
    async load(tenants) {
      try {
        await ruler.load(tenants);
      } catch (e) {
        if (e instanceof RuleLoadError) throw new ConfigError(e.message);
        throw e;
      }
      // Notifiers from the start, so their series show at 0 before the first alert, as in Prometheus.
      for (const t of tenants) notifierFor(t);
    },
    start: () => ruler.start(),
    async addTenants(tenants) {
      for (const t of tenants) {
        await ruler.addTenant(t);
        notifierFor(t);
      }
    },
    reload: () => ruler.reload(),
    async close() {
      await ruler.stop();
      const deadline = Date.now() + NOTIFIER_STOP_MS;
      await Promise.all([...notifiers.values()].map((n) => n?.stop(deadline)));
    },
  };
}
