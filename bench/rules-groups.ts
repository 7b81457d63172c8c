// The rule file of the rules benchmark: 50 groups of 20 rules (10 recording, 10 alerting), the shapes real rule
// files over Agent data have. Forty groups are per role and environment (10 scopes × cpu, memory and disk, network
// and io, application), ten per team across the fleet. They use sum/avg/max/quantile/stddev/count/topk by,
// vector-vector arithmetic, rate/increase over cumulative counters, max/avg/min_over_time, predict_linear, changes,
// offset, regular-expression matchers, label_replace, thresholds with `for`, templated labels and annotations, and
// rules that read the recording rules before them in their group.
import { ENVS, ROLES, TEAMS } from './rules-fleet.js';

interface Recording {
  record: string;
  expr: string;
}

interface Alerting {
  alert: string;
  expr: string;
  for?: string;
  severity: 'page' | 'warning';
  summary: string;
}

type Rule = Recording | Alerting;

/** One kind of group: its rules with `S` standing for the group's scope matchers (`env="prod",role="web"`). */
interface GroupKind {
  name: string;
  rules: (S: string) => Rule[];
}

const cpu: GroupKind = {
  name: 'cpu',
  rules: (S) => [
    { record: 'instance:cpu_busy:percent', expr: `100 - system_cpu_idle{${S}}` },
    { record: 'instance:cpu_user_system:percent', expr: `system_cpu_user{${S}} + system_cpu_system{${S}}` },
    {
      record: 'env_role_az:cpu_busy:avg',
      expr: `avg by (env, role, availability_zone) (instance:cpu_busy:percent{${S}})`,
    },
    { record: 'env_role:cpu_iowait:max', expr: `max by (env, role) (system_cpu_iowait{${S}})` },
    { record: 'env_role:load_norm_1:avg', expr: `avg by (env, role) (system_load_norm_1{${S}})` },
    { record: 'instance:load_5:max10m', expr: `max_over_time(system_load_5{${S}}[10m])` },
    { record: 'env_role:cpu_user:p95', expr: `quantile by (env, role) (0.95, system_cpu_user{${S}})` },
    {
      record: 'env_role:context_switches:rate5m',
      expr: `sum by (env, role) (rate(system_cpu_context_switches{${S}}[5m]))`,
    },
    { record: 'env_role:agents_running:count', expr: `count by (env, role) (datadog_agent_running{${S}} == 1)` },
    {
      record: 'host:cpu_busy:avg5m',
      expr: `label_replace(avg_over_time(instance:cpu_busy:percent{${S}}[5m]), "host", "$1", "instance", "([^.]+)\\\\..*")`,
    },
    {
      alert: 'HostCPUBusy',
      expr: `instance:cpu_busy:percent{${S}} > 90`,
      for: '5m',
      severity: 'warning',
      summary: '{{ $labels.instance }} CPU is {{ $value | humanize }}% busy',
    },
    {
      alert: 'HostIOWaitHigh',
      expr: `system_cpu_iowait{${S}} > 30`,
      for: '10m',
      severity: 'warning',
      summary: '{{ $labels.instance }} spends {{ $value }}% in iowait',
    },
    {
      alert: 'HostLoadPerCoreHigh',
      expr: `system_load_norm_5{${S}} > 2`,
      for: '5m',
      severity: 'warning',
      summary: '{{ $labels.instance }} load per core {{ $value | humanize }}',
    },
    {
      alert: 'HostCPUStolen',
      expr: `system_cpu_stolen{${S}} > 10`,
      for: '15m',
      severity: 'warning',
      summary: '{{ $labels.instance }}: {{ $value }}% stolen by the hypervisor',
    },
    {
      alert: 'ZoneCPUBusy',
      expr: `env_role_az:cpu_busy:avg{${S}} > 80`,
      for: '5m',
      severity: 'page',
      summary: '{{ $labels.role }} in {{ $labels.availability_zone }} is {{ $value | humanize }}% busy',
    },
    {
      alert: 'AgentReportsStale',
      expr: `time() - timestamp(datadog_agent_running{${S}}) > 120`,
      for: '2m',
      severity: 'page',
      summary: '{{ $labels.instance }} last reported {{ $value | humanizeDuration }} ago',
    },
    {
      alert: 'HostLoadSpike',
      expr: `system_load_1{${S}} > 2 * system_load_15{${S}}`,
      for: '2m',
      severity: 'warning',
      summary: '{{ $labels.instance }} load 1m is {{ $value }}',
    },
    {
      alert: 'ContextSwitchStorm',
      expr: `rate(system_cpu_context_switches{${S}}[5m]) > 50000`,
      for: '5m',
      severity: 'warning',
      summary: '{{ $labels.instance }}: {{ $value | humanize }} context switches/s',
    },
    {
      alert: 'HostCPUSaturated',
      expr: `max_over_time(instance:cpu_busy:percent{${S}}[10m]) > 97`,
      severity: 'warning',
      summary: '{{ $labels.instance }} peaked at {{ $value }}% busy',
    },
    {
      alert: 'FewAgentsRunning',
      expr: `env_role:agents_running:count{${S}} < 50`,
      for: '5m',
      severity: 'page',
      summary: 'only {{ $value }} {{ $labels.role }} agents running in {{ $labels.env }}',
    },
  ],
};

