/** Cells of a fresh index (a power of two; doubles when half full). */
const START_CELLS = 1024;

/**
 * Slots (the row numbers of a columnar table) by their hash (an int32), in two typed arrays: open addressing with
 * linear probing, at most half full. Per slot 8–16 bytes and no object, where a `Map` entry costs ~40 bytes; a table
 * with 100,000s of series rows keeps no JS object per row. A removed slot's cell is filled by shifting back the
 * slots probed past it (no tombstones); its number is not reused. Probe for the slots of a hash with `start`, `slotAt` (-1: none left) and `next`, comparing `hashOf`.
 */
export class SlotIndex {
  private cells = new Int32Array(START_CELLS).fill(-1);
  private mask = START_CELLS - 1;
  private hashes = new Int32Array(START_CELLS / 2);
  size = 0;

  /** The first cell to probe for `hash`. */
  start(hash: number): number {
    return hash & this.mask;
  }

  /** The slot in `cell`, or -1 when it is empty (no further slot of the hash). */
  slotAt(cell: number): number {
    return this.cells[cell]!;
  }

  next(cell: number): number {
    return (cell + 1) & this.mask;
  }

  hashOf(slot: number): number {
    return this.hashes[slot]!;
  }

  /** How many slots of `hash` there are, counting up to `max`. */
  count(hash: number, max: number): number {
    let n = 0;
    for (let c = this.start(hash), k: number; n < max && (k = this.cells[c]!) >= 0; c = this.next(c))
      if (this.hashes[k] === hash) n++;
    return n;
  }

  /** Files `slot` (the next row number, or any not filed yet) under `hash`. */
  add(hash: number, slot: number): void {
    if (slot >= this.hashes.length) {
      const grown = new Int32Array(Math.max(2 * this.hashes.length, slot + 1));
      grown.set(this.hashes);
      this.hashes = grown;
    }
    this.hashes[slot] = hash;
    if (2 * (this.size + 1) > this.cells.length) this.grow();
    this.place(hash, slot);
    this.size++;
  }

  /** Removes `slot` (filed, and not removed before). */
  remove(slot: number): void {
    let hole = this.start(this.hashes[slot]!);
    while (this.cells[hole] !== slot) hole = this.next(hole);
    for (let c = this.next(hole), k: number; (k = this.cells[c]!) >= 0; c = this.next(c)) {
      // Slot k may fill the hole if the hole is on its probe path: between its first cell and c.
      if (((c - this.start(this.hashes[k]!)) & this.mask) >= ((c - hole) & this.mask)) {
        this.cells[hole] = k;
        hole = c;
      }
    }
    this.cells[hole] = -1;
    this.size--;
  }

  private place(hash: number, slot: number): void {
    let c = this.start(hash);
    while (this.cells[c]! >= 0) c = this.next(c);
    this.cells[c] = slot;
  }

  private grow(): void {
    const old = this.cells;
    this.cells = new Int32Array(2 * old.length).fill(-1);
    this.mask = this.cells.length - 1;
    for (const slot of old) if (slot >= 0) this.place(this.hashes[slot]!, slot);
  }
}
