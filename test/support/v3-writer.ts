import { ProtoWriter, type DogsketchInput, type MetricSeriesInput, type SketchInput } from './proto-writer.js';
import { V3_COLUMNS } from '../../src/intake/decoders/metrics-v3-columns.js';

// An intake_v3 writer for tests and benchmarks (not used on the intake path): encodes the same inputs as the v2
// writers (MetricSeriesInput, SketchInput) into v3's columns the way the Agent's columnar serializer does —
// dictionaries interned per payload (base 1, entry 0 the empty value), tag sets sorted by string index and delta
// encoded, reference columns delta encoded over the payload, the smallest value type that holds every value of a
// metric exactly — with options that exercise the rest of the format (splices, payload metadata, units, column order).
// buildV3Columns gives the columns one by one so tests can damage one; assembleV3 puts them into a Payload.

export interface V3WriterOptions {
  /**
   * How many leading tags of a series or sketch go into a set of their own that its set splices in (the Agent does
   * this for a composite tag set whose first part has more than one tag). Default: none.
   */
  splitTags?: (tags: readonly string[], i: number) => number;
  /** Payload metadata: tags and resources that apply to every metric. */
  metadata?: { tags?: string[]; resources?: { type: string; name: string }[] };
  /** `smallest` (the Agent's choice per metric) or every metric in one value column. Default: smallest. */
  valueType?: 'smallest' | 'sint64' | 'float32' | 'float64';
  /** Sets the no-index flag on metric i. */
  noIndex?: (i: number) => boolean;
  /** Origin (product, category, service) of metric i. Default: (10, 0, 0) like a check. */
  origin?: (i: number) => [number, number, number];
}

export interface V3Input {
  series?: readonly MetricSeriesInput[];
  sketches?: readonly SketchInput[];
}

export const METRIC_TYPE_SKETCH = 4;
export const VALUE_ZERO = 0x00;
export const VALUE_SINT64 = 0x10;
export const VALUE_FLOAT32 = 0x20;
export const VALUE_FLOAT64 = 0x30;
export const FLAG_NO_INDEX = 0x100;
export const FLAG_HAS_UNIT = 0x200;

export { V3_COLUMNS };

/** Zigzag encoding of a signed integer (exact up to ±2^52). */
export function zigzag(n: number): number {
  return n >= 0 ? 2 * n : -2 * n - 1;
}

/** The Agent's value type for one value: zero, an integer within ±2^48, a float32 that is exact, else float64. */
export function smallestValueType(v: number): number {
  if (v === 0) return VALUE_ZERO;
  if (Number.isInteger(v) && v >= -(2 ** 48) && v <= 2 ** 48 - 1) return VALUE_SINT64;
  // ±Inf fit a float32; NaN does not compare equal and goes to float64, as in the Agent.
  if (Math.fround(v) === v) return VALUE_FLOAT32;
  return VALUE_FLOAT64;
}

/** Values interned in order of first use, numbered from 1 (0 is the empty value). */
class Interner<K> {
  private readonly ids = new Map<K, number>();

  id(key: K, add: (key: K) => void): number {
    let id = this.ids.get(key);
    if (id === undefined) {
      id = this.ids.size + 1;
      this.ids.set(key, id);
      add(key);
    }
    return id;
  }
}

/** Running difference for a delta-encoded column. */
class Delta {
  private previous = 0;

  next(v: number): number {
    const d = v - this.previous;
    this.previous = v;
    return d;
  }
}

/** Packed bytes of each column, by field number. */
export type V3Columns = Map<number, Buffer>;

class ColumnsBuilder {
  private readonly writers = new Map<number, ProtoWriter>();

  private w(field: number): ProtoWriter {
    let w = this.writers.get(field);
    if (w === undefined) this.writers.set(field, (w = new ProtoWriter()));
    return w;
  }

  uvarint(field: number, v: number): void {
    this.w(field).varint(v);
  }

  sint64(field: number, v: number): void {
    this.w(field).varint(zigzag(v));
  }

  string(field: number, s: string): void {
    const bytes = Buffer.from(s, 'utf8');
    this.w(field).varint(bytes.length).raw(bytes);
  }

  float32(field: number, v: number): void {
    const b = Buffer.alloc(4);
    b.writeFloatLE(v);
    this.w(field).raw(b);
  }

  float64(field: number, v: number): void {
    const b = Buffer.alloc(8);
    b.writeDoubleLE(v);
    this.w(field).raw(b);
  }

