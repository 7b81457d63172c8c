// What the Alerts and Rules pages show alike: an expression as its link to Explore (the link an alert's generatorURL
// carries), labels as chips, alert states and rule health as coloured badges, the rules API's times.
import { exploreFragment } from '../../src/model/console-links.js';
import { fetchRules, type AlertJson, type RuleGroupJson, type RuleHealth } from './api.js';
import { h, replaceChildren } from './dom.js';
import { ago, timeText, type Labels } from './format.js';
import { refresher, showLoadError } from './pages/page.js';

/** Where a tenant's rules come from, for the pages' "none loaded" states. */
export const RULE_SOURCES =
  'Rules come from rule files (--rule-file, tenants.<name>.rule_files), the ruler API ' +
  '(/prometheus/config/v1/rules) and the default rule pack.';

/** Go's zero time: the rules API's "never evaluated". */
const ZERO_TIME = '0001-01-01T00:00:00Z';

/** An RFC 3339 time of the rules API in ms; 0 for "never". */
export function apiTimeMs(t: string): number {
  return t === ZERO_TIME ? 0 : Date.parse(t);
}

/** The expression, as a link that opens it in Explore. */
export function exprLink(expr: string): HTMLAnchorElement {
  return h('a', { class: 'expr mono', href: exploreFragment(expr), title: 'Open in Explore' }, expr);
}

/** `name=value` chips, sorted by name, leaving out `skip`. */
export function labelChips(labels: Labels | undefined, skip: readonly string[] = []): HTMLElement[] {
  return Object.keys(labels ?? {})
    .filter((k) => !skip.includes(k))
    .sort()
    .map((k) => h('span', { class: 'chip' }, `${k}=${labels![k]}`));
}

/** Labels as the words a filter box matches: `name=value`. */
export function labelWords(labels: Labels | undefined): string[] {
  return Object.entries(labels ?? {}).map(([k, v]) => `${k}=${v}`);
}

/** Whether every word of a filter box occurs in one of `texts` (case ignored). */
export function matchesWords(texts: string[], filter: string): boolean {
  const words = filter.toLowerCase().split(/\s+/).filter(Boolean);
  const text = texts.join('\n').toLowerCase();
  return words.every((w) => text.includes(w));
}

export function stateBadge(state: AlertJson['state'] | 'inactive'): HTMLElement {
  return h('span', { class: `badge state-${state}` }, state);
}

export function healthBadge(health: RuleHealth): HTMLElement {
  return h('span', { class: `badge health-${health}` }, health);
}

/** "3 min ago" with the absolute time beside it; "never" for 0. */
export function whenText(ms: number, nowMs: number): HTMLElement | string {
  if (ms === 0) return 'never';
  return h(
    'time',
    { datetime: new Date(ms).toISOString(), title: timeText(ms) },
    ago(ms, nowMs),
    h('span', { class: 'abs' }, timeText(ms)),
  );
}

/**
 * Loads `/api/v1/rules` now and every `everyMs` and hands the groups to `show`; the rules API's warnings (a rule file
 * reload that failed: the previous rules still run) become banners in `warnings`, a failed load goes to `errorBox`.
 */
export function refreshRules(
  params: { type?: 'alert' },
  everyMs: number,
  boxes: { errorBox: HTMLElement; warnings: HTMLElement },
  show: (groups: RuleGroupJson[]) => void,
): { stop(): void } {
  return refresher(async (signal) => {
    try {
      const answer = await fetchRules(params, signal);
      boxes.errorBox.hidden = true;
      replaceChildren(boxes.warnings, ...answer.warnings.map((w) => h('div', { class: 'error reload-warning' }, w)));
      show(answer.groups);
    } catch (e) {
      showLoadError(boxes.errorBox, e);
    }
  }, everyMs);
}

/** An alert's value as the number it is (`2e+01` → 20); NaN and infinities as Prometheus writes them. */
export function alertValue(v: string): string {
  const n = Number(v);
  return Number.isFinite(n) ? String(n) : v;
}
