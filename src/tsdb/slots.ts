// Growable byte slots in shared pages, for the head's open chunks: one Uint8Array per open chunk cost ~100 bytes of
// object overhead beside its 32 bytes, and the collector copied every one of them. A slot is one of nine sizes
// (16 bytes to 4 KiB, powers of two); a slot that is too small is given up for a larger one. Each size has its own
// pages and a list of free slots, so freed space is reused by the next slot of that size without compaction.
// A page whose slots are all free again leaves its size (its number is reused by the next page of that size) and
// becomes the next page of any size: as series' chunks grow, every slot of the smaller sizes is given up in turn,
// and pages kept for them were ~100 bytes a series of pages no slot would use again. A few such pages are kept for
// reuse; the rest are left to the collector.

const PAGE_BYTES = 1 << 16;
const MIN_SLOT_SHIFT = 4;
const SIZE_CLASSES = 9;
/** The low bits of a reference hold the size class, the rest the slot's number within that class. */
const CLASS_BITS = 4;
const CLASS_MASK = (1 << CLASS_BITS) - 1;
/** Emptied pages kept for the next new page, at most (1 MiB). */
const MAX_SPARE_PAGES = 16;

/** Slots of size class c in one page. */
function slotsPerPage(c: number): number {
  return PAGE_BYTES >>> (MIN_SLOT_SHIFT + c);
}

export class SlotArena {
  static readonly MAX_SLOT_BYTES = 1 << (MIN_SLOT_SHIFT + SIZE_CLASSES - 1);
  /** Per class, its pages by number; a page given back is undefined until its number is reused. */
  private readonly pages: (Uint8Array | undefined)[][] = Array.from({ length: SIZE_CLASSES }, () => []);
  /** The same pages as float64s (slots are 16-byte aligned). */
  private readonly f64Pages: (Float64Array | undefined)[][] = Array.from({ length: SIZE_CLASSES }, () => []);
  /** Per class and page number: slots handed out and not released. */
  private readonly inUse: number[][] = Array.from({ length: SIZE_CLASSES }, () => []);
  /** Per class: free slots of its pages. */
  private readonly free: number[][] = Array.from({ length: SIZE_CLASSES }, () => []);
  /** Per class: numbers of pages given back. */
  private readonly unusedPageNumbers: number[][] = Array.from({ length: SIZE_CLASSES }, () => []);
  /** Per class: pages whose slots all became free, to give back in one pass over the free list (see release). */
  private readonly emptied: number[][] = Array.from({ length: SIZE_CLASSES }, () => []);
  /** Per class and page number: whether the page is in `emptied`. */
  private readonly inEmptied: boolean[][] = Array.from({ length: SIZE_CLASSES }, () => []);
  /** Pages given back, all zeros (every slot is zeroed when released), for the next new page of any size. */
  private readonly sparePages: Uint8Array[] = [];
  private pagesHeld = 0;

  /** A zeroed slot of at least `bytes` bytes; its reference. */
  alloc(bytes: number): number {
    let c = 0;
    while (c < SIZE_CLASSES && 1 << (MIN_SLOT_SHIFT + c) < bytes) c++;
    if (c === SIZE_CLASSES) throw new RangeError(`a slot of ${bytes} bytes is larger than ${SlotArena.MAX_SLOT_BYTES}`);
    const ref = this.free[c]!.pop() ?? this.addPage(c);
    this.inUse[c]![Math.floor((ref >>> CLASS_BITS) / slotsPerPage(c))]!++;
    return ref;
  }

  /** A new page of class c, its slots but the first on the free list (lowest on top); the first slot. */
  private addPage(c: number): number {
    const p = this.unusedPageNumbers[c]!.pop() ?? this.pages[c]!.length;
    const page = this.sparePages.pop() ?? new Uint8Array(PAGE_BYTES);
    this.pages[c]![p] = page;
    this.f64Pages[c]![p] = new Float64Array(page.buffer);
    this.inUse[c]![p] = 0;
    this.pagesHeld++;
    const perPage = slotsPerPage(c);
    const first = p * perPage;
    const free = this.free[c]!;
    for (let n = first + perPage - 1; n > first; n--) free.push(n * (1 << CLASS_BITS) + c);
    return first * (1 << CLASS_BITS) + c;
  }

  /**
   * Gives a slot back; its bytes are zeroed for the next user. Pages whose slots are all free go too, while their
   * size keeps another page's worth of free slots besides (so a size that hovers at a page boundary does not make
   * and drop a page over and over). They go in one pass over the free list once their slots are half of it: a pass
   * per page cost a walk of the whole list each, ~1 s for 1M slots released in random order.
   */
  release(ref: number): void {
    this.page(ref).fill(0, this.offset(ref), this.offset(ref) + this.size(ref));
    const c = ref & CLASS_MASK;
    const perPage = slotsPerPage(c);
    const p = Math.floor((ref >>> CLASS_BITS) / perPage);
    const free = this.free[c]!;
    free.push(ref);
    if (--this.inUse[c]![p]! > 0 || this.inEmptied[c]![p]) return;
    const emptied = this.emptied[c]!;
    emptied.push(p);
    this.inEmptied[c]![p] = true;
    if (free.length >= 2 * perPage && 2 * emptied.length * perPage >= free.length) this.dropEmptied(c);
  }

  /** Gives back the emptied pages of class c still empty: their slots leave the free list, the pages go to spares. */
  private dropEmptied(c: number): void {
    const perPage = slotsPerPage(c);
    const free = this.free[c]!;
    const inUse = this.inUse[c]!;
    const dropping: number[] = [];
    const drop = new Uint8Array(this.pages[c]!.length);
    let left = free.length;
    for (const p of this.emptied[c]!) {
      this.inEmptied[c]![p] = false;
      if (inUse[p] === 0 && left >= 2 * perPage) {
        dropping.push(p);
        drop[p] = 1;
        left -= perPage;
      }
    }
    this.emptied[c]!.length = 0;
    let kept = 0;
    for (let i = 0; i < free.length; i++) {
      const ref = free[i]!;
      if (drop[Math.floor((ref >>> CLASS_BITS) / perPage)] === 0) free[kept++] = ref;
    }
    free.length = kept;
    for (const p of dropping) {
      if (this.sparePages.length < MAX_SPARE_PAGES) this.sparePages.push(this.pages[c]![p]!);
      this.pages[c]![p] = undefined;
      this.f64Pages[c]![p] = undefined;
      this.unusedPageNumbers[c]!.push(p);
      this.pagesHeld--;
    }
  }

  /** The page that holds the slot. */
  page(ref: number): Uint8Array {
    const c = ref & CLASS_MASK;
    return this.pages[c]![Math.floor((ref >>> CLASS_BITS) / slotsPerPage(c))]!;
  }

  /** The page that holds the slot, as float64s: the slot starts at offset(ref) / 8. */
  f64Page(ref: number): Float64Array {
    const c = ref & CLASS_MASK;
    return this.f64Pages[c]![Math.floor((ref >>> CLASS_BITS) / slotsPerPage(c))]!;
  }

  /** Where the slot starts in its page. */
  offset(ref: number): number {
    const c = ref & CLASS_MASK;
    return ((ref >>> CLASS_BITS) % slotsPerPage(c)) << (MIN_SLOT_SHIFT + c);
  }

  size(ref: number): number {
    return 1 << (MIN_SLOT_SHIFT + (ref & CLASS_MASK));
  }

  /** Bytes allocated for pages, spare ones included. */
  get allocatedBytes(): number {
    return (this.pagesHeld + this.sparePages.length) * PAGE_BYTES;
  }
}
