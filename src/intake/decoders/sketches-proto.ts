import {
  DecodeError,
  emptyPayload,
  type DDSketch,
  type DDSketchPoint,
  type DecodedPayload,
} from '../../model/datadog.js';
import { ProtoReader, WIRE_LEN, WIRE_VARINT, rethrowInMessage, rethrowInPath } from './protobuf.js';

// Decoder for the Agent's `/api/beta/sketches` protobuf body (`SketchPayload`; fields: docs/datadog-protocol.md).
// Only Dogsketches are read: the deprecated per-value `distributions` and the payload/sketch metadata
// are skipped like any unknown field. Bin keys may repeat (the Agent splits counts above 65535 over several bins
// with the same key); they are kept as sent and consumers add them up.

const PAYLOAD_SKETCHES = (1 << 3) | 2;
const SKETCH_METRIC = (1 << 3) | 2;
const SKETCH_HOST = (2 << 3) | 2;
const SKETCH_TAGS = (4 << 3) | 2;
const SKETCH_DOGSKETCHES = (7 << 3) | 2;
const DOG_TS = (1 << 3) | 0;
const DOG_CNT = (2 << 3) | 0;
const DOG_MIN = (3 << 3) | 1;
const DOG_MAX = (4 << 3) | 1;
const DOG_AVG = (5 << 3) | 1;
const DOG_SUM = (6 << 3) | 1;
const DOG_K_PACKED = (7 << 3) | WIRE_LEN;
const DOG_K = (7 << 3) | WIRE_VARINT;
const DOG_N_PACKED = (8 << 3) | WIRE_LEN;
const DOG_N = (8 << 3) | WIRE_VARINT;

export function decodeSketches(body: Buffer): DecodedPayload {
  const r = new ProtoReader(body);
  const end = r.length;
  const sketches: DDSketch[] = [];
  try {
    while (r.pos < end) {
      const tag = r.tag(end);
      if (tag === PAYLOAD_SKETCHES) {
        const stop = r.lengthEnd(end);
        try {
          sketches.push(readSketch(r, stop));
        } catch (err) {
          rethrowInPath(err, `sketches[${sketches.length}]`);
        }
      } else r.skip(tag, end);
    }
  } catch (err) {
    rethrowInMessage(err, 'SketchPayload');
  }
  const out = emptyPayload();
  out.sketches = sketches;
  return out;
}

function readSketch(r: ProtoReader, end: number): DDSketch {
  let metric = '';
  let host = '';
  const tags: string[] = [];
  const points: DDSketchPoint[] = [];
  while (r.pos < end) {
    const tag = r.tag(end);
    switch (tag) {
      case SKETCH_METRIC:
        metric = r.string(end);
        break;
      case SKETCH_HOST:
        host = r.string(end);
        break;
      case SKETCH_TAGS:
        try {
          tags.push(r.string(end));
        } catch (err) {
          rethrowInPath(err, `tags[${tags.length}]`);
        }
        break;
      case SKETCH_DOGSKETCHES: {
        try {
          points.push(readDogsketch(r, r.lengthEnd(end)));
        } catch (err) {
          rethrowInPath(err, `dogsketches[${points.length}]`);
        }
        break;
      }
      default:
        r.skip(tag, end);
    }
  }
  return { metric, host, tags, points };
}

function readDogsketch(r: ProtoReader, end: number): DDSketchPoint {
  const p: DDSketchPoint = { ts: 0, cnt: 0, min: 0, max: 0, avg: 0, sum: 0, keys: [], counts: [] };
  while (r.pos < end) {
    const tag = r.tag(end);
    switch (tag) {
      case DOG_TS:
        p.ts = r.int64(end);
        break;
      case DOG_CNT:
        p.cnt = r.int64(end);
        break;
      case DOG_MIN:
        p.min = r.double(end);
        break;
      case DOG_MAX:
        p.max = r.double(end);
        break;
      case DOG_AVG:
        p.avg = r.double(end);
        break;
      case DOG_SUM:
        p.sum = r.double(end);
        break;
      // Packed is what proto3 writes; a repeated scalar may also arrive unpacked, one tag per value.
      case DOG_K_PACKED: {
        const stop = r.lengthEnd(end);
        while (r.pos < stop) p.keys.push(r.sint32(stop));
        break;
      }
      case DOG_K:
        p.keys.push(r.sint32(end));
        break;
      case DOG_N_PACKED: {
        const stop = r.lengthEnd(end);
        while (r.pos < stop) p.counts.push(r.uint32(stop));
        break;
      }
      case DOG_N:
        p.counts.push(r.uint32(end));
        break;
      default:
        r.skip(tag, end);
    }
  }
  if (p.keys.length !== p.counts.length)
    throw new DecodeError(`${p.keys.length} bin keys (k) but ${p.counts.length} bin counts (n)`);
  return p;
}
