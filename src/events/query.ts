import type { StoredEvent } from './event.js';

// What a read asks of the store: a time range, an order, a page size and a position after the previous page, and
// conditions every returned event meets. The Datadog APIs and the console build their filters from these.

/** The event fields a condition can test. */
export type EventField = 'source' | 'host' | 'tag' | 'priority' | 'alert_type' | 'aggregation_key' | 'text';

/**
 * `field` has one of `values` (or, negated, none of them). Values compare case-insensitively and whole (a trailing
 * `*` makes one a prefix: `env:*`, `web-*`); a `tag` value matches any one tag of the event; `text` values are
 * substrings of the title or the text.
 */
export interface EventCondition {
  field: EventField;
  values: string[];
  negate: boolean;
}

export type EventOrder = 'newest' | 'oldest';

/** Where the previous page ended: the last event's time and id. */
export interface EventCursor {
  timestampMs: number;
  id: number;
}

export interface EventQuery {
  /** Event times, ms, both ends included. */
  fromMs: number;
  toMs: number;
  conditions: EventCondition[];
  order: EventOrder;
  limit: number;
  after?: EventCursor;
}

export interface EventPage {
  events: StoredEvent[];
  /** Set when more events match: pass it as `after` for the next page. */
  next?: EventCursor;
}

/** Lower-cased condition values, prefixes (`env:*`) apart, ready to test many events. */
interface CompiledCondition {
  field: EventField;
  exact: Set<string>;
  prefixes: string[];
  negate: boolean;
}

function fieldValue(e: StoredEvent, field: Exclude<EventField, 'tag' | 'text'>): string {
  switch (field) {
    case 'source':
      return e.sourceTypeName;
    case 'host':
      return e.host;
    case 'priority':
      return e.priority;
    case 'alert_type':
      return e.alertType;
    case 'aggregation_key':
      return e.aggregationKey;
  }
}

const hasValue = (c: CompiledCondition, v: string) => c.exact.has(v) || c.prefixes.some((p) => v.startsWith(p));

function holds(c: CompiledCondition, e: StoredEvent): boolean {
  if (c.field === 'text') {
    const title = e.title.toLowerCase();
    const text = e.text.toLowerCase();
    for (const v of c.exact) if (title.includes(v) || text.includes(v)) return true;
    return false;
  }
  if (c.field === 'tag') {
    for (const t of e.tags) if (hasValue(c, t.toLowerCase())) return true;
    return false;
  }
  return hasValue(c, fieldValue(e, c.field).toLowerCase());
}

/** A predicate for the conditions (all must hold). */
export function compileConditions(conditions: readonly EventCondition[]): (e: StoredEvent) => boolean {
  const compiled: CompiledCondition[] = conditions.map((c) => {
    const lower = c.values.map((v) => v.toLowerCase());
    const isPrefix = (v: string) => c.field !== 'text' && v.endsWith('*');
    return {
      field: c.field,
      exact: new Set(lower.filter((v) => !isPrefix(v))),
      prefixes: lower.filter(isPrefix).map((v) => v.slice(0, -1)),
      negate: c.negate,
    };
  });
  return (e) => compiled.every((c) => holds(c, e) !== c.negate);
}

/** Sorts events in the query's order: by time, then by id (ids follow the order events were stored). */
export function compareEvents(order: EventOrder): (a: { timestampMs: number; id: number }, b: typeof a) => number {
  return order === 'newest'
    ? (a, b) => b.timestampMs - a.timestampMs || b.id - a.id
    : (a, b) => a.timestampMs - b.timestampMs || a.id - b.id;
}

/** Whether an event comes after the cursor in the query's order. */
export function isAfter(order: EventOrder, e: { timestampMs: number; id: number }, after: EventCursor): boolean {
  return compareEvents(order)(after, e) < 0;
}

/** A cursor as the APIs hand it out: opaque, URL-safe. */
export function encodeCursor(c: EventCursor): string {
  return Buffer.from(`${c.timestampMs}:${c.id}`).toString('base64url');
}

/** The cursor, or undefined when `s` is not one of ours. */
export function decodeCursor(s: string): EventCursor | undefined {
  const m = /^(-?\d+):(\d+)$/.exec(Buffer.from(s, 'base64url').toString('latin1'));
  if (!m) return undefined;
  const c = { timestampMs: Number(m[1]), id: Number(m[2]) };
  return Number.isSafeInteger(c.timestampMs) && Number.isSafeInteger(c.id) ? c : undefined;
}
