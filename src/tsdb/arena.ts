// Closed head chunks live in large shared pages instead of one Uint8Array each: a typed array costs ~150 bytes of
// object overhead, more than a typical 120-sample chunk (~50-200 bytes). A chunk is addressed by a number,
// page * PAGE_BYTES + offset, and stored with a u16 length prefix. Pages are append-only; space of dropped chunks is
// reclaimed by copying the live chunks into a fresh arena (the head does that when it truncates).

const PAGE_BYTES = 1 << 18;

export class ChunkArena {
  static readonly PAGE_BYTES = PAGE_BYTES;
  private pages: Uint8Array[] = [];
  private page: Uint8Array | undefined;
  private offset = PAGE_BYTES;
  /** Bytes of live and dead chunks (with prefixes) in the pages. */
  usedBytes = 0;

  /** Copies a chunk in; returns its reference. */
  add(chunk: Uint8Array): number {
    const need = chunk.length + 2;
    if (need > PAGE_BYTES) throw new RangeError(`chunk of ${chunk.length} bytes does not fit an arena page`);
    if (this.offset + need > PAGE_BYTES) {
      this.page = new Uint8Array(PAGE_BYTES);
      this.pages.push(this.page);
      this.offset = 0;
    }
    const page = this.page!;
    const off = this.offset;
    page[off] = chunk.length >>> 8;
    page[off + 1] = chunk.length & 0xff;
    page.set(chunk, off + 2);
    this.offset += need;
    this.usedBytes += need;
    return (this.pages.length - 1) * PAGE_BYTES + off;
  }

  /** The chunk's bytes (a view: valid as long as the caller holds it, pages are never overwritten). */
  get(ref: number): Uint8Array {
    const page = this.pages[Math.floor(ref / PAGE_BYTES)]!;
    const off = ref % PAGE_BYTES;
    return page.subarray(off + 2, off + 2 + ((page[off]! << 8) | page[off + 1]!));
  }

  /** Bytes allocated for pages. */
  get allocatedBytes(): number {
    return this.pages.length * PAGE_BYTES;
  }
}
