// An alerting rule as Prometheus 3.5 runs it (rules/alerting.go): each sample of the expression is an alert,
// identified by its labels (the sample's without __name__, the rule's labels expanded as templates, alertname);
// inactive → pending → firing after `for`, kept firing `keep_firing_for` after the condition clears, resolved alerts
// kept 15 minutes so Alertmanager hears of them. The ALERTS and ALERTS_FOR_STATE samples it returns are what the
// group appends; which alerts need sending follows Prometheus' resend logic.
import type { Label, PromSeries } from '../model/prometheus.js';
import { labelsKey } from '../model/labels.js';
import { AlertTemplate, TemplateError, type TemplateQuery } from '../template/alert-template.js';
import { alertTemplateName, type RuleDefinition } from './rule-file.js';
import { LabelBuilder, labelsToRecord, pairsToLabels } from './labels.js';
import { RuleBase, vectorSamples, type EvalContext } from './rule.js';

export type AlertState = 'inactive' | 'pending' | 'firing';

const STATE_ORDER: Record<AlertState, number> = { inactive: 0, pending: 1, firing: 2 };

/** One alert of a rule; times in ms since the epoch, 0 when not set. */
export interface Alert {
  state: AlertState;
  labels: Label[];
  annotations: Label[];
  /** The expression's value at the last evaluation. */
  value: number;
  activeAt: number;
  firedAt: number;
  resolvedAt: number;
  lastSentAt: number;
  validUntil: number;
  keepFiringSince: number;
}

export const ALERTS_METRIC = 'ALERTS';
export const ALERTS_FOR_STATE_METRIC = 'ALERTS_FOR_STATE';
/** How long a resolved alert is kept (and re-sent) after it resolved. */
const RESOLVED_RETENTION_MS = 15 * 60_000;

function sample(labels: Label[], t: number, v: number): PromSeries {
  return { labels, timestamps: [t], values: [v] };
}

export class AlertingRule extends RuleBase {
  readonly kind = 'alert';
  readonly holdMs: number;
  readonly keepFiringForMs: number;
  /** Rule labels (the group's, then the rule's), unexpanded; templates are expanded per alert. */
  readonly annotations: Label[];
  /** Keyed by labelsKey(alert labels). */
  readonly active = new Map<string, Alert>();
  /** False until `for` state was restored after a start: no ALERTS series are written before. */
  restored: boolean;
  private readonly labelTemplates: [string, AlertTemplate][];
  private readonly annotationTemplates: [string, AlertTemplate][];

  constructor(def: RuleDefinition, groupLabels: readonly [string, string][], restored: boolean) {
    super(def, groupLabels);
    this.holdMs = def.forMs;
    this.keepFiringForMs = def.keepFiringForMs;
    this.annotations = pairsToLabels(def.annotations);
    this.restored = restored;
    const tmpl = (l: Label): [string, AlertTemplate] => [
      l.name,
      AlertTemplate.parse(alertTemplateName(def.name), l.value),
    ];
    this.labelTemplates = this.labels.map(tmpl);
    this.annotationTemplates = this.annotations.map(tmpl);
  }

  /** The highest state of the rule's alerts. */
  state(): AlertState {
    let max: AlertState = 'inactive';
    for (const a of this.active.values()) if (STATE_ORDER[a.state] > STATE_ORDER[max]) max = a.state;
    return max;
  }

  /** Active (pending or firing) alerts; resolved ones still held for re-sending are not. */
  activeAlerts(): Alert[] {
    return [...this.active.values()].filter((a) => a.resolvedAt === 0);
  }

  /** ALERTS_FOR_STATE{alertname, rule labels} with the alert's labels when given. */
  forStateLabels(alert?: Alert): Label[] {
    const b = new LabelBuilder(this.labels);
    if (alert) for (const l of alert.labels) b.set(l.name, l.value);
    return b.set('__name__', ALERTS_FOR_STATE_METRIC).set('alertname', this.name).labels();
  }

  private alertsLabels(alert: Alert): Label[] {
    const b = new LabelBuilder(this.labels);
    for (const l of alert.labels) b.set(l.name, l.value);
    return b.set('__name__', ALERTS_METRIC).set('alertname', this.name).set('alertstate', alert.state).labels();
  }

