import { emptyPayload, type DecodedPayload } from '../../model/datadog.js';
import { expectObject, optionalNumber, optionalString, parseJsonBody } from './json.js';

// `/api/v1/metadata`: the Agent's inventories payloads, {hostname, timestamp (ns), and one or more of
// agent_metadata, host_metadata, check_metadata} (pkg/metadata/inventories; a big inventory is split over several
// payloads, each with hostname and timestamp). They are counted, not stored.
// They are deliberately not turned into `hostMetadata`: that model is what a host reports on /intake/ with its
// host tags, and an inventory carries no host tags, so a host entry built from it would read as "this host has no
// tags" to the host-tag cache every ten minutes.

export function decodeInventories(body: Buffer): DecodedPayload {
  const root = expectObject(parseJsonBody(body, 'inventories payload'), 'inventories payload');
  // Type-check the two fields every inventory has, so a body that only looks like one is refused.
  optionalString(root, 'hostname', '', -1);
  optionalNumber(root, 'timestamp', '', -1);
  const out = emptyPayload();
  out.inventories = 1;
  return out;
}
