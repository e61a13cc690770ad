// The layout's import rules, as each folder's index.ts states them ("May import: …"), hold for every source file.
import fs from 'node:fs';
import path from 'node:path';
import { expect, it } from 'vitest';

const src = path.join(import.meta.dirname, '..', 'src');
const folders = fs.readdirSync(src).filter((n) => fs.statSync(path.join(src, n)).isDirectory());

/** What a folder's header allows: folder names, or single modules such as `graph/vocab`. */
function allowed(folder: string): string[] {
  const header = fs.readFileSync(path.join(src, folder, 'index.ts'), 'utf8').split('\n').slice(0, 12).join(' ');
  const m = /May import: ([^.;]*)/.exec(header.replace(/\/\/ /g, ''));
  if (!m) throw new Error(`src/${folder}/index.ts states no "May import:" line`);
  const said = m[1].replace(/\(.*?\)/g, '').trim();
  if (said === 'nothing of ours') return [];
  const belowCli = folders.filter((f) => f !== 'cli' && f !== 'server');
  const domain = belowCli.filter((f) => f !== 'node' && f !== 'app' && f !== 'base');
  if (said === 'all of src/ but cli and server') return belowCli;
  return said
    .split(',')
    .map((x) => x.trim())
    .flatMap((x) => (x === 'node and below' ? belowCli : x === 'every domain folder' ? domain : x ? [x] : []));
}

function sources(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? sources(path.join(dir, e.name)) : e.name.endsWith('.ts') ? [path.join(dir, e.name)] : []));
}

it('every folder imports only what its header allows ', () => {
  const broken: string[] = [];
  for (const folder of folders) {
    const ok = allowed(folder);
    for (const file of sources(path.join(src, folder))) {
      const text = fs.readFileSync(file, 'utf8');
      for (const m of text.matchAll(/(?:from|import\()\s*'(\.{1,2}\/[^']+)'/g)) {
        const target = path.relative(src, path.resolve(path.dirname(file), m[1])).replace(/\.js$/, '');
        const [top] = target.split(path.sep);
        if (top === folder) continue;
        if (ok.includes(top) || ok.includes(target.split(path.sep).join('/'))) continue;
        broken.push(`${path.relative(src, file)} imports ${target} (src/${folder} may import: ${ok.join(', ') || 'nothing of ours'})`);
      }
    }
  }
  expect(broken).toEqual([]);
});

it('reads a rule from every folder', () => {
  expect(folders.length).toBeGreaterThan(8);
  expect(allowed('graph')).toEqual(['base']);
  expect(allowed('base')).toEqual([]);
  expect(allowed('devices')).toEqual(['graph', 'rules', 'base']);
  expect(allowed('extractors')).toEqual(['graph/vocab', 'base']);
  expect(allowed('node')).not.toContain('cli');
  expect(allowed('node')).toContain('app');
  expect(allowed('app')).toEqual(expect.arrayContaining(['graph', 'extractors', 'library', 'rules', 'devices', 'peers', 'pim', 'dav', 'base']));
  expect(allowed('app')).not.toContain('node');
  expect(allowed('cli')).toContain('app');
  expect(allowed('server')).toContain('app');
  expect(allowed('cli')).toContain('server');
  expect(allowed('server')).not.toContain('cli');
});

/**
 * Modules another folder may import directly instead of through the folder's index.ts: each loads nothing heavy,
 * and going through the index would load the whole folder (libp2p, oxigraph) where only a constant is needed
 * (the CLI's start-up, extractor threads).
 */
const DIRECT = new Set([
  'graph/vocab', // IRIs only: extractors run in worker threads that must not load the store
  'graph/types', // types and constants
  'node/home', // the CLI finds the home before deciding whether to start a node
  'app/call-context', // the control socket's per-call context (AsyncLocalStorage), loaded by the CLI's start-up
  'server/control', // the CLI's control-socket path
  'server/run-info',
]);

/** Static imports (`import … from`, `export … from`, type-only included) and dynamic `import()` of our own modules. */
function importsOf(file: string): Array<{ target: string; dynamic: boolean }> {
  const text = fs.readFileSync(file, 'utf8');
  const out: Array<{ target: string; dynamic: boolean }> = [];
  const re = /(?:^|\n)\s*(?:import|export)\s[^'";]*?from\s*'(\.{1,2}\/[^']+)'|import\(\s*'(\.{1,2}\/[^']+)'\s*\)|(?:^|\n)\s*import\s*'(\.{1,2}\/[^']+)'/g;
  for (const m of text.matchAll(re)) {
    const spec = m[1] ?? m[2] ?? m[3];
    out.push({ target: path.resolve(path.dirname(file), spec).replace(/\.js$/, '.ts'), dynamic: m[2] !== undefined });
  }
  return out;
}

it('imports another folder only through its index.ts (or a named light module; lazy import() may go deep)', () => {
  const deep: string[] = [];
  for (const file of sources(src)) {
    const from = path.relative(src, file).split(path.sep);
    for (const { target, dynamic } of importsOf(file)) {
      const to = path.relative(src, target).split(path.sep);
      if (dynamic || to[0] === from[0] || to.length === 1) continue;
      if (to.length === 2 && to[1] === 'index.ts') continue;
      if (DIRECT.has(to.join('/').replace(/\.ts$/, ''))) continue;
      deep.push(`${from.join('/')} imports ${to.join('/')}: import it from src/${to[0]}/index.ts (export it there)`);
    }
  }
  expect(deep).toEqual([]);
});

it('has no import circle between modules, type-only imports included', () => {
  const graph = new Map<string, string[]>();
  for (const file of sources(src)) graph.set(file, importsOf(file).filter((i) => !i.dynamic).map((i) => i.target));
  // Tarjan's strongly connected components: any with two or more modules is a circle.
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const on = new Set<string>();
  const circles: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, next);
    low.set(v, next++);
    stack.push(v);
    on.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (on.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) !== index.get(v)) return;
    const scc: string[] = [];
    let w: string;
    do {
      w = stack.pop()!;
      on.delete(w);
      scc.push(path.relative(src, w));
    } while (w !== v);
    if (scc.length > 1) circles.push(scc.sort());
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  expect(circles).toEqual([]);
});
