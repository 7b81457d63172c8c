import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync, inflateSync } from 'node:zlib';

// The Datadog Agent captures in ../shared/fixtures/datadog-agent (see PROVENANCE.md there): each file is
// {"payloads":[{timestamp, data (base64), encoding}]}, as Datadog's fakeintake recorded them.

export interface FixturePayload {
  timestamp: string;
  /** `deflate` (zlib-wrapped, as the Agent sends it), `gzip`, or `application/json` / '' for raw bytes. */
  encoding: string;
  /** The request body as received (still compressed). */
  data: Buffer;
}

export const FIXTURE_DIR = join(process.cwd(), '..', 'shared', 'fixtures', 'datadog-agent');

export function loadFixture(file: string): FixturePayload[] {
  const parsed = JSON.parse(readFileSync(join(FIXTURE_DIR, file), 'utf8')) as {
    payloads: { timestamp: string; data: string; encoding: string }[];
  };
  return parsed.payloads.map((p) => ({ timestamp: p.timestamp, encoding: p.encoding, data: Buffer.from(p.data, 'base64') }));
}

/** The decompressed request body of a fixture payload. */
export function decodedBody(p: FixturePayload): Buffer {
  switch (p.encoding) {
    case 'deflate':
      return inflateSync(p.data);
    case 'gzip':
      return gunzipSync(p.data);
    case '':
    case 'application/json':
      return p.data;
    default:
      throw new Error(`fixture payload with unknown encoding "${p.encoding}"`);
  }
}
