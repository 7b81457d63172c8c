import { emptyPayload, type DDHostMetadata, type DecodedPayload } from '../../model/datadog.js';
import { readEvent } from './events.js';
import {
  expectObject,
  fail,
  isObject,
  jsonPath,
  jsonTypeName,
  optionalNumber,
  optionalString,
  parseJsonBody,
  requiredString,
  type JsonObject,
} from './json.js';

// `/intake/`: what the Agent (v7) posts there, one JSON object that may carry
// - host metadata (comp/metadata/host in the Agent): the common part {apiKey, agentVersion, uuid,
//   internalHostname} merged with {os, agent-flavor, python, systemStats, meta{hostname, ...}, host-tags{source:
//   [tags]}, container-meta, network, logs, install-method, proxy-info, otlp, resources?, gohai (a JSON string)};
// - events (pkg/serializer/internal/metrics/events.go): {apiKey, events: {"<source type name>" or "api": [{msg_title,
//   msg_text, timestamp, priority?, host, tags?, alert_type?, aggregation_key?, source_type_name?, event_type?}]},
//   internalHostname}.
// An object with neither (other metadata the Agent or an older one sends here) is valid and decodes to nothing;
// that includes the external host tags some integrations (vSphere) report for other hosts, which are not read.

/** Keys only a host metadata payload has (the events envelope also has internalHostname and apiKey). */
const HOST_METADATA_KEYS = ['host-tags', 'meta', 'systemStats', 'gohai', 'agentVersion', 'os'];

export function decodeIntake(body: Buffer): DecodedPayload {
  const root = expectObject(parseJsonBody(body, 'intake payload'), 'intake payload');
  const out = emptyPayload();
  const internalHostname = optionalString(root, 'internalHostname', '', -1);
  if (HOST_METADATA_KEYS.some((k) => root[k] !== undefined))
    out.hostMetadata.push(readHostMetadata(root, internalHostname));
  readEvents(root, internalHostname, out);
  return out;
}

function readHostMetadata(root: JsonObject, internalHostname: string): DDHostMetadata {
  let host = internalHostname;
  const meta = root.meta;
  if (meta !== undefined && meta !== null) {
    const m = expectObject(meta, 'meta');
    if (!host) host = optionalString(m, 'hostname', 'meta', -1);
  }
  // Host tags belong to a host; a payload that does not say which would tag nothing.
  if (!host) fail('internalHostname', 'missing (host metadata must name its host)');

  const hostTags: string[] = [];
  const rawTags = root['host-tags'];
  if (rawTags !== undefined && rawTags !== null) {
    const bySource = expectObject(rawTags, 'host-tags');
    for (const source of Object.keys(bySource)) {
      const tags = bySource[source];
      if (tags === null) continue;
      const path = `host-tags.${source}`;
      if (!Array.isArray(tags)) fail(path, `expected an array of strings, got ${jsonTypeName(tags)}`);
      for (let i = 0; i < tags.length; i++) {
        const t: unknown = tags[i];
        if (typeof t !== 'string') fail(`${path}[${i}]`, `expected a string, got ${jsonTypeName(t)}`);
        hostTags.push(t);
      }
    }
  }
  return {
    host,
    hostTags,
    agentVersion: optionalString(root, 'agentVersion', '', -1),
    os: optionalString(root, 'os', '', -1),
  };
}

function readEvents(root: JsonObject, internalHostname: string, out: DecodedPayload): void {
  const events = root.events;
  if (events === undefined || events === null) return;
  if (!isObject(events)) fail('events', `expected an object of source type → events, got ${jsonTypeName(events)}`);
  for (const sourceType of Object.keys(events)) {
    const list = events[sourceType];
    const base = `events.${sourceType}`;
    if (list === null) continue;
    if (!Array.isArray(list)) fail(base, `expected an array of events, got ${jsonTypeName(list)}`);
    for (let i = 0; i < list.length; i++) {
      const e = expectObject(list[i], jsonPath(base, i));
      out.events.push(
        readEvent(e, {
          title: requiredString(e, 'msg_title', base, i),
          text: optionalString(e, 'msg_text', base, i),
          timestamp: optionalNumber(e, 'timestamp', base, i),
          // The Agent fills an event's host with its own unless told otherwise; the envelope names it too.
          defaultHost: internalHostname,
          base,
          index: i,
        }),
      );
    }
  }
}
