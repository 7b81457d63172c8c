import { crc32 } from 'node:zlib';
import { scanRecords } from '../tsdb/wal.js';
import type { StoredEvent } from './event.js';

// One event in a segment file, in the tsdb WAL's record framing (so scanRecords reads it and a torn tail is found
// the same way): u32 LE length, u32 LE CRC32 of the body; body = u8 type, 7 zero bytes, payload, zero padding to a
// multiple of 8. Payload: f64 id, f64 event time (ms), u32 JSON length, u32 0, then the other fields as JSON.
// A scan reads id and time from the fixed header and parses the JSON only of the events it keeps.

const RECORD_EVENT = 1;
const FRAME_HEADER = 16;
const PAYLOAD_HEADER = 24;

const pad8 = (n: number) => (n + 7) & ~7;

export function encodeEventRecord(e: StoredEvent): Buffer {
  const { id, timestampMs, ...rest } = e;
  const json = Buffer.from(JSON.stringify(rest));
  const buf = Buffer.alloc(pad8(FRAME_HEADER + PAYLOAD_HEADER + json.length));
  buf.writeUInt32LE(buf.length - 8, 0);
  buf[8] = RECORD_EVENT;
  buf.writeDoubleLE(id, FRAME_HEADER);
  buf.writeDoubleLE(timestampMs, FRAME_HEADER + 8);
  buf.writeUInt32LE(json.length, FRAME_HEADER + 16);
  json.copy(buf, FRAME_HEADER + PAYLOAD_HEADER);
  buf.writeUInt32LE(crc32(buf.subarray(8)), 4);
  return buf;
}

/** A record as a scan meets it: id and time decoded, the rest parsed on demand. */
export interface ScannedEvent {
  id: number;
  timestampMs: number;
  /** Parses the record's JSON. */
  event(): StoredEvent;
}

/**
 * Calls `onEvent` for each valid record of `buf` in file order; returns the offset where valid records end (a torn
 * or corrupt record ends the scan, as in the WAL).
 */
export function scanEventRecords(buf: Uint8Array, onEvent: (e: ScannedEvent) => void): number {
  return scanRecords(buf, (type, payload) => {
    if (type !== RECORD_EVENT || payload.length < PAYLOAD_HEADER) return;
    const dv = new DataView(payload.buffer, payload.byteOffset, PAYLOAD_HEADER);
    const id = dv.getFloat64(0, true);
    const timestampMs = dv.getFloat64(8, true);
    const jsonLength = dv.getUint32(16, true);
    onEvent({
      id,
      timestampMs,
      event: () => {
        const json = Buffer.from(payload.buffer, payload.byteOffset + PAYLOAD_HEADER, jsonLength).toString('utf8');
        return { id, timestampMs, ...(JSON.parse(json) as Omit<StoredEvent, 'id' | 'timestampMs'>) };
      },
    });
  });
}
