import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  DogStatsDParser,
  parseNumber,
  type MalformedReason,
  type ParsedEvent,
  type ParsedMetric,
  type ParsedServiceCheck,
  type ParseHandler,
  type ParserOptions,
} from './parser.js';

interface MetricCopy {
  name: string;
  type: string;
  values: number[];
  setValue: string;
  sampleRate: number;
  rawTags: string;
  container: string;
  timestamp: number;
}

/** Records what the parser reports, copying the reused metric object. */
class Recorder implements ParseHandler {
  metrics: MetricCopy[] = [];
  events: ParsedEvent[] = [];
  checks: ParsedServiceCheck[] = [];
  malformedReasons: MalformedReason[] = [];
  metric(m: ParsedMetric): void {
    this.metrics.push({
      name: m.name,
      type: m.type,
      values: m.values.slice(0, m.valueCount),
      setValue: m.setValue,
      sampleRate: m.sampleRate,
      rawTags: m.rawTags,
      container: m.container,
      timestamp: m.timestamp,
    });
  }
  event(e: ParsedEvent): void {
    this.events.push(e);
  }
  serviceCheck(sc: ParsedServiceCheck): void {
    this.checks.push(sc);
  }
  malformed(reason: MalformedReason): void {
    this.malformedReasons.push(reason);
  }
}

function parse(text: string | Buffer, opts?: ParserOptions): Recorder {
  const r = new Recorder();
  new DogStatsDParser(opts).parsePacket(typeof text === 'string' ? Buffer.from(text) : text, r);
  return r;
}

describe('metrics', () => {
  test('every type', () => {
    const r = parse('a:1|c\nb:2.5|g\nc:-3|h\nd:4e2|d\ne:5|ms\nf:user42|s');
    assert.deepEqual(
      r.metrics.map((m) => [m.name, m.type, m.values, m.setValue]),
      [
        ['a', 'c', [1], ''],
        ['b', 'g', [2.5], ''],
        ['c', 'h', [-3], ''],
        ['d', 'd', [400], ''],
        ['e', 'ms', [5], ''],
        ['f', 's', [], 'user42'],
      ],
    );
    assert.deepEqual(r.malformedReasons, []);
  });

  test('defaults when no optional field is present', () => {
    const [m] = parse('page.views:1|c').metrics;
    assert.equal(m!.sampleRate, 1);
    assert.equal(m!.rawTags, '');
    assert.equal(m!.container, '');
    assert.equal(m!.timestamp, 0);
  });

  test('multiple values per message; empty values skipped as by the Agent', () => {
    const r = parse('lat:1:2.5::3|h|#x\ncnt:1:1|c');
    assert.deepEqual(r.metrics[0]!.values, [1, 2.5, 3]);
    assert.equal(r.metrics[0]!.rawTags, 'x');
    assert.deepEqual(r.metrics[1]!.values, [1, 1]);
  });

  test('a set member is the raw value, colons included', () => {
    assert.equal(parse('users:a:b|s').metrics[0]!.setValue, 'a:b');
  });

  test('several lines per packet: \\n and \\r\\n, empty lines, last line unterminated', () => {
    const r = parse('a:1|c\r\n\n\nb:2|g\nc:3|h');
    assert.deepEqual(
      r.metrics.map((m) => [m.name, m.values[0]]),
      [
        ['a', 1],
        ['b', 2],
        ['c', 3],
      ],
    );
    assert.deepEqual(r.malformedReasons, []);
  });

  test('sample rate, tags, container, timestamp in any order; unknown fields ignored', () => {
    const [m] = parse(
      'x:2|c|#env:prod,host:web1,solo|@0.25|c:ci-abc123|e:it-false,cn-x|card:high|T1700000000|zzz',
    ).metrics;
    assert.equal(m!.sampleRate, 0.25);
    assert.equal(m!.rawTags, 'env:prod,host:web1,solo');
    assert.equal(m!.container, 'ci-abc123');
    assert.equal(m!.timestamp, 1700000000);
  });

  test('|T is ignored when the no-aggregation pipeline is off', () => {
    assert.equal(parse('x:1|g|T1700000000', { readTimestamps: false }).metrics[0]!.timestamp, 0);
    // ... even when it would be invalid
    assert.equal(parse('x:1|g|Tnope', { readTimestamps: false }).metrics.length, 1);
  });

  test('UTF-8 names, tags and set members in a non-ASCII packet', () => {
    const r = parse('température:21|g|#pièce:salon\nvisiteurs:José|s');
    assert.equal(r.metrics[0]!.name, 'température');
    assert.equal(r.metrics[0]!.rawTags, 'pièce:salon');
    assert.equal(r.metrics[1]!.setValue, 'José');
  });

  test('the reused metric object is refilled for each message', () => {
    const r = parse('a:1|c|@0.5|#t|T5\nb:2|c');
    assert.equal(r.metrics[1]!.sampleRate, 1);
    assert.equal(r.metrics[1]!.rawTags, '');
    assert.equal(r.metrics[1]!.timestamp, 0);
  });
});

