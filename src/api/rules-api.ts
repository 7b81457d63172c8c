// Prometheus' `GET /api/v1/rules` and `GET /api/v1/alerts` (web/api/v1/api.go, 3.5) over a tenant's rule manager, in
// Prometheus' JSON shape so Grafana lists them: groups with their rules (health, lastError, evaluationTime,
// lastEvaluation, alerts inline), the filters type, rule_name[], rule_group[], file[], match[], exclude_alerts and
// the group_limit / group_next_token pages. A rule load that failed (the previous rules still run) comes as a warning.
import { createHash } from 'node:crypto';
import type { Label } from '../model/prometheus.js';
import { compileMatchers, matchesLabels } from '../model/matcher.js';
import type { LabelMatcher } from '../model/storage.js';
import { AlertingRule, type Alert } from '../rules/alerting-rule.js';
import type { RuleGroup } from '../rules/group.js';
import type { Ruler } from '../rules/ruler.js';
import { invalidParam, parseMatchers, type Params } from './params.js';
import type { QueryApiResult } from './query-api.js';

/** Go's time.Time in JSON: RFC 3339, the zero time for "never". */
function apiTime(ms: number): string {
  return ms === 0 ? '0001-01-01T00:00:00Z' : new Date(ms).toISOString();
}

/** strconv.FormatFloat(v, 'e', -1, 64): shortest digits, exponent with a sign and at least two digits. */
export function goExponent(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  const [mantissa, exp] = v.toExponential().split('e') as [string, string];
  const sign = exp.startsWith('-') ? '-' : '+';
  const digits = exp.replace(/^[+-]/, '').padStart(2, '0');
  return `${Object.is(v, -0) ? '-' : ''}${mantissa}e${sign}${digits}`;
}

function labelsObject(labels: readonly Label[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const l of labels) out[l.name] = l.value;
  return out;
}

function alertJson(a: Alert) {
  return {
    labels: labelsObject(a.labels),
    annotations: labelsObject(a.annotations),
    state: a.state,
    activeAt: apiTime(a.activeAt),
    ...(a.keepFiringSince !== 0 ? { keepFiringSince: apiTime(a.keepFiringSince) } : {}),
    value: goExponent(a.value),
  };
}

/** Prometheus' page token of a group: sha1 of "<file>;<name>". */
function groupToken(g: RuleGroup): string {
  return createHash('sha1').update(`${g.file};${g.name}`).digest('hex');
}

function excludeAlertsParam(p: Params): boolean {
  const v = p.get('exclude_alerts').toLowerCase();
  if (v === '') return false;
  if (['1', 't', 'true'].includes(v)) return true;
  if (['0', 'f', 'false'].includes(v)) return false;
  throw invalidParam(
    'exclude_alerts',
    `error converting exclude_alerts: strconv.ParseBool: parsing ${JSON.stringify(v)}: invalid syntax`,
  );
}

function groupLimitParam(p: Params): number {
  const limit = p.get('group_limit');
  if (p.get('group_next_token') !== '' && limit === '')
    throw invalidParam('group_next_token', 'group_limit needs to be present in order to paginate over the groups');
  if (limit === '') return -1;
  if (!/^[+-]?\d+$/.test(limit))
    throw invalidParam(
      'group_limit',
      `group_limit needs to be a valid number: strconv.ParseInt: parsing ${JSON.stringify(limit)}: invalid syntax`,
    );
  const n = Number(limit);
  if (n <= 0) throw invalidParam('group_limit', 'group_limit needs to be greater than 0');
  return n;
}

export class RulesApi {
  constructor(private readonly ruler: Ruler) {}

  private warnings(tenant: string): string[] {
    const err = this.ruler.lastError(tenant);
    return err ? [`rule files not reloaded, the previous rules still run: ${err}`] : [];
  }

  /** `/api/v1/rules`. */
  rules(p: Params, tenant: string): QueryApiResult {
    const type = p.get('type').toLowerCase();
    if (type !== '' && type !== 'alert' && type !== 'record')
      throw invalidParam('type', `not supported value ${JSON.stringify(type)}`);
    const names = new Set(p.all('rule_name[]'));
    const groupNames = new Set(p.all('rule_group[]'));
    const files = new Set(p.all('file[]'));
    const matcherSets = parseMatchers(p.all('match[]')).map((set: LabelMatcher[]) => compileMatchers(set));
    const excludeAlerts = excludeAlertsParam(p);
    const maxGroups = groupLimitParam(p);
    const nextToken = maxGroups > 0 ? p.get('group_next_token') : '';

    const out: unknown[] = [];
    let groupNextToken: string | undefined;
    let foundToken = false;
    for (const g of this.ruler.manager(tenant)?.ruleGroups() ?? []) {
      if (nextToken !== '' && !foundToken) {
        if (nextToken !== groupToken(g)) continue;
        foundToken = true;
      }
      if (groupNames.size > 0 && !groupNames.has(g.name)) continue;
      if (files.size > 0 && !files.has(g.file)) continue;
      const rules: unknown[] = [];
      for (const r of g.rules) {
        if (matcherSets.length > 0 && !matcherSets.some((ms) => matchesLabels(r.labels, ms))) continue;
        if (names.size > 0 && !names.has(r.name)) continue;
        const common = {
          health: r.health,
          ...(r.lastError !== undefined ? { lastError: r.lastError } : {}),
          evaluationTime: r.lastDurationMs / 1000,
          lastEvaluation: apiTime(r.lastEvaluation),
        };
        if (r instanceof AlertingRule) {
          if (type === 'record') continue;
          rules.push({
            state: r.state(),
            name: r.name,
            query: r.exprText,
            duration: r.holdMs / 1000,
            keepFiringFor: r.keepFiringForMs / 1000,
            labels: labelsObject(r.labels),
            annotations: labelsObject(r.annotations),
            alerts: excludeAlerts ? null : r.activeAlerts().map(alertJson),
            ...common,
            type: 'alerting',
          });
        } else {
          if (type === 'alert') continue;
          rules.push({
            name: r.name,
            query: r.exprText,
            ...(r.labels.length > 0 ? { labels: labelsObject(r.labels) } : {}),
            ...common,
            type: 'recording',
          });
        }
      }
      // A group whose rules were all filtered out is left out.
      if (rules.length === 0) continue;
      if (maxGroups > 0 && out.length === maxGroups) {
        groupNextToken = groupToken(g);
        break;
      }
      out.push({
        name: g.name,
        file: g.file,
        rules,
        interval: g.intervalMs / 1000,
        limit: g.limit,
        evaluationTime: g.lastDurationMs / 1000,
        lastEvaluation: apiTime(g.lastEvaluation),
      });
    }
    if (nextToken !== '' && !foundToken)
      throw invalidParam('group_next_token', `invalid group_next_token '${nextToken}'. were rule groups changed?`);
    const data = { groups: out, ...(groupNextToken ? { groupNextToken } : {}) };
    return { data: JSON.stringify(data), warnings: this.warnings(tenant) };
  }

  /** `/api/v1/alerts`: every active (pending or firing) alert of the tenant. */
  alerts(tenant: string): QueryApiResult {
    const alerts: unknown[] = [];
    for (const g of this.ruler.manager(tenant)?.ruleGroups() ?? [])
      for (const r of g.rules) if (r instanceof AlertingRule) alerts.push(...r.activeAlerts().map(alertJson));
    return { data: JSON.stringify({ alerts }), warnings: this.warnings(tenant) };
  }
}
