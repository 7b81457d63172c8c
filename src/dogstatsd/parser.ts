import { isAscii } from 'node:buffer';

// DogStatsD wire format, parsed the way the Datadog Agent does (comp/dogstatsd/server/impl/parse*.go):
//   metric:        name:value[:value...]|type[|@rate][|#tag,tag:v][|c:container][|e:external][|card:x][|T<unix s>]
//   event:         _e{title_bytes,text_bytes}:title|text[|d:ts][|h:host][|p:prio][|t:alert][|#tags][|k:key][|s:src]
//   service check: _sc|name|status[|d:ts][|h:host][|#tags][|m:message]
// A packet holds several messages separated by `\n` (a trailing `\r` is dropped, empty lines skipped).
// The packet is decoded once as latin1 so string offsets are byte offsets (event lengths are in bytes);
// strings that are kept are re-decoded as UTF-8 when the packet is not pure ASCII.

/** DogStatsD metric types as written on the wire. */
export type MetricType = 'c' | 'g' | 'h' | 'ms' | 'd' | 's';

export const METRIC_TYPES: readonly MetricType[] = ['c', 'g', 'h', 'ms', 'd', 's'];

export type MalformedReason =
  | 'invalid_format'
  | 'empty_name'
  | 'invalid_value'
  | 'invalid_type'
  | 'invalid_sample_rate'
  | 'invalid_timestamp'
  | 'invalid_event'
  | 'invalid_service_check';

export const MALFORMED_REASONS: readonly MalformedReason[] = [
  'invalid_format',
  'empty_name',
  'invalid_value',
  'invalid_type',
  'invalid_sample_rate',
  'invalid_timestamp',
  'invalid_event',
  'invalid_service_check',
];

/**
 * One metric message. The parser reuses a single instance for every message of every packet: a handler copies
 * what it keeps. `values[0..valueCount)` hold the values (non-set types); `setValue` the raw set member.
 */
export class ParsedMetric {
  name = '';
  type: MetricType = 'c';
  values: number[] = [0];
  valueCount = 0;
  setValue = '';
  /** As sent (`@rate`), 1 when absent. */
  sampleRate = 1;
  /** The text after `#` (comma-separated tags, `host:` not yet removed); '' when absent. */
  rawTags = '';
  /** `c:` local data (container id) — parsed, not used for tagging (promdog has no container tagger). */
  container = '';
  /** `T` unix seconds; 0 when absent. */
  timestamp = 0;
}

export interface ParsedEvent {
  title: string;
  text: string;
  /** Unix seconds; 0 when absent. */
  timestamp: number;
  /** `h:` field; '' when absent (then a `host:` tag or the default host applies). */
  hostname: string;
  aggregationKey: string;
  priority: 'normal' | 'low';
  alertType: 'error' | 'warning' | 'info' | 'success';
  sourceType: string;
  rawTags: string;
}

export interface ParsedServiceCheck {
  name: string;
  status: number;
  /** Unix seconds; 0 when absent. */
  timestamp: number;
  hostname: string;
  message: string;
  rawTags: string;
}

export interface ParseHandler {
  metric(m: ParsedMetric): void;
  event(e: ParsedEvent): void;
  serviceCheck(sc: ParsedServiceCheck): void;
  malformed(reason: MalformedReason): void;
}

export interface ParserOptions {
  /** Read `|T<ts>` (the Agent's `dogstatsd_no_aggregation_pipeline`, default true); when false the field is ignored. */
  readTimestamps?: boolean;
}

const COLON = 0x3a;
const CR = 0x0d;

/** Set by parseNumber/parseInteger when the text is not a number (NaN is a valid parse result). */
let numberError = false;

// 10^k for k ≤ 22 is exact in a double, so m / 10^k with an integer m < 2^53 is correctly rounded.
const POW10 = [
  1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20,
  1e21, 1e22,
];
const DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const SPECIAL = /^([+-]?)(inf|infinity|nan)$/i;