const memoryDisk: GroupKind = {
  name: 'memory-disk',
  rules: (S) => [
    { record: 'instance:mem_used:ratio', expr: `system_mem_used{${S}} / system_mem_total{${S}}` },
    { record: 'instance:mem_usable:percent', expr: `system_mem_pct_usable{${S}} * 100` },
    { record: 'env_role:mem_used:avg', expr: `avg by (env, role) (instance:mem_used:ratio{${S}})` },
    { record: 'instance_device:disk_in_use:percent', expr: `system_disk_in_use{${S}} * 100` },
    { record: 'env_role:disk_used_bytes:sum', expr: `sum by (env, role) (system_disk_used{${S}})` },
    { record: 'env_role_device:disk_in_use:max', expr: `max by (env, role, device) (system_disk_in_use{${S}})` },
    { record: 'instance_device:disk_free:min15m', expr: `min_over_time(system_disk_free{${S}}[15m])` },
    {
      record: 'instance_device:disk_free:predict4h',
      expr: `predict_linear(system_disk_free{${S}}[10m], 4 * 3600)`,
    },
    { record: 'instance_device:inodes_in_use:percent', expr: `system_fs_inodes_in_use{${S}} * 100` },
    { record: 'env_role:swap_used:sum', expr: `sum by (env, role) (system_swap_used{${S}})` },
    {
      alert: 'HostMemoryAlmostExhausted',
      expr: `system_mem_pct_usable{${S}} < 0.1`,
      for: '5m',
      severity: 'page',
      summary: '{{ $labels.instance }} has {{ $value | humanizePercentage }} memory usable',
    },
    {
      alert: 'DiskAlmostFull',
      expr: `system_disk_in_use{${S}} > 0.9`,
      for: '5m',
      severity: 'page',
      summary: '{{ $labels.instance }} {{ $labels.device }} is {{ $value | humanizePercentage }} full',
    },
    {
      alert: 'DiskFillsIn4h',
      expr: `instance_device:disk_free:predict4h{${S}} < 0`,
      for: '10m',
      severity: 'warning',
      summary: '{{ $labels.instance }} {{ $labels.device }} fills within 4 hours',
    },
    {
      alert: 'InodesAlmostExhausted',
      expr: `system_fs_inodes_in_use{${S}} > 0.9`,
      for: '10m',
      severity: 'warning',
      summary: '{{ $labels.instance }} {{ $labels.device }}: {{ $value | humanizePercentage }} inodes used',
    },
    {
      alert: 'SwapAlmostFull',
      expr: `system_swap_pct_free{${S}} < 0.2`,
      for: '10m',
      severity: 'warning',
      summary: '{{ $labels.instance }} has {{ $value | humanizePercentage }} swap free',
    },
    {
      alert: 'RoleMemoryHigh',
      expr: `env_role:mem_used:avg{${S}} > 0.85`,
      for: '15m',
      severity: 'page',
      summary: '{{ $labels.role }} in {{ $labels.env }} uses {{ $value | humanizePercentage }} of memory',
    },
    {
      alert: 'DiskUsageJump',
      expr: `delta(system_disk_used{${S}}[10m]) > 10e9`,
      for: '5m',
      severity: 'warning',
      summary: '{{ $labels.instance }} {{ $labels.device }} grew by {{ $value | humanize1024 }}B',
    },
    {
      alert: 'HostMemoryUsedHigh',
      expr: `instance:mem_used:ratio{${S}} > 0.95`,
      for: '5m',
      severity: 'warning',
      summary: '{{ $labels.instance }} uses {{ $value | humanizePercentage }} of its memory',
    },
    {
      alert: 'MemoryOvercommitted',
      expr: `system_mem_committed_as{${S}} / system_mem_total{${S}} > 1.5`,
      for: '10m',
      severity: 'warning',
      summary: '{{ $labels.instance }} committed {{ $value | humanize }}× its memory',
    },
    {
      alert: 'DeviceFullInRole',
      expr: `env_role_device:disk_in_use:max{${S}} > 0.95`,
      for: '5m',
      severity: 'page',
      summary: 'a {{ $labels.role }} host in {{ $labels.env }} has {{ $labels.device }} full',
    },
  ],
};

