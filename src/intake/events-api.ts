import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { EventReader } from '../events/store.js';
import { decodeCursor, encodeCursor, type EventCondition, type EventQuery } from '../events/query.js';
import { EventSearchError, parseEventSearch } from '../events/search.js';
import type { ResolveTenant } from '../tenants/request-tenant.js';
import { v1Event, v2Event } from './event-json.js';

// Datadog's events API, the reading half (the POSTs are intake routes): GET /api/v1/events, /api/v1/events/{id},
// /api/v2/events and /api/v2/events/{id}, in Datadog's JSON shapes, over the tenant the key names (DD-API-KEY or
// api_key, as the intake; the DD-APPLICATION-KEY the official client also sends is not needed). Errors are 400 with
// `{"errors": ["<parameter>: what is wrong"]}`, a missing or unknown key 403, an unknown event 404.

export interface EventsApiDeps {
  resolveTenant: ResolveTenant;
  events: EventReader;
  /** Clock (ms). Default Date.now. */
  now?: () => number;
}

/** v1 returns 1000 events a page (`page` picks which); more pages than this is a 400. */
const V1_PAGE_SIZE = 1000;
const V1_MAX_PAGE = 99;
const V2_DEFAULT_LIMIT = 10;
const V2_MAX_LIMIT = 1000;
const V2_DEFAULT_FROM = 'now-15m';

class ParamError extends Error {}

type Query = Record<string, unknown>;

/** A single query parameter's value, undefined when absent; repeated parameters are refused. */
function param(q: Query, name: string): string | undefined {
  const v = q[name];
  if (v === undefined) return undefined;
  if (typeof v !== 'string') throw new ParamError(`${name}: expected one value`);
  return v;
}

function integerParam(q: Query, name: string, min: number, max: number): number | undefined {
  const v = param(q, name);
  if (v === undefined || v === '') return undefined;
  const n = Number(v);
  if (!/^-?\d+$/.test(v.trim()) || n < min || n > max)
    throw new ParamError(`${name}: expected an integer from ${min} to ${max}, got ${JSON.stringify(v.slice(0, 40))}`);
  return n;
}

function booleanParam(q: Query, name: string): void {
  const v = param(q, name);
  if (v !== undefined && v !== 'true' && v !== 'false')
    throw new ParamError(`${name}: expected true or false, got ${JSON.stringify(v.slice(0, 40))}`);
}

const DATE_MATH_UNITS: Record<string, number> = { s: 1000, m: 60_000, h: 3600_000, d: 86_400_000, w: 604_800_000 };

/** A v2 time: milliseconds since the epoch, `now`, `now-15m` (s, m, h, d, w), or an ISO 8601 date. */
export function parseEventTime(v: string, nowMs: number, name: string): number {
  const s = v.trim();
  if (/^\d+$/.test(s)) return Number(s);
  const m = /^now(?:([+-])(\d+)([smhdw]))?$/.exec(s);
  if (m) return m[1] === undefined ? nowMs : nowMs + (m[1] === '-' ? -1 : 1) * Number(m[2]) * DATE_MATH_UNITS[m[3]!]!;
  const t = /^\d{4}-\d\d-\d\d/.test(s) ? Date.parse(s) : NaN;
  if (Number.isNaN(t))
    throw new ParamError(
      `${name}: expected milliseconds since the epoch, now, now-<n>[smhdw] or an ISO 8601 date, got ${JSON.stringify(s.slice(0, 40))}`,
    );
  return t;
}

