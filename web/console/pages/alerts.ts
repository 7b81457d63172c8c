// Alerts: the signed-in tenant's pending and firing alerts, from `/api/v1/rules?type=alert` (the alerts of
// `/api/v1/alerts`, each with its rule: the expression to link to Explore, the group). Each shows its state, labels,
// summary and description, since when it is active, its value and its expression. `#/alerts?state=firing&filter=…`.
// It also says why there may be none: no alerting rules, or rules that fail to evaluate (gateway mode without
// --query-url among others), and shows the rule files' reload problem when there is one.
import type { AlertingRuleJson, AlertJson, RuleGroupJson } from '../api.js';
import { h, replaceChildren } from '../dom.js';
import { countOf } from '../format.js';
import { showAlertCounts } from '../nav-alerts.js';
import { replaceParams, routeHref } from '../router.js';
import {
  alertValue,
  apiTimeMs,
  exprLink,
  labelChips,
  labelWords,
  matchesWords,
  refreshRules,
  RULE_SOURCES,
  stateBadge,
  whenText,
} from '../rule-view.js';
import type { PageFactory } from './page.js';

const REFRESH_MS = 15_000;
const STATES = ['firing', 'pending'] as const;
/** Annotations shown as the alert's text, in this order; any others follow as a list. */
const TEXT_ANNOTATIONS = ['summary', 'description'];

interface AlertRow {
  alert: AlertJson;
  rule: AlertingRuleJson;
  group: RuleGroupJson;
  activeAtMs: number;
}

function alertRows(groups: RuleGroupJson[]): AlertRow[] {
  const rows: AlertRow[] = [];
  for (const group of groups)
    for (const rule of group.rules)
      if (rule.type === 'alerting')
        for (const alert of rule.alerts ?? []) rows.push({ alert, rule, group, activeAtMs: apiTimeMs(alert.activeAt) });
  // Firing first, then by name, the longest active first.
  return rows.sort(
    (a, b) =>
      STATES.indexOf(a.alert.state) - STATES.indexOf(b.alert.state) ||
      a.rule.name.localeCompare(b.rule.name) ||
      a.activeAtMs - b.activeAtMs,
  );
}

/** A link when the annotation is a web address (runbook_url, dashboard links), its text otherwise. */
function annotationValue(v: string): Node | string {
  return /^https?:\/\/\S+$/.test(v) ? h('a', { href: v, rel: 'noreferrer', target: '_blank' }, v) : v;
}

function alertCard(r: AlertRow, nowMs: number): HTMLElement {
  const { alert, rule, group } = r;
  const a = alert.annotations;
  const others = Object.keys(a)
    .filter((k) => !TEXT_ANNOTATIONS.includes(k))
    .sort();
  return h(
    'article',
    {
      class: `alert-card state-${alert.state}`,
      'data-alertname': rule.name,
      'data-state': alert.state,
    },
    h(
      'div',
      { class: 'alert-head' },
      stateBadge(alert.state),
      h('a', { class: 'alert-name', href: routeHref('rules', { filter: rule.name }), title: 'The rule' }, rule.name),
      h('span', { class: 'alert-labels' }, ...labelChips(alert.labels, ['alertname'])),
    ),
    a.summary ? h('div', { class: 'alert-summary' }, a.summary) : null,
    a.description ? h('div', { class: 'alert-description' }, a.description) : null,
    others.length > 0
      ? h(
          'dl',
          { class: 'facts alert-annotations' },
          ...others.flatMap((k) => [h('dt', {}, k), h('dd', {}, annotationValue(a[k]!))]),
        )
      : null,
    h(
      'div',
      { class: 'alert-meta' },
      h(
        'span',
        { class: 'alert-since' },
        `${alert.state === 'firing' ? 'Active' : 'Pending'} since `,
        whenText(r.activeAtMs, nowMs),
      ),
      h('span', { class: 'alert-value' }, 'Value ', h('span', { class: 'mono' }, alertValue(alert.value))),
      alert.keepFiringSince
        ? h(
            'span',
            { class: 'alert-keep' },
            'Condition cleared, kept firing since ',
            whenText(apiTimeMs(alert.keepFiringSince), nowMs),
          )
        : null,
      h('span', { class: 'alert-group' }, `Group ${group.name} (${group.file})`),
    ),
    h('div', { class: 'alert-expr' }, exprLink(rule.query)),
  );
}

