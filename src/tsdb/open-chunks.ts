// The head's open chunks, one per series that is being appended to, without an object per series: each open chunk
// is a row of typed-array columns (the appender's state) and a slot of shared pages (its bytes). An append loads the
// row into one shared ChunkAppender, appends, and stores the row back. A ChunkAppender per series with its own
// Uint8Array and boxed numbers was ~430 bytes of heap a series, all of it copied by the collector as the head grew.
// Rows are reused when chunks close, so the columns are as long as the most chunks ever open at once.

import { ChunkAppender } from './chunk.js';
import { SlotArena } from './slots.js';

/** Bytes a new open chunk's slot starts with: a few samples, most series' first flushes. */
const INITIAL_SLOT_BYTES = 32;

/** The open chunks' state, a column per ChunkAppender field, indexed by row. */
class Columns {
  slot: Uint32Array;
  bitPos: Uint16Array; // a chunk is at most SlotArena.MAX_SLOT_BYTES (4 KiB): 32 Ki bits
  count: Uint8Array;
  encoding: Uint8Array;
  scale: Uint8Array;
  leading: Uint8Array;
  trailing: Uint8Array;
  vHi: Int32Array;
  vLo: Int32Array;
  minT: Float64Array;
  maxT: Float64Array;
  tDelta: Float64Array;
  m: Float64Array;
  mDelta: Float64Array;

  /** Bytes a row takes in all columns. */
  static readonly ROW_BYTES = 4 + 2 + 5 * 1 + 2 * 4 + 5 * 8;

  constructor(
    readonly length: number,
    from?: Columns,
  ) {
    this.slot = grown(new Uint32Array(length), from?.slot);
    this.bitPos = grown(new Uint16Array(length), from?.bitPos);
    this.count = grown(new Uint8Array(length), from?.count);
    this.encoding = grown(new Uint8Array(length), from?.encoding);
    this.scale = grown(new Uint8Array(length), from?.scale);
    this.leading = grown(new Uint8Array(length), from?.leading);
    this.trailing = grown(new Uint8Array(length), from?.trailing);
    this.vHi = grown(new Int32Array(length), from?.vHi);
    this.vLo = grown(new Int32Array(length), from?.vLo);
    this.minT = grown(new Float64Array(length), from?.minT);
    this.maxT = grown(new Float64Array(length), from?.maxT);
    this.tDelta = grown(new Float64Array(length), from?.tDelta);
    this.m = grown(new Float64Array(length), from?.m);
    this.mDelta = grown(new Float64Array(length), from?.mDelta);
  }
}

function grown<T extends Uint8Array | Uint16Array | Uint32Array | Int32Array | Float64Array>(
  to: T,
  from: T | undefined,
): T {
  if (from !== undefined) to.set(from);
  return to;
}

/** The one appender of all open chunks, pointed at a row's state and slot for each call. */
class RowAppender extends ChunkAppender {
  slot = 0;
  constructor(private readonly slots: SlotArena) {
    super();
  }

  /** Moves the chunk to a slot of at least `bytes` bytes. */
  protected override grow(bytes: number): void {
    const slots = this.slots;
    const moved = slots.alloc(Math.min(Math.max(this.capacity * 2, bytes), SlotArena.MAX_SLOT_BYTES));
    slots.page(moved).set(this.view(), slots.offset(moved));
    slots.release(this.slot);
    this.point(moved);
  }

  /** An empty chunk in a fresh (zeroed) slot. */
  start(slot: number): void {
    this.point(slot);
    this.clear();
  }

  /** Points the appender at a slot's bytes. */
  point(slot: number): void {
    const slots = this.slots;
    this.slot = slot;
    this.buf = slots.page(slot);
    this.base = slots.offset(slot);
    this.capacity = slots.size(slot);
  }

  load(cols: Columns, row: number): void {
    this.point(cols.slot[row]!);
    this.bitPos = cols.bitPos[row]!;
    this.count = cols.count[row]!;
    this.encoding = cols.encoding[row]!;
    this.scale = cols.scale[row]!;
    this.leading = cols.leading[row]!;
    this.trailing = cols.trailing[row]!;
    this.vHi = cols.vHi[row]!;
    this.vLo = cols.vLo[row]!;
    this.minT = cols.minT[row]!;
    this.maxT = cols.maxT[row]!;
    this.tDelta = cols.tDelta[row]!;
    this.m = cols.m[row]!;
    this.mDelta = cols.mDelta[row]!;
  }

  store(cols: Columns, row: number): void {
    cols.slot[row] = this.slot;
    cols.bitPos[row] = this.bitPos;
    cols.count[row] = this.count;
    cols.encoding[row] = this.encoding;
    cols.scale[row] = this.scale;
    cols.leading[row] = this.leading;
    cols.trailing[row] = this.trailing;
    cols.vHi[row] = this.vHi;
    cols.vLo[row] = this.vLo;
    cols.minT[row] = this.minT;
    cols.maxT[row] = this.maxT;
    cols.tDelta[row] = this.tDelta;
    cols.m[row] = this.m;
    cols.mDelta[row] = this.mDelta;
  }
}

export class OpenChunks {
  private readonly slots = new SlotArena();
  private readonly cursor = new RowAppender(this.slots);
  /** The row the cursor holds (its state is also stored in the columns after every change); -1 when none. */
  private loaded = -1;
  private cols = new Columns(0);
  private rows = 0;
  private readonly freeRows: number[] = [];

  /** A new, empty open chunk; its row. */
  open(): number {
    let row = this.freeRows.pop();
    if (row === undefined) {
      row = this.rows++;
      if (row === this.cols.length) this.cols = new Columns(Math.max(1024, row * 2), this.cols);
    }
    const c = this.cursor;
    c.start(this.slots.alloc(INITIAL_SLOT_BYTES));
    c.store(this.cols, row);
    this.loaded = row;
    return row;
  }

  /** Frees the row and its slot. */
  close(row: number): void {
    if (this.loaded === row) this.loaded = -1;
    this.slots.release(this.cols.slot[row]!);
    this.freeRows.push(row);
  }

  /** Empties the row's chunk for the next one, keeping its slot. */
  reset(row: number): void {
    this.load(row).reset();
    this.cursor.store(this.cols, row);
  }

  append(row: number, t: number, v: number): void {
    this.load(row).append(t, v);
    this.cursor.store(this.cols, row);
  }

  /** Rows opened and not closed. */
  get rowsInUse(): number {
    return this.rows - this.freeRows.length;
  }

  sampleCount(row: number): number {
    return this.cols.count[row]!;
  }
  minTime(row: number): number {
    return this.cols.minT[row]!;
  }
  maxTime(row: number): number {
    return this.cols.maxT[row]!;
  }
  /** The newest sample's value (its bits as stored). */
  lastValue(row: number): number {
    return this.load(row).lastValue;
  }
  /** The chunk's bytes, a view of the shared pages: valid until the next change to an open chunk. */
  view(row: number): Uint8Array {
    return this.load(row).view();
  }

  /** Bytes allocated for the columns and the slots' pages. */
  get allocatedBytes(): number {
    return this.cols.length * Columns.ROW_BYTES + this.slots.allocatedBytes;
  }

  private load(row: number): RowAppender {
    const c = this.cursor;
    if (this.loaded !== row) {
      c.load(this.cols, row);
      this.loaded = row;
    }
    return c;
  }
}
