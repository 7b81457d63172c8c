// Template cases with the annotation Prometheus renders for each, as the ruler must render it too. Each expected
// value was produced by a real Prometheus: the differential test (prometheus-differential.test.ts) renders every case
// in Debian's Prometheus 2.42 and checks it equals `prometheus242 ?? expected`. Where 2.42 differs, `expected` is
// Prometheus 3.5's output (Go 1.24 and prometheus/common 0.65), read from their sources: newer Go error texts, Go 1.22
// range over integers, Go 1.23 `else with`, x/text's title casing, the `interface {}` Value field of the data struct.
import { AlertTemplate, type TemplateQuery, TemplateError } from '../../src/template/alert-template.js';

/** An alert the cases render for: one series, whose labels are `$labels`, and its value, `$value`. */
export interface TemplateFixture {
  labels: Record<string, string>;
  value: number;
}

/** Fixtures by alert name (templates are named `__alert_<name>`, as Prometheus names them). */
export const FIXTURES: Record<string, TemplateFixture> = Object.fromEntries(
  (
    [
      ['Plain', 1234.5678],
      ['Big', 1e6],
      ['Ratio', 0.07342],
      ['Whole', 100000],
      ['Small', 1e-5],
      ['Large', 123456789],
      ['Negative', -0.5],
      ['PlusInf', Infinity],
      ['MinusInf', -Infinity],
      ['NotANumber', Number.NaN],
      ['Zero', 0],
    ] as const
  ).map(([alert, value]) => [
    alert,
    {
      labels: {
        __name__: 'template_case',
        fixture: alert.toLowerCase(),
        instance: 'host-1.example.com:9100',
        job: 'node',
      },
      value,
    },
  ]),
);

/** The series the `query` cases read. */
export const QUERY_SERIES: TemplateFixture[] = [
  { labels: { __name__: 'template_query_up', instance: 'a.example.com:9100', job: 'api' }, value: 1 },
  { labels: { __name__: 'template_query_up', instance: 'b.example.com:9100', job: 'db' }, value: 0 },
  { labels: { __name__: 'template_query_up', instance: 'c.example.com', job: 'web' }, value: 0.5 },
];

export const EXTERNAL_LABELS = { env: 'prod' };
export const EXTERNAL_URL = 'http://prom.example.com/prom';

export interface TemplateCase {
  name: string;
  fixture: keyof typeof FIXTURES;
  template: string;
  /** The annotation as Prometheus 3.5 renders it; an error as the ruler shows it, `<error expanding template: …>`. */
  expected: string;
  /** Where Prometheus 2.42 renders something else, what it renders; or why it cannot load the template at all. */
  prometheus242?: string | { skip: string };
}