const networkIo: GroupKind = {
  name: 'network-io',
  rules: (S) => [
    {
      record: 'instance:net_bytes:sum',
      expr: `sum by (instance, env, role) (system_net_bytes_rcvd{${S}} + system_net_bytes_sent{${S}})`,
    },
    { record: 'env_role:net_bytes_rcvd:sum', expr: `sum by (env, role) (system_net_bytes_rcvd{${S}})` },
    { record: 'env_role:net_bytes_sent:sum', expr: `sum by (env, role) (system_net_bytes_sent{${S}})` },
    {
      record: 'instance:net_errors:sum',
      expr: `sum by (instance, env, role) (system_net_packets_in_error{${S}} + system_net_packets_out_error{${S}})`,
    },
    { record: 'instance_device:io_util:avg5m', expr: `avg_over_time(system_io_util{${S}}[5m])` },
    { record: 'env_role:io_await:max', expr: `max by (env, role) (system_io_await{${S}})` },
    { record: 'env_role_az:io_r_s:sum', expr: `sum by (env, role, availability_zone) (system_io_r_s{${S}})` },
    { record: 'env_role_az:io_w_s:sum', expr: `sum by (env, role, availability_zone) (system_io_w_s{${S}})` },
    { record: 'instance:io_queue:max', expr: `max by (instance, env, role) (system_io_avg_q_sz{${S}})` },
    {
      record: 'env_role:net_bytes:sent_per_rcvd',
      expr: `env_role:net_bytes_sent:sum{${S}} / env_role:net_bytes_rcvd:sum{${S}}`,
    },
    {
      alert: 'HostNetworkErrors',
      expr: `instance:net_errors:sum{${S}} > 10`,
      for: '5m',
      severity: 'warning',
      summary: '{{ $labels.instance }}: {{ $value }} packet errors/s',
    },
    {
      alert: 'DiskBusy',
      expr: `instance_device:io_util:avg5m{${S}} > 90`,
      for: '10m',
      severity: 'warning',
      summary: '{{ $labels.instance }} {{ $labels.device }} is {{ $value | humanize }}% busy',
    },
    {
      alert: 'DiskSlow',
      expr: `system_io_await{${S}} > 50`,
      for: '5m',
      severity: 'warning',
      summary: '{{ $labels.instance }} {{ $labels.device }} await {{ $value }} ms',
    },
    {
      alert: 'NetworkSaturated',
      expr: `system_net_bytes_rcvd{${S}} > 1e8`,
      for: '5m',
      severity: 'warning',
      summary: '{{ $labels.instance }} {{ $labels.device }} receives {{ $value | humanize1024 }}B/s',
    },
    {
      alert: 'DiskQueueDeep',
      expr: `instance:io_queue:max{${S}} > 10`,
      for: '5m',
      severity: 'warning',
      summary: '{{ $labels.instance }} queue depth {{ $value }}',
    },
    {
      alert: 'RoleTrafficDropped',
      expr: `sum by (env, role) (system_net_bytes_rcvd{${S}}) < 0.5 * sum by (env, role) (system_net_bytes_rcvd{${S}} offset 10m)`,
      for: '5m',
      severity: 'page',
      summary: '{{ $labels.role }} traffic in {{ $labels.env }} halved',
    },
    {
      alert: 'PacketsDropped',
      expr: `system_net_packets_in_error{${S}} / system_net_packets_in_count{${S}} > 0.01`,
      for: '5m',
      severity: 'warning',
      summary: '{{ $labels.instance }} {{ $labels.device }} drops {{ $value | humanizePercentage }}',
    },
    {
      alert: 'ZoneWriteHeavy',
      expr: `env_role_az:io_w_s:sum{${S}} > 1e5`,
      for: '10m',
      severity: 'warning',
      summary: '{{ $labels.availability_zone }} writes {{ $value | humanize }} ops/s',
    },
    {
      alert: 'NetworkCounterStuck',
      expr: `changes(system_net_bytes_sent{${S}}[10m]) == 0`,
      for: '10m',
      severity: 'warning',
      summary: '{{ $labels.instance }} {{ $labels.device }} sent nothing new in 10 minutes',
    },
    {
      alert: 'DiskPegged',
      expr: `max_over_time(system_io_util{${S}}[10m]) > 99`,
      severity: 'warning',
      summary: '{{ $labels.instance }} {{ $labels.device }} reached {{ $value }}% busy',
    },
  ],
};

