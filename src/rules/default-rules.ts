// The default rule pack: the monitors a Datadog user expects without writing PromQL (host not reporting, service
// checks CRITICAL or WARNING, Agent check failing, disk almost full, sustained load per core, memory almost exhausted),
// over the Agent's standard data as promdog stores it. It is written as a rule file and checked like one, so what
// runs is exactly what docs/alerting.md shows and what `promtool check rules` accepts.
import { stringify } from 'yaml';
import { formatDuration, goQuote } from '../promql/printer.js';
import type { RuleSource } from './manager.js';
import { parseRuleFile } from './rule-file.js';

/** The pack's settings (`rules.default_pack`): each monitor can be turned off; durations in ms. */
export interface DefaultPackSettings {
  intervalMs: number;
  hostNotReporting: { enabled: boolean; noDataMs: number; forMs: number; seenWithinMs: number };
  serviceCheck: { enabled: boolean; forMs: number };
  agentCheck: { enabled: boolean; forMs: number };
  diskInUse: { enabled: boolean; above: number; forMs: number };
  loadPerCore: { enabled: boolean; above: number; forMs: number };
  memoryUsable: { enabled: boolean; below: number; forMs: number };
}

/** How promdog names the Agent's data: the mapping's rules, handed over by the composition root. */
export interface AgentDataNames {
  /** A Datadog metric name as a Prometheus metric name (`system.disk.in_use` → `system_disk_in_use`). */
  metric(datadogName: string): string;
  /** The metric service checks become; the check's name is its `check` label. */
  serviceCheck: string;
}

/** Where the pack's group says it comes from (its `file` in the rules API): no path and no namespace looks like it. */
export const DEFAULT_PACK_FILE = '<default rule pack>';
export const DEFAULT_PACK_GROUP = 'datadog-monitors';

/** The service check every Agent sends with status OK while it runs: Datadog's host monitors watch it. */
const AGENT_UP_CHECK = 'datadog.agent.up';
/** The service check the Agent sends per check it runs: CRITICAL when the check raised an error. */
const AGENT_CHECK_STATUS = 'datadog.agent.check_status';

/** An instant selector for a metric name: `name{...}`, or `{"name", ...}` for a UTF-8 name (keep_utf8_names). */
function selector(name: string, matchers = ''): string {
  if (/^[a-zA-Z_:][a-zA-Z0-9_:]*$/.test(name)) return matchers ? `${name}{${matchers}}` : name;
  return `{${[goQuote(name), ...(matchers ? [matchers] : [])].join(', ')}}`;
}

/** A threshold fraction in an annotation's prose: 0.9 → `90%`. */
function percent(fraction: number): string {
  return `${Number((fraction * 100).toPrecision(6))}%`;
}

interface AlertRule {
  alert: string;
  expr: string;
  for: string;
  labels: Record<string, string>;
  annotations: { summary: string; description: string };
}

/** `on {{ host }}` when the alert has a host; service checks may come without one. */
const ON_HOST = '{{ with $labels.instance }} on {{ . }}{{ end }}';

