// Admission control for data-reading API requests, fair between tenants: at most `maxConcurrent` run at once and
// at most `maxConcurrentPerTenant` of one tenant; the others wait in their tenant's own FIFO queue (at most
// `maxQueuedPerTenant` each, `maxQueued` in all, each no longer than its own deadline) and anything beyond is
// refused at once with 503. A freed slot goes to the next tenant in turn that has a waiter and room, so a tenant
// flooding the API waits behind its own queries while another tenant's query runs at the next free slot.
// Refusing early keeps memory bounded: every running query holds its fetched samples. The ruler's evaluations take
// the same slots (the server hands it this limiter): a tenant's rules and its API queries share its budget.
import { ApiError } from './params.js';

export interface ConcurrencyLimits {
  maxConcurrent: number;
  maxConcurrentPerTenant: number;
  maxQueued: number;
  maxQueuedPerTenant: number;
}

/** The --query-max-concurrency* limits; those not given derive from maxConcurrent. */
export interface QueryConcurrency {
  maxConcurrent: number;
  /** Default a quarter of maxConcurrent (at least 1): one tenant's flood leaves three quarters to the others. */
  maxConcurrentPerTenant?: number;
  /** Default 4 × maxConcurrent. */
  maxQueued?: number;
  /** Default 4 × maxConcurrentPerTenant. */
  maxQueuedPerTenant?: number;
}

/** The limiter of the query API and the ruler, from the configured limits. */
export function queryConcurrencyLimiter(limits: QueryConcurrency): ConcurrencyLimiter {
  const perTenant = limits.maxConcurrentPerTenant ?? Math.max(1, Math.ceil(limits.maxConcurrent / 4));
  return new ConcurrencyLimiter({
    maxConcurrent: limits.maxConcurrent,
    maxConcurrentPerTenant: perTenant,
    maxQueued: limits.maxQueued ?? 4 * limits.maxConcurrent,
    maxQueuedPerTenant: limits.maxQueuedPerTenant ?? 4 * perTenant,
  });
}

interface Waiter {
  tenant: string;
  grant: () => void;
  timer: NodeJS.Timeout;
}

interface TenantState {
  running: number;
  queue: Waiter[];
}

export class ConcurrencyLimiter {
  private running = 0;
  private waitingCount = 0;
  private readonly tenants = new Map<string, TenantState>();
  /** Tenants with waiters, in the order their turn comes. */
  private turns: string[] = [];
  private readonly watchers: (() => void)[] = [];

  constructor(readonly limits: ConcurrencyLimits) {}

  get inFlight(): number {
    return this.running;
  }

  get waiting(): number {
    return this.waitingCount;
  }

  /** Calls `fn` whenever inFlight or waiting changes (the query API's gauges). */
  onChange(fn: () => void): void {
    this.watchers.push(fn);
  }

  private changed(): void {
    for (const fn of this.watchers) fn();
  }

  /**
   * Resolves with a release function once a slot is free; ApiError (503) when the queues are full, when `waitMs`
   * passes, or when `signal` aborts (the client went away: its place in the queue is given up at once).
   */
  acquire(tenant: string, waitMs: number, signal?: AbortSignal): Promise<() => void> {
    const t = this.tenant(tenant);
    if (this.running < this.limits.maxConcurrent && t.running < this.limits.maxConcurrentPerTenant) {
      this.start(t);
      this.changed();
      return Promise.resolve(this.releaser(tenant));
    }
    if (t.queue.length >= this.limits.maxQueuedPerTenant || this.waitingCount >= this.limits.maxQueued) {
      return Promise.reject(
        new ApiError(
          'unavailable',
          `too many concurrent queries: tenant ${JSON.stringify(tenant)} has ${t.running} running and ${t.queue.length} ` +
            `waiting (limits ${this.limits.maxConcurrentPerTenant} and ${this.limits.maxQueuedPerTenant}), ` +
            `${this.running} running and ${this.waitingCount} waiting in all; retry later`,
          503,
          'concurrency',
        ),
      );
    }
    return new Promise((resolve, reject) => {
      const leave = (err: ApiError) => {
        clearTimeout(waiter.timer);
        signal?.removeEventListener('abort', gone);
        const i = t.queue.indexOf(waiter);
        if (i < 0) return;
        t.queue.splice(i, 1);
        this.waitingCount--;
        if (t.queue.length === 0) this.turns = this.turns.filter((name) => name !== tenant);
        this.changed();
        reject(err);
      };
      const gone = () => leave(new ApiError('canceled', 'query canceled: the client went away', 499, 'canceled'));
      const waiter: Waiter = {
        tenant,
        grant: () => {
          clearTimeout(waiter.timer);
          signal?.removeEventListener('abort', gone);
          resolve(this.releaser(tenant));
        },
        timer: setTimeout(
          () => leave(new ApiError('timeout', 'query timed out in query queue', 503, 'queue_timeout')),
          Math.max(0, waitMs),
        ),
      };
      signal?.addEventListener('abort', gone);
      if (t.queue.length === 0) this.turns.push(tenant);
      t.queue.push(waiter);
      this.waitingCount++;
      this.changed();
    });
  }

  private tenant(name: string): TenantState {
    let t = this.tenants.get(name);
    if (!t) this.tenants.set(name, (t = { running: 0, queue: [] }));
    return t;
  }

  private start(t: TenantState): void {
    this.running++;
    t.running++;
  }

  private releaser(tenant: string): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const t = this.tenant(tenant);
      this.running--;
      t.running--;
      this.dispatch();
      if (t.running === 0 && t.queue.length === 0) this.tenants.delete(tenant);
      this.changed();
    };
  }

  /** Gives free slots to waiters: each tenant in turn with a waiter and room gets one, then goes to the back. */
  private dispatch(): void {
    let scanned = 0;
    while (this.running < this.limits.maxConcurrent && scanned < this.turns.length) {
      const name = this.turns.shift()!;
      const t = this.tenants.get(name);
      if (!t || t.queue.length === 0) continue;
      if (t.running >= this.limits.maxConcurrentPerTenant) {
        this.turns.push(name);
        scanned++;
        continue;
      }
      const w = t.queue.shift()!;
      this.waitingCount--;
      this.start(t);
      if (t.queue.length > 0) this.turns.push(name);
      scanned = 0;
      w.grant();
    }
  }
}
