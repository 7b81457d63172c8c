import type { DDEvent } from '../model/datadog.js';

// An event as the store keeps it, and the rules that turn a decoded Datadog event into one: Datadog's size limits
// (longer fields are cut, as Datadog cuts them, and counted), its defaults (priority `normal`, alert type `info`)
// and its time window (18 hours in the past to 2 hours in the future).

export interface StoredEvent {
  /** Unique in its tenant, increasing in the order events were stored; a safe integer (JSON clients keep it exact). */
  id: number;
  /** When it happened (ms since the epoch). */
  timestampMs: number;
  title: string;
  text: string;
  /** '' when none. */
  host: string;
  tags: string[];
  /** `info` unless set: error, warning, info, success, user_update, recommendation, snapshot. */
  alertType: string;
  /** `normal` unless set: normal, low (v2 alert events: 1 to 5). */
  priority: string;
  sourceTypeName: string;
  aggregationKey: string;
  /** Events posted to `/api/v2/events`: category and category-specific attributes. */
  v2?: DDEvent['v2'];
}

/** Why an event was not stored (`promdog_events_rejected_total{reason}`). */
export type EventRejectReason = 'too_old' | 'too_far_in_future' | 'unavailable';

/** Fields cut to Datadog's limits (`promdog_events_truncated_total{field}`). */
export type TruncatedField = 'title' | 'text' | 'tags' | 'host' | 'other';

/** Datadog's limits: v1 titles 100 characters, v2 titles 500, texts 4000, at most 100 tags of 200 characters. */
export const EVENT_LIMITS = {
  titleChars: 100,
  v2TitleChars: 500,
  textChars: 4000,
  tags: 100,
  tagChars: 200,
  hostChars: 255,
  /** aggregation_key (Datadog's limit), source type name, priority and alert type. */
  otherChars: 100,
  maxAgeMs: 18 * 3600_000,
  maxFutureMs: 2 * 3600_000,
} as const;

/** `s` cut to `max` characters (code points: a surrogate pair is never split). */
function cut(s: string, max: number): string {
  if (s.length <= max) return s;
  let out = '';
  let n = 0;
  for (const ch of s) {
    if (n++ === max) break;
    out += ch;
  }
  return out;
}

/** The event as stored (without id), the fields that had to be cut, or why it is refused. */
export type NormalizedEvent =
  | { ok: true; event: Omit<StoredEvent, 'id'>; truncated: TruncatedField[] }
  | { ok: false; reason: EventRejectReason; detail: string };

/**
 * Applies the limits and defaults to a decoded event received at `nowMs`. `maxAgeMs` is the oldest accepted
 * (Datadog's 18 hours, or the retention when shorter: an event past it would be deleted at once).
 */
export function normalizeEvent(e: DDEvent, nowMs: number, maxAgeMs: number): NormalizedEvent {
  const timestampMs = e.timestamp > 0 ? Math.round(e.timestamp * 1000) : nowMs;
  if (timestampMs < nowMs - maxAgeMs)
    return {
      ok: false,
      reason: 'too_old',
      detail: `event time ${new Date(timestampMs).toISOString()} is more than ${maxAgeMs / 3600_000} h in the past`,
    };
  if (timestampMs > nowMs + EVENT_LIMITS.maxFutureMs)
    return {
      ok: false,
      reason: 'too_far_in_future',
      detail: `event time ${new Date(timestampMs).toISOString()} is more than 2 h in the future`,
    };
  const truncated: TruncatedField[] = [];
  const limit = (s: string, max: number, field: TruncatedField): string => {
    const c = cut(s, max);
    if (c !== s && !truncated.includes(field)) truncated.push(field);
    return c;
  };
  let tags = e.tags.length > EVENT_LIMITS.tags ? e.tags.slice(0, EVENT_LIMITS.tags) : e.tags;
  if (tags !== e.tags) truncated.push('tags');
  tags = tags.map((t) => limit(t, EVENT_LIMITS.tagChars, 'tags'));
  const event: Omit<StoredEvent, 'id'> = {
    timestampMs,
    title: limit(e.title, e.v2 ? EVENT_LIMITS.v2TitleChars : EVENT_LIMITS.titleChars, 'title'),
    text: limit(e.text, EVENT_LIMITS.textChars, 'text'),
    host: limit(e.host, EVENT_LIMITS.hostChars, 'host'),
    tags,
    alertType: limit(e.alertType || 'info', EVENT_LIMITS.otherChars, 'other'),
    priority: limit(e.priority || 'normal', EVENT_LIMITS.otherChars, 'other'),
    sourceTypeName: limit(e.sourceTypeName, EVENT_LIMITS.otherChars, 'other'),
    aggregationKey: limit(e.aggregationKey, EVENT_LIMITS.otherChars, 'other'),
  };
  if (e.v2) event.v2 = e.v2;
  return { ok: true, event, truncated };
}
