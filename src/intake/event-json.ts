import type { StoredEvent } from '../events/event.js';

// Stored events in the JSON shapes of Datadog's events API, as the official client's models read them: v1 `Event`
// (POST, GET /api/v1/events, GET /api/v1/events/{id}), v2 `EventResponse` / `V2Event` (GET /api/v2/events[/{id}])
// and v2's creation answer. An event's `url` opens it in promdog's console.

/** The event in the web console of the promdog at `base` (scheme://host:port). */
export function eventUrl(base: string, id: number): string {
  return `${base}/#/events?id=${id}`;
}

export function v1Event(e: StoredEvent, base: string) {
  return {
    id: e.id,
    id_str: String(e.id),
    title: e.title,
    text: e.text,
    date_happened: Math.floor(e.timestampMs / 1000),
    priority: e.priority,
    alert_type: e.alertType,
    host: e.host || null,
    device_name: null,
    tags: e.tags,
    source_type_name: e.sourceTypeName || null,
    url: eventUrl(base, e.id),
  };
}

/** `POST /api/v1/events` → 202. */
export function v1CreateAnswer(e: StoredEvent, base: string) {
  return { status: 'ok', event: v1Event(e, base) };
}

/** The value of the event's first `service:` tag, which Datadog shows as its service. */
function serviceOf(e: StoredEvent): string | undefined {
  const tag = e.tags.find((t) => t.startsWith('service:'));
  return tag === undefined ? undefined : tag.slice('service:'.length);
}

export function v2Event(e: StoredEvent) {
  const id = String(e.id);
  return {
    id,
    type: 'event',
    attributes: {
      message: e.text,
      tags: e.tags,
      timestamp: new Date(e.timestampMs).toISOString(),
      attributes: {
        aggregation_key: e.aggregationKey || undefined,
        hostname: e.host || undefined,
        priority: e.priority,
        service: serviceOf(e),
        source_type_name: e.sourceTypeName || undefined,
        status: e.alertType,
        tags: e.tags,
        timestamp: e.timestampMs,
        title: e.title,
        // A v2 event's own attributes (an alert's status and priority as it sent them, a change's resources).
        ...e.v2?.attributes,
        evt: { id, uid: id, ...(e.v2 ? { category: e.v2.category } : {}) },
      },
    },
  };
}

/** `POST /api/v2/events` → 202. */
export function v2CreateAnswer(e: StoredEvent, base: string) {
  const id = String(e.id);
  return {
    data: { type: 'event', attributes: { attributes: { evt: { id, uid: id } } } },
    links: { self: eventUrl(base, e.id) },
  };
}