export const CASES: TemplateCase[] = [
  {
    name: 'float %v: shortest repr, exponent from 1e+06',
    fixture: 'Big',
    template: '{{ $value }}',
    expected: '1e+06',
  },
  {
    name: 'float %v: plain decimal',
    fixture: 'Plain',
    template: '{{ $value }}',
    expected: '1234.5678',
  },
  {
    name: 'float %v: small ratio',
    fixture: 'Ratio',
    template: '{{ $value }}',
    expected: '0.07342',
  },
  {
    name: 'float %v: 100000 stays decimal',
    fixture: 'Whole',
    template: '{{ $value }}',
    expected: '100000',
  },
  {
    name: 'float %v: 1e-05',
    fixture: 'Small',
    template: '{{ $value }}',
    expected: '1e-05',
  },
  {
    name: 'float %v: 1.23456789e+08',
    fixture: 'Large',
    template: '{{ $value }}',
    expected: '1.23456789e+08',
  },
  {
    name: 'float %v: negative',
    fixture: 'Negative',
    template: '{{ $value }}',
    expected: '-0.5',
  },
  {
    name: 'float %v: +Inf',
    fixture: 'PlusInf',
    template: '{{ $value }}',
    expected: '+Inf',
  },
  {
    name: 'float %v: -Inf',
    fixture: 'MinusInf',
    template: '{{ $value }}',
    expected: '-Inf',
  },
  {
    name: 'float %v: NaN',
    fixture: 'NotANumber',
    template: '{{ $value }}',
    expected: 'NaN',
  },
  {
    name: 'float %v: zero',
    fixture: 'Zero',
    template: '{{ $value }}',
    expected: '0',
  },
  {
    name: '.Value is $value',
    fixture: 'Plain',
    template: '{{ .Value }}',
    expected: '1234.5678',
  },
  {
    name: 'the whole data struct',
    fixture: 'Plain',
    template: '{{ . }}',
    expected:
      '{map[__name__:template_case fixture:plain instance:host-1.example.com:9100 job:node] map[env:prod] http://prom.example.com/prom 1234.5678}',
  },
  {
    name: 'labels by field and variable',
    fixture: 'Plain',
    template: '{{ .Labels.instance }} {{ $labels.job }} {{ index $labels "fixture" }}',
    expected: 'host-1.example.com:9100 node plain',
  },
  {
    name: 'external labels and URL',
    fixture: 'Plain',
    template: '{{ $externalLabels.env }} {{ .ExternalLabels.env }} {{ $externalURL }} {{ .ExternalURL }}',
    expected: 'prod prod http://prom.example.com/prom http://prom.example.com/prom',
  },
  {
    name: 'missing label key is empty (missingkey=zero)',
    fixture: 'Plain',
    template: '[{{ $labels.nope }}]',
    expected: '[]',
  },
  {
    name: 'missing key of an interface map is <no value>',
    fixture: 'Plain',
    template: '[{{ (args 1).arg5 }}]',
    expected: '[<no value>]',
  },
  {
    name: 'label map printed in key order',
    fixture: 'Plain',
    template: '{{ $labels }}',
    expected: 'map[__name__:template_case fixture:plain instance:host-1.example.com:9100 job:node]',
  },
  {
    name: 'range over labels in key order',
    fixture: 'Plain',
    template: '{{ range $k, $v := $labels }}{{ $k }}={{ $v }};{{ end }}',
    expected: '__name__=template_case;fixture=plain;instance=host-1.example.com:9100;job=node;',
  },
  {
    name: 'range with one variable gets values',
    fixture: 'Plain',
    template: '{{ range $v := $labels }}{{ $v }},{{ end }}',
    expected: 'template_case,plain,host-1.example.com:9100,node,',
  },
  {
    name: 'range over a string fails',
    fixture: 'Plain',
    template: '{{ range $externalLabels.nope }}x{{ else }}empty{{ end }}',
    expected:
      '<error expanding template: error executing template __alert_Plain: template: __alert_Plain:1:136: executing "__alert_Plain" at <$externalLabels.nope>: range can\'t iterate over >',
  },
  {
    name: 'printf %.2f',
    fixture: 'Plain',
    template: '{{ printf "%.2f" $value }}',
    expected: '1234.57',
  },
  {
    name: 'printf %.2f rounds half to even',
    fixture: 'Plain',
    template: '{{ printf "%.2f|%.0f|%.0f|%.1f" 0.125 2.5 3.5 0.25 }}',
    expected: '0.12|2|4|0.2',
  },
  {
    name: 'printf %.4g',
    fixture: 'Plain',
    template: '{{ printf "%.4g|%.4g|%.4g" 1234.5 12345.0 0.00012345 }}',
    expected: '1234|1.234e+04|0.0001234',
  },
  {
    name: 'printf %e %E %g %G',
    fixture: 'Plain',
    template: '{{ printf "%e %E %g %G" $value 0.000012 1e21 1e-10 }}',
    expected: '1.234568e+03 1.200000E-05 1e+21 1E-10',
  },
  {
    name: 'printf %d of an int, %s of a string, %t, %q, %%',
    fixture: 'Plain',
    template: '{{ printf "%d %s %t %q %%" 42 "x" true "a\\"b\\n" }}',
    expected: '42 x true "a\\"b\\n" %',
  },
  {
    name: 'printf integer verbs',
    fixture: 'Plain',
    template: '{{ printf "%05d|%x|%X|%o|%O|%b|%c|%U|%#U|%#x" 42 255 255 8 8 5 65 65 233 255 }}',
    expected: "00042|ff|FF|10|0o10|101|A|U+0041|U+00E9 'é'|0xff",
  },
  {
    name: 'printf widths and flags',
    fixture: 'Plain',
    template: '{{ printf "[%10.3f][%-10.3f][%+d][% d][%08.3f][%-5s][%5s]" $value $value 5 5 -3.14159 "é" "xy" }}',
    expected: '[  1234.568][1234.568  ][+5][ 5][-003.142][é    ][   xy]',
  },
  {
    name: 'printf %d of a float64 is a bad verb',
    fixture: 'Plain',
    template: '{{ printf "%d" $value }}',
    expected: '%!d(float64=1234.5678)',
  },
  {
    name: 'printf %s of a float64 is a bad verb',
    fixture: 'Plain',
    template: '{{ printf "%s" 3.5 }}',
    expected: '%!s(float64=3.5)',
  },
  {
    name: 'printf missing and extra arguments',
    fixture: 'Plain',
    template: '{{ printf "%d %d" 1 }}|{{ printf "%d" 1 "x" }}',
    expected: '1 %!d(MISSING)|1%!(EXTRA string=x)',
  },
  {
    name: 'printf argument index and star width',
    fixture: 'Plain',
    template: '{{ printf "%[2]d %[1]d|%*d|%.*f" 1 2 5 42 2 3.14159 }}',
    expected: '2 1| 5|%!f(int=000000000000000000000000000000000000000002)',
  },
  {
    name: 'printf %v of maps and samples',
    fixture: 'Plain',
    template: '{{ printf "%v|%+v|%T|%T" $externalLabels (query "sort(template_query_up)" | first) $value 1 }}',
    expected:
      'map[env:prod]|&{Labels:map[__name__:template_query_up instance:b.example.com:9100 job:db] Value:0}|float64|int',
  },
  {
    name: 'printf %x of a string',
    fixture: 'Plain',
    template: '{{ printf "%x|% x|%X" "hé" "ab" "ok" }}',
    expected: '68c3a9|61 62|6F6B',
  },
  {
    name: 'printf %v of nil',
    fixture: 'Plain',
    template: '{{ printf "%v %d" nil nil }}',
    expected: '<nil> %!d(<nil>)',
  },
  {
    name: 'print and println',
    fixture: 'Plain',
    template: '{{ print 1 2 "a" "b" 3 }}|{{ println 1 "x" }}|',
    expected: '1 2ab3|1 x\n|',
  },
  {
    name: 'pipeline final argument',
    fixture: 'Plain',
    template: '{{ $value | printf "%.1f" }} {{ "x" | printf "%s-%s" "a" }}',
    expected: '1234.6 a-x',
  },
  {
    name: 'humanize',
    fixture: 'Big',
    template: '{{ humanize $value }}',
    expected: '1M',
  },
  {
    name: 'humanize small and negative',
    fixture: 'Plain',
    template:
      '{{ humanize 0.000123 }} {{ humanize -1234567 }} {{ humanize 999.99 }} {{ humanize 1000 }} {{ humanize 1e30 }} {{ humanize 1e-30 }}',
    expected: '123u -1.235M 1000 1k 1e+06Y 1e-06y',
  },
  {
    name: 'humanize of a string and of an int',
    fixture: 'Plain',
    template: '{{ humanize "12345" }} {{ humanize 1024 }} {{ humanize "Inf" }} {{ humanize "NaN" }}',
    expected: '12.35k 1.024k +Inf NaN',
  },
  {
    name: 'humanize of a non-number string',
    fixture: 'Plain',
    template: '{{ humanize "abc" }}',
    expected:
      '<error expanding template: error executing template __alert_Plain: template: __alert_Plain:1:115: executing "__alert_Plain" at <humanize "abc">: error calling humanize: strconv.ParseFloat: parsing "abc": invalid syntax>',
  },
  {
    name: 'humanize of a bool',
    fixture: 'Plain',
    template: '{{ humanize true }}',
    expected:
      '<error expanding template: error executing template __alert_Plain: template: __alert_Plain:1:115: executing "__alert_Plain" at <humanize true>: error calling humanize: can\'t convert bool to float>',
  },
  {
    name: 'humanize of nil',
    fixture: 'Plain',
    template: '{{ humanize nil }}',
    expected:
      '<error expanding template: error executing template __alert_Plain: template: __alert_Plain:1:115: executing "__alert_Plain" at <humanize nil>: error calling humanize: can\'t convert <nil> to float>',
  },
  {
    name: 'humanize of +Inf',
    fixture: 'PlusInf',
    template:
      '{{ humanize $value }} {{ humanize1024 $value }} {{ humanizeDuration $value }} {{ humanizePercentage $value }} {{ humanizeTimestamp $value }}',
    expected: '+Inf +Inf +Inf +Inf% +Inf',
  },
  {
    name: 'humanize of NaN',
    fixture: 'NotANumber',
    template:
      '{{ humanize $value }} {{ humanize1024 $value }} {{ humanizeDuration $value }} {{ humanizePercentage $value }} {{ humanizeTimestamp $value }}',
    expected: 'NaN NaN NaN NaN% NaN',
  },
  {
    name: 'humanize1024',
    fixture: 'Plain',
    template:
      '{{ humanize1024 1048576 }} {{ humanize1024 1000 }} {{ humanize1024 -2048 }} {{ humanize1024 0.5 }} {{ humanize1024 1e30 }}',
    expected: '1Mi 1000 -2ki 0.5 8.272e+05Yi',
  },
  {
    name: 'humanizeDuration',
    fixture: 'Plain',
    template:
      '{{ humanizeDuration 90061.5 }} | {{ humanizeDuration 3600 }} | {{ humanizeDuration 42.195 }} | {{ humanizeDuration 0.0123 }} | {{ humanizeDuration 0 }} | {{ humanizeDuration -90061 }} | {{ humanizeDuration 0.000001 }}',
    expected: '1d 1h 1m 1s | 1h 0m 0s | 42.2s | 12.3ms | 0s | -1d 1h 1m 1s | 1us',
  },
  {
    name: 'humanizePercentage',
    fixture: 'Ratio',
    template: '{{ humanizePercentage $value }} {{ humanizePercentage 1 }} {{ humanizePercentage 0.000001234 }}',
    expected: '7.342% 100% 0.0001234%',
  },
  {
    name: 'humanizeTimestamp',
    fixture: 'Plain',
    template: '{{ humanizeTimestamp 1435065584.128 }} | {{ humanizeTimestamp 0 }} | {{ humanizeTimestamp -1.5 }}',
    expected: '2015-06-23 13:19:44.128 +0000 UTC | 1970-01-01 00:00:00 +0000 UTC | 1969-12-31 23:59:58.5 +0000 UTC',
  },
  {
    name: 'humanizeTimestamp overflow',
    fixture: 'Plain',
    template: '{{ humanizeTimestamp 1e20 }}',
    expected:
      '<error expanding template: error executing template __alert_Plain: template: __alert_Plain:1:115: executing "__alert_Plain" at <humanizeTimestamp 1e20>: error calling humanizeTimestamp: 1e+20 cannot be represented as a nanoseconds timestamp since it overflows int64>',
  },
  {
    name: 'toTime',
    fixture: 'Plain',
    template: '{{ toTime 1435065584.128 }}',
    expected: '2015-06-23 13:19:44.128 +0000 UTC',
  },
  {
    name: 'toTime of NaN',
    fixture: 'Plain',
    template: '{{ toTime "NaN" }}',
    expected:
      '<error expanding template: error executing template __alert_Plain: template: __alert_Plain:1:115: executing "__alert_Plain" at <toTime "NaN">: error calling toTime: value is NaN or Inf>',
  },
  {
    name: 'query with range and fields',
    fixture: 'Plain',
    template: '{{ range query "sort(template_query_up)" }}{{ .Labels.instance }}={{ .Value }} {{ end }}',
    expected: 'b.example.com:9100=0 c.example.com=0.5 a.example.com:9100=1 ',
  },
  {
    name: 'query with first, value, label',
    fixture: 'Plain',
    template:
      '{{ with query "sort_desc(template_query_up)" }}{{ . | first | value }} {{ . | first | label "job" }}{{ end }}',
    expected: '1 api',
  },
  {
    name: 'query with range index',
    fixture: 'Plain',
    template: '{{ range $i, $s := query "sort(template_query_up)" }}{{ $i }}:{{ $s.Labels.job }} {{ end }}',
    expected: '0:db 1:web 2:api ',
  },
  {
    name: 'sortByLabel',
    fixture: 'Plain',
    template: '{{ range query "template_query_up" | sortByLabel "job" }}{{ label "job" . }} {{ end }}',
    expected: 'api db web ',
  },
  {
    name: 'query of an empty result and else',
    fixture: 'Plain',
    template: '{{ with query "absent_template_series" }}x{{ else }}none{{ end }}',
    expected: 'none',
  },
  {
    name: 'first of an empty result',
    fixture: 'Plain',
    template: '{{ query "absent_template_series" | first }}',
    expected:
      '<error expanding template: error executing template __alert_Plain: template: __alert_Plain:1:148: executing "__alert_Plain" at <first>: error calling first: first() called on vector with no elements>',
  },
  {
    name: 'query of a scalar',
    fixture: 'Plain',
    template: '{{ query "scalar(vector(42))" | first | value }}',
    expected: '42',
  },
  {
    name: 'strvalue',
    fixture: 'Plain',
    template: '{{ query "label_replace(vector(1), \\"__value__\\", \\"v\\", \\"\\", \\"\\")" | first | strvalue }}',
    expected: 'v',
  },
  {
    name: 'a sample printed',
    fixture: 'Plain',
    template: '{{ query "sort(template_query_up)" | first }}',
    expected: '{map[__name__:template_query_up instance:b.example.com:9100 job:db] 0}',
  },
  {
    name: "a sample's fields",
    fixture: 'Plain',
    template: '{{ (query "sort(template_query_up)" | first).Labels.job }}',
    expected: 'db',
  },
  {
    name: 'query in a variable, len and index',
    fixture: 'Plain',
    template: '{{ $q := query "sort(template_query_up)" }}{{ len $q }} {{ (index $q 2).Labels.job }}',
    expected: '3 api',
  },
  {
    name: 'args',
    fixture: 'Plain',
    template: '{{ with args "a" 1 }}{{ .arg0 }}{{ .arg1 }}{{ end }}',
    expected: 'a1',
  },
  {
    name: 'reReplaceAll with groups',
    fixture: 'Plain',
    template: '{{ reReplaceAll "(.*):.*" "$1" $labels.instance }}',
    expected: 'host-1.example.com',
  },
  {
    name: 'reReplaceAll Go expansion rules',
    fixture: 'Plain',
    // biome-ignore lint/suspicious/noTemplateCurlyInString: ${h} and ${1} are Go's Regexp.Expand syntax
    template: '{{ reReplaceAll "(?P<h>[a-z]+)" "${h}!$1x${1}y$$" "ab cd" }}',
    expected: 'ab!aby$ cd!cdy$',
  },
  {
    name: 'reReplaceAll empty matches',
    fixture: 'Plain',
    template: '{{ reReplaceAll "" "-" "abc" }}|{{ reReplaceAll "b*" "X" "abbc" }}|{{ reReplaceAll "a*" "-" "baaac" }}',
    expected: '-a-b-c-|XaXcX|-b-c-',
  },
  {
    name: 'reReplaceAll of a bad pattern',
    fixture: 'Plain',
    template: '{{ reReplaceAll "(" "x" "y" }}',
    expected:
      '<error expanding template: error executing template __alert_Plain: template: __alert_Plain:1:115: executing "__alert_Plain" at <reReplaceAll "(" "x" "y">: error calling reReplaceAll: regexp: Compile(`(`): error parsing regexp: missing closing ): `(`>',
  },
  {
    name: 'match is unanchored',
    fixture: 'Plain',
    template:
      '{{ match "^host" $labels.instance }} {{ match "example" $labels.instance }} {{ match "a.c" "a\\nc" }} {{ match "(?s)a.c" "a\\nc" }}',
    expected: 'true true false true',
  },
  {
    name: 'match of a bad pattern',
    fixture: 'Plain',
    template: '{{ match "(" "x" }}',
    expected:
      '<error expanding template: error executing template __alert_Plain: template: __alert_Plain:1:115: executing "__alert_Plain" at <match "(" "x">: error calling match: error parsing regexp: missing closing ): `(`>',
  },
  {
    name: 'title',
    fixture: 'Plain',
    template: '{{ title "hello world foo-bar" }}',
    expected: 'Hello World Foo-Bar',
  },
  {
    name: 'title word breaks (x/text, not strings.Title)',
    fixture: 'Plain',
    template: '{{ title "foo.bar it\'s 1st hello_world" }}',
    expected: "Foo.bar It's 1St Hello_world",
    prometheus242: "Foo.Bar It'S 1st Hello_world",
  },
  {
    name: 'toUpper and toLower',
    fixture: 'Plain',
    template: '{{ toUpper "abc straße" }} {{ toLower "ABC İ" }}',
    expected: 'ABC STRAßE abc i',
  },
  {
    name: 'stripPort',
    fixture: 'Plain',
    template:
      '{{ stripPort $labels.instance }} {{ stripPort "[::1]:80" }} {{ stripPort "noport" }} {{ stripPort "a:b:c" }}',
    expected: 'host-1.example.com ::1 noport a:b:c',
  },
  {
    name: 'stripDomain',
    fixture: 'Plain',
    template:
      '{{ stripDomain $labels.instance }} {{ stripDomain "10.0.0.1:80" }} {{ stripDomain "foo.bar.baz" }} {{ stripDomain "[::1]:9" }}',
    expected: 'host-1:9100 10.0.0.1:80 foo [::1]:9',
  },
  {
    name: 'graphLink and tableLink',
    fixture: 'Plain',
    template: '{{ graphLink "up{job=\\"a b\\"}" }} {{ tableLink "rate(x[5m])" }}',
    expected: '/graph?g0.expr=up%7Bjob%3D%22a+b%22%7D&g0.tab=0 /graph?g0.expr=rate%28x%5B5m%5D%29&g0.tab=1',
  },
  {
    name: 'pathPrefix and externalURL',
    fixture: 'Plain',
    template: '{{ pathPrefix }} {{ externalURL }}',
    expected: '/prom http://prom.example.com/prom',
  },
  {
    name: 'parseDuration',
    fixture: 'Plain',
    template:
      '{{ parseDuration "1h30m" }} {{ parseDuration "1d" }} {{ parseDuration "1y2w3d4h5m6s7ms" }} {{ parseDuration "0" }}',
    expected: '5400 86400 3.3019506007e+07 0',
  },
  {
    name: 'parseDuration of a bad duration',
    fixture: 'Plain',
    template: '{{ parseDuration "1m1h" }}',
    expected:
      '<error expanding template: error executing template __alert_Plain: template: __alert_Plain:1:115: executing "__alert_Plain" at <parseDuration "1m1h">: error calling parseDuration: not a valid duration string: "1m1h">',
  },
  {
    name: 'parseDuration of an unknown unit',
    fixture: 'Plain',
    template: '{{ parseDuration "5x" }}',
    expected:
      '<error expanding template: error executing template __alert_Plain: template: __alert_Plain:1:115: executing "__alert_Plain" at <parseDuration "5x">: error calling parseDuration: unknown unit "x" in duration "5x">',
    prometheus242:
      '<error expanding template: error executing template __alert_Plain: template: __alert_Plain:1:115: executing "__alert_Plain" at <parseDuration "5x">: error calling parseDuration: not a valid duration string: "5x">',
  },
  {
    name: 'safeHtml, html, js, urlquery',
    fixture: 'Plain',
    template: '{{ safeHtml "<b>" }} {{ html "<b>&\'\\"" }} {{ js "a\'b<=" }} {{ urlquery "a b&c" }}',
    expected: "<b> &lt;b&gt;&amp;&#39;&#34; a\\'b\\u003C\\u003D a+b%26c",
  },
  {
    name: 'len, index, slice',
    fixture: 'Plain',
    template:
      '{{ len $labels }} {{ len "héllo" }} {{ index "abc" 1 }} {{ slice "abcdef" 1 3 }} {{ index $labels "nope" }}|',
    expected: '4 6 98 bc |',
  },
  {
    name: 'index out of range',
    fixture: 'Plain',
    template: '{{ index (query "sort(template_query_up)") 5 }}',
    expected:
      '<error expanding template: error executing template __alert_Plain: template: __alert_Plain:1:115: executing "__alert_Plain" at <index (query "sort(template_query_up)") 5>: error calling index: index out of range: 5>',
  },
  {
    name: 'index with a wrong key type',
    fixture: 'Plain',
    template: '{{ index $labels 1 }}',
    expected:
      '<error expanding template: error executing template __alert_Plain: template: __alert_Plain:1:115: executing "__alert_Plain" at <index $labels 1>: error calling index: value has type int; should be string>',
  },
  {
    name: 'len of a number',
    fixture: 'Plain',
    template: '{{ len 3 }}',
    expected:
      '<error expanding template: error executing template __alert_Plain: template: __alert_Plain:1:115: executing "__alert_Plain" at <len 3>: error calling len: len of type int>',
  },
  {
    name: 'and, or, not return their operands',
    fixture: 'Plain',
    template: '{{ and 1 0 }} {{ or 0 "" "x" }} {{ not 0 }} {{ and "a" "b" }}',
    expected: '0 x true b',
  },
  {
    name: 'if else if else',
    fixture: 'Plain',
    template: '{{ if gt $value 2000.0 }}high{{ else if gt $value 1000.0 }}mid{{ else }}low{{ end }}',
    expected: 'mid',
  },
  {
    name: 'comparing a float with an int literal fails',
    fixture: 'Plain',
    template: '{{ if gt $value 80 }}high{{ end }}',
    expected:
      '<error expanding template: error executing template __alert_Plain: template: __alert_Plain:1:118: executing "__alert_Plain" at <gt $value 80>: error calling gt: incompatible types for comparison: float64 and int>',
    prometheus242:
      '<error expanding template: error executing template __alert_Plain: template: __alert_Plain:1:118: executing "__alert_Plain" at <gt $value 80>: error calling gt: incompatible types for comparison>',
  },
  {
    name: 'eq with several operands',
    fixture: 'Plain',
    template: '{{ eq $labels.job "db" "node" }} {{ ne 1 2 }} {{ lt "a" "b" }} {{ le 1.5 1.5 }} {{ ge 2 1 }}',
    expected: 'true true true true true',
  },
  {
    name: 'eq with an int and a float fails',
    fixture: 'Plain',
    template: '{{ eq 1 1.0 }}',
    expected:
      '<error expanding template: error executing template __alert_Plain: template: __alert_Plain:1:115: executing "__alert_Plain" at <eq 1 1.0>: error calling eq: incompatible types for comparison: int and float64>',
    prometheus242:
      '<error expanding template: error executing template __alert_Plain: template: __alert_Plain:1:115: executing "__alert_Plain" at <eq 1 1.0>: error calling eq: incompatible types for comparison>',
  },
  {
    name: 'eq of nil',
    fixture: 'Plain',
    template: '{{ eq nil nil }}',
    expected: 'true',
  },
  {
    name: 'lt of bools fails',
    fixture: 'Plain',
    template: '{{ lt true false }}',
    expected:
      '<error expanding template: error executing template __alert_Plain: template: __alert_Plain:1:115: executing "__alert_Plain" at <lt true false>: error calling lt: invalid type for comparison>',
  },
  {
    name: 'with on a missing label',
    fixture: 'Plain',
    template: '{{ with $labels.nope }}set{{ else }}unset{{ end }} {{ with $labels.job }}{{ . }}{{ end }}',
    expected: 'unset node',
  },
  {
    name: 'trim markers and comments',
    fixture: 'Plain',
    template: 'a  {{- "  x  " -}}  \n  {{/* c */}} y {{- /* c2 */ -}} z',
    expected: 'a  x   yz',
  },
  {
    name: 'variables: declare, assign in a block',
    fixture: 'Plain',
    template: '{{ $x := 1 }}{{ if true }}{{ $x = 2 }}{{ end }}{{ $x }}',
    expected: '2',
  },
  {
    name: 'break and continue',
    fixture: 'Plain',
    template:
      '{{ range $i, $e := query "sort(template_query_up)" }}{{ if eq $i 1 }}{{ continue }}{{ end }}{{ if eq $i 2 }}{{ break }}{{ end }}{{ $i }}{{ end }}',
    expected: '0',
  },
  {
    name: 'define and template',
    fixture: 'Plain',
    template: '{{ define "x" }}[{{ . }}]{{ end }}{{ template "x" $value }}{{ template "x" }}',
    expected: '[1234.5678][<no value>]',
  },
  {
    name: 'block',
    fixture: 'Plain',
    template: '{{ block "b" $labels.job }}<{{ . }}>{{ end }}',
    expected: '<node>',
  },
  {
    name: 'literals',
    fixture: 'Plain',
    template:
      '{{ \'a\' }} {{ 0x1F }} {{ 1e3 }} {{ 1_000 }} {{ 0o17 }} {{ .5 }} {{ -2 }} {{ 1.0 }} {{ "a\\tb" }} {{ `raw\\n` }} {{ true }}',
    expected: '97 31 1000 1000 15 0.5 -2 1 a\tb raw\\n true',
  },
  {
    name: 'nil is not a command',
    fixture: 'Plain',
    template: '{{ nil }}',
    expected:
      '<error expanding template: error executing template __alert_Plain: template: __alert_Plain:1:115: executing "__alert_Plain" at <nil>: nil is not a command>',
  },
  {
    name: 'parenthesized pipelines',
    fixture: 'Plain',
    template: '{{ (printf "%s-%s" (toUpper "a") ("b" | toUpper)) }}',
    expected: 'A-B',
  },
  {
    name: 'field of a string',
    fixture: 'Plain',
    template: '{{ .Labels.instance.foo }}',
    expected:
      '<error expanding template: error executing template __alert_Plain: template: __alert_Plain:1:122: executing "__alert_Plain" at <.Labels.instance.foo>: can\'t evaluate field foo in type string>',
  },
  {
    name: 'unknown field of the data',
    fixture: 'Plain',
    template: '{{ .Foo }}',
    expected:
      '<error expanding template: error executing template __alert_Plain: template: __alert_Plain:1:115: executing "__alert_Plain" at <.Foo>: can\'t evaluate field Foo in type struct { Labels map[string]string; ExternalLabels map[string]string; ExternalURL string; Value interface {} }>',
    prometheus242:
      '<error expanding template: error executing template __alert_Plain: template: __alert_Plain:1:115: executing "__alert_Plain" at <.Foo>: can\'t evaluate field Foo in type struct { Labels map[string]string; ExternalLabels map[string]string; ExternalURL string; Value float64 }>',
  },
  {
    name: 'template not defined',
    fixture: 'Plain',
    template: '{{ template "nope" }}',
    expected:
      '<error expanding template: error executing template __alert_Plain: template: __alert_Plain:1:124: executing "__alert_Plain" at <{{template "nope"}}>: template "nope" not defined>',
  },
  {
    name: 'wrong number of arguments',
    fixture: 'Plain',
    template: '{{ humanize }}',
    expected:
      '<error expanding template: error executing template __alert_Plain: template: __alert_Plain:1:115: executing "__alert_Plain" at <humanize>: wrong number of args for humanize: want 1 got 0>',
  },
  {
    name: 'wrong argument type',
    fixture: 'Plain',
    template: '{{ toUpper $value }}',
    expected:
      '<error expanding template: error executing template __alert_Plain: template: __alert_Plain:1:123: executing "__alert_Plain" at <$value>: wrong type for value; expected string; got float64>',
  },
  {
    name: 'literal of the wrong type',
    fixture: 'Plain',
    template: '{{ toUpper 1 }}',
    expected:
      '<error expanding template: error executing template __alert_Plain: template: __alert_Plain:1:123: executing "__alert_Plain" at <1>: expected string; found 1>',
  },
  {
    name: 'argument to a non-function',
    fixture: 'Plain',
    template: '{{ $labels.job 1 }}',
    expected:
      '<error expanding template: error executing template __alert_Plain: template: __alert_Plain:1:122: executing "__alert_Plain" at <$labels.job>: job is not a method but has arguments>',
  },
  {
    name: 'nil sample',
    fixture: 'Plain',
    template: '{{ label "x" nil }}',
    expected:
      '<error expanding template: error executing template __alert_Plain: template: __alert_Plain:1:115: executing "__alert_Plain" at <label "x" nil>: error calling label: runtime error: invalid memory address or nil pointer dereference>',
  },
  {
    name: 'error stops the whole annotation',
    fixture: 'Plain',
    template: 'before {{ .Foo }} after',
    expected:
      '<error expanding template: error executing template __alert_Plain: template: __alert_Plain:1:122: executing "__alert_Plain" at <.Foo>: can\'t evaluate field Foo in type struct { Labels map[string]string; ExternalLabels map[string]string; ExternalURL string; Value interface {} }>',
    prometheus242:
      '<error expanding template: error executing template __alert_Plain: template: __alert_Plain:1:122: executing "__alert_Plain" at <.Foo>: can\'t evaluate field Foo in type struct { Labels map[string]string; ExternalLabels map[string]string; ExternalURL string; Value float64 }>',
  },
  {
    name: 'error on a later line',
    fixture: 'Plain',
    template: 'line one\n{{ humanize "x" }}',
    expected:
      '<error expanding template: error executing template __alert_Plain: template: __alert_Plain:2:3: executing "__alert_Plain" at <humanize "x">: error calling humanize: strconv.ParseFloat: parsing "x": invalid syntax>',
  },
  {
    name: 'call of a non-function',
    fixture: 'Plain',
    template: '{{ call $labels }}',
    expected:
      '<error expanding template: error executing template __alert_Plain: template: __alert_Plain:1:115: executing "__alert_Plain" at <call $labels>: error calling call: non-function $labels of type map[string]string>',
    prometheus242:
      '<error expanding template: error executing template __alert_Plain: template: __alert_Plain:1:115: executing "__alert_Plain" at <call $labels>: error calling call: non-function of type map[string]string>',
  },
  {
    name: 'range over an integer (Go 1.22)',
    fixture: 'Plain',
    template: '{{ range $x := 3 }}{{ $x }}{{ end }}',
    expected: '012',
    prometheus242:
      '<error expanding template: error executing template __alert_Plain: template: __alert_Plain:1:127: executing "__alert_Plain" at <3>: range can\'t iterate over 3>',
  },
  {
    name: 'range over a bool',
    fixture: 'Plain',
    template: '{{ range true }}{{ end }}',
    expected:
      '<error expanding template: error executing template __alert_Plain: template: __alert_Plain:1:121: executing "__alert_Plain" at <true>: range can\'t iterate over true>',
  },
  {
    name: 'else with (Go 1.23)',
    fixture: 'Plain',
    template: '{{ with $labels.nope }}a{{ else with $labels.job }}b{{ . }}{{ end }}',
    expected: 'bnode',
    prometheus242: { skip: '`else with` needs Go 1.23: 2.42 (Go 1.19) refuses the template' },
  },
  {
    name: 'now (Prometheus 3.6)',
    fixture: 'Plain',
    template: '{{ now }}',
    expected: '0',
    prometheus242: { skip: '`now` came with Prometheus 3.6' },
  },
  {
    name: 'toDuration (Prometheus 3.6)',
    fixture: 'Plain',
    template: '{{ toDuration 3723.5 }} {{ toDuration 0.0015 }}',
    expected: '1h2m3.5s 1.5ms',
    prometheus242: { skip: '`toDuration` came with Prometheus 3.6' },
  },
  {
    name: 'urlQueryEscape (Prometheus 3.8)',
    fixture: 'Plain',
    template: '{{ urlQueryEscape "a b/c" }}',
    expected: 'a+b%2Fc',
    prometheus242: { skip: '`urlQueryEscape` came with Prometheus 3.8' },
  },
  {
    name: '$ inside with and range is the data',
    fixture: 'Plain',
    template:
      '{{ with $labels }}{{ .job }} {{ $.Labels.instance }}{{ end }} {{ range $i, $s := query "sort(template_query_up)" }}{{ $.Value }}/{{ $i }} {{ end }}',
    expected: 'node host-1.example.com:9100 1234.5678/0 1234.5678/1 1234.5678/2 ',
  },
  {
    name: 'a declaration in if',
    fixture: 'Plain',
    template: '{{ if $x := $labels.job }}{{ $x }}{{ end }}',
    expected: 'node',
  },
  {
    name: 'range assigns existing variables with =',
    fixture: 'Plain',
    template:
      '{{ $i := 0 }}{{ $e := 0 }}{{ range $i, $e = query "sort(template_query_up)" }}{{ end }}{{ $i }} {{ $e.Value }}',
    expected: '2 1',
  },
  {
    name: 'a defined template has its own $',
    fixture: 'Plain',
    template: '{{ define "t" }}{{ .job }} {{ $.instance }}{{ end }}{{ template "t" $labels }}',
    expected: 'node host-1.example.com:9100',
  },
  {
    name: 'an error inside a defined template names it',
    fixture: 'Plain',
    template: '{{ define "t" }}{{ humanize . }}{{ end }}{{ template "t" "x" }}',
    expected:
      '<error expanding template: error executing template __alert_Plain: template: __alert_Plain:1:131: executing "t" at <humanize .>: error calling humanize: strconv.ParseFloat: parsing "x": invalid syntax>',
  },
  {
    name: 'break out of a range over a query',
    fixture: 'Plain',
    template:
      '{{ range query "sort(template_query_up)" }}{{ if eq .Value 1.0 }}{{ break }}{{ end }}{{ .Labels.job }} {{ end }}',
    expected: 'db web ',
  },
  {
    name: 'html of a map, js of unicode, urlquery of several values',
    fixture: 'Plain',
    template:
      '{{ html $externalLabels }} {{ js "é\\u0000\\u2028" }} {{ urlquery "a" 1 "b" }} {{ print nil 1 }} {{ html nil }}',
    expected: 'map[env:prod] é\\u0000\\u2028 a1b <nil> 1 &lt;no value&gt;',
  },
  {
    name: 'safeHtml is a string type of its own',
    fixture: 'Plain',
    template:
      '{{ eq (safeHtml "a") "a" }} {{ len (safeHtml "abc") }} {{ printf "%T %s" (safeHtml "x") (safeHtml "y") }}',
    expected: 'true 3 template.HTML y',
  },
  {
    name: 'safeHtml where a string is expected',
    fixture: 'Plain',
    template: '{{ toUpper (safeHtml "x") }}',
    expected:
      '<error expanding template: error executing template __alert_Plain: template: __alert_Plain:1:133: executing "__alert_Plain" at <"x">: wrong type for value; expected string; got template.HTML>',
  },
  {
    name: "times print with String, or as Go's internals",
    fixture: 'Plain',
    template: '{{ printf "%v|%d" (toTime 1.5) (toTime 1435065584.128) }}',
    expected: '1970-01-01 00:00:01.5 +0000 UTC|&{128000000 63570662384 0}',
  },
  {
    name: 'comparing query results is not possible',
    fixture: 'Plain',
    template: '{{ eq (query "sort(template_query_up)") (query "sort(template_query_up)") }}',
    expected:
      '<error expanding template: error executing template __alert_Plain: template: __alert_Plain:1:115: executing "__alert_Plain" at <eq (query "sort(template_query_up)") (query "sort(template_query_up)")>: error calling eq: non-comparable type [%!s(*template.sample=&{map[__name__:template_query_up instance:b.example.com:9100 job:db] 0}) %!s(*template.sample=&{map[__name__:template_query_up instance:c.example.com job:web] 0.5}) %!s(*template.sample=&{map[__name__:template_query_up instance:a.example.com:9100 job:api] 1})]: template.queryResult>',
  },
  {
    name: 'numbers too large for an int',
    fixture: 'Plain',
    template: '{{ 9223372036854775808 }}',
    expected:
      '<error expanding template: error executing template __alert_Plain: template: __alert_Plain:1:115: executing "__alert_Plain" at <9223372036854775808>: 9223372036854775808 overflows int>',
  },
];

