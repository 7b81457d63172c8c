import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { emptyPayload, type DDSeries, type DecodedPayload } from '../model/datadog.js';
import type { Label, PromSeries } from '../model/prometheus.js';
import { DDSketchBuilder } from './ddsketch.js';
import { hostsFromInfoSeries } from './host-info-series.js';
import { HostTagCache } from './host-tags.js';
import { checkLabels, seriesLabels, type SeriesIdentity } from './label-rules.js';
import { Mapper, type MapResult } from './mapper.js';
import { NameCache } from './name-cache.js';

// The examples of docs/mapping.md, section by section, written as the page writes them: the label tables against
// the label rules (label-rules.ts), the worked examples (`Datadog input → Prometheus output`) through a Mapper.
// A failing case names the section of the page it comes from: the page or the code is wrong.

/** `a="1", b="2"` as a name → value record (values hold no `"`). */
function parseLabels(text: string): Record<string, string> {
  return Object.fromEntries([...text.matchAll(/([A-Za-z_][A-Za-z0-9_]*)="([^"]*)"/g)].map((m) => [m[1]!, m[2]!]));
}

/** Labels the page's tables leave out of a row: the metric name and the labels every series has. */
const LEFT_OUT = new Set(['__name__', 'job', 'type']);

/** Asserts that `labels` are the ones a table row shows, plus maybe the ones tables leave out. */
function assertShown(labels: readonly Label[], shown: string, context: string): void {
  const want = parseLabels(shown);
  const got = Object.fromEntries(labels.map((l) => [l.name, l.value]));
  for (const [name, value] of Object.entries(want)) assert.equal(got[name], value, `${context}: ${name}`);
  for (const name of Object.keys(got)) {
    assert.ok(name in want || LEFT_OUT.has(name), `${context}: unexpected label ${name}="${got[name]}"`);
  }
}

function identity(p: Partial<SeriesIdentity>): SeriesIdentity {
  return { metric: 'm', host: '', device: '', sourceTypeName: '', type: 'gauge', resources: [], tags: [], ...p };
}

interface LabelRow {
  /** Section and row of docs/mapping.md. */
  doc: string;
  /** A metric series, or with `check` a service check (named `metric`). */
  input: Partial<SeriesIdentity>;
  check?: true;
  /** The labels as the page shows them. */
  labels: string;
}

const LABEL_ROWS: LabelRow[] = [
  {
    doc: 'Labels of a metric series: label values are never changed',
    input: { tags: ['device:C:\\ drive'] },
    labels: 'device="C:\\ drive"',
  },
  { doc: 'Tags: split on the first colon', input: { tags: ['env:staging:east'] }, labels: 'env="staging:east"' },
  { doc: 'Tags: an empty key becomes _', input: { tags: [':orphan'] }, labels: '_="orphan"' },
  {
    doc: 'Tags: kube.namespace:default',
    input: { tags: ['kube.namespace:default'] },
    labels: 'kube_namespace="default"',
  },
  {
    doc: 'Tags: availability-zone:us-east-1a',
    input: { tags: ['availability-zone:us-east-1a'] },
    labels: 'availability_zone="us-east-1a"',
  },
  { doc: 'Tags: 1st:a', input: { tags: ['1st:a'] }, labels: '_1st="a"' },
  { doc: 'Tags without a value: production', input: { tags: ['production'] }, labels: 'production="true"' },
  { doc: 'Tags without a value: canary:', input: { tags: ['canary:'] }, labels: 'canary="true"' },
  { doc: 'Tags without a value: team-a', input: { tags: ['team-a'] }, labels: 'team_a="true"' },
  {
    doc: 'Tags without a value: beta, beta:false',
    input: { tags: ['beta', 'beta:false'] },
    labels: 'beta="false,true"',
  },
  {
    doc: "Collisions with promdog's labels: host web-1, tags job:app, instance:i-1, __meta:x",
    input: { host: 'web-1', tags: ['job:app', 'instance:i-1', '__meta:x'] },
    labels: 'exported_job="app", exported_instance="i-1", exported___meta="x", instance="web-1", job="ddagent"',
  },
  {
    doc: "Collisions with promdog's labels: device sda, tag device:sdb",
    input: { device: 'sda', tags: ['device:sdb'] },
    labels: 'device="sda", exported_device="sdb"',
  },
  {
    doc: "Collisions with promdog's labels: no device, tag device:sdb",
    input: { tags: ['device:sdb'] },
    labels: 'device="sdb"',
  },
  {
    doc: "Collisions with promdog's labels: no host, tag instance:i-1",
    input: { tags: ['instance:i-1'] },
    labels: 'exported_instance="i-1"',
  },
  {
    doc: "Collisions with promdog's labels: resource cluster=c1, tag cluster:t1",
    input: { resources: [{ type: 'cluster', name: 'c1' }], tags: ['cluster:t1'] },
    labels: 'cluster="c1", exported_cluster="t1"',
  },
  {
    doc: "Collisions with promdog's labels: service check datadog.agent.check_status, tag check:ntp",
    input: { metric: 'datadog.agent.check_status', tags: ['check:ntp'] },
    check: true,
    labels: 'check="datadog.agent.check_status", exported_check="ntp"',
  },
  {
    doc: 'Several values for one label: role:web, role:api, role:web',
    input: { tags: ['role:web', 'role:api', 'role:web'] },
    labels: 'role="api,web"',
  },
  { doc: 'Several values for one label: a.b:1, a-b:2', input: { tags: ['a.b:1', 'a-b:2'] }, labels: 'a_b="1,2"' },
  {
    doc: 'Several values for one label: job:x, exported_job:y',
    input: { tags: ['job:x', 'exported_job:y'] },
    labels: 'exported_job="x,y"',
  },
];

describe('docs/mapping.md: names and labels (names.ts, label-rules.ts)', () => {
  test('Metric names', () => {
    const rows: [string, boolean, string][] = [
      ['system.net.bytes_rcvd', false, 'system_net_bytes_rcvd'],
      ['5xx.errors-total', false, '_5xx_errors_total'],
      ['température', false, 'temp_rature'],
      ['system.net.bytes_rcvd', true, 'system.net.bytes_rcvd'],
    ];
    for (const [metric, keepUtf8Names, name] of rows)
      assert.equal(new NameCache(keepUtf8Names).metricName(metric), name, metric);
    // A metric with an empty name cannot be stored (the mapper makes no series of it).
    assert.equal(new NameCache(false).metricName(''), '');
  });

  for (const row of LABEL_ROWS) {
    test(row.doc, () => {
      const naming = new NameCache(false);
      const input = identity(row.input);
      const labels = row.check ? checkLabels(input, [], naming) : seriesLabels(input, 'm', [], naming);
      assertShown(labels, row.labels, row.doc);
    });
  }
});

/** `name{a="1", b="2"}` of a series, its labels in their order (the mapper sorts them by name, as the page does). */
function head(s: PromSeries): string {
  const name = s.labels.find((l) => l.name === '__name__')!.value;
  const labels = s.labels.filter((l) => l.name !== '__name__').map((l) => `${l.name}="${l.value}"`);
  return `${name}{${labels.join(', ')}}`;
}

/**
 * Asserts that the result has each series of `lines`, written as the page writes them: `name{labels} samples`,
 * samples `v @ms, v @ms` (without `@ms`: values only), or `≈ v` for one value within 2 % (a sketch's quantile).
 * With `complete`, nothing else either.
 */
function assertSeries(r: MapResult, lines: string[], complete: boolean): void {
  const byHead = new Map(r.series.map((s) => [head(s), s]));
  for (const line of lines) {
    const at = line.indexOf('} ') + 1;
    const s = byHead.get(line.slice(0, at));
    assert.ok(s, `${line}: not among ${[...byHead.keys()].join(' ')}`);
    const samples = line.slice(at + 1);
    if (samples.startsWith('≈ ')) {
      const want = Number(samples.slice(2));
      assert.equal(s.values.length, 1, line);
      assert.ok(Math.abs(s.values[0]! - want) <= 0.02 * want, `${line}: ${s.values[0]}`);
    } else if (samples.includes('@')) {
      assert.equal(s.values.map((v, i) => `${v} @${s.timestamps[i]}`).join(', '), samples, line);
    } else assert.equal(s.values.join(', '), samples, line);
  }
  if (complete) assert.equal(r.series.length, lines.length, [...byHead.keys()].join(' '));
}

function mapped(
  p: Partial<DecodedPayload>,
  keepUtf8Names = false,
  mapper = new Mapper({ keepUtf8Names }, new HostTagCache(null)),
): MapResult {
  return mapper.map('t', { ...emptyPayload(), ...p }, 1_700_000_999_000);
}

function series(p: Partial<DDSeries>): DDSeries {
  const none = { host: '', device: '', resources: [], tags: [], sourceTypeName: '', interval: 0, unit: '' };
  return { metric: 'm', type: 'gauge', ...none, timestamps: [], values: [], ...p };
}

function sketchOf(counts: [number, number][], ts: number): ReturnType<DDSketchBuilder['toPoint']> {
  const b = new DDSketchBuilder();
  for (const [value, n] of counts) for (let i = 0; i < n; i++) b.add(value);
  return b.toPoint(ts);
}

describe('docs/mapping.md: worked examples (Mapper)', () => {
  test('Labels of a metric series: a v2 series from an Agent (host and device resources are the host and device)', () => {
    const s = series({
      metric: 'system.net.bytes_rcvd',
      type: 'rate',
      host: 'COMP-N52P6N99MH',
      device: 'enp0s31f6',
      resources: [{ type: 'k8s.cluster', name: 'prod-eu' }],
      sourceTypeName: 'System',
      tags: ['env:prod', 'availability-zone:us-east-1a'],
      timestamps: [1700000000],
      values: [1234.5],
    });
    assertSeries(
      mapped({ series: [s] }),
      [
        'system_net_bytes_rcvd{availability_zone="us-east-1a", device="enp0s31f6", env="prod", instance="COMP-N52P6N99MH", ' +
          'job="ddagent", k8s_cluster="prod-eu", source_type_name="System", type="rate"} 1234.5 @1700000000000',
      ],
      true,
    );
  });

  test('Host tags: metadata host-tags [env:prod, team:infra, role:a, role:b], series tags [env:dev]', () => {
    const r = mapped({
      hostMetadata: [
        {
          host: 'web-1',
          hostTags: ['env:prod', 'team:infra', 'role:a', 'role:b'],
          agentVersion: '7.50.3',
          os: 'linux',
        },
      ],
      series: [series({ metric: 'system.load.1', host: 'web-1', tags: ['env:dev'], timestamps: [1], values: [0.5] })],
    });
    assertSeries(
      r,
      [
        'datadog_host_info{agent_version="7.50.3", env="prod", instance="web-1", job="ddagent", os="linux", role="a,b", team="infra"} 1',
        'system_load_1{env="dev", instance="web-1", job="ddagent", role="a,b", team="infra", type="gauge"} 0.5',
      ],
      true,
    );
  });

  test('The host info series: host-tags [os:bsd, exported_x:1, team-x:a, team.x:b, flag], and read back', () => {
    const r = mapped({
      hostMetadata: [
        {
          host: 'web-1',
          hostTags: ['os:bsd', 'exported_x:1', 'team-x:a', 'team.x:b', 'flag'],
          agentVersion: '7.50.3',
          os: 'linux',
        },
      ],
    });
    assertSeries(
      r,
      [
        'datadog_host_info{agent_version="7.50.3", exported_exported_x="1", exported_os="bsd", flag="true", instance="web-1", job="ddagent", os="linux", team_x="a,b"} 1',
      ],
      true,
    );
    assert.deepEqual(hostsFromInfoSeries(r.series)[0]!.tags, ['exported_x:1', 'flag:true', 'os:bsd', 'team_x:a,b']);
  });

  test('Points: sorted by time, the last sent of a timestamp wins; seconds rounded to milliseconds', () => {
    const r = mapped({ series: [series({ timestamps: [30, 10, 20, 10], values: [3, 1, 2, 9] })] });
    assertSeries(r, ['m{job="ddagent", type="gauge"} 9 @10000, 2 @20000, 3 @30000'], true);
    assert.equal(r.dropped.duplicate_timestamp, 1);
    assertSeries(
      mapped({ series: [series({ timestamps: [1700000000.0004], values: [1] })] }),
      ['m{job="ddagent", type="gauge"} 1 @1700000000000'],
      true,
    );
  });

  test('Points: tags [a:1, b:2] and tags [b:2, a:1, a:1] merge into one series {a="1", b="2"}', () => {
    const r = mapped({
      series: [
        series({ tags: ['a:1', 'b:2'], timestamps: [1], values: [1] }),
        series({ tags: ['b:2', 'a:1', 'a:1'], timestamps: [2], values: [2] }),
      ],
    });
    assertSeries(r, ['m{a="1", b="2", job="ddagent", type="gauge"} 1 @1000, 2 @2000'], true);
  });

  test('Service checks: ntp.in_sync, host web-1, status 2', () => {
    const r = mapped({
      serviceChecks: [
        {
          check: 'ntp.in_sync',
          host: 'web-1',
          timestamp: 1700000000,
          status: 2,
          message: 'offset too large',
          tags: ['env:prod'],
        },
      ],
    });
    assertSeries(
      r,
      [
        'datadog_service_check_status{check="ntp.in_sync", env="prod", instance="web-1", job="ddagent"} 2 @1700000000000',
      ],
      true,
    );
  });

  test('Distributions: blog.app.testhist, host h, values 1×10, 2×60, 3×30 at 1700000010', () => {
    const r = mapped({
      sketches: [
        {
          metric: 'blog.app.testhist',
          host: 'h',
          tags: [],
          points: [
            sketchOf(
              [
                [1, 10],
                [2, 60],
                [3, 30],
              ],
              1700000010,
            ),
          ],
        },
      ],
    });
    // The page abbreviates the labels after the first line with `...`.
    const labels = 'instance="h", job="ddagent", type="distribution"';
    assertSeries(
      r,
      [
        `blog_app_testhist{instance="h", job="ddagent", quantile="0.5", type="distribution"} ≈ 2`,
        `blog_app_testhist{instance="h", job="ddagent", quantile="0.95", type="distribution"} ≈ 3`,
        `blog_app_testhist_count{${labels}} 100 @1700000010000`,
        `blog_app_testhist_sum{${labels}} 220`,
        `blog_app_testhist_min{${labels}} 1`,
        `blog_app_testhist_max{${labels}} 3`,
        `blog_app_testhist_avg{${labels}} 2.2`,
      ],
      false,
    );
    // With keepUtf8Names, the suffixes are added to the original name.
    const utf8 = mapped(
      { distributions: [{ metric: 'my.dist', host: '', tags: [], points: [{ ts: 1, values: [1] }] }] },
      true,
    );
    assertSeries(utf8, ['my.dist_count{job="ddagent", type="distribution"} 1'], false);
  });

  test('Distributions as native histograms: checkout.latency, host web-1, two intervals', () => {
    const m = new Mapper({ keepUtf8Names: false, distributions: 'native_histogram' }, new HostTagCache(null));
    const point = (counts: [number, number][], ts: number) => ({
      sketches: [{ metric: 'checkout.latency', host: 'web-1', tags: [], points: [sketchOf(counts, ts)] }],
    });
    const first = mapped(
      point(
        [
          [1, 10],
          [2, 60],
          [3, 30],
        ],
        1700000010,
      ),
      false,
      m,
    );
    const second = mapped(point([[2, 100]], 1700000020), false, m);
    const labels = 'instance="web-1", job="ddagent", type="distribution"';
    assertSeries(
      first,
      [`checkout_latency_min{${labels}} 1 @1700000010000`, `checkout_latency_max{${labels}} 3`],
      false,
    );
    assertSeries(
      second,
      [`checkout_latency_min{${labels}} 2 @1700000020000`, `checkout_latency_max{${labels}} 2`],
      false,
    );
    const histogram = (r: MapResult) => {
      const s = r.series.find((x) => head(x) === `checkout_latency_histogram{${labels}}`);
      assert.ok(s?.histograms, 'checkout_latency_histogram');
      assert.equal(s.histograms.histograms.length, 1);
      return { t: s.histograms.timestamps[0], h: s.histograms.histograms[0]! };
    };
    const a = histogram(first);
    const b = histogram(second);
    assert.deepEqual([a.t, a.h.count, a.h.sum, a.h.schema], [1700000010000, 100, 220, 6]);
    assert.deepEqual(
      a.h.positiveBuckets.filter((n) => n > 0),
      [10, 60, 30],
    );
    assert.deepEqual([b.t, b.h.count, b.h.sum], [1700000020000, 200, 420]);
    assert.deepEqual(
      b.h.positiveBuckets.filter((n) => n > 0),
      [10, 160, 30],
    );
  });

  test('Metadata: one entry per family, with its type, unit and help', () => {
    const r = mapped({
      series: [series({ metric: 'system.mem.used', unit: 'byte', timestamps: [1], values: [1] })],
      sketches: [{ metric: 'lat', host: '', tags: [], points: [sketchOf([[1, 1]], 1)] }],
      serviceChecks: [{ check: 'c', host: '', timestamp: 1, status: 0, message: '', tags: [] }],
    });
    assert.deepEqual(
      r.metadata.map((m) => [m.metricFamilyName, m.type, m.unit, m.help]),
      [
        ['system_mem_used', 'gauge', 'byte', 'Datadog metric system.mem.used.'],
        ['lat', 'summary', '', 'Datadog distribution lat: quantiles, _count and _sum of each interval.'],
        ['lat_min', 'gauge', '', 'Smallest value of Datadog distribution lat in each interval.'],
        ['lat_max', 'gauge', '', 'Largest value of Datadog distribution lat in each interval.'],
        ['lat_avg', 'gauge', '', 'Average of Datadog distribution lat in each interval.'],
        [
          'datadog_service_check_status',
          'gauge',
          '',
          'Datadog service check status: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN.',
        ],
      ],
    );
  });
});
