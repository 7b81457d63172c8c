import { emptyPayload, type DDEvent, type DecodedPayload } from '../../model/datadog.js';
import {
  expectObject,
  optionalNumber,
  optionalString,
  optionalTags,
  parseJsonBody,
  requiredString,
  type JsonObject,
} from './json.js';

// `/api/v1/events`: one event as the public API posts it (EventCreateRequest: title and text required; date_happened,
// priority, host, tags, alert_type, aggregation_key, source_type_name optional; related_event_id and device_name
// are ignored). Priority and alert type are kept as sent, not checked against Datadog's enums.

export function decodeEvent(body: Buffer): DecodedPayload {
  const e = expectObject(parseJsonBody(body, 'event'), 'event');
  const out = emptyPayload();
  out.events.push(
    readEvent(e, {
      title: requiredString(e, 'title', '', -1),
      text: requiredString(e, 'text', '', -1),
      timestamp: optionalNumber(e, 'date_happened', '', -1),
      defaultHost: '',
      base: '',
      index: -1,
    }),
  );
  return out;
}

/** The fields the API event and the Agent's /intake/ event share; title, text and time differ in name. */
export function readEvent(
  e: JsonObject,
  f: { title: string; text: string; timestamp: number; defaultHost: string; base: string; index: number },
): DDEvent {
  return {
    title: f.title,
    text: f.text,
    host: optionalString(e, 'host', f.base, f.index) || f.defaultHost,
    tags: optionalTags(e, 'tags', f.base, f.index),
    timestamp: f.timestamp,
    alertType: optionalString(e, 'alert_type', f.base, f.index),
    priority: optionalString(e, 'priority', f.base, f.index),
    sourceTypeName: optionalString(e, 'source_type_name', f.base, f.index),
    aggregationKey: optionalString(e, 'aggregation_key', f.base, f.index),
  };
}