export interface ParseErrorCase {
  template: string;
  /** Go 1.24's message, as `promtool check rules` prints it for an alert named BadTemplate. */
  expected: string;
  /** Go 1.19's message where it differs (Prometheus 2.42). */
  prometheus242?: string;
}

export const PARSE_ERRORS: ParseErrorCase[] = [
  { template: '{{ }}', expected: 'template: __alert_BadTemplate:1: missing value for command' },
  { template: '{{ .Foo', expected: 'template: __alert_BadTemplate:1: unclosed action' },
  { template: '{{ .Foo }', expected: 'template: __alert_BadTemplate:1: unexpected "}" in operand' },
  { template: '{{ foo }}', expected: 'template: __alert_BadTemplate:1: function "foo" not defined' },
  { template: '{{ $x }}', expected: 'template: __alert_BadTemplate:1: undefined variable "$x"' },
  { template: '{{ if }}', expected: 'template: __alert_BadTemplate:1: missing value for if' },
  { template: '{{ if 1 }}', expected: 'template: __alert_BadTemplate:1: unexpected EOF' },
  { template: '{{ end }}', expected: 'template: __alert_BadTemplate:1: unexpected {{end}}' },
  { template: '{{ else }}', expected: 'template: __alert_BadTemplate:1: unexpected {{else}}' },
  {
    template: '{{ if 1 }}{{ else }}{{ else }}{{ end }}',
    expected: 'template: __alert_BadTemplate:1: expected end; found {{else}}',
  },
  {
    template: '{{ range $i, $j, $k := 1 }}{{ end }}',
    expected: 'template: __alert_BadTemplate:1: too many declarations in range',
  },
  {
    template: '{{ range $i, 1 }}{{ end }}',
    expected: 'template: __alert_BadTemplate:1: range can only initialize variables',
  },
  {
    template: '{{ with $x, $y := 1 }}{{ end }}',
    expected: 'template: __alert_BadTemplate:1: too many declarations in with',
  },
  { template: '{{ 1 | 2 }}', expected: 'template: __alert_BadTemplate:1: non executable command in pipeline stage 2' },
  {
    template: '{{ "a" | "b" }}',
    expected: 'template: __alert_BadTemplate:1: non executable command in pipeline stage 2',
  },
  { template: '{{ (1 }}', expected: 'template: __alert_BadTemplate:1: unclosed left paren' },
  {
    template: '{{ 1) }}',
    expected: 'template: __alert_BadTemplate:1: unexpected right paren',
    prometheus242: 'template: __alert_BadTemplate:1: unexpected ")" in command',
  },
  { template: '{{ .Foo# }}', expected: "template: __alert_BadTemplate:1: bad character U+0023 '#'" },
  { template: '{{ # }}', expected: 'template: __alert_BadTemplate:1: unexpected "#" in command' },
  { template: "{{ 'ab' }}", expected: "template: __alert_BadTemplate:1: malformed character constant: 'ab'" },
  { template: "{{ '\\q' }}", expected: 'template: __alert_BadTemplate:1: invalid syntax' },
  { template: '{{ "\\q" }}', expected: 'template: __alert_BadTemplate:1: invalid syntax' },
  { template: '{{ "abc }}', expected: 'template: __alert_BadTemplate:1: unterminated quoted string' },
  { template: '{{ `abc }}', expected: 'template: __alert_BadTemplate:1: unterminated raw quoted string' },
  { template: "{{ 'a }}", expected: 'template: __alert_BadTemplate:1: unterminated character constant' },
  { template: '{{ 1x }}', expected: 'template: __alert_BadTemplate:1: bad number syntax: "1x"' },
  { template: '{{ 0x }}', expected: 'template: __alert_BadTemplate:1: illegal number syntax: "0x"' },
  { template: '{{ 089 }}', expected: 'template: __alert_BadTemplate:1: integer overflow: "089"' },
  {
    template: '{{ 99999999999999999999 }}',
    expected: 'template: __alert_BadTemplate:1: integer overflow: "99999999999999999999"',
  },
  { template: '{{ 1e }}', expected: 'template: __alert_BadTemplate:1: illegal number syntax: "1e"' },
  { template: '{{ 1+2 }}', expected: 'template: __alert_BadTemplate:1: bad number syntax: "1+2"' },
  { template: '{{ break }}', expected: 'template: __alert_BadTemplate:1: {{break}} outside {{range}}' },
  { template: '{{ continue }}', expected: 'template: __alert_BadTemplate:1: {{continue}} outside {{range}}' },
  {
    template: '{{ range . }}{{ break 1 }}{{ end }}',
    expected: 'template: __alert_BadTemplate:1: unexpected "1" in {{break}}',
  },
  { template: '{{/* x */ }}', expected: 'template: __alert_BadTemplate:1: comment ends before closing delimiter' },
  { template: '{{/* x', expected: 'template: __alert_BadTemplate:1: unclosed comment' },
  { template: '{{ template }}', expected: 'template: __alert_BadTemplate:1: unexpected "}}" in template clause' },
  { template: '{{ template foo }}', expected: 'template: __alert_BadTemplate:1: unexpected "foo" in template clause' },
  {
    template: '{{ define "x" }}a{{ end }}{{ define "x" }}b{{ end }}',
    expected: 'template: __alert_BadTemplate:1: template: multiple definition of template "x"',
  },
  { template: '{{ define "x" }}', expected: 'template: __alert_BadTemplate:1: unexpected EOF' },
  { template: '{{ define x }}{{ end }}', expected: 'template: __alert_BadTemplate:1: unexpected "x" in define clause' },
  {
    template: '{{ block "b" . }}x{{ end }}{{ block "b" . }}y{{ end }}',
    expected: 'template: __alert_BadTemplate:1: template: multiple definition of template "b"',
  },
  { template: '{{ | .x }}', expected: 'template: __alert_BadTemplate:1: unexpected "|" in command' },
  { template: '{{ $x := }}', expected: 'template: __alert_BadTemplate:1: missing value for command' },
  { template: '{{ $x := 1 }}{{ $y }}', expected: 'template: __alert_BadTemplate:1: undefined variable "$y"' },
  {
    template: '{{ if 1 }}{{ $z := 1 }}{{ end }}{{ $z }}',
    expected: 'template: __alert_BadTemplate:1: undefined variable "$z"',
  },
  { template: '{{ nil.x }}', expected: 'template: __alert_BadTemplate:1: unexpected . after term "nil"' },
  { template: '{{ 1.x }}', expected: 'template: __alert_BadTemplate:1: bad number syntax: "1.x"' },
  { template: '{{ "a".x }}', expected: 'template: __alert_BadTemplate:1: unexpected . after term "\\"a\\""' },
  { template: '{{ .a:b }}', expected: 'template: __alert_BadTemplate:1: expected :=' },
  { template: '{{ :=1 }}', expected: 'template: __alert_BadTemplate:1: unexpected ":=" in command' },
  { template: '{{ 3:4 }}', expected: 'template: __alert_BadTemplate:1: expected :=' },
  { template: 'x\n{{ if 1 }}\ny', expected: 'template: __alert_BadTemplate:3: unexpected EOF' },
  { template: 'x\n{{ .a\n.b }}\n{{ bad }}', expected: 'template: __alert_BadTemplate:4: function "bad" not defined' },
  { template: '{{ "\n" }}', expected: 'template: __alert_BadTemplate:1: unterminated quoted string' },
  { template: '{{-.x}}', expected: 'template: __alert_BadTemplate:1: bad number syntax: "-.x"' },
  { template: '{{.x-}}', expected: "template: __alert_BadTemplate:1: bad character U+002D '-'" },
  { template: '{{ else if 1 }}', expected: 'template: __alert_BadTemplate:1: unexpected {{else}}' },
  { template: '{{ if 1 }}{{ else if }}{{ end }}', expected: 'template: __alert_BadTemplate:1: missing value for if' },
  {
    template: '{{ if 1 }}{{ else with 2 }}{{ end }}',
    expected: 'template: __alert_BadTemplate:1: unexpected <with> in input',
    prometheus242: 'template: __alert_BadTemplate:1: unexpected <with> in else',
  },
  // "{{ with 1 }}{{ else with 2 }}{{ end }}": refused by 2.42 (template: __alert_P70:1: unexpected <with> in else), valid since Go 1.23
  {
    template: '{{ range 1 }}{{ else if 2 }}{{ end }}',
    expected: 'template: __alert_BadTemplate:1: unexpected <if> in input',
  },
  { template: '{{ humanize (((1 }}', expected: 'template: __alert_BadTemplate:1: unclosed left paren' },
  { template: '{{ é }}', expected: 'template: __alert_BadTemplate:1: function "é" not defined' },
  { template: '{{ \u0001 }}', expected: 'template: __alert_BadTemplate:1: unrecognized character in action: U+0001' },
  {
    template: '{{ range $x := 1 }}{{ end }}{{ $x }}',
    expected: 'template: __alert_BadTemplate:1: undefined variable "$x"',
  },
  { template: '{{ block "a" }}{{ end }}', expected: 'template: __alert_BadTemplate:1: missing value for block clause' },
  { template: '{{ 1e1000 }}', expected: 'template: __alert_BadTemplate:1: illegal number syntax: "1e1000"' },
  { template: '{{ 0b2 }}', expected: 'template: __alert_BadTemplate:1: bad number syntax: "0b2"' },
  { template: '{{ .5. }}', expected: 'template: __alert_BadTemplate:1: unexpected <.> in operand' },
];

/** The annotation the ruler makes of a template: its expansion, or Prometheus' error notation. */
export async function renderCase(
  alert: string,
  template: string,
  fixture: TemplateFixture,
  query: TemplateQuery,
): Promise<string> {
  try {
    const data = {
      labels: fixture.labels,
      externalLabels: EXTERNAL_LABELS,
      externalURL: EXTERNAL_URL,
      value: fixture.value,
    };
    return await AlertTemplate.parse(`__alert_${alert}`, template).expand(data, 0, query);
  } catch (e) {
    if (e instanceof TemplateError) return `<error expanding template: ${e.message}>`;
    throw e;
  }
}