/** A float as Go's strconv.ParseFloat reads it (decimal, inf, infinity, nan; hex floats are not supported). */
export function parseNumber(s: string, a: number, b: number): number {
  numberError = false;
  let i = a;
  let neg = false;
  let c = s.charCodeAt(i);
  if (c === 45 || c === 43) {
    neg = c === 45;
    i++;
  }
  // Fast path: [sign] digits [. digits] with at most 15 significant digits in all.
  let m = 0;
  let digits = 0;
  let frac = 0;
  let sawDot = false;
  for (; i < b; i++) {
    c = s.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      m = m * 10 + (c - 48);
      digits++;
      if (sawDot) frac++;
    } else if (c === 46 && !sawDot) {
      sawDot = true;
    } else {
      break;
    }
  }
  if (i === b && digits > 0 && digits <= 15) {
    const v = frac === 0 ? m : m / POW10[frac]!;
    return neg ? -v : v;
  }
  const text = s.slice(a, b);
  if (DECIMAL.test(text)) return Number(text);
  const special = SPECIAL.exec(text);
  if (special) {
    if (special[2]!.toLowerCase() === 'nan') return NaN;
    return special[1] === '-' ? -Infinity : Infinity;
  }
  numberError = true;
  return NaN;
}

/** An integer as Go's strconv.ParseInt(s, 10, 64) reads it. */
function parseInteger(s: string, a: number, b: number): number {
  numberError = false;
  let i = a;
  let neg = false;
  const c0 = s.charCodeAt(i);
  if (c0 === 45 || c0 === 43) {
    neg = c0 === 45;
    i++;
  }
  if (i >= b) {
    numberError = true;
    return 0;
  }
  let v = 0;
  for (; i < b; i++) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) {
      numberError = true;
      return 0;
    }
    v = v * 10 + (c - 48);
  }
  return neg ? -v : v;
}

function startsWith2(s: string, at: number, end: number, c0: number, c1: number): boolean {
  return end - at >= 2 && s.charCodeAt(at) === c0 && s.charCodeAt(at + 1) === c1;
}

/** Turns a latin1-decoded slice of a non-ASCII packet back into the UTF-8 text it was. */
function utf8(latin1: string): string {
  return Buffer.from(latin1, 'latin1').toString('utf8');
}

/** The Agent's event text unescaping: a literal backslash-n becomes a newline. */
function unescapeEventText(t: string): string {
  return t.includes('\\n') ? t.replaceAll('\\n', '\n') : t;
}

/** Parses DogStatsD packets into a handler; one instance per receiving loop (it reuses its metric object). */
export class DogStatsDParser {
  private readonly metric = new ParsedMetric();
  private readonly readTimestamps: boolean;
  // Per-packet state, set by parsePacket.
  private s = '';
  private ascii = true;

  constructor(opts: ParserOptions = {}) {
    this.readTimestamps = opts.readTimestamps ?? true;
  }

  /** Parses every message of one datagram; malformed ones are reported to the handler and skipped. */
  parsePacket(packet: Buffer, handler: ParseHandler): void {
    const s = packet.toString('latin1');
    this.s = s;
    this.ascii = isAscii(packet);
    const n = s.length;
    let pos = 0;
    while (pos < n) {
      let end = s.indexOf('\n', pos);
      const next = end === -1 ? n : end + 1;
      if (end === -1) end = n;
      if (end > pos && s.charCodeAt(end - 1) === CR) end--;
      if (end > pos) this.parseMessage(pos, end, handler);
      pos = next;
    }
  }

  private text(a: number, b: number): string {
    const t = this.s.slice(a, b);
    return this.ascii ? t : utf8(t);
  }

  private parseMessage(a: number, b: number, handler: ParseHandler): void {
    const s = this.s;
    // `_e{` → event, `_sc` → service check, anything else is tried as a metric (as the Agent does).
    if (s.charCodeAt(a) === 0x5f /* _ */ && b - a >= 3) {
      const c1 = s.charCodeAt(a + 1);
      const c2 = s.charCodeAt(a + 2);
      if (c1 === 0x65 /* e */ && c2 === 0x7b /* { */) return this.parseEvent(a, b, handler);
      if (c1 === 0x73 /* s */ && c2 === 0x63 /* c */) return this.parseServiceCheck(a, b, handler);
    }
    this.parseMetric(a, b, handler);
  }

