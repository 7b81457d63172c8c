// The console's event reads (GET /console/api/events): the Events page's stream and filters, the events marked on
// Explore graphs and a host's recent events on the Hosts page, from the event store of the signed-in tenant.
import type { StoredEvent } from '../events/event.js';
import { decodeCursor, encodeCursor, type EventCondition, type EventField, type EventQuery } from '../events/query.js';
import { parseEventSearch } from '../events/search.js';
import type { EventReader } from '../events/store.js';
import type { EventRow, EventsAnswer } from './api-types.js';

export const DEFAULT_EVENTS_RANGE_MS = 24 * 3600_000;
const DEFAULT_LIMIT = 100;
const MAX_LIMIT = 1000;

/** A bad parameter: the message names it. */
export class EventParamError extends Error {}

/** Filter parameters that each test one field (several values of one parameter: comma-separated, any of them). */
const FIELD_PARAMS: Record<string, EventField> = {
  source: 'source',
  host: 'host',
  priority: 'priority',
  alert_type: 'alert_type',
};

function toRow(e: StoredEvent): EventRow {
  return {
    id: String(e.id),
    timeMs: e.timestampMs,
    title: e.title,
    text: e.text,
    host: e.host,
    tags: e.tags,
    source: e.sourceTypeName,
    priority: e.priority,
    alertType: e.alertType,
    aggregationKey: e.aggregationKey,
  };
}

function single(q: Record<string, unknown>, name: string): string {
  const v = q[name];
  if (v === undefined) return '';
  if (typeof v !== 'string') throw new EventParamError(`invalid parameter "${name}": expected one value`);
  return v.trim();
}

function msParam(q: Record<string, unknown>, name: string, fallback: number): number {
  const v = single(q, name);
  if (v === '') return fallback;
  if (!/^\d+$/.test(v)) throw new EventParamError(`invalid parameter "${name}": expected milliseconds since the epoch`);
  return Number(v);
}

/** The query a request's parameters ask for. */
export function eventQueryOf(q: Record<string, unknown>, nowMs: number): EventQuery {
  const toMs = msParam(q, 'to', nowMs);
  const fromMs = msParam(q, 'from', toMs - DEFAULT_EVENTS_RANGE_MS);
  if (fromMs > toMs) throw new EventParamError('invalid parameter "from": after "to"');
  const limitText = single(q, 'limit');
  const limit = limitText === '' ? DEFAULT_LIMIT : Number(limitText);
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT)
    throw new EventParamError(`invalid parameter "limit": expected 1 to ${MAX_LIMIT}`);
  const conditions: EventCondition[] = [];
  for (const [name, field] of Object.entries(FIELD_PARAMS)) {
    const values = single(q, name)
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    if (values.length) conditions.push({ field, values, negate: false });
  }
  for (const tag of single(q, 'tag').split(',')) {
    if (tag.trim()) conditions.push({ field: 'tag', values: [tag.trim()], negate: false });
  }
  const text = single(q, 'text');
  if (text) conditions.push({ field: 'text', values: [text], negate: false });
  conditions.push(...parseEventSearch(single(q, 'q')));
  const cursorText = single(q, 'cursor');
  const after = cursorText ? decodeCursor(cursorText) : undefined;
  if (cursorText && !after) throw new EventParamError('invalid parameter "cursor": not a cursor of this API');
  return { fromMs, toMs, conditions, order: 'newest', limit, ...(after ? { after } : {}) };
}

/** A page of the tenant's events; `id` alone asks for that one event. */
export async function readEvents(
  events: EventReader,
  tenant: string,
  q: Record<string, unknown>,
  nowMs: number,
): Promise<EventsAnswer> {
  const id = single(q, 'id');
  if (id !== '') {
    if (!/^\d+$/.test(id)) throw new EventParamError('invalid parameter "id": expected an event id');
    const e = await events.get(tenant, Number(id));
    return { events: e ? [toRow(e)] : [], next: null, fromMs: e?.timestampMs ?? nowMs, toMs: e?.timestampMs ?? nowMs };
  }
  const query = eventQueryOf(q, nowMs);
  const page = await events.query(tenant, query);
  return {
    events: page.events.map(toRow),
    next: page.next ? encodeCursor(page.next) : null,
    fromMs: query.fromMs,
    toMs: query.toMs,
  };
}
