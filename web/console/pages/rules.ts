// Rules: the signed-in tenant's rule groups from `/api/v1/rules` — each group's file (or ruler API namespace),
// interval, last evaluation and its duration, health; each rule's kind, expression (a link to Explore), labels,
// `for` / `keep_firing_for`, health and last error, last evaluation — filtered by words, kind and health
// (`#/rules?filter=…&type=alerting&health=err`). A rule file reload that failed shows as a banner above.
import type { RuleGroupJson, RuleHealth, RuleJson } from '../api.js';
import { h, replaceChildren } from '../dom.js';
import { formatDuration, formatValue } from '../format.js';
import { replaceParams } from '../router.js';
import {
  apiTimeMs,
  exprLink,
  healthBadge,
  labelChips,
  labelWords,
  matchesWords,
  refreshRules,
  RULE_SOURCES,
  stateBadge,
  whenText,
} from '../rule-view.js';
import type { PageFactory } from './page.js';

const REFRESH_MS = 30_000;
const TYPES = ['alerting', 'recording'] as const;
const HEALTHS: readonly RuleHealth[] = ['ok', 'err', 'unknown'];

/** A group's health: err when a rule's is, unknown while a rule was not evaluated yet, else ok. */
function groupHealth(g: RuleGroupJson): RuleHealth {
  if (g.rules.some((r) => r.health === 'err')) return 'err';
  return g.rules.some((r) => r.health === 'unknown') ? 'unknown' : 'ok';
}

/** `for 5m, keep firing 10m` of an alerting rule; '' for a recording rule or when neither is set. */
function holdText(r: RuleJson): string {
  if (r.type !== 'alerting') return '';
  const parts: string[] = [];
  if (r.duration > 0) parts.push(`for ${formatDuration(r.duration)}`);
  if (r.keepFiringFor > 0) parts.push(`keep firing ${formatDuration(r.keepFiringFor)}`);
  return parts.join(', ');
}

function ruleRow(r: RuleJson, nowMs: number): HTMLElement {
  const annotations = r.type === 'alerting' ? Object.keys(r.annotations).sort() : [];
  const active = r.type === 'alerting' ? (r.alerts ?? []).length : 0;
  return h(
    'tr',
    { 'data-rule': r.name, 'data-type': r.type, 'data-health': r.health },
    h('td', {}, healthBadge(r.health)),
    h(
      'td',
      {},
      h('span', { class: 'tag rule-kind' }, r.type === 'alerting' ? 'alert' : 'record'),
      ' ',
      h('span', { class: 'rule-name mono' }, r.name),
      r.type === 'alerting'
        ? h('div', { class: 'rule-state' }, stateBadge(r.state), active > 0 ? ` ${active} active` : null)
        : null,
    ),
    h(
      'td',
      {},
      exprLink(r.query),
      r.lastError ? h('pre', { class: 'error rule-error' }, r.lastError) : null,
      r.type === 'alerting' && annotations.length > 0
        ? h(
            'details',
            { class: 'rule-annotations' },
            h('summary', {}, 'Annotations'),
            h(
              'dl',
              { class: 'facts' },
              ...annotations.flatMap((k) => [h('dt', {}, k), h('dd', { class: 'mono' }, r.annotations[k]!)]),
            ),
          )
        : null,
    ),
    h('td', {}, ...labelChips(r.labels)),
    h('td', {}, holdText(r)),
    h('td', {}, whenText(apiTimeMs(r.lastEvaluation), nowMs)),
    h('td', { class: 'num' }, formatValue(r.evaluationTime, 'seconds')),
  );
}

