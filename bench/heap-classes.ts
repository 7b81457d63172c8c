// Where a heap's bytes go, by class: a V8 heap snapshot's objects grouped by what they are (constructor name; plain
// objects by their property names, so the mapper's entries and label sets are told apart), and what a second
// snapshot added to the first. For a benchmark to say which objects its series hold:
//   node dist/bench/heap-classes.js before.heapsnapshot after.heapsnapshot [perCount] [top]
// (snapshots from v8.writeHeapSnapshot(), or `node --heapsnapshot-signal=SIGUSR2` on a server).
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export interface HeapClass {
  /** Node type and name: `object Array`, `object {labels,hash,next}`, `array (object elements)`, `string`… */
  name: string;
  count: number;
  /** Self sizes added up (what the objects themselves take, not what they point to). */
  bytes: number;
}

interface Snapshot {
  snapshot: {
    meta: { node_fields: string[]; node_types: [string[]]; edge_fields: string[]; edge_types: [string[]] };
  };
  nodes: number[];
  edges: number[];
  strings: string[];
}

/** Property names a plain object is labelled with, at most: enough to tell the mapper's records apart. */
const LABEL_PROPERTIES = 4;

/** The classes of a snapshot file, by name. */
export function heapClasses(file: string): Map<string, HeapClass> {
  const s = JSON.parse(readFileSync(file, 'utf8')) as Snapshot;
  const nf = s.snapshot.meta.node_fields;
  const ef = s.snapshot.meta.edge_fields;
  const nodeTypes = s.snapshot.meta.node_types[0];
  const edgeTypes = s.snapshot.meta.edge_types[0];
  const [nType, nName, nSize, nEdges] = ['type', 'name', 'self_size', 'edge_count'].map((f) => nf.indexOf(f));
  const [eType, eName] = ['type', 'name_or_index'].map((f) => ef.indexOf(f));
  const property = edgeTypes.indexOf('property');
  const out = new Map<string, HeapClass>();
  let edge = 0;
  for (let n = 0; n < s.nodes.length; n += nf.length) {
    const type = nodeTypes[s.nodes[n + nType!]!]!;
    const edges = s.nodes[n + nEdges!]!;
    let name = s.strings[s.nodes[n + nName!]!]!;
    if (type === 'string' || type === 'concatenated string' || type === 'sliced string' || type === 'number') name = '';
    else if (type === 'object' && name === 'Object') {
      const props: string[] = [];
      for (let e = edge; e < edge + edges * ef.length && props.length < LABEL_PROPERTIES; e += ef.length)
        if (s.edges[e + eType!] === property) props.push(s.strings[s.edges[e + eName!]!]!);
      name = `{${props.join(',')}}`;
    }
    edge += edges * ef.length;
    const key = name === '' ? type : `${type} ${name}`;
    let c = out.get(key);
    if (c === undefined) out.set(key, (c = { name: key, count: 0, bytes: 0 }));
    c.count++;
    c.bytes += s.nodes[n + nSize!]!;
  }
  return out;
}

/** What `after` holds more than `before`, by class, largest first. */
export function heapGrowth(before: Map<string, HeapClass>, after: Map<string, HeapClass>): HeapClass[] {
  const out: HeapClass[] = [];
  for (const [name, a] of after) {
    const b = before.get(name);
    out.push({ name, count: a.count - (b?.count ?? 0), bytes: a.bytes - (b?.bytes ?? 0) });
  }
  return out.sort((x, y) => y.bytes - x.bytes);
}

/** The growth as table lines, per one of `per` things (series): count and bytes each, the `top` largest. */
export function growthLines(growth: readonly HeapClass[], per: number, top = 20): string[] {
  let total = 0;
  for (const c of growth) total += c.bytes;
  const lines = growth
    .slice(0, top)
    .map((c) => `${(c.bytes / per).toFixed(1).padStart(8)} B ${(c.count / per).toFixed(2).padStart(6)}×  ${c.name}`);
  lines.push(`${(total / per).toFixed(1).padStart(8)} B          all classes`);
  return lines;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [before, after, per, top] = process.argv.slice(2);
  if (before === undefined || after === undefined)
    throw new Error('usage: heap-classes.js before.heapsnapshot after.heapsnapshot [perCount] [top]');
  const growth = heapGrowth(heapClasses(before), heapClasses(after));
  for (const line of growthLines(growth, Number(per) || 1, Number(top) || 20)) console.log(line);
}
