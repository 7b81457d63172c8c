// Import rules Biome cannot express (it checks cycles between files: noImportCycles in biome.jsonc):
// - a top-level folder of src/ (api, intake, tsdb, ...) imports only the folders ARCHITECTURE.md's ```imports
//   table lists for it (`folder: allowed folders`), and every folder is in that table;
// - the folders form no cycle: if a production file of src/a imports src/b, no production file of src/b may reach
//   src/a again, directly or through other folders (also checked on its own, so a cyclic table cannot hide one);
// - production code never imports test/ or bench/.
// Production code is src/**/*.ts except *.test.ts and *.bench.ts: tests and benchmarks may import across folders.
// Every import counts, `import type` too: a folder that needs another's types depends on it.
// Usage: node scripts/check-imports.mjs [ROOT] (default: the current directory). Exit 1 when a rule is broken.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import ts from 'typescript';

const root = resolve(process.argv[2] ?? '.');
const srcDir = join(root, 'src');
if (!existsSync(srcDir)) {
  console.error(`check-imports: no src/ folder in ${root}`);
  process.exit(2);
}

/** ARCHITECTURE.md's import table: folder → the folders it may import; undefined when the file has none. */
function importTable() {
  const doc = join(root, 'ARCHITECTURE.md');
  if (!existsSync(doc)) return undefined;
  const block = /^```imports\n([\s\S]*?)^```/m.exec(readFileSync(doc, 'utf8'));
  if (!block) return undefined;
  const table = new Map();
  for (const line of block[1].split('\n')) {
    const m = /^\s*([\w-]+)\s*:(.*)$/.exec(line);
    if (m) table.set(m[1], new Set(m[2].split(/\s+/).filter(Boolean)));
  }
  return table;
}

/** Path relative to the root with forward slashes, as printed and matched. */
const rel = (p) => relative(root, p).split(sep).join('/');

function tsFiles(dir) {
  const out = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...tsFiles(p));
    else if (entry.name.endsWith('.ts')) out.push(p);
  }
  return out;
}

const isProduction = (file) => !/\.(test|bench)\.ts$/.test(file);

/** Relative module specifiers of a file, with whether each is type-only (erased by the compiler). */
function importsOf(file) {
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, false, ts.ScriptKind.TS);
  const found = [];
  const visit = (node) => {
    if ((ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier) {
      const typeOnly = ts.isImportDeclaration(node) ? Boolean(node.importClause?.isTypeOnly) : node.isTypeOnly;
      if (ts.isStringLiteral(node.moduleSpecifier)) found.push({ spec: node.moduleSpecifier.text, typeOnly });
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
      const [arg] = node.arguments;
      if (arg && ts.isStringLiteralLike(arg)) found.push({ spec: arg.text, typeOnly: false });
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument)) {
      const lit = node.argument.literal;
      if (ts.isStringLiteral(lit)) found.push({ spec: lit.text, typeOnly: true });
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found.filter((i) => i.spec.startsWith('.'));
}

/** The file a relative specifier names: NodeNext imports name the emitted .js of a .ts source. */
function resolveImport(fromFile, spec) {
  const target = resolve(dirname(fromFile), spec);
  const source = target
    .replace(/\.js$/, '.ts')
    .replace(/\.mjs$/, '.mts')
    .replace(/\.cjs$/, '.cts');
  return existsSync(source) ? source : target;
}

/** The top-level folder of src/ a path is in, or undefined outside src/. */
function srcFolder(path) {
  const r = relative(srcDir, path);
  if (r.startsWith('..') || r === '') return undefined;
  return r.split(sep)[0];
}

const files = tsFiles(srcDir).filter(isProduction).sort();
/** folder → folder → [{from, to, typeOnly}] */
const edges = new Map();
const testImports = [];
for (const file of files) {
  const from = srcFolder(file);
  for (const { spec, typeOnly } of importsOf(file)) {
    const target = resolveImport(file, spec);
    const top = rel(target).split('/')[0];
    if (top === 'test' || top === 'bench') testImports.push({ from: rel(file), to: rel(target), typeOnly });
    const to = srcFolder(target);
    if (to === undefined || to === from) continue;
    if (!edges.has(from)) edges.set(from, new Map());
    const out = edges.get(from);
    if (!out.has(to)) out.set(to, []);
    out.get(to).push({ from: rel(file), to: rel(target), typeOnly });
  }
}

/** Strongly connected components of the folder graph (Tarjan); only those of two or more folders are cycles. */
function cycles() {
  const index = new Map();
  const low = new Map();
  const stack = [];
  const onStack = new Set();
  const found = [];
  let next = 0;
  const connect = (v) => {
    index.set(v, next);
    low.set(v, next++);
    stack.push(v);
    onStack.add(v);
    for (const w of edges.get(v)?.keys() ?? []) {
      if (!index.has(w)) {
        connect(w);
        low.set(v, Math.min(low.get(v), low.get(w)));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v), index.get(w)));
    }
    if (low.get(v) === index.get(v)) {
      const component = [];
      let w;
      do {
        w = stack.pop();
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1) found.push(component.sort());
    }
  };
  for (const v of [...edges.keys()].sort()) if (!index.has(v)) connect(v);
  return found.sort((x, y) => (x[0] < y[0] ? -1 : 1));
}