  private parseMetric(a: number, b: number, handler: ParseHandler): void {
    const s = this.s;
    const firstPipe = s.indexOf('|', a);
    if (firstPipe === -1 || firstPipe >= b) return handler.malformed('invalid_format');
    const colon = s.indexOf(':', a);
    if (colon === -1 || colon >= firstPipe) return handler.malformed('invalid_format');
    if (colon === a) return handler.malformed('empty_name');
    const valueStart = colon + 1;
    const valueEnd = firstPipe;
    if (valueStart === valueEnd) return handler.malformed('invalid_value');

    // Type field: up to the next pipe.
    const typeStart = firstPipe + 1;
    let typeEnd = s.indexOf('|', typeStart);
    if (typeEnd === -1 || typeEnd > b) typeEnd = b;
    let type: MetricType;
    const tlen = typeEnd - typeStart;
    const t0 = s.charCodeAt(typeStart);
    if (tlen === 1) {
      if (t0 === 0x63) type = 'c';
      else if (t0 === 0x67) type = 'g';
      else if (t0 === 0x68) type = 'h';
      else if (t0 === 0x64) type = 'd';
      else if (t0 === 0x73) type = 's';
      else return handler.malformed('invalid_type');
    } else if (tlen === 2 && t0 === 0x6d && s.charCodeAt(typeStart + 1) === 0x73) {
      type = 'ms';
    } else {
      return handler.malformed('invalid_type');
    }

    const m = this.metric;
    m.type = type;
    m.valueCount = 0;
    m.setValue = '';
    if (type === 's') {
      // Sets take the raw text as the member (colons included): the Agent has no multi-value sets.
      m.setValue = this.text(valueStart, valueEnd);
    } else if (!this.parseValues(valueStart, valueEnd)) {
      return handler.malformed('invalid_value');
    }

    m.sampleRate = 1;
    m.rawTags = '';
    m.container = '';
    m.timestamp = 0;
    let f = typeEnd + 1;
    while (f <= b && typeEnd < b) {
      let fe = s.indexOf('|', f);
      if (fe === -1 || fe > b) fe = b;
      if (fe > f) {
        const c = s.charCodeAt(f);
        if (c === 0x23 /* # */) {
          m.rawTags = this.text(f + 1, fe);
        } else if (c === 0x40 /* @ */) {
          const r = parseNumber(s, f + 1, fe);
          if (numberError || f + 1 === fe) return handler.malformed('invalid_sample_rate');
          m.sampleRate = r;
        } else if (c === 0x54 /* T */) {
          if (this.readTimestamps) {
            const ts = parseInteger(s, f + 1, fe);
            if (numberError || ts < 1) return handler.malformed('invalid_timestamp');
            m.timestamp = ts;
          }
        } else if (startsWith2(s, f, fe, 0x63, COLON) /* c: */) {
          m.container = this.text(f + 2, fe);
        }
        // `e:` external data and `card:` cardinality are origin-detection hints for the Agent's tagger: ignored.
      }
      f = fe + 1;
    }
    m.name = this.text(a, colon);
    handler.metric(m);
  }

  /** Fills metric.values from `v[:v...]`; empty values (`1::2`) are skipped as by the Agent. False when invalid. */
  private parseValues(a: number, b: number): boolean {
    const s = this.s;
    const m = this.metric;
    const values = m.values;
    let n = 0;
    let i = a;
    while (i < b) {
      let e = s.indexOf(':', i);
      if (e === -1 || e > b) e = b;
      if (e > i) {
        const v = parseNumber(s, i, e);
        if (numberError) return false;
        values[n++] = v;
      }
      i = e + 1;
    }
    m.valueCount = n;
    return n > 0;
  }