const application: GroupKind = {
  name: 'application',
  rules: (S) => [
    {
      record: 'instance_code:http_requests:rate5m',
      expr: `sum by (instance, env, role, code) (rate(app_http_requests_total{${S}}[5m]))`,
    },
    {
      record: 'env_role_code:http_requests:rate5m',
      expr: `sum by (env, role, code) (instance_code:http_requests:rate5m{${S}})`,
    },
    {
      record: 'env_role:http_errors:ratio5m',
      expr: `sum by (env, role) (instance_code:http_requests:rate5m{${S},code="500"}) / sum by (env, role) (instance_code:http_requests:rate5m{${S}})`,
    },
    {
      record: 'instance:http_request_duration:mean5m',
      expr: `rate(app_http_request_duration_seconds_sum{${S}}[5m]) / rate(app_http_request_duration_seconds_count{${S}}[5m])`,
    },
    {
      record: 'env_role:http_request_duration:mean5m',
      expr: `sum by (env, role) (rate(app_http_request_duration_seconds_sum{${S}}[5m])) / sum by (env, role) (rate(app_http_request_duration_seconds_count{${S}}[5m]))`,
    },
    {
      record: 'env_role:jobs_processed:increase10m',
      expr: `sum by (env, role) (increase(app_jobs_processed_total{${S}}[10m]))`,
    },
    { record: 'instance:uptime:hours', expr: `system_uptime{${S}} / 3600` },
    { record: 'env_role:processes:avg', expr: `avg by (env, role) (system_processes_count{${S}})` },
    {
      record: 'env_role_method:http_requests:rate5m',
      expr: `sum by (env, role, method) (rate(app_http_requests_total{${S}}[5m]))`,
    },
    {
      record: 'owner:http_requests:rate5m',
      expr: `label_replace(sum by (env, role, team) (rate(app_http_requests_total{${S}}[5m])), "owner", "$1", "team", "team-(.*)")`,
    },
    {
      alert: 'RoleErrorRateHigh',
      expr: `env_role:http_errors:ratio5m{${S}} > 0.05`,
      for: '5m',
      severity: 'page',
      summary: '{{ $labels.role }} in {{ $labels.env }} fails {{ $value | humanizePercentage }} of requests',
    },
    {
      alert: 'HostErrorRateHigh',
      expr: `sum by (instance, env, role) (instance_code:http_requests:rate5m{${S},code="500"}) / sum by (instance, env, role) (instance_code:http_requests:rate5m{${S}}) > 0.1`,
      for: '5m',
      severity: 'warning',
      summary: '{{ $labels.instance }} fails {{ $value | humanizePercentage }} of requests',
    },
    {
      alert: 'HostRequestsSlow',
      expr: `instance:http_request_duration:mean5m{${S}} > 0.5`,
      for: '10m',
      severity: 'warning',
      summary: '{{ $labels.instance }} answers in {{ $value | humanizeDuration }}',
    },
    {
      alert: 'HostNoTraffic',
      expr: `sum by (instance, env, role) (rate(app_http_requests_total{${S}}[5m])) == 0`,
      for: '10m',
      severity: 'warning',
      summary: '{{ $labels.instance }} serves no requests',
    },
    {
      alert: 'JobsStalled',
      expr: `increase(app_jobs_processed_total{${S}}[10m]) == 0`,
      for: '5m',
      severity: 'page',
      summary: '{{ $labels.instance }} processed no job in 10 minutes',
    },
    {
      alert: 'HostRebooted',
      expr: `system_uptime{${S}} < 600`,
      severity: 'warning',
      summary: '{{ $labels.instance }} rebooted {{ $value | humanizeDuration }} ago',
    },
    {
      alert: 'TooManyProcesses',
      expr: `system_processes_count{${S}} > 1000`,
      for: '5m',
      severity: 'warning',
      summary: '{{ $labels.instance }} runs {{ $value }} processes',
    },
    {
      alert: 'NotFoundSpike',
      expr: `sum by (env, role) (rate(app_http_requests_total{${S},code="404"}[5m])) > 100`,
      for: '5m',
      severity: 'warning',
      summary: '{{ $labels.role }} in {{ $labels.env }}: {{ $value | humanize }} 404/s',
    },
    {
      alert: 'ClockDrift',
      expr: `abs(ntp_offset{${S}}) > 0.5`,
      for: '5m',
      severity: 'warning',
      summary: '{{ $labels.instance }} clock is off by {{ $value }} s',
    },
    {
      alert: 'RoleLatencyHigh',
      expr: `env_role:http_request_duration:mean5m{${S}} > 0.3`,
      for: '10m',
      severity: 'page',
      summary: '{{ $labels.role }} in {{ $labels.env }} answers in {{ $value | humanizeDuration }}',
    },
  ],
};