/** A shortest folder path from `start` to `goal` inside one cycle, as `a → b → c`. */
function pathWithin(component, start, goal) {
  const previous = new Map([[start, undefined]]);
  const queue = [start];
  while (queue.length > 0) {
    const v = queue.shift();
    if (v === goal) break;
    for (const w of [...(edges.get(v)?.keys() ?? [])].sort()) {
      if (component.includes(w) && !previous.has(w)) {
        previous.set(w, v);
        queue.push(w);
      }
    }
  }
  const path = [];
  for (let v = goal; v !== undefined; v = previous.get(v)) path.unshift(v);
  return path.join(' → ');
}

const typeNote = (i) => (i.typeOnly ? ' (import type)' : '');
let problems = 0;
const table = importTable();
if (table === undefined) {
  problems++;
  console.log('check-imports: ARCHITECTURE.md has no ```imports table (lines `folder: folders it may import`)');
} else {
  const unlisted = [...new Set(files.map(srcFolder))].filter((f) => !table.has(f)).sort();
  for (const folder of unlisted) {
    problems++;
    console.log(
      `check-imports: src/${folder} is not in ARCHITECTURE.md's import table: add it with the folders it may import`,
    );
  }
  for (const [from, out] of [...edges].sort(([x], [y]) => (x < y ? -1 : 1))) {
    if (!table.has(from)) continue;
    for (const [to, imports] of [...out].sort(([x], [y]) => (x < y ? -1 : 1))) {
      if (table.get(from).has(to)) continue;
      problems++;
      console.log(`check-imports: src/${from} may not import src/${to} (ARCHITECTURE.md's import table):`);
      for (const i of imports) console.log(`    ${i.from} imports ${i.to}${typeNote(i)}`);
    }
  }
}
for (const component of cycles()) {
  problems++;
  console.log(`check-imports: the src/ folders ${component.join(', ')} import each other in a cycle:`);
  for (const a of component) {
    for (const [b, imports] of [...(edges.get(a) ?? [])].sort(([x], [y]) => (x < y ? -1 : 1))) {
      if (!component.includes(b)) continue;
      console.log(`  ${a} → ${b}   (and back: ${pathWithin(component, b, a)})`);
      for (const i of imports) console.log(`    ${i.from} imports ${i.to}${typeNote(i)}`);
    }
  }
}
if (testImports.length > 0) {
  problems++;
  console.log('check-imports: production code imports test/ or bench/ (only *.test.ts and *.bench.ts may):');
  for (const i of testImports) console.log(`    ${i.from} imports ${i.to}${typeNote(i)}`);
}
if (problems > 0) {
  console.log(`check-imports: ${problems} problem${problems === 1 ? '' : 's'}`);
  process.exit(1);
}
const folders = new Set(files.map(srcFolder));
console.log(
  `check-imports: ${files.length} production files in ${folders.size} src/ folders: imports as ARCHITECTURE.md allows, no folder cycle, no test/ or bench/ import`,
);
