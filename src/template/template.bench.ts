// Cost of alert templates: parsing (once per rule load) against expanding (per alert per evaluation), for the kinds of
// annotations real rule files have. Also parse-and-expand, what Prometheus does on every expansion.
// Run: node dist/src/template/template.bench.js
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { AlertTemplate, type AlertTemplateData, type TemplateQuery } from './alert-template.js';

export interface TemplateBenchRow {
  name: string;
  parseUs: number;
  expandUs: number;
  parseAndExpandUs: number;
}

const TEMPLATES: Record<string, string> = {
  'plain text': 'Host is not reporting data',
  'label and value': 'Instance {{ $labels.instance }} of job {{ $labels.job }} is down (value {{ $value }})',
  humanize: '{{ $labels.instance }}: disk {{ $labels.mountpoint }} is {{ humanizePercentage $value }} full',
  printf: '{{ printf "%.2f" $value }}% CPU on {{ $labels.instance }} ({{ humanize1024 $value }}B)',
  'if/else, with':
    '{{ if gt $value 0.9 }}critical{{ else }}warning{{ end }}{{ with $labels.team }} for {{ . }}{{ end }}',
  'reReplaceAll, title': '{{ reReplaceAll "(.*):[0-9]+" "$1" $labels.instance | title }} on {{ toUpper $labels.job }}',
  'range labels': '{{ range $k, $v := $labels }}{{ $k }}={{ $v }} {{ end }}',
  query: '{{ with query "up" }}{{ . | first | value | humanize }} of {{ len . }}{{ end }}',
};

const DATA: AlertTemplateData = {
  labels: {
    __name__: 'node_filesystem_avail_bytes',
    instance: 'ip-10-0-1-17.eu-west-1.compute.internal:9100',
    job: 'node',
    mountpoint: '/var/lib/docker',
    team: 'platform',
  },
  externalLabels: { cluster: 'eu-1' },
  externalURL: 'http://prometheus.example.com',
  value: 0.9273,
};

const query: TemplateQuery = async () => [
  { labels: { __name__: 'up', instance: 'a:9100', job: 'node' }, value: 1 },
  { labels: { __name__: 'up', instance: 'b:9100', job: 'node' }, value: 0 },
];

async function timeUs(fn: () => unknown, minMs: number): Promise<number> {
  for (let i = 0; i < 200; i++) await fn(); // warm-up
  let n = 0;
  const started = performance.now();
  let elapsed = 0;
  while (elapsed < minMs) {
    for (let i = 0; i < 100; i++) await fn();
    n += 100;
    elapsed = performance.now() - started;
  }
  return (elapsed * 1000) / n;
}

export async function benchTemplates(minMsPerCase = 300): Promise<TemplateBenchRow[]> {
  const rows: TemplateBenchRow[] = [];
  for (const [name, text] of Object.entries(TEMPLATES)) {
    const parsed = AlertTemplate.parse('__alert_Bench', text);
    rows.push({
      name,
      parseUs: await timeUs(() => AlertTemplate.parse('__alert_Bench', text), minMsPerCase),
      expandUs: await timeUs(() => parsed.expand(DATA, 0, query), minMsPerCase),
      parseAndExpandUs: await timeUs(
        () => AlertTemplate.parse('__alert_Bench', text).expand(DATA, 0, query),
        minMsPerCase,
      ),
    });
  }
  return rows;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const rows = await benchTemplates();
  console.log(`${'template'.padEnd(22)}${'parse'.padStart(10)}${'expand'.padStart(10)}${'both'.padStart(10)}   (µs)`);
  for (const r of rows) {
    console.log(
      `${r.name.padEnd(22)}${r.parseUs.toFixed(1).padStart(10)}${r.expandUs.toFixed(1).padStart(10)}` +
        `${r.parseAndExpandUs.toFixed(1).padStart(10)}`,
    );
  }
}
