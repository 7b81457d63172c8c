// A problem that repeats every evaluation (an Alertmanager down, a queue that overflows) is logged at most once
// per interval, with how often it happened since the last line: the counters have every occurrence.

export class LogThrottle {
  private lastLoggedAt = -Infinity;
  private unlogged = 0;

  constructor(private readonly intervalMs: number) {}

  /**
   * Counts `n` occurrences. Once per interval returns the occurrences since the last line that was logged (these
   * included), and the caller logs; otherwise undefined.
   */
  due(n = 1, now = Date.now()): number | undefined {
    this.unlogged += n;
    if (now - this.lastLoggedAt < this.intervalMs) return undefined;
    const count = this.unlogged;
    this.lastLoggedAt = now;
    this.unlogged = 0;
    return count;
  }
}
