import { DecodeError, type DecodedPayload } from '../../model/datadog.js';
import { decodeSeriesV2Json } from './series-v2-json.js';
import { decodeSeriesV2Proto } from './series-v2-proto.js';

const WHITESPACE = new Set([0x20, 0x09, 0x0a, 0x0d]);

/**
 * `/api/v2/series`: protobuf from the Agent, JSON from the public API (Content-Type is not trusted). JSON when
 * the first non-whitespace byte is `{`. A MetricPayload starts with 0x0a (field 1, length-delimited), which is
 * also a newline, and a first series of exactly 123 bytes then looks like `\n{`: such a body fails JSON.parse
 * at once and is decoded as protobuf instead.
 */
export function decodeSeriesV2(body: Buffer): DecodedPayload {
  let i = 0;
  while (i < body.length && WHITESPACE.has(body[i]!)) i++;
  if (body[i] !== 0x7b) return decodeSeriesV2Proto(body);
  if (i === 0) return decodeSeriesV2Json(body);
  try {
    return decodeSeriesV2Json(body);
  } catch (jsonErr) {
    if (!(jsonErr instanceof DecodeError) || !jsonErr.message.includes('invalid JSON')) throw jsonErr;
    try {
      return decodeSeriesV2Proto(body);
    } catch (protoErr) {
      if (!(protoErr instanceof DecodeError)) throw protoErr;
      throw new DecodeError(`neither JSON (${jsonErr.message}) nor protobuf (${protoErr.message})`);
    }
  }
}
