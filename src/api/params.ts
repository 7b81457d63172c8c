// Request parameters of the query API, read like Go's http.Request.Form: the form-encoded POST body first, then
// the URL query string. The server hands every body over as a raw stream (the Datadog intake needs raw bodies),
// so form bodies are read here, with a size limit.
import type { FastifyRequest } from 'fastify';
import type { Readable } from 'node:stream';
import type { LabelMatcher } from '../model/storage.js';
import { parseDurationParam, parseTime } from '../promql/engine.js';
import { NestingTooDeepError, parseExpr, ParseError } from '../promql/parser.js';
import type { Expr } from '../promql/ast.js';
import { compileMatcher } from '../model/matcher.js';
import { isFormRequest } from '../http/raw-bodies.js';

/** An error answered with Prometheus' error envelope. */
export class ApiError extends Error {
  constructor(
    readonly errorType: string,
    message: string,
    readonly status: number,
    /** Counted in promdog_query_rejected_total when set. */
    readonly rejectReason?: string,
  ) {
    super(message);
  }
}

export const badData = (message: string, rejectReason?: string) => new ApiError('bad_data', message, 400, rejectReason);
export const invalidParam = (name: string, message: string, rejectReason?: string) =>
  badData(`invalid parameter ${JSON.stringify(name)}: ${message}`, rejectReason);

/** A parse error as a 400 (naming `param` when given); a query nested too deep is counted as refused (too_deep). */
export function parseFailure(e: ParseError, param?: string): ApiError {
  const reason = e instanceof NestingTooDeepError ? 'too_deep' : undefined;
  return param ? invalidParam(param, e.message, reason) : badData(e.message, reason);
}

export class Params {
  constructor(private readonly values: URLSearchParams) {}

  /** The first value, '' when absent (Go's FormValue). */
  get(name: string): string {
    return this.values.get(name) ?? '';
  }

  all(name: string): string[] {
    return this.values.getAll(name);
  }

  /** Every parameter in the order read (the form body's first), e.g. to forward them as they came. */
  toSearchParams(): URLSearchParams {
    return new URLSearchParams(this.values);
  }
}

/**
 * Reads a request body stream up to `limit` bytes; more → 413. The rest is left unread (not destroyed: that would cut the
 * connection before the 413 is written); the answer closes the connection instead.
 */
export function readBody(stream: Readable, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const done = () => {
      stream.off('data', onData);
      stream.off('end', onEnd);
      stream.off('error', onError);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        done();
        stream.pause();
        reject(new ApiError('bad_data', `request body too large: the limit is ${limit} bytes`, 413, 'body_too_large'));
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      done();
      resolve(Buffer.concat(chunks));
    };
    const onError = (err: Error) => {
      done();
      reject(new ApiError('bad_data', `error reading the request body: ${err.message}`, 400));
    };
    stream.on('data', onData);
    stream.on('end', onEnd);
    stream.on('error', onError);
  });
}

export async function readParams(req: FastifyRequest, maxBodyBytes: number): Promise<Params> {
  const merged = new URLSearchParams();
  const body = req.body as Readable | undefined;
  if (body && typeof body.pipe === 'function') {
    const raw = await readBody(body, maxBodyBytes);
    // Like Go's ParseForm, only form-encoded bodies carry parameters; other bodies are ignored.
    if (isFormRequest(req)) {
      for (const [k, v] of new URLSearchParams(raw.toString('utf8'))) merged.append(k, v);
    }
  }
  const q = req.url.indexOf('?');
  if (q >= 0) for (const [k, v] of new URLSearchParams(req.url.slice(q + 1))) merged.append(k, v);
  return new Params(merged);
}

// Defaults for omitted start/end of metadata queries. Prometheus uses its MinTime/MaxTime (about ±2.9e11 years);
// these (years 1677 and 2262, what parseTime makes of the sentinels Grafana sends) stay exact in a double.
export const MIN_TIME_MS = -9_223_372_036_854;
export const MAX_TIME_MS = 9_223_372_036_854;

export function timeParam(p: Params, name: string, defaultMs: number): number {
  const v = p.get(name);
  if (v === '') return defaultMs;
  try {
    return parseTime(v);
  } catch (e) {
    throw invalidParam(name, `invalid time value for '${name}': ${(e as Error).message}`);
  }
}

export function requiredTimeParam(p: Params, name: string): number {
  try {
    return parseTime(p.get(name));
  } catch (e) {
    throw invalidParam(name, (e as Error).message);
  }
}

export function durationParam(p: Params, name: string): number {
  try {
    return parseDurationParam(p.get(name));
  } catch (e) {
    throw invalidParam(name, (e as Error).message);
  }
}

/** `limit`: 0 (no limit) when absent. */
export function limitParam(p: Params, name = 'limit'): number {
  const v = p.get(name);
  if (v === '') return 0;
  if (!/^[+-]?\d+$/.test(v)) throw invalidParam(name, `strconv.Atoi: parsing ${JSON.stringify(v)}: invalid syntax`);
  const n = Number(v);
  if (n < 0) throw invalidParam(name, 'limit must be non-negative');
  return n;
}

/** Parses `match[]` series selectors; each needs a matcher that does not match the empty string. */
export function parseMatchers(selectors: string[]): LabelMatcher[][] {
  return selectors.map((s) => {
    let e: Expr;
    try {
      e = parseExpr(s);
    } catch (err) {
      if (err instanceof ParseError) throw parseFailure(err);
      throw err;
    }
    if (e.type !== 'VectorSelector' || e.offsetMs !== 0 || e.at !== null) {
      throw badData(`1:1: parse error: ${JSON.stringify(s)} is not a series selector`);
    }
    if (!e.matchers.some((m) => !compileMatcher(m).matchesEmpty))
      throw badData('match[] must contain at least one non-empty matcher');
    return e.matchers;
  });
}
