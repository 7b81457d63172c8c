import { ApiError, type Session } from '../api.js';
import { h, replaceChildren } from '../dom.js';

/** What the router hands a page: the session and the URL's params (`#/<page>?<params>`). */
export interface PageContext {
  session: Session;
  params: URLSearchParams;
}

/** A mounted page: it renders into `root`, and unmount stops its timers and pending requests. */
export interface Page {
  unmount(): void;
}

export type PageFactory = (root: HTMLElement, ctx: PageContext) => Page;

/** The ranges the range pickers offer, in seconds. */
export const RANGES: readonly { label: string; seconds: number }[] = [
  { label: '5m', seconds: 300 },
  { label: '15m', seconds: 900 },
  { label: '1h', seconds: 3600 },
  { label: '3h', seconds: 10800 },
  { label: '6h', seconds: 21600 },
  { label: '12h', seconds: 43200 },
  { label: '24h', seconds: 86400 },
  { label: '2d', seconds: 172800 },
  { label: '7d', seconds: 604800 },
];

/** Runs `load` now and every `everyMs`; a run still in flight is aborted by the next one and by stop(). */
export function refresher(
  load: (signal: AbortSignal) => Promise<void>,
  everyMs: number | (() => number),
): { now(): void; stop(): void } {
  let timer: number | undefined;
  let inFlight: AbortController | undefined;
  let stopped = false;
  const interval = typeof everyMs === 'number' ? () => everyMs : everyMs;
  const run = () => {
    if (stopped) return;
    window.clearTimeout(timer);
    inFlight?.abort();
    const ctl = (inFlight = new AbortController());
    void load(ctl.signal).finally(() => {
      if (stopped || ctl !== inFlight) return;
      const ms = interval();
      // Turned off meanwhile: the timer fires but loads nothing.
      if (ms > 0) timer = window.setTimeout(() => interval() > 0 && run(), ms);
    });
  };
  run();
  return {
    now: run,
    stop: () => {
      stopped = true;
      window.clearTimeout(timer);
      inFlight?.abort();
    },
  };
}

/** Whether an error is the abort of a superseded request (not worth showing). */
export function isAbort(e: unknown): boolean {
  return e instanceof DOMException && e.name === 'AbortError';
}

/** What to show for a failed load: the API's own message verbatim, or the error itself. */
export function errorText(e: unknown): string {
  return e instanceof ApiError ? e.message : String(e);
}

/** Shows a failed load's error in `box`, unless it was only superseded. */
export function showLoadError(box: HTMLElement, e: unknown): void {
  if (isAbort(e)) return;
  box.textContent = errorText(e);
  box.hidden = false;
}

/**
 * A page that queries the tenant's data, when it cannot (gateway mode without a query URL for the tenant): its
 * title and, once, what to configure, instead of loading. Returns the mounted page, or undefined when it can query.
 */
export function unqueryablePage(
  root: HTMLElement,
  session: Session,
  pageClass: string,
  title: string,
): Page | undefined {
  if (session.queryUnavailable === null) return undefined;
  replaceChildren(
    root,
    h(
      'section',
      { class: `page ${pageClass}` },
      h('div', { class: 'toolbar' }, h('h1', {}, title)),
      h('div', { class: 'notice', id: 'query-unavailable' }, session.queryUnavailable),
    ),
  );
  return { unmount: () => {} };
}
