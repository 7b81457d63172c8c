import type { EventCondition, EventField } from './query.js';

// The part of Datadog's event search syntax promdog understands (`filter[query]` of GET /api/v2/events, the
// console's search box): terms separated by spaces, all of which must hold.
//   source:jenkins  host:web-1  priority:low  status:error (or alert_type:error)  aggregation_key:k
//   tags:env:prod, or any other key:value term  → the event has that tag (a trailing * matches a prefix)
//   deploy, "disk full"  → text in the title or the text
//   -term, NOT term  → the term must not hold;  AND between terms changes nothing
// OR, parentheses and @attribute terms are refused with a message rather than read some other way.

export class EventSearchError extends Error {
  override name = 'EventSearchError';
}

const FIELDS: Record<string, EventField> = {
  source: 'source',
  sources: 'source',
  host: 'host',
  priority: 'priority',
  status: 'alert_type',
  alert_type: 'alert_type',
  aggregation_key: 'aggregation_key',
  tags: 'tag',
  tag: 'tag',
};

/** Datadog's v2 alert statuses as the alert types events carry. */
const STATUS_ALIASES: Record<string, string> = { warn: 'warning', ok: 'success' };

/** A term with its quotes removed; `quoted` when it had some, `keyed` when a `key:` came before them. */
interface Token {
  text: string;
  quoted: boolean;
  keyed: boolean;
}

/** Splits on spaces outside double quotes: `-"disk full"` and `source:"my apps"` are one term each. */
function tokens(q: string): Token[] {
  const out: Token[] = [];
  const re = /([^\s"]*)"([^"]*)"|([^\s"]+)|(")/g;
  for (let m = re.exec(q); m; m = re.exec(q)) {
    if (m[4] !== undefined) throw new EventSearchError(`unbalanced quote in query: ${q}`);
    if (m[3] !== undefined) out.push({ text: m[3], quoted: false, keyed: false });
    else out.push({ text: `${m[1]}${m[2]}`, quoted: true, keyed: m[1]!.endsWith(':') });
  }
  return out;
}

/** The conditions of a search query; throws EventSearchError for syntax promdog does not support. */
export function parseEventSearch(query: string): EventCondition[] {
  const conditions: EventCondition[] = [];
  let negateNext = false;
  for (const tok of tokens(query)) {
    let t = tok.text;
    if (!tok.quoted && (t === 'AND' || t === '&&')) continue;
    if (!tok.quoted && (t === 'OR' || t === '||'))
      throw new EventSearchError('OR is not supported: run one query per alternative');
    if (!tok.quoted && t === 'NOT') {
      negateNext = true;
      continue;
    }
    let negate = negateNext;
    negateNext = false;
    if (t.startsWith('-') && t.length > 1) {
      negate = !negate;
      t = t.slice(1);
    }
    if (!tok.quoted && /[()]/.test(t)) throw new EventSearchError(`parentheses are not supported: ${tok.text}`);
    const colon = t.indexOf(':');
    // A quoted term is text unless its key came before the quotes (`source:"my apps"`).
    if (colon <= 0 || (tok.quoted && !tok.keyed)) {
      conditions.push({ field: 'text', values: [t], negate });
      continue;
    }
    const key = t.slice(0, colon);
    const value = t.slice(colon + 1);
    if (key.startsWith('@')) throw new EventSearchError(`attribute searches are not supported: ${t}`);
    if (value === '') throw new EventSearchError(`empty value in ${tok.text}`);
    const field = FIELDS[key.toLowerCase()];
    if (field === undefined) conditions.push({ field: 'tag', values: [t], negate });
    else if (field === 'alert_type')
      conditions.push({ field, values: [STATUS_ALIASES[value.toLowerCase()] ?? value], negate });
    else conditions.push({ field, values: [value], negate });
  }
  if (negateNext) throw new EventSearchError('NOT at the end of the query');
  return conditions;
}