  private parseEvent(a: number, b: number, handler: ParseHandler): void {
    const s = this.s;
    const colon = s.indexOf(':', a);
    if (colon === -1 || colon >= b) return handler.malformed('invalid_event');
    // Header `_e{T,X}`: the Agent only checks the length and reads the numbers between `_e{` and the last byte.
    if (colon - a < 7) return handler.malformed('invalid_event');
    const lenStart = a + 3;
    const lenEnd = colon - 1;
    const comma = s.indexOf(',', lenStart);
    if (comma === -1 || comma >= lenEnd) return handler.malformed('invalid_event');
    const titleLen = parseInteger(s, lenStart, comma);
    if (numberError || titleLen <= 0) return handler.malformed('invalid_event');
    const textLen = parseInteger(s, comma + 1, lenEnd);
    if (numberError || textLen < 0) return handler.malformed('invalid_event');
    const body = colon + 1;
    const contentEnd = body + titleLen + 1 + textLen;
    if (contentEnd > b) return handler.malformed('invalid_event');

    const ev: ParsedEvent = {
      title: unescapeEventText(this.text(body, body + titleLen)),
      text: unescapeEventText(this.text(body + titleLen + 1, contentEnd)),
      timestamp: 0,
      hostname: '',
      aggregationKey: '',
      priority: 'normal',
      alertType: 'info',
      sourceType: '',
      rawTags: '',
    };
    // Optional fields follow `|`; an invalid one is ignored (the Agent only logs it) and the event kept.
    let f = contentEnd;
    while (f < b) {
      let fe = s.indexOf('|', f);
      if (fe === -1 || fe > b) fe = b;
      if (fe > f && s.charCodeAt(f) === 0x23 /* # */) {
        ev.rawTags = this.text(f + 1, fe);
      } else if (fe - f >= 2 && s.charCodeAt(f + 1) === COLON) {
        const c = s.charCodeAt(f);
        const v = f + 2;
        if (c === 0x64 /* d */) {
          const ts = parseInteger(s, v, fe);
          if (!numberError) ev.timestamp = ts;
        } else if (c === 0x68 /* h */) {
          ev.hostname = this.text(v, fe);
        } else if (c === 0x6b /* k */) {
          ev.aggregationKey = this.text(v, fe);
        } else if (c === 0x70 /* p */) {
          const p = s.slice(v, fe);
          if (p === 'normal' || p === 'low') ev.priority = p;
        } else if (c === 0x73 /* s */) {
          ev.sourceType = this.text(v, fe);
        } else if (c === 0x74 /* t */) {
          const t = s.slice(v, fe);
          if (t === 'error' || t === 'warning' || t === 'info' || t === 'success') ev.alertType = t;
        }
      }
      f = fe + 1;
    }
    handler.event(ev);
  }

  private parseServiceCheck(a: number, b: number, handler: ParseHandler): void {
    const s = this.s;
    // The Agent wants at least two pipes and 4 bytes, then drops the 4-byte `_sc|` header.
    const p1 = s.indexOf('|', a);
    if (b - a < 4 || p1 === -1 || p1 >= b) return handler.malformed('invalid_service_check');
    const p2 = s.indexOf('|', p1 + 1);
    if (p2 === -1 || p2 >= b) return handler.malformed('invalid_service_check');
    const nameStart = a + 4;
    let nameEnd = s.indexOf('|', nameStart);
    if (nameEnd === -1 || nameEnd > b) nameEnd = b;
    if (nameEnd <= nameStart) return handler.malformed('invalid_service_check');
    const statusStart = nameEnd + 1;
    let statusEnd = statusStart > b ? b : s.indexOf('|', statusStart);
    if (statusEnd === -1 || statusEnd > b) statusEnd = b;
    const sc0 = s.charCodeAt(statusStart);
    if (statusEnd - statusStart !== 1 || sc0 < 0x30 || sc0 > 0x33) return handler.malformed('invalid_service_check');

    const sc: ParsedServiceCheck = {
      name: this.text(nameStart, nameEnd),
      status: sc0 - 0x30,
      timestamp: 0,
      hostname: '',
      message: '',
      rawTags: '',
    };
    let f = statusEnd + 1;
    while (f < b) {
      let fe = s.indexOf('|', f);
      if (fe === -1 || fe > b) fe = b;
      if (fe > f && s.charCodeAt(f) === 0x23 /* # */) {
        sc.rawTags = this.text(f + 1, fe);
      } else if (fe - f >= 2 && s.charCodeAt(f + 1) === COLON) {
        const c = s.charCodeAt(f);
        if (c === 0x64 /* d */) {
          const ts = parseInteger(s, f + 2, fe);
          if (!numberError) sc.timestamp = ts;
        } else if (c === 0x68 /* h */) {
          sc.hostname = this.text(f + 2, fe);
        } else if (c === 0x6d /* m */) {
          sc.message = this.text(f + 2, fe);
        }
      }
      f = fe + 1;
    }
    handler.serviceCheck(sc);
  }
}