export const alertsPage: PageFactory = (root, { session, params }) => {
  let groups: RuleGroupJson[] = [];
  let rows: AlertRow[] = [];
  let loaded = false;

  const stateSelect = h(
    'select',
    { id: 'alert-state', onchange: () => onFilter() },
    h('option', { value: '' }, 'Firing and pending'),
    ...STATES.map((s) => h('option', { value: s, selected: params.get('state') === s }, `Only ${s}`)),
  );
  const filterInput = h('input', {
    type: 'search',
    id: 'alert-filter',
    placeholder: 'Filter by name, label=value or text',
    value: params.get('filter') ?? '',
    oninput: () => onFilter(),
  });
  const summary = h('div', { class: 'summary', id: 'alert-summary' });
  const status = h('span', { class: 'status' });
  const errorBox = h('pre', { class: 'error', hidden: true });
  const warnings = h('div', { class: 'notes', id: 'rules-warnings' });
  const ruleErrors = h('div', { class: 'notice', id: 'alert-rule-errors', hidden: true });
  const list = h('div', { class: 'alert-list', id: 'alerts-list' });
  const empty = h('div', { class: 'empty', id: 'alerts-empty', hidden: true });

  replaceChildren(
    root,
    h(
      'section',
      { class: 'page alerts' },
      h('div', { class: 'toolbar' }, h('h1', {}, 'Alerts'), summary, stateSelect, filterInput, status),
      errorBox,
      warnings,
      ruleErrors,
      list,
      empty,
    ),
  );

  function onFilter(): void {
    const p = new URLSearchParams();
    if (stateSelect.value !== '') p.set('state', stateSelect.value);
    if (filterInput.value !== '') p.set('filter', filterInput.value);
    replaceParams('alerts', p);
    render();
  }

  function render(): void {
    const shown = rows.filter(
      (r) =>
        (stateSelect.value === '' || r.alert.state === stateSelect.value) &&
        matchesWords(
          [r.rule.name, r.group.name, ...labelWords(r.alert.labels), ...Object.values(r.alert.annotations)],
          filterInput.value,
        ),
    );
    summary.replaceChildren(
      ...STATES.map((s) => {
        const n = rows.filter((r) => r.alert.state === s).length;
        return h('span', { class: `badge state-${s}`, 'data-state': s, 'data-count': n }, `${s} ${n}`);
      }),
    );
    const nowMs = Date.now();
    list.replaceChildren(...shown.map((r) => alertCard(r, nowMs)));
    list.dataset.rows = String(shown.length);
    status.textContent = loaded ? `${shown.length} of ${rows.length} alerts` : 'Loading…';

    const alerting = groups.flatMap((g) => g.rules.filter((r) => r.type === 'alerting'));
    const failing = alerting.filter((r) => r.health === 'err');
    ruleErrors.hidden = failing.length === 0;
    replaceChildren(
      ruleErrors,
      `Alerting rules failing at their last evaluation: ${failing.length} of ${alerting.length}; their alerts are not up to date. The error: `,
      h('span', { class: 'mono' }, failing[0]?.lastError ?? ''),
      ' ',
      h('a', { href: routeHref('rules', { health: 'err' }) }, 'See the rules'),
    );
    empty.hidden = !loaded || shown.length > 0;
    empty.dataset.reason = alerting.length === 0 ? 'no-rules' : rows.length === 0 ? 'none-active' : 'filtered';
    empty.textContent =
      alerting.length === 0
        ? `No alerting rules are loaded for tenant “${session.tenant}”. ${RULE_SOURCES}`
        : rows.length === 0
          ? `No alerts firing or pending; ${countOf(alerting.length, 'alerting rule')} loaded.`
          : 'No alert matches the filter.';
  }

  const timer = refreshRules({ type: 'alert' }, REFRESH_MS, { errorBox, warnings }, (loadedGroups) => {
    groups = loadedGroups;
    rows = alertRows(groups);
    loaded = true;
    showAlertCounts(rows.map((r) => r.alert));
    render();
  });
  render();

  return { unmount: () => timer.stop() };
};
