import { emptyPayload, type DDServiceCheck, type DecodedPayload } from '../../model/datadog.js';
import {
  describeValue,
  expectObject,
  fail,
  isObject,
  jsonPath,
  jsonTypeName,
  optionalNumber,
  optionalString,
  optionalTags,
  parseJsonBody,
  requiredString,
} from './json.js';

// `/api/v1/check_run`: a JSON array of {check, host_name, timestamp, status, message, tags}. The Agent sends the
// array with `"tags": null` for untagged checks; the public API client's submitServiceCheck sends the same array
// (ServiceCheck model: check, host_name, status required; message, timestamp optional). datadogpy's
// ServiceCheck.check posts one bare object instead of an array, so a single object is accepted too.
// A missing timestamp reads as 0 (the receiver uses its own clock); status must be an integer 0-3.

export function decodeCheckRun(body: Buffer): DecodedPayload {
  const root = parseJsonBody(body, 'check_run payload');
  const out = emptyPayload();
  if (isObject(root)) {
    out.serviceChecks.push(readCheck(root, '', -1));
    return out;
  }
  if (!Array.isArray(root)) fail('check_run payload', `expected an array of service checks, got ${jsonTypeName(root)}`);
  for (let i = 0; i < root.length; i++)
    out.serviceChecks.push(readCheck(expectObject(root[i], jsonPath('', i)), '', i));
  return out;
}

function readCheck(c: Record<string, unknown>, base: string, i: number): DDServiceCheck {
  const check = requiredString(c, 'check', base, i);
  const status = c.status;
  if (typeof status !== 'number' || !Number.isInteger(status) || status < 0 || status > 3) {
    const got = status === undefined ? 'nothing' : describeValue(status);
    fail(jsonPath(base, i, 'status'), `expected an integer 0-3 (OK, WARNING, CRITICAL, UNKNOWN), got ${got}`);
  }
  return {
    check,
    host: optionalString(c, 'host_name', base, i),
    timestamp: optionalNumber(c, 'timestamp', base, i),
    status,
    message: optionalString(c, 'message', base, i),
    tags: optionalTags(c, 'tags', base, i),
  };
}