function groupPanel(g: RuleGroupJson, rules: RuleJson[], nowMs: number): HTMLElement {
  const health = groupHealth(g);
  return h(
    'section',
    { class: 'panel rule-group', 'data-group': g.name, 'data-file': g.file, 'data-health': health },
    h(
      'div',
      { class: 'group-head' },
      h('h2', {}, g.name),
      h('span', { class: 'mono group-file', title: 'rule file or ruler API namespace' }, g.file),
      healthBadge(health),
      h('span', { class: 'group-fact' }, `every ${formatDuration(g.interval)}`),
      g.limit > 0 ? h('span', { class: 'group-fact' }, `limit ${g.limit}`) : null,
      h('span', { class: 'group-fact' }, 'last evaluation ', whenText(apiTimeMs(g.lastEvaluation), nowMs)),
      h('span', { class: 'group-fact' }, `took ${formatValue(g.evaluationTime, 'seconds')}`),
    ),
    h(
      'div',
      { class: 'table-wrap' },
      h(
        'table',
        { class: 'data rules-table', 'data-rows': rules.length },
        h(
          'thead',
          {},
          h(
            'tr',
            {},
            h('th', {}, 'Health'),
            h('th', {}, 'Rule'),
            h('th', {}, 'Expression'),
            h('th', {}, 'Labels'),
            h('th', {}, 'For'),
            h('th', {}, 'Last evaluation'),
            h('th', { class: 'num' }, 'Took'),
          ),
        ),
        h('tbody', {}, ...rules.map((r) => ruleRow(r, nowMs))),
      ),
    ),
  );
}

export const rulesPage: PageFactory = (root, { session, params }) => {
  let groups: RuleGroupJson[] = [];
  let loaded = false;

  const select = (id: string, param: string, label: string, options: readonly string[]) =>
    h(
      'select',
      { id, onchange: () => onFilter() },
      h('option', { value: '' }, label),
      ...options.map((o) => h('option', { value: o, selected: params.get(param) === o }, o)),
    );
  const filterInput = h('input', {
    type: 'search',
    id: 'rule-filter',
    placeholder: 'Filter by name, expression, label, group or file',
    value: params.get('filter') ?? '',
    oninput: () => onFilter(),
  });
  const typeSelect = select('rule-type', 'type', 'Alerting and recording', TYPES);
  const healthSelect = select('rule-health', 'health', 'Any health', HEALTHS);
  const status = h('span', { class: 'status', id: 'rules-status' });
  const errorBox = h('pre', { class: 'error', hidden: true });
  const warnings = h('div', { class: 'notes', id: 'rules-warnings' });
  const list = h('div', { class: 'rule-groups', id: 'rule-groups' });
  const empty = h('div', { class: 'empty', id: 'rules-empty', hidden: true });

  replaceChildren(
    root,
    h(
      'section',
      { class: 'page rules' },
      h('div', { class: 'toolbar' }, h('h1', {}, 'Rules'), filterInput, typeSelect, healthSelect, status),
      errorBox,
      warnings,
      list,
      empty,
    ),
  );

  function onFilter(): void {
    const p = new URLSearchParams();
    if (filterInput.value !== '') p.set('filter', filterInput.value);
    if (typeSelect.value !== '') p.set('type', typeSelect.value);
    if (healthSelect.value !== '') p.set('health', healthSelect.value);
    replaceParams('rules', p);
    render();
  }

  function render(): void {
    const nowMs = Date.now();
    let shownRules = 0;
    let totalRules = 0;
    const panels: HTMLElement[] = [];
    for (const g of groups) {
      totalRules += g.rules.length;
      const rules = g.rules.filter(
        (r) =>
          (typeSelect.value === '' || r.type === typeSelect.value) &&
          (healthSelect.value === '' || r.health === healthSelect.value) &&
          matchesWords([g.name, g.file, r.name, r.query, ...labelWords(r.labels)], filterInput.value),
      );
      if (rules.length === 0) continue;
      shownRules += rules.length;
      panels.push(groupPanel(g, rules, nowMs));
    }
    list.replaceChildren(...panels);
    list.dataset.groups = String(panels.length);
    status.textContent = loaded
      ? `${shownRules} of ${totalRules} rules in ${panels.length} of ${groups.length} groups`
      : 'Loading…';
    empty.hidden = !loaded || panels.length > 0;
    empty.textContent =
      groups.length === 0
        ? `No rules are loaded for tenant “${session.tenant}”. ${RULE_SOURCES}`
        : 'No rule matches the filter.';
  }

  const timer = refreshRules({}, REFRESH_MS, { errorBox, warnings }, (loadedGroups) => {
    groups = loadedGroups;
    loaded = true;
    render();
  });
  render();

  return { unmount: () => timer.stop() };
};