const team: GroupKind = {
  name: 'team',
  rules: (S) => [
    { record: 'team_az:cpu_user:avg', expr: `avg by (team, availability_zone) (system_cpu_user{${S}})` },
    { record: 'team_role:mem_used:sum', expr: `sum by (team, role) (system_mem_used{${S}})` },
    {
      record: 'team_device:disk_in_use:max',
      expr: `max by (team, device) (system_disk_in_use{${S},device=~"nvme[01]n1"})`,
    },
    { record: 'team:cpu_busy:top3', expr: `topk by (team) (3, 100 - system_cpu_idle{${S}})` },
    { record: 'team:hosts:count', expr: `count by (team) (system_uptime{${S}})` },
    { record: 'team:net_bytes:sum', expr: `sum by (team) ({__name__=~"system_net_bytes_(rcvd|sent)",${S}})` },
    { record: 'team_code:http_requests:rate5m', expr: `sum by (team, code) (rate(app_http_requests_total{${S}}[5m]))` },
    {
      record: 'team:http_errors:ratio5m',
      expr: `sum by (team) (team_code:http_requests:rate5m{${S},code="500"}) / sum by (team) (team_code:http_requests:rate5m{${S}})`,
    },
    { record: 'team:load_norm_5:stddev', expr: `stddev by (team) (system_load_norm_5{${S}})` },
    {
      record: 'team_host:uptime:seconds',
      expr: `label_replace(system_uptime{${S}}, "host", "$1", "instance", "([^.]+)\\\\..*")`,
    },
    {
      alert: 'TeamZoneCPUHigh',
      expr: `team_az:cpu_user:avg{${S}} > 70`,
      for: '5m',
      severity: 'page',
      summary: '{{ $labels.team }} in {{ $labels.availability_zone }}: {{ $value | humanize }}% user CPU',
    },
    {
      alert: 'TeamErrorBudgetBurn',
      expr: `team:http_errors:ratio5m{${S}} > 0.01`,
      for: '5m',
      severity: 'page',
      summary: '{{ $labels.team }} fails {{ $value | humanizePercentage }} of requests',
    },
    {
      alert: 'TeamHostsMissing',
      expr: `team:hosts:count{${S}} < 90`,
      for: '5m',
      severity: 'warning',
      summary: '{{ $labels.team }} has {{ $value }} hosts reporting',
    },
    {
      alert: 'AgentNotRunning',
      expr: `datadog_agent_running{${S}} == 0`,
      for: '2m',
      severity: 'page',
      summary: 'the Agent on {{ $labels.instance }} reports it is not running',
    },
    {
      alert: 'TeamClockDrift',
      expr: `abs(ntp_offset{${S}}) > 0.5`,
      for: '10m',
      severity: 'warning',
      summary: '{{ $labels.instance }} ({{ $labels.team }}) clock is off by {{ $value }} s',
    },
    {
      alert: 'TeamHostRebooted',
      expr: `system_uptime{${S}} < 600`,
      severity: 'warning',
      summary: '{{ $labels.instance }} ({{ $labels.team }}) rebooted',
    },
    {
      alert: 'TeamProcessesHigh',
      expr: `system_processes_count{${S}} > 1000`,
      for: '10m',
      severity: 'warning',
      summary: '{{ $labels.instance }} ({{ $labels.team }}) runs {{ $value }} processes',
    },
    {
      alert: 'TeamMemoryOvercommitted',
      expr: `system_mem_committed_as{${S}} / system_mem_total{${S}} > 1.5`,
      for: '10m',
      severity: 'warning',
      summary: '{{ $labels.instance }} ({{ $labels.team }}) committed {{ $value | humanize }}× its memory',
    },
    {
      alert: 'TeamJobsStalled',
      expr: `increase(app_jobs_processed_total{${S}}[10m]) == 0`,
      for: '5m',
      severity: 'page',
      summary: '{{ $labels.instance }} ({{ $labels.team }}) processed no job',
    },
    {
      alert: 'TeamRequestsSlow',
      expr: `rate(app_http_request_duration_seconds_sum{${S}}[5m]) / rate(app_http_request_duration_seconds_count{${S}}[5m]) > 0.5`,
      for: '5m',
      severity: 'warning',
      summary: '{{ $labels.instance }} ({{ $labels.team }}) answers in {{ $value | humanizeDuration }}',
    },
  ],
};

