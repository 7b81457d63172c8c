import { emptyPayload, type DDEvent, type DecodedPayload } from '../../model/datadog.js';
import {
  describeValue,
  expectObject,
  fail,
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

// `/api/v2/events`: the Event Management intake's body as the official client sends it (EventCreateRequestPayload):
// {data: {type: "event", attributes: {title, category: change|alert, attributes: {...}, message?, host?, tags?,
// timestamp? (ISO 8601), aggregation_key?, integration_id?}}}. The category attributes are kept as sent (at most
// 16 KiB of JSON); an alert's status and priority become the event's alert type and priority.

/** Serialized size of the category attributes promdog keeps. */
export const MAX_V2_ATTRIBUTES_BYTES = 16 * 1024;

/** v2 alert statuses as the alert types v1 and the console use. */
const ALERT_TYPE_OF_STATUS: Record<string, string> = { warn: 'warning', error: 'error', ok: 'success' };
const ALERT_PRIORITIES = ['1', '2', '3', '4', '5'];

export function decodeEventV2(body: Buffer): DecodedPayload {
  const root = expectObject(parseJsonBody(body, 'event'), 'event');
  const data = expectObject(root.data, 'data');
  const type = requiredString(data, 'type', 'data', -1);
  if (type !== 'event') fail('data.type', `expected "event", got ${describeValue(type)}`);
  const a = expectObject(data.attributes, 'data.attributes');
  const base = 'data.attributes';
  const category = requiredString(a, 'category', base, -1);
  if (category !== 'change' && category !== 'alert')
    fail(`${base}.category`, `expected "change" or "alert", got ${describeValue(category)}`);
  const attributes =
    a.attributes === undefined || a.attributes === null ? {} : expectObject(a.attributes, `${base}.attributes`);
  if (Buffer.byteLength(JSON.stringify(attributes)) > MAX_V2_ATTRIBUTES_BYTES)
    fail(`${base}.attributes`, `over ${MAX_V2_ATTRIBUTES_BYTES} bytes of JSON`);
  let alertType = '';
  let priority = '';
  if (category === 'alert') {
    const status = optionalString(attributes, 'status', `${base}.attributes`, -1);
    if (status !== '') {
      alertType =
        ALERT_TYPE_OF_STATUS[status] ??
        fail(`${base}.attributes.status`, `expected warn, error or ok, got ${describeValue(status)}`);
    }
    priority = optionalString(attributes, 'priority', `${base}.attributes`, -1);
    if (priority !== '' && !ALERT_PRIORITIES.includes(priority))
      fail(`${base}.attributes.priority`, `expected "1" to "5", got ${describeValue(priority)}`);
  }
  const time = optionalString(a, 'timestamp', base, -1);
  const timestampMs = time === '' ? 0 : Date.parse(time);
  if (Number.isNaN(timestampMs)) fail(`${base}.timestamp`, `expected an ISO 8601 time, got ${describeValue(time)}`);
  const title = requiredString(a, 'title', base, -1);
  if (title === '') fail(`${base}.title`, 'empty');
  const out = emptyPayload();
  out.events.push({
    title,
    text: optionalString(a, 'message', base, -1),
    host: optionalString(a, 'host', base, -1),
    tags: optionalTags(a, 'tags', base, -1),
    timestamp: timestampMs / 1000,
    alertType,
    priority,
    sourceTypeName: optionalString(a, 'integration_id', base, -1),
    aggregationKey: optionalString(a, 'aggregation_key', base, -1),
    v2: { category, attributes },
  });
  return out;
}