function alertRules(s: DefaultPackSettings, names: AgentDataNames): AlertRule[] {
  const rules: AlertRule[] = [];
  const check = (name: string, op: '=' | '!=') => selector(names.serviceCheck, `check${op}${goQuote(name)}`);
  if (s.hostNotReporting.enabled) {
    const { noDataMs, forMs, seenWithinMs } = s.hostNotReporting;
    const up = check(AGENT_UP_CHECK, '=');
    // The value is how long the host has been silent: the newest sample's time, found by stepping over the window at
    // the group's interval (each step sees the last sample of the lookback before it). The series of the host's
    // latest label set (bottomk) stands for the host, so a change of host tags does not look like a silent host.
    const age = `time() - max_over_time(timestamp(${up})[${formatDuration(seenWithinMs)}:${formatDuration(s.intervalMs)}])`;
    rules.push({
      alert: 'HostNotReporting',
      expr: [
        'bottomk by (instance) (1,',
        `  ${age}`,
        `) < ${seenWithinMs / 1000}`,
        'unless on (instance)',
        `  last_over_time(${up}[${formatDuration(noDataMs)}])`,
      ].join('\n'),
      for: formatDuration(forMs),
      labels: { severity: 'critical' },
      annotations: {
        summary: 'Host {{ $labels.instance }} is not reporting',
        description:
          `The Datadog Agent on {{ $labels.instance }} has sent nothing for {{ $value | humanizeDuration }}: its ` +
          `${AGENT_UP_CHECK} service check stopped arriving. This alert resolves when the host reports again, or ` +
          `${formatDuration(seenWithinMs)} after it went silent.`,
      },
    });
  }
  if (s.serviceCheck.enabled) {
    for (const [alert, status, name, severity, otherwise] of [
      ['ServiceCheckCritical', 2, 'CRITICAL', 'critical', 'WARNING raises ServiceCheckWarning instead'],
      ['ServiceCheckWarning', 1, 'WARNING', 'warning', 'CRITICAL raises ServiceCheckCritical instead'],
    ] as const) {
      rules.push({
        alert,
        expr: `${check(AGENT_CHECK_STATUS, '!=')} == ${status}`,
        for: formatDuration(s.serviceCheck.forMs),
        labels: { severity },
        annotations: {
          summary: `Service check {{ $labels.check }} is ${name}${ON_HOST}`,
          description:
            `The service check {{ $labels.check }}${ON_HOST} reports ${name} (status ${status}). This alert ` +
            `resolves when the check reports OK again (${otherwise}).`,
        },
      });
    }
  }
  if (s.agentCheck.enabled) {
    const forText = formatDuration(s.agentCheck.forMs);
    rules.push({
      alert: 'AgentCheckFailing',
      expr: `${check(AGENT_CHECK_STATUS, '=')} == 2`,
      for: forText,
      labels: { severity: 'warning' },
      annotations: {
        // The check's own name is a tag `check:<name>`, which collides with the `check` label: exported_check.
        summary: 'Agent check {{ $labels.exported_check }} is failing on {{ $labels.instance }}',
        description:
          'The Datadog Agent on {{ $labels.instance }} fails to run its {{ $labels.exported_check }} check ' +
          `(${AGENT_CHECK_STATUS} CRITICAL${s.agentCheck.forMs > 0 ? ` for ${forText}` : ''}), so the metrics ` +
          'and service checks of that check are missing. `datadog-agent status` on the host shows the error.',
      },
    });
  }
  if (s.diskInUse.enabled) {
    const { above, forMs } = s.diskInUse;
    rules.push({
      alert: 'DiskAlmostFull',
      expr: `${selector(names.metric('system.disk.in_use'))} > ${above}`,
      for: formatDuration(forMs),
      labels: { severity: 'critical' },
      annotations: {
        summary: 'Disk {{ $labels.device }} on {{ $labels.instance }} is {{ $value | humanizePercentage }} full',
        description:
          `{{ $labels.device }} on {{ $labels.instance }} has been more than ${percent(above)} full for ` +
          `${formatDuration(forMs)} (system.disk.in_use is {{ $value | humanizePercentage }}).`,
      },
    });
  }
  if (s.loadPerCore.enabled) {
    const { above, forMs } = s.loadPerCore;
    rules.push({
      alert: 'LoadPerCoreHigh',
      expr: `${selector(names.metric('system.load.norm.5'))} > ${above}`,
      for: formatDuration(forMs),
      labels: { severity: 'warning' },
      annotations: {
        summary: 'High load on {{ $labels.instance }}: {{ $value | printf "%.2f" }} per CPU core',
        description:
          `The 5-minute load average of {{ $labels.instance }} per CPU core (system.load.norm.5) has stayed above ` +
          `${above} for ${formatDuration(forMs)}: processes are waiting for CPU time.`,
      },
    });
  }
  if (s.memoryUsable.enabled) {
    const { below, forMs } = s.memoryUsable;
    rules.push({
      alert: 'MemoryAlmostExhausted',
      expr: `${selector(names.metric('system.mem.pct_usable'))} < ${below}`,
      for: formatDuration(forMs),
      labels: { severity: 'critical' },
      annotations: {
        summary: 'Memory almost exhausted on {{ $labels.instance }}: {{ $value | humanizePercentage }} usable',
        description:
          `Less than ${percent(below)} of the memory of {{ $labels.instance }} has been usable for ` +
          `${formatDuration(forMs)} (system.mem.pct_usable is {{ $value | humanizePercentage }}: free memory, ` +
          'buffers and page cache).',
      },
    });
  }
  return rules;
}

/** The pack as a rule file (empty when every monitor is off). */
export function defaultPackFile(settings: DefaultPackSettings, names: AgentDataNames): string {
  const rules = alertRules(settings, names);
  if (rules.length === 0) return '';
  const group = { name: DEFAULT_PACK_GROUP, interval: formatDuration(settings.intervalMs), rules };
  return stringify({ groups: [group] }, { lineWidth: 0 });
}

/** The pack's group, checked like any rule file; a problem is a bug in the pack, thrown. */
export function defaultRuleSources(settings: DefaultPackSettings, names: AgentDataNames): RuleSource[] {
  const parsed = parseRuleFile(defaultPackFile(settings, names));
  if (!parsed.groups) throw new Error(`the default rule pack does not load:\n${parsed.errors.join('\n')}`);
  return parsed.groups.length > 0 ? [{ file: DEFAULT_PACK_FILE, groups: parsed.groups }] : [];
}