/** A rule as YAML lines (strings JSON-quoted, which YAML reads as they are). */
function ruleYaml(r: Rule): string[] {
  const q = JSON.stringify;
  if ('record' in r) return [`      - record: ${q(r.record)}`, `        expr: ${q(r.expr)}`];
  return [
    `      - alert: ${q(r.alert)}`,
    `        expr: ${q(r.expr)}`,
    ...(r.for ? [`        for: ${r.for}`] : []),
    `        labels: { severity: ${r.severity}, team: "{{ $labels.team }}" }`,
    `        annotations:`,
    `          summary: ${q(r.summary)}`,
    `          description: ${q(`${r.summary} (value {{ printf "%.2f" $value }})`)}`,
  ];
}

/** The benchmark's rule file: 50 groups of 20 rules at `interval`. */
export function benchRuleFile(interval: string): { yaml: string; groups: number; recording: number; alerting: number } {
  const groups: { name: string; rules: Rule[] }[] = [];
  for (const kind of [cpu, memoryDisk, networkIo, application])
    for (const env of ENVS)
      for (const role of ROLES)
        groups.push({ name: `${kind.name}-${role}-${env}`, rules: kind.rules(`env="${env}",role="${role}"`) });
  for (const t of TEAMS) groups.push({ name: `${team.name}-${t}`, rules: team.rules(`team="${t}"`) });
  const lines = ['groups:'];
  let recording = 0;
  for (const g of groups) {
    lines.push(`  - name: ${g.name}`, `    interval: ${interval}`, '    rules:');
    for (const r of g.rules) {
      lines.push(...ruleYaml(r));
      if ('record' in r) recording++;
    }
  }
  const rules = groups.reduce((n, g) => n + g.rules.length, 0);
  return { yaml: `${lines.join('\n')}\n`, groups: groups.length, recording, alerting: rules - recording };
}
