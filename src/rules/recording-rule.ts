// A recording rule as Prometheus 3.5 runs it (rules/recording.go): the expression's samples renamed to the record
// name, with the rule's labels set on them.
import type { PromSeries } from '../model/prometheus.js';
import { labelsKey } from '../model/labels.js';
import type { RuleDefinition } from './rule-file.js';
import { LabelBuilder } from './labels.js';
import { RuleBase, vectorSamples, type EvalContext } from './rule.js';

export class RecordingRule extends RuleBase {
  readonly kind = 'record';

  constructor(def: RuleDefinition, groupLabels: readonly [string, string][]) {
    super(def, groupLabels);
  }

  async eval(ctx: EvalContext, ts: number): Promise<PromSeries[]> {
    const t = ts - ctx.queryOffsetMs;
    const samples = vectorSamples(await ctx.query(this.exprText, t));
    const out: PromSeries[] = [];
    const seen = new Set<string>();
    for (const s of samples) {
      const b = new LabelBuilder(s.labels).set('__name__', this.name);
      for (const l of this.labels) b.set(l.name, l.value);
      const labels = b.labels();
      const key = labelsKey(labels);
      if (seen.has(key)) throw new Error('vector contains metrics with the same labelset after applying rule labels');
      seen.add(key);
      out.push({ labels, timestamps: [t], values: [s.value] });
    }
    if (ctx.limit > 0 && out.length > ctx.limit)
      throw new Error(`exceeded limit of ${ctx.limit} with ${out.length} series`);
    return out;
  }
}