  async eval(ctx: EvalContext, ts: number): Promise<PromSeries[]> {
    const queryTime = ts - ctx.queryOffsetMs;
    const samples = vectorSamples(await ctx.query(this.exprText, queryTime));
    const templateQuery: TemplateQuery = async (expr) =>
      vectorSamples(await ctx.query(expr, ts)).map((s) => ({ labels: labelsToRecord(s.labels), value: s.value }));

    const found = new Map<string, Alert>();
    for (const s of samples) {
      const data = {
        labels: labelsToRecord(s.labels),
        externalLabels: ctx.externalLabels,
        externalURL: ctx.externalURL,
        value: s.value,
      };
      const expand = async (template: AlertTemplate): Promise<string> => {
        try {
          return await template.expand(data, ts, templateQuery);
        } catch (e) {
          if (!(e instanceof TemplateError)) throw e;
          ctx.logger.warn({ err: e.message, alert: this.name }, 'Expanding alert template failed');
          return `<error expanding template: ${e.message}>`;
        }
      };
      const lb = new LabelBuilder(s.labels).delete('__name__');
      for (const [name, t] of this.labelTemplates) lb.set(name, await expand(t));
      lb.set('alertname', this.name);
      const annotations = new LabelBuilder();
      for (const [name, t] of this.annotationTemplates) annotations.set(name, await expand(t));
      const labels = lb.labels();
      const key = labelsKey(labels);
      if (found.has(key)) throw new Error('vector contains metrics with the same labelset after applying alert labels');
      found.set(key, {
        state: 'pending',
        labels,
        annotations: annotations.labels(),
        value: s.value,
        activeAt: ts,
        firedAt: 0,
        resolvedAt: 0,
        lastSentAt: 0,
        validUntil: 0,
        keepFiringSince: 0,
      });
    }

    for (const [key, a] of found) {
      const known = this.active.get(key);
      if (known && known.state !== 'inactive') {
        known.value = a.value;
        known.annotations = a.annotations;
      } else this.active.set(key, a);
    }

    const out: PromSeries[] = [];
    let activePending = 0;
    for (const [key, a] of this.active) {
      if (!found.has(key)) {
        let keepFiring = false;
        if (a.state === 'firing' && this.keepFiringForMs > 0) {
          if (a.keepFiringSince === 0) a.keepFiringSince = ts;
          if (ts - a.keepFiringSince < this.keepFiringForMs) keepFiring = true;
        }
        if (a.state === 'pending' || (a.resolvedAt !== 0 && ts - a.resolvedAt > RESOLVED_RETENTION_MS)) {
          this.active.delete(key);
        }
        if (a.state !== 'inactive' && !keepFiring) {
          a.state = 'inactive';
          a.resolvedAt = ts;
        }
        if (!keepFiring) continue;
      } else a.keepFiringSince = 0;
      activePending++;
      if (a.state === 'pending' && ts - a.activeAt >= this.holdMs) {
        a.state = 'firing';
        a.firedAt = ts;
      }
      if (this.restored) {
        const t = ts - ctx.queryOffsetMs;
        out.push(sample(this.alertsLabels(a), t, 1));
        out.push(sample(this.forStateLabels(a), t, Math.trunc(a.activeAt / 1000)));
      }
    }
    if (ctx.limit > 0 && activePending > ctx.limit) {
      this.active.clear();
      throw new Error(`exceeded limit of ${ctx.limit} with ${activePending} alerts`);
    }
    return out;
  }

  /**
   * The alerts to send at `ts` (firing ones not sent for `resendDelayMs`, newly resolved ones), marked as sent;
   * `validUntil` leaves room for two missed evaluations or sends.
   */
  alertsToSend(ts: number, resendDelayMs: number, intervalMs: number): Alert[] {
    const out: Alert[] = [];
    for (const a of this.active.values()) {
      if (a.state === 'pending') continue;
      const due = a.resolvedAt > a.lastSentAt || a.lastSentAt + resendDelayMs < ts;
      if (!due) continue;
      a.lastSentAt = ts;
      a.validUntil = ts + 4 * Math.max(resendDelayMs, intervalMs);
      out.push({ ...a });
    }
    return out;
  }
}