/** A comma-separated list parameter as one condition; `-value` items as a negated one (v1's `tags=-env:dev`). */
function listConditions(q: Query, name: string, field: EventCondition['field']): EventCondition[] {
  const items = (param(q, name) ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const wanted = items.filter((s) => !s.startsWith('-'));
  const unwanted = items.filter((s) => s.startsWith('-')).map((s) => s.slice(1));
  const out: EventCondition[] = [];
  // v1 tags: every tag given must be there; sources: any of them.
  if (field === 'tag') for (const t of wanted) out.push({ field, values: [t], negate: false });
  else if (wanted.length) out.push({ field, values: wanted, negate: false });
  if (unwanted.length) out.push({ field, values: unwanted, negate: true });
  return out;
}

export function registerEventsApi(app: FastifyInstance, deps: EventsApiDeps): void {
  const now = deps.now ?? Date.now;
  const baseOf = (req: FastifyRequest) => `${req.protocol}://${req.host}`;

  /** Runs `handle` for the request's tenant: 403 without one, 400 for a bad parameter. */
  const withTenant =
    (handle: (tenant: string, req: FastifyRequest, reply: FastifyReply) => Promise<FastifyReply>) =>
    async (req: FastifyRequest, reply: FastifyReply) => {
      const tenant = deps.resolveTenant(req);
      if (!tenant) return reply.code(403).send({ errors: ['Forbidden'] });
      try {
        return await handle(tenant, req, reply);
      } catch (e) {
        if (e instanceof ParamError || e instanceof EventSearchError)
          return reply.code(400).send({ errors: [e.message] });
        throw e;
      }
    };

  const notFound = (reply: FastifyReply) => reply.code(404).send({ errors: ['Event not found'] });

  app.get(
    '/api/v1/events',
    withTenant(async (tenant, req, reply) => {
      const q = req.query as Query;
      const start = integerParam(q, 'start', 0, Number.MAX_SAFE_INTEGER / 1000);
      const end = integerParam(q, 'end', 0, Number.MAX_SAFE_INTEGER / 1000);
      if (start === undefined) throw new ParamError('start: required (POSIX seconds)');
      if (end === undefined) throw new ParamError('end: required (POSIX seconds)');
      const priority = param(q, 'priority');
      if (priority !== undefined && priority !== 'normal' && priority !== 'low')
        throw new ParamError(`priority: expected normal or low, got ${JSON.stringify(priority.slice(0, 40))}`);
      // promdog makes no aggregate events: every event is returned either way.
      booleanParam(q, 'unaggregated');
      booleanParam(q, 'exclude_aggregate');
      const page = integerParam(q, 'page', 0, V1_MAX_PAGE) ?? 0;
      const conditions = [...listConditions(q, 'sources', 'source'), ...listConditions(q, 'tags', 'tag')];
      if (priority) conditions.push({ field: 'priority', values: [priority], negate: false });
      const { events } = await deps.events.query(tenant, {
        fromMs: start * 1000,
        toMs: end * 1000 + 999,
        conditions,
        order: 'newest',
        limit: (page + 1) * V1_PAGE_SIZE,
      });
      const base = baseOf(req);
      return reply.send({ events: events.slice(page * V1_PAGE_SIZE).map((e) => v1Event(e, base)), status: 'ok' });
    }),
  );

  app.get(
    '/api/v1/events/:id',
    withTenant(async (tenant, req, reply) => {
      const raw = (req.params as { id: string }).id;
      const id = Number(raw);
      if (!/^\d+$/.test(raw) || !Number.isSafeInteger(id)) throw new ParamError(`event_id: expected an integer id`);
      const e = await deps.events.get(tenant, id);
      if (!e) return notFound(reply);
      return reply.send({ event: v1Event(e, baseOf(req)), status: 'ok' });
    }),
  );

  app.get(
    '/api/v2/events',
    withTenant(async (tenant, req, reply) => {
      const q = req.query as Query;
      const started = performance.now();
      const nowMs = now();
      const fromMs = parseEventTime(param(q, 'filter[from]') ?? V2_DEFAULT_FROM, nowMs, 'filter[from]');
      const toMs = parseEventTime(param(q, 'filter[to]') ?? 'now', nowMs, 'filter[to]');
      const sort = param(q, 'sort') ?? '-timestamp';
      if (sort !== 'timestamp' && sort !== '-timestamp')
        throw new ParamError(`sort: expected timestamp or -timestamp, got ${JSON.stringify(sort.slice(0, 40))}`);
      const limit = integerParam(q, 'page[limit]', 1, V2_MAX_LIMIT) ?? V2_DEFAULT_LIMIT;
      const cursorText = param(q, 'page[cursor]');
      const after = cursorText === undefined ? undefined : decodeCursor(cursorText);
      if (cursorText !== undefined && !after)
        throw new ParamError('page[cursor]: not a cursor of this API (use meta.page.after of the previous page)');
      const query: EventQuery = {
        fromMs,
        toMs,
        conditions: parseEventSearch(param(q, 'filter[query]') ?? ''),
        order: sort === 'timestamp' ? 'oldest' : 'newest',
        limit,
        ...(after ? { after } : {}),
      };
      const page = await deps.events.query(tenant, query);
      const answer: {
        data: ReturnType<typeof v2Event>[];
        links?: { next: string };
        meta: { elapsed: number; status: 'done'; page?: { after: string } };
      } = {
        data: page.events.map(v2Event),
        meta: { elapsed: Math.round(performance.now() - started), status: 'done' },
      };
      if (page.next) {
        // The client pages with meta.page.after; links.next repeats the request with the cursor, times fixed.
        const cursor = encodeCursor(page.next);
        answer.meta.page = { after: cursor };
        const next = new URLSearchParams({
          'filter[from]': String(fromMs),
          'filter[to]': String(toMs),
          sort,
          'page[limit]': String(limit),
          'page[cursor]': cursor,
        });
        const filter = param(q, 'filter[query]');
        if (filter) next.set('filter[query]', filter);
        answer.links = { next: `${baseOf(req)}/api/v2/events?${next}` };
      }
      return reply.send(answer);
    }),
  );

  app.get(
    '/api/v2/events/:id',
    withTenant(async (tenant, req, reply) => {
      const raw = (req.params as { id: string }).id;
      const e = /^\d+$/.test(raw) ? await deps.events.get(tenant, Number(raw)) : undefined;
      if (!e) return notFound(reply);
      return reply.send({ data: v2Event(e) });
    }),
  );
}
