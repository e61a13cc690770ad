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