  finish(): V3Columns {
    const out: V3Columns = new Map();
    for (const [field, w] of [...this.writers].sort((a, b) => a[0] - b[0])) out.set(field, w.finish());
    return out;
  }
}

const C = V3_COLUMNS;

/** One metric as the writer handles it: a series or a sketch, with its resources as the Agent renders them. */
interface Metric {
  name: string;
  tags: readonly string[];
  resources: readonly { type: string; name: string }[];
  sourceTypeName: string;
  unit: string;
  interval: number;
  metricType: number;
  timestamps: number[];
  values?: number[];
  sketches?: DogsketchInput[];
}

function metricsOf(input: V3Input): Metric[] {
  const out: Metric[] = [];
  for (const s of input.series ?? [])
    out.push({
      name: s.metric,
      tags: s.tags ?? [],
      resources: s.resources ?? [],
      sourceTypeName: s.sourceTypeName ?? '',
      unit: s.unit ?? '',
      interval: s.interval ?? 0,
      metricType: s.type ?? 0,
      timestamps: (s.points ?? []).map((p) => p.timestamp),
      values: (s.points ?? []).map((p) => p.value),
    });
  for (const s of input.sketches ?? [])
    out.push({
      name: s.metric,
      tags: s.tags ?? [],
      resources: s.host ? [{ type: 'host', name: s.host }] : [],
      sourceTypeName: '',
      unit: '',
      interval: 0,
      metricType: METRIC_TYPE_SKETCH,
      timestamps: s.dogsketches.map((d) => d.ts),
      sketches: s.dogsketches,
    });
  return out;
}

/** The columns of a MetricData holding `input`'s series, then its sketches. */
export function buildV3Columns(input: V3Input, opts: V3WriterOptions = {}): V3Columns {
  const b = new ColumnsBuilder();
  const names = new Interner<string>();
  const tagStrings = new Interner<string>();
  const tagsets = new Interner<string>();
  const resourceStrings = new Interner<string>();
  const resourceSets = new Interner<string>();
  const sourceTypes = new Interner<string>();
  const units = new Interner<string>();
  const origins = new Interner<string>();
  const [dName, dTags, dResources, dSourceType, dOrigin, dUnit, dInterval, dTimestamp] = Array.from(
    { length: 8 },
    () => new Delta(),
  ) as [Delta, Delta, Delta, Delta, Delta, Delta, Delta, Delta];

  const tagIndex = (t: string) => tagStrings.id(t, (s) => b.string(C.dictTagStr, s));
  /** A set of tag string indexes (and at most one negated set to splice), sorted and delta encoded. */
  const internSet = (entries: number[]): number => {
    entries.sort((x, y) => x - y);
    const deltas = entries.map((v, k) => v - (k === 0 ? 0 : entries[k - 1]!));
    return tagsets.id(deltas.join(','), () => {
      b.sint64(C.dictTagsets, deltas.length);
      for (const d of deltas) b.sint64(C.dictTagsets, d);
    });
  };
  const tagsetOf = (tags: readonly string[], i: number): number => {
    if (tags.length === 0) return 0;
    const split = opts.splitTags?.(tags, i) ?? 0;
    if (split > 0 && split < tags.length) {
      const prefix = internSet(tags.slice(0, split).map(tagIndex));
      return internSet([-prefix, ...tags.slice(split).map(tagIndex)]);
    }
    return internSet(tags.map(tagIndex));
  };
  const resourceSetOf = (resources: readonly { type: string; name: string }[]): number => {
    if (resources.length === 0) return 0;
    return resourceSets.id(JSON.stringify(resources), () => {
      b.uvarint(C.dictResourceLen, resources.length);
      const type = new Delta();
      const name = new Delta();
      for (const r of resources) {
        const str = (s: string) => resourceStrings.id(s, (x) => b.string(C.dictResourceStr, x));
        b.sint64(C.dictResourceType, type.next(str(r.type)));
        b.sint64(C.dictResourceName, name.next(str(r.name)));
      }
    });
  };
  const stringRef = (interner: Interner<string>, field: number, s: string) =>
    s === '' ? 0 : interner.id(s, (x) => b.string(field, x));

  for (const [i, m] of metricsOf(input).entries()) {
    b.sint64(C.nameRefs, dName.next(stringRef(names, C.dictNameStr, m.name)));
    b.sint64(C.tagsetRefs, dTags.next(tagsetOf(m.tags, i)));
    b.sint64(C.intervals, dInterval.next(m.interval));
    b.sint64(C.resourcesRefs, dResources.next(resourceSetOf(m.resources)));
    b.sint64(C.sourceTypeNameRefs, dSourceType.next(stringRef(sourceTypes, C.dictSourceTypeName, m.sourceTypeName)));
    const origin = opts.origin?.(i) ?? [10, 0, 0];
    const originRef = origins.id(origin.join(','), () => {
      for (const v of origin) b.uvarint(C.dictOriginInfo, v);
    });
    b.sint64(C.originInfoRefs, dOrigin.next(originRef));
    b.uvarint(C.numPoints, m.timestamps.length);
    const summaries = m.sketches?.flatMap((d) => [d.sum, d.min, d.max]) ?? [];
    const valueType = chooseValueType(opts.valueType ?? 'smallest', m.values ?? summaries);
    let type = valueType | m.metricType;
    if (opts.noIndex?.(i)) type |= FLAG_NO_INDEX;
    if (m.unit !== '') {
      type |= FLAG_HAS_UNIT;
      b.sint64(C.unitRefs, dUnit.next(stringRef(units, C.dictUnitStr, m.unit)));
    }
    b.uvarint(C.types, type);
    for (const [k, ts] of m.timestamps.entries()) {
      b.sint64(C.timestamps, dTimestamp.next(ts));
      if (m.sketches) writeSketchPoint(b, m.sketches[k]!, valueType);
      else writeValue(b, valueType, m.values![k]!);
    }
  }
  return b.finish();
}

