// Growable byte slots in shared pages, for the head's open chunks: one Uint8Array per open chunk cost ~100 bytes of
// object overhead beside its 32 bytes, and the collector copied every one of them. A slot is one of nine sizes
// (16 bytes to 4 KiB, powers of two); a slot that is too small is given up for a larger one. Each size has its own
// pages and a list of free slots, so freed space is reused by the next slot of that size without compaction.

const PAGE_BYTES = 1 << 16;
const MIN_SLOT_SHIFT = 4;
const SIZE_CLASSES = 9;
/** The low bits of a reference hold the size class, the rest the slot's number within that class. */
const CLASS_BITS = 4;
const CLASS_MASK = (1 << CLASS_BITS) - 1;

export class SlotArena {
  static readonly MAX_SLOT_BYTES = 1 << (MIN_SLOT_SHIFT + SIZE_CLASSES - 1);
  private readonly pages: Uint8Array[][] = Array.from({ length: SIZE_CLASSES }, () => []);
  /** The same pages as float64s (slots are 16-byte aligned). */
  private readonly f64Pages: Float64Array[][] = Array.from({ length: SIZE_CLASSES }, () => []);
  /** Per class: slot numbers handed out so far (used and free). */
  private readonly issued = new Array<number>(SIZE_CLASSES).fill(0);
  private readonly free: number[][] = Array.from({ length: SIZE_CLASSES }, () => []);

  /** A zeroed slot of at least `bytes` bytes; its reference. */
  alloc(bytes: number): number {
    let c = 0;
    while (c < SIZE_CLASSES && 1 << (MIN_SLOT_SHIFT + c) < bytes) c++;
    if (c === SIZE_CLASSES) throw new RangeError(`a slot of ${bytes} bytes is larger than ${SlotArena.MAX_SLOT_BYTES}`);
    const reused = this.free[c]!.pop();
    if (reused !== undefined) return reused;
    const n = this.issued[c]!++;
    const perPage = PAGE_BYTES >>> (MIN_SLOT_SHIFT + c);
    if (n % perPage === 0) {
      const page = new Uint8Array(PAGE_BYTES);
      this.pages[c]!.push(page);
      this.f64Pages[c]!.push(new Float64Array(page.buffer));
    }
    return n * (1 << CLASS_BITS) + c;
  }

  /** Gives a slot back; its bytes are zeroed for the next user. */
  release(ref: number): void {
    this.page(ref).fill(0, this.offset(ref), this.offset(ref) + this.size(ref));
    this.free[ref & CLASS_MASK]!.push(ref);
  }

  /** The page that holds the slot. */
  page(ref: number): Uint8Array {
    const c = ref & CLASS_MASK;
    const n = ref >>> CLASS_BITS;
    return this.pages[c]![Math.floor(n / (PAGE_BYTES >>> (MIN_SLOT_SHIFT + c)))]!;
  }

  /** The page that holds the slot, as float64s: the slot starts at offset(ref) / 8. */
  f64Page(ref: number): Float64Array {
    const c = ref & CLASS_MASK;
    const n = ref >>> CLASS_BITS;
    return this.f64Pages[c]![Math.floor(n / (PAGE_BYTES >>> (MIN_SLOT_SHIFT + c)))]!;
  }

  /** Where the slot starts in its page. */
  offset(ref: number): number {
    const c = ref & CLASS_MASK;
    const n = ref >>> CLASS_BITS;
    return (n % (PAGE_BYTES >>> (MIN_SLOT_SHIFT + c))) << (MIN_SLOT_SHIFT + c);
  }

  size(ref: number): number {
    return 1 << (MIN_SLOT_SHIFT + (ref & CLASS_MASK));
  }

  /** Bytes allocated for pages. */
  get allocatedBytes(): number {
    let n = 0;
    for (const p of this.pages) n += p.length * PAGE_BYTES;
    return n;
  }
}