describe('malformed metrics are counted by reason and skipped; the rest of the packet is parsed', () => {
  const cases: Array<[string, MalformedReason]> = [
    ['no_pipe:1', 'invalid_format'],
    ['novalue|c', 'invalid_format'],
    [':1|c', 'empty_name'],
    ['name:|c', 'invalid_value'],
    ['name:abc|c', 'invalid_value'],
    ['name:1:x|h', 'invalid_value'],
    ['name:::|h', 'invalid_value'],
    ['name: 1|g', 'invalid_value'],
    ['name:1|', 'invalid_type'],
    ['name:1|x', 'invalid_type'],
    ['name:1|cc', 'invalid_type'],
    ['name:1|c|@', 'invalid_sample_rate'],
    ['name:1|c|@fast', 'invalid_sample_rate'],
    ['name:1|g|Tsoon', 'invalid_timestamp'],
    ['name:1|g|T0', 'invalid_timestamp'],
    ['name:1|g|T-5', 'invalid_timestamp'],
  ];
  for (const [line, reason] of cases) {
    test(`${JSON.stringify(line)} → ${reason}`, () => {
      const r = parse(`ok.before:1|c\n${line}\nok.after:2|g`);
      assert.deepEqual(r.malformedReasons, [reason]);
      assert.deepEqual(
        r.metrics.map((m) => m.name),
        ['ok.before', 'ok.after'],
      );
    });
  }
});

describe('events', () => {
  test('all fields', () => {
    const [e] = parse('_e{5,12}:Hello|Wor\\nld text|d:1700000000|h:web1|p:low|t:error|#a,b:c|k:agg|s:my_source').events;
    assert.deepEqual(e, {
      title: 'Hello',
      text: 'Wor\nld text',
      timestamp: 1700000000,
      hostname: 'web1',
      aggregationKey: 'agg',
      priority: 'low',
      alertType: 'error',
      sourceType: 'my_source',
      rawTags: 'a,b:c',
    });
  });

  test('defaults: priority normal, alert type info', () => {
    const [e] = parse('_e{1,0}:T|').events;
    assert.equal(e!.title, 'T');
    assert.equal(e!.text, '');
    assert.equal(e!.priority, 'normal');
    assert.equal(e!.alertType, 'info');
  });

  test('title and text lengths are UTF-8 byte counts', () => {
    const title = 'Déploiement';
    const text = 'réussi ✓';
    const line = `_e{${Buffer.byteLength(title)},${Buffer.byteLength(text)}}:${title}|${text}|#équipe:web`;
    const [e] = parse(line).events;
    assert.equal(e!.title, title);
    assert.equal(e!.text, text);
    assert.equal(e!.rawTags, 'équipe:web');
  });

  test('an invalid optional field is ignored, the event kept', () => {
    const [e] = parse('_e{1,1}:a|b|p:urgent|t:fatal|d:soon|t:warning').events;
    assert.equal(e!.priority, 'normal');
    assert.equal(e!.alertType, 'warning');
    assert.equal(e!.timestamp, 0);
  });

  const bad = [
    '_e{5,4}title|text',
    '_e{,}:a|b',
    '_e{0,4}:|text',
    '_e{x,4}:title|text',
    '_e{5,-1}:title|',
    '_e{5,40}:title|text',
    '_e{}:a',
  ];
  for (const line of bad) {
    test(`malformed ${JSON.stringify(line)} → invalid_event`, () => {
      const r = parse(`${line}\nok:1|c`);
      assert.deepEqual(r.malformedReasons, ['invalid_event']);
      assert.equal(r.events.length, 0);
      assert.equal(r.metrics.length, 1);
    });
  }
});

describe('service checks', () => {
  test('all fields', () => {
    const [sc] = parse('_sc|db.up|2|d:1700000000|h:db1|#env:prod,role:primary|m:connection refused').checks;
    assert.deepEqual(sc, {
      name: 'db.up',
      status: 2,
      timestamp: 1700000000,
      hostname: 'db1',
      message: 'connection refused',
      rawTags: 'env:prod,role:primary',
    });
  });

  test('every status', () => {
    const r = parse('_sc|a|0\n_sc|a|1\n_sc|a|2\n_sc|a|3');
    assert.deepEqual(
      r.checks.map((c) => c.status),
      [0, 1, 2, 3],
    );
  });

  const bad = ['_sc|name', '_sc||0', '_sc|name|4', '_sc|name|ok', '_sc|name|', '_sc|name|01'];
  for (const line of bad) {
    test(`malformed ${JSON.stringify(line)} → invalid_service_check`, () => {
      const r = parse(`${line}\nok:1|c`);
      assert.deepEqual(r.malformedReasons, ['invalid_service_check']);
      assert.equal(r.checks.length, 0);
      assert.equal(r.metrics.length, 1);
    });
  }
});

describe('parseNumber (Go strconv.ParseFloat forms)', () => {
  const num = (t: string): number => parseNumber(t, 0, t.length);
  test('decimal forms', () => {
    assert.equal(num('42'), 42);
    assert.equal(num('-7'), -7);
    assert.equal(num('+3'), 3);
    assert.equal(num('0.1'), 0.1);
    assert.equal(num('123.456'), 123.456);
    assert.equal(num('.5'), 0.5);
    assert.equal(num('1.'), 1);
    assert.equal(num('1e3'), 1000);
    assert.equal(num('2.5E-3'), 0.0025);
    assert.equal(num('12345678901234567890'), Number('12345678901234567890'));
    assert.equal(num('0.30000000000000004'), 0.30000000000000004);
  });
  test('inf and nan', () => {
    assert.equal(num('inf'), Infinity);
    assert.equal(num('-Infinity'), -Infinity);
    assert.ok(Number.isNaN(num('NaN')));
  });
});