function chooseValueType(choice: NonNullable<V3WriterOptions['valueType']>, values: readonly number[]): number {
  if (choice === 'sint64') return VALUE_SINT64;
  if (choice === 'float32') return VALUE_FLOAT32;
  if (choice === 'float64') return VALUE_FLOAT64;
  let t = VALUE_ZERO;
  for (const v of values) t = Math.max(t, smallestValueType(v));
  return t;
}

function writeValue(b: ColumnsBuilder, valueType: number, v: number): void {
  if (valueType === VALUE_SINT64) b.sint64(C.valsSint64, v);
  else if (valueType === VALUE_FLOAT32) b.float32(C.valsFloat32, v);
  else if (valueType === VALUE_FLOAT64) b.float64(C.valsFloat64, v);
}

function writeSketchPoint(b: ColumnsBuilder, d: DogsketchInput, valueType: number): void {
  for (const v of [d.sum, d.min, d.max]) writeValue(b, valueType, v);
  // The count always goes to valsSint64, after the summary when that is there too.
  b.sint64(C.valsSint64, d.cnt);
  let previous = 0;
  for (const [j, key] of d.k.entries()) {
    b.sint64(C.sketchBinKeys, key - previous);
    previous = key;
    b.uvarint(C.sketchBinCnts, d.n[j]!);
  }
  b.uvarint(C.sketchNumBins, d.k.length);
}

/** Payload bytes in parts: metadata (if any), then the MetricData header, then each column field, in `order`. */
export function assembleV3Parts(
  columns: V3Columns,
  opts: { metadata?: V3WriterOptions['metadata']; order?: readonly number[] } = {},
): Buffer[] {
  const parts: Buffer[] = [];
  const md = opts.metadata;
  if (md && ((md.tags?.length ?? 0) > 0 || (md.resources?.length ?? 0) > 0)) {
    parts.push(
      new ProtoWriter()
        .message(2, (m) => {
          for (const t of md.tags ?? []) m.stringField(1, t);
          for (const r of md.resources ?? []) m.stringField(2, r.type).stringField(2, r.name);
        })
        .finish(),
    );
  }
  const order = opts.order ?? [...columns.keys()];
  const fields = order
    .filter((f) => columns.has(f))
    .map((f) => new ProtoWriter().bytesField(f, columns.get(f)!).finish());
  const length = fields.reduce((n, f) => n + f.length, 0);
  parts.push(new ProtoWriter().tag(3, 2).varint(length).finish(), ...fields);
  return parts;
}

/** An intake_v3.Payload of `input` (not compressed). */
export function encodeV3Payload(input: V3Input, opts: V3WriterOptions = {}): Buffer {
  return Buffer.concat(assembleV3Parts(buildV3Columns(input, opts), { metadata: opts.metadata }));
}
