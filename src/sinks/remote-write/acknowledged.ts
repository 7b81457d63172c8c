// Remote-write requests a target acknowledged, remembered so that the Agent's retry of a payload that reached some
// targets and not others goes to the ones that failed only. A target that already holds a request would otherwise
// get it again: Prometheus answers 400 "out of order sample" to samples older than its newest (and nothing in that
// answer says whether they are the same samples), VictoriaMetrics stores them twice.
//
// The key is a hash of the tenant and the request body, the exact bytes the target acknowledged: the same Agent
// payload mapped the same way gives the same bytes. Bounded in entries and in age; the oldest go first.
import { createHash } from 'node:crypto';

export const DEFAULT_ACKNOWLEDGED_MAX_ENTRIES = 100_000;
/** Older retries are not worth remembering: Prometheus refuses samples more than about an hour behind its newest. */
export const DEFAULT_ACKNOWLEDGED_MAX_AGE_MS = 3600_000;

/** 128 bits of SHA-256 over the tenant and the body, base64. */
export function requestKey(tenant: string, body: Buffer): string {
  return createHash('sha256').update(tenant).update('\u0000').update(body).digest().toString('base64', 0, 16);
}

export class AcknowledgedRequests {
  /** Key → when it was acknowledged; insertion order is age order (a key acknowledged again moves to the end). */
  private readonly acknowledgedMs = new Map<string, number>();

  constructor(
    private readonly maxEntries = DEFAULT_ACKNOWLEDGED_MAX_ENTRIES,
    private readonly maxAgeMs = DEFAULT_ACKNOWLEDGED_MAX_AGE_MS,
  ) {}

  get size(): number {
    return this.acknowledgedMs.size;
  }

  has(key: string, nowMs = Date.now()): boolean {
    const at = this.acknowledgedMs.get(key);
    return at !== undefined && nowMs - at <= this.maxAgeMs;
  }

  add(key: string, nowMs = Date.now()): void {
    this.acknowledgedMs.delete(key);
    this.acknowledgedMs.set(key, nowMs);
    for (const [oldest, at] of this.acknowledgedMs) {
      if (this.acknowledgedMs.size <= this.maxEntries && nowMs - at <= this.maxAgeMs) break;
      this.acknowledgedMs.delete(oldest);
    }
  }
}
