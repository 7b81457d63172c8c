import { DecodeError } from '../../model/datadog.js';

// Shared validation for the JSON intake bodies: JSON.parse (native, fast) and then strict type checks with the path
// of the offending value in the error (`series[3].points[1][0]: expected a number, got string`). Paths are only
// built when something is wrong. Absent and null optional fields read as '' / 0 / [] like the model wants.

export type JsonObject = Record<string, unknown>;

/** Parses a JSON body; a syntax error becomes a DecodeError with V8's description (which gives the position). */
export function parseJsonBody(body: Buffer, what: string): unknown {
  // A UTF-8 byte-order mark is not JSON but some clients write one.
  const start = body.length >= 3 && body[0] === 0xef && body[1] === 0xbb && body[2] === 0xbf ? 3 : 0;
  const text = body.toString('utf8', start);
  try {
    return JSON.parse(text);
  } catch (err) {
    if (!(err instanceof SyntaxError)) throw err;
    const where = /position \d+/.test(err.message) ? '' : ` (body is ${body.length} bytes)`;
    throw new DecodeError(`${what}: invalid JSON: ${err.message}${where}`);
  }
}

export function jsonTypeName(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  return typeof v;
}

/** `base[index].key`, or the shorter forms when parts are absent (index < 0, key ''). */
export function jsonPath(base: string, index: number, key = ''): string {
  let p = index >= 0 ? `${base}[${index}]` : base;
  if (key) p = p ? `${p}.${key}` : key;
  return p;
}

/** Error messages quote the client's keys and values; a hostile body must not make them megabytes long. */
const MAX_MESSAGE = 500;

export function fail(path: string, what: string): never {
  const message = path ? `${path}: ${what}` : what;
  throw new DecodeError(message.length > MAX_MESSAGE ? `${message.slice(0, MAX_MESSAGE)}…` : message);
}

/** A value for an error message: its JSON type, and for numbers and short strings the value itself. */
export function describeValue(v: unknown): string {
  if (typeof v === 'number') return `number ${v}`;
  if (typeof v === 'string')
    return v.length <= 40 ? `string ${JSON.stringify(v)}` : `a string of ${v.length} characters`;
  return jsonTypeName(v);
}

export function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function expectObject(v: unknown, path: string): JsonObject {
  if (!isObject(v)) fail(path, `expected an object, got ${jsonTypeName(v)}`);
  return v;
}

/** A required string field of `obj` (the object at base[index]). */
export function requiredString(obj: JsonObject, key: string, base: string, index: number): string {
  const v = obj[key];
  if (typeof v === 'string') return v;
  if (v === undefined || v === null) fail(jsonPath(base, index, key), 'missing');
  return fail(jsonPath(base, index, key), `expected a string, got ${jsonTypeName(v)}`);
}

/** An optional string field: absent or null → ''. */
export function optionalString(obj: JsonObject, key: string, base: string, index: number): string {
  const v = obj[key];
  if (typeof v === 'string') return v;
  if (v === undefined || v === null) return '';
  return fail(jsonPath(base, index, key), `expected a string, got ${jsonTypeName(v)}`);
}

/** An optional number field: absent or null → 0. Floats are kept (timestamps may be fractional). */
export function optionalNumber(obj: JsonObject, key: string, base: string, index: number): number {
  const v = obj[key];
  if (typeof v === 'number') return v;
  if (v === undefined || v === null) return 0;
  return fail(jsonPath(base, index, key), `expected a number, got ${jsonTypeName(v)}`);
}

/** An optional tag list: absent or null → [] (the Agent writes `"tags": null`); otherwise strings only. */
export function optionalTags(obj: JsonObject, key: string, base: string, index: number): string[] {
  const v = obj[key];
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) fail(jsonPath(base, index, key), `expected an array of strings, got ${jsonTypeName(v)}`);
  for (let i = 0; i < v.length; i++) {
    if (typeof v[i] !== 'string')
      fail(`${jsonPath(base, index, key)}[${i}]`, `expected a string, got ${jsonTypeName(v[i])}`);
  }
  return v as string[];
}

/** The `series` array of a `{"series": [...]}` body. */
export function seriesArray(root: unknown, what: string): unknown[] {
  const obj = expectObject(root, what);
  const series = obj.series;
  // Datadog answers 202 to a body without `series` and stores nothing; so do we (nothing to count either).
  if (series === undefined || series === null) return [];
  if (!Array.isArray(series)) fail('series', `expected an array, got ${jsonTypeName(series)}`);
  return series;
}

/**
 * Point j of series i (`series[i].points[j]` + `suffix` in an error): a number, or null, which becomes NaN rather
 * than failing the whole body: JSON has no NaN, so null is how a serializer writes one. Mapping decides what a NaN
 * sample becomes and counts it.
 */
export function pointValue(v: unknown, i: number, j: number, suffix: string): number {
  if (typeof v === 'number') return v;
  if (v === null) return NaN;
  return fail(`${jsonPath('series', i, 'points')}[${j}]${suffix}`, `expected a number, got ${jsonTypeName(v)}`);
}
