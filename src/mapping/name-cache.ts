import type { Naming } from './label-rules.js';
import { sanitizeLabelName, sanitizeMetricName } from './names.js';

/** Names kept per kind at most; past it, trim() starts over. */
const NAME_CACHE_LIMIT = 100_000;

/**
 * Metric and label names as names.ts sanitizes them, cached (most identities share their names): the Naming of a
 * Mapper, all tenants together. With `keepUtf8Names`, metric names are kept as sent.
 */
export class NameCache implements Naming {
  private readonly metricNames = new Map<string, string>();
  private readonly labelNames = new Map<string, string>();

  constructor(private readonly keepUtf8Names: boolean) {}

  metricName(raw: string): string {
    if (this.keepUtf8Names) return raw;
    let n = this.metricNames.get(raw);
    if (n === undefined) this.metricNames.set(raw, (n = sanitizeMetricName(raw)));
    return n;
  }

  labelName(raw: string): string {
    let n = this.labelNames.get(raw);
    if (n === undefined) this.labelNames.set(raw, (n = sanitizeLabelName(raw)));
    return n;
  }

  /** Forgets the names of a kind that went past NAME_CACHE_LIMIT (between requests). */
  trim(): void {
    if (this.metricNames.size > NAME_CACHE_LIMIT) this.metricNames.clear();
    if (this.labelNames.size > NAME_CACHE_LIMIT) this.labelNames.clear();
  }
}
