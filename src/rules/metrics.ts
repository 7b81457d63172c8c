// The ruler's families on /metrics: Prometheus' prometheus_rule_* (rules/group.go) as promdog_rule_*, each with a
// `tenant` label, the per-group ones with `rule_group` = "<file>;<group name>" as Prometheus names groups; plus alerts
// by state and the rule-configuration reloads. Declared once per registry.
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

type GroupLabels = 'tenant' | 'rule_group';

export interface RuleMetrics {
  evalDuration: Histogram<'tenant'>;
  groupDuration: Histogram<'tenant'>;
  iterationsMissed: Counter<GroupLabels>;
  iterationsScheduled: Counter<GroupLabels>;
  evalTotal: Counter<GroupLabels>;
  evalFailures: Counter<GroupLabels>;
  groupInterval: Gauge<GroupLabels>;
  groupLastEvalTime: Gauge<GroupLabels>;
  groupLastDuration: Gauge<GroupLabels>;
  groupLastRuleDurationSum: Gauge<GroupLabels>;
  groupLastRestoreDuration: Gauge<GroupLabels>;
  groupRules: Gauge<GroupLabels>;
  groupSamples: Gauge<GroupLabels>;
  alerts: Gauge<'tenant' | 'state'>;
  reloadSuccessful: Gauge<'tenant'>;
  reloadSuccessTime: Gauge<'tenant'>;
  reloads: Counter<'tenant' | 'result'>;
}

/** The families a group reports under its `rule_group` label; dropped when the group goes away. */
export const GROUP_FAMILIES = [
  'iterationsMissed',
  'iterationsScheduled',
  'evalTotal',
  'evalFailures',
  'groupInterval',
  'groupLastEvalTime',
  'groupLastDuration',
  'groupLastRuleDurationSum',
  'groupLastRestoreDuration',
  'groupRules',
  'groupSamples',
] as const satisfies readonly (keyof RuleMetrics)[];

const cache = new WeakMap<Registry, RuleMetrics>();

const DURATION_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

export function ruleMetrics(registry: Registry): RuleMetrics {
  const known = cache.get(registry);
  if (known) return known;
  const registers = [registry];
  const group = ['tenant', 'rule_group'] as const;
  const m: RuleMetrics = {
    evalDuration: new Histogram({
      name: 'promdog_rule_evaluation_duration_seconds',
      help: 'The duration for a rule to execute (query, templates, append, notification), by tenant.',
      labelNames: ['tenant'] as const,
      buckets: DURATION_BUCKETS,
      registers,
    }),
    groupDuration: new Histogram({
      name: 'promdog_rule_group_duration_seconds',
      help: 'The duration of rule group evaluations, by tenant.',
      labelNames: ['tenant'] as const,
      buckets: DURATION_BUCKETS,
      registers,
    }),
    iterationsMissed: new Counter({
      name: 'promdog_rule_group_iterations_missed_total',
      help: 'The total number of rule group evaluations missed due to slow rule group evaluation.',
      labelNames: group,
      registers,
    }),
    iterationsScheduled: new Counter({
      name: 'promdog_rule_group_iterations_total',
      help: 'The total number of scheduled rule group evaluations, whether executed or missed.',
      labelNames: group,
      registers,
    }),
    evalTotal: new Counter({
      name: 'promdog_rule_evaluations_total',
      help: 'The total number of rule evaluations.',
      labelNames: group,
      registers,
    }),
    evalFailures: new Counter({
      name: 'promdog_rule_evaluation_failures_total',
      help: 'The total number of rule evaluation failures (query, template-free rule errors, append).',
      labelNames: group,
      registers,
    }),
    groupInterval: new Gauge({
      name: 'promdog_rule_group_interval_seconds',
      help: 'The interval of a rule group.',
      labelNames: group,
      registers,
    }),
    groupLastEvalTime: new Gauge({
      name: 'promdog_rule_group_last_evaluation_timestamp_seconds',
      help: 'The timestamp of the last rule group evaluation in seconds.',
      labelNames: group,
      registers,
    }),
    groupLastDuration: new Gauge({
      name: 'promdog_rule_group_last_duration_seconds',
      help: 'The duration of the last rule group evaluation.',
      labelNames: group,
      registers,
    }),
    groupLastRuleDurationSum: new Gauge({
      name: 'promdog_rule_group_last_rule_duration_sum_seconds',
      help: 'The sum of time in seconds it took to evaluate each rule in the group.',
      labelNames: group,
      registers,
    }),
    groupLastRestoreDuration: new Gauge({
      name: 'promdog_rule_group_last_restore_duration_seconds',
      help: 'The duration of the last restoration of alerts from the ALERTS_FOR_STATE series.',
      labelNames: group,
      registers,
    }),
    groupRules: new Gauge({
      name: 'promdog_rule_group_rules',
      help: 'The number of rules.',
      labelNames: group,
      registers,
    }),
    groupSamples: new Gauge({
      name: 'promdog_rule_group_last_evaluation_samples',
      help: 'The number of samples returned during the last rule group evaluation.',
      labelNames: group,
      registers,
    }),
    alerts: new Gauge({
      name: 'promdog_rule_alerts',
      help: 'Alerts held by the ruler now, by tenant and state (pending, firing).',
      labelNames: ['tenant', 'state'] as const,
      registers,
    }),
    reloadSuccessful: new Gauge({
      name: 'promdog_rule_config_last_reload_successful',
      help: 'Whether the last load of the tenant’s rule files succeeded (1) or not (0: the previous rules still run).',
      labelNames: ['tenant'] as const,
      registers,
    }),
    reloadSuccessTime: new Gauge({
      name: 'promdog_rule_config_last_reload_success_timestamp_seconds',
      help: 'When the tenant’s rule files last loaded successfully.',
      labelNames: ['tenant'] as const,
      registers,
    }),
    reloads: new Counter({
      name: 'promdog_rule_config_reload_total',
      help: 'Loads of a tenant’s rule files (start, SIGHUP, /-/reload, a new tenant), by result (success, failure).',
      labelNames: ['tenant', 'result'] as const,
      registers,
    }),
  };
  cache.set(registry, m);
  return m;
}
