// The notification queue: bounded, first in first out, and when full the oldest entries make room for the newest
// (Prometheus' notifier does the same: a fresh state of an alert is worth more than a stale one).

export class DropOldestQueue<T> {
  private readonly slots: (T | undefined)[];
  private head = 0;
  private size = 0;

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new Error(`queue capacity must be a positive integer`);
    this.slots = new Array<T | undefined>(capacity);
  }

  get length(): number {
    return this.size;
  }

  /** Appends `items` in order; returns how many entries (queued ones first, then the first of `items`) were dropped. */
  push(items: readonly T[]): number {
    const dropped = Math.max(0, this.size + items.length - this.capacity);
    const fromQueue = Math.min(dropped, this.size);
    this.discard(fromQueue);
    for (let i = dropped - fromQueue; i < items.length; i++) {
      this.slots[(this.head + this.size) % this.capacity] = items[i];
      this.size++;
    }
    return dropped;
  }

  /** Removes and returns up to `max` of the oldest entries. */
  take(max: number): T[] {
    const n = Math.min(max, this.size);
    const out = new Array<T>(n);
    for (let i = 0; i < n; i++) out[i] = this.slots[(this.head + i) % this.capacity] as T;
    this.discard(n);
    return out;
  }

  /** Empties the queue; returns how many entries it held. */
  clear(): number {
    const n = this.size;
    this.discard(n);
    return n;
  }

  private discard(n: number): void {
    for (let i = 0; i < n; i++) this.slots[(this.head + i) % this.capacity] = undefined;
    this.head = (this.head + n) % this.capacity;
    this.size -= n;
  }
}
