// Samples per second per tenant (`limits.samples_per_second`): a token bucket per tenant, refilled at the rate and
// holding at most the burst. A payload is admitted when the bucket holds its samples, or a full burst for a payload
// larger than the burst; the bucket may then go below zero, so a payload the burst cannot hold is still stored once
// in a while and the long-run rate stays the limit.

export interface IngestRateLimit {
  samplesPerSecond: number;
  /** Samples the bucket holds at most: what a tenant may send at once after a quiet spell. */
  burst: number;
}

/** An HTTP payload over its tenant's rate: answered 429 with Retry-After (the Agent retries a 429 later). */
export class RateLimitedError extends Error {
  override name = 'RateLimitedError';
  constructor(
    message: string,
    readonly retryAfterSeconds: number,
  ) {
    super(message);
  }
}

interface Bucket {
  tokens: number;
  atMs: number;
}

export class IngestRateLimiter {
  private readonly buckets = new Map<string, Bucket>();

  /** `limitOf` gives a tenant's limit, or undefined when its samples are not bounded. */
  constructor(private readonly limitOf: (tenant: string) => IngestRateLimit | undefined) {}

  limit(tenant: string): IngestRateLimit | undefined {
    return this.limitOf(tenant);
  }

  /** Takes `samples` from the tenant's bucket: 0 when admitted, else the seconds until they would be. */
  take(tenant: string, samples: number, nowMs: number): number {
    const limit = this.limitOf(tenant);
    if (limit === undefined || samples === 0) return 0;
    let b = this.buckets.get(tenant);
    if (b === undefined) {
      b = { tokens: limit.burst, atMs: nowMs };
      this.buckets.set(tenant, b);
    }
    const elapsedS = Math.max(0, nowMs - b.atMs) / 1000;
    b.tokens = Math.min(limit.burst, b.tokens + elapsedS * limit.samplesPerSecond);
    b.atMs = nowMs;
    const needed = Math.min(samples, limit.burst);
    if (b.tokens >= needed) {
      b.tokens -= samples;
      return 0;
    }
    return (needed - b.tokens) / limit.samplesPerSecond;
  }
}
