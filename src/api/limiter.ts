// Admission control for data-reading API requests: at most `maxConcurrent` run at once, up to `maxQueued` more
// wait in FIFO order (each no longer than its own deadline), anything beyond is refused at once. Refusing early
// keeps memory bounded: every running query holds its fetched samples.
import { ApiError } from './params.js';

interface Waiter {
  resolve: () => void;
  timer: NodeJS.Timeout;
}

export class ConcurrencyLimiter {
  private running = 0;
  private readonly queue: Waiter[] = [];

  constructor(
    readonly maxConcurrent: number,
    readonly maxQueued: number,
  ) {}

  get inFlight(): number {
    return this.running;
  }

  get waiting(): number {
    return this.queue.length;
  }

  /** Resolves with a release function once a slot is free; ApiError (503) when the queue is full or `waitMs` passes. */
  acquire(waitMs: number): Promise<() => void> {
    if (this.running < this.maxConcurrent) {
      this.running++;
      return Promise.resolve(this.releaser());
    }
    if (this.queue.length >= this.maxQueued) {
      return Promise.reject(
        new ApiError(
          'unavailable',
          `too many concurrent queries: ${this.running} running and ${this.queue.length} waiting (limits ${this.maxConcurrent} and ${this.maxQueued}); retry later`,
          503,
          'concurrency',
        ),
      );
    }
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        resolve: () => {
          clearTimeout(waiter.timer);
          resolve(this.releaser());
        },
        timer: setTimeout(
          () => {
            const i = this.queue.indexOf(waiter);
            if (i >= 0) this.queue.splice(i, 1);
            reject(new ApiError('timeout', 'query timed out in query queue', 503, 'queue_timeout'));
          },
          Math.max(0, waitMs),
        ),
      };
      this.queue.push(waiter);
    });
  }

  private releaser(): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.queue.shift();
      // The slot passes straight to the next waiter: `running` stays the same.
      if (next) next.resolve();
      else this.running--;
    };
  }
}
