// The semsync command as a user runs it: shares, scan, query in every format, describe, export/import, errors.
import { cp, mkdtemp, mkdir, rm, writeFile, readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { corpusDir, manifest } from '../helpers/corpus.js';
import { cli, cliSpawn, stop } from '../helpers/cli.js';

let tmp: string;
let home: string;
let books: string;
const entries = manifest();
const alice = entries.find((e) => e.path === 'epub/alice-gutenberg-epub2.epub')!;

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'semsync-cli-'));
  home = path.join(tmp, 'home');
  books = path.join(tmp, 'media');
  for (const dir of ['epub', 'audio', 'photos']) await cp(path.join(corpusDir, dir), path.join(books, dir), { recursive: true });
  await writeFile(path.join(books, 'photos', 'not-a-photo.jpg'), 'plain text pretending to be a JPEG\n');
  await writeFile(path.join(books, 'empty.mp3'), '');
});

afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

describe('semsync CLI', () => {
  it('prints help for every command', async () => {
    const r = await cli(home, ['--help']);
    expect(r.code).toBe(0);
    for (const c of ['share', 'scan', 'query', 'describe', 'export', 'import', 'start']) expect(r.stdout).toContain(c);
    const q = await cli(home, ['query', '--help']);
    expect(q.stdout).toMatch(/--format/);
  });

  it('refuses a missing folder and bad usage with exit 2', async () => {
    const r = await cli(home, ['share', 'add', path.join(tmp, 'nope')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/no such folder/);
    const u = await cli(home, ['frobnicate']);
    expect(u.code).toBe(2);
  });

  it('shares a folder and scans it: a summary line, bad files reported, exit 0', async () => {
    expect((await cli(home, ['share', 'add', books, '--name', 'Media'])).code).toBe(0);
    const list = await cli(home, ['share', 'list', '--json']);
    expect(JSON.parse(list.stdout)).toEqual([{ name: 'Media', path: books }]);
    const r = await cli(home, ['scan']);
    expect(r.code).toBe(0);
    const total = 15 + 14 + 8 + 2;
    expect(r.stdout).toMatch(new RegExp(`^files ${total}, added ${total}, changed 0, removed 0, errors [1-9]\\d*$`, 'm'));
    expect(r.stderr).toContain('not-a-photo.jpg');
    const again = await cli(home, ['scan']);
    expect(again.stdout).toMatch(new RegExp(`files ${total}, added 0, changed 0, removed 0`));
  });

  it('answers SPARQL as a table, JSON, CSV, TSV and XML', async () => {
    const q = `SELECT ?title WHERE { ?c a ss:EBook ; dcterms:title ?title } ORDER BY ?title`;
    const table = await cli(home, ['query', q]);
    expect(table.code).toBe(0);
    expect(table.stdout).toContain(alice.summary.title as string);
    expect(table.stdout).toMatch(/\d+ rows?\n$/);
    const json = JSON.parse((await cli(home, ['query', q, '--format', 'json'])).stdout);
    expect(json.head.vars).toEqual(['title']);
    const titles = json.results.bindings.map((b: { title: { value: string } }) => b.title.value);
    expect(titles).toContain(alice.summary.title);
    const csv = await cli(home, ['query', q, '--format', 'csv']);
    expect(csv.stdout.split(/\r?\n/)[0]).toBe('title');
    const tsv = await cli(home, ['query', q, '--format', 'tsv']);
    expect(tsv.stdout.split(/\r?\n/)[0]).toBe('?title');
    const xml = await cli(home, ['query', q, '--format', 'xml']);
    expect(xml.stdout).toContain('<sparql');
    const file = path.join(tmp, 'q.rq');
    await writeFile(file, 'CONSTRUCT { ?c dcterms:title ?t } WHERE { ?c a ss:EBook ; dcterms:title ?t }');
    const ttl = await cli(home, ['query', '--file', file, '--format', 'turtle']);
    expect(ttl.code).toBe(0);
    expect(ttl.stdout).toContain(alice.summary.title as string);
  });

  it('assigns categories at scan time, so a category is one query away', async () => {
    const r = await cli(home, ['query', 'SELECT ?title WHERE { ?b ss:category/rdfs:label "Fantasy" ; dcterms:title ?title }', '--json']);
    expect(r.code).toBe(0);
    const titles = JSON.parse(r.stdout).results.bindings.map((b: { title: { value: string } }) => b.title.value);
    // The corpus books whose subjects say fantasy (ground truth: the OPF subjects in manifest.json).
    const fantasy = entries.filter((e) => e.path.startsWith('epub/') && ((e.summary.subject as string[] | undefined) ?? []).some((s) => /fantasy/i.test(s)));
    expect(fantasy.length).toBeGreaterThan(0);
    for (const e of fantasy) expect(titles).toContain(e.summary.title);
  });

  it('names the line and column of a bad query, exit 2', async () => {
    const r = await cli(home, ['query', 'SELECT ?x WHERE {\n  ?x ?y \n}']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/line 3, column \d+/);
  });

  it('stops printing quietly when the reader goes away (| head), and still exits 0', async () => {
    const { child } = cliSpawn(home, ['query', 'SELECT * WHERE { ?s ?p ?o . ?a ?b ?c } LIMIT 20000']);
    child.stdout!.destroy(); // megabytes of rows to a pipe nobody reads: each write fails with EPIPE
    let stderr = '';
    child.stderr!.on('data', (d) => (stderr += d));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(stderr).not.toMatch(/EPIPE|Unhandled/);
    expect(code).toBe(0);
  });

  it('finds the photos with a GPS position', async () => {
    const r = await cli(home, ['query', 'SELECT ?lat ?long WHERE { ?c geo:lat ?lat ; geo:long ?long }', '--json']);
    const rows = JSON.parse(r.stdout).results.bindings;
    const withGps = entries.filter((e) => e.path.startsWith('photos/') && e.summary.gps);
    expect(rows.length).toBeGreaterThanOrEqual(withGps.length);
    for (const e of withGps) {
      const gps = e.summary.gps as { latitude: number; longitude: number };
      expect(rows.some((b: { lat: { value: string }; long: { value: string } }) => Math.abs(Number(b.lat.value) - gps.latitude) < 1e-6 && Math.abs(Number(b.long.value) - gps.longitude) < 1e-6)).toBe(true);
    }
  });

  it('describes one file', async () => {
    const r = await cli(home, ['describe', path.join(books, alice.path)]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('@prefix dcterms:');
    expect(r.stdout).toContain(alice.summary.title as string);
    expect(r.stdout).toContain(`urn:sha256:${alice.sha256}`);
    const missing = await cli(home, ['describe', path.join(tmp, 'nothing.epub')]);
    expect(missing.code).toBe(2);
  });

  it('exports and imports every statement', async () => {
    const out = path.join(tmp, 'all.nq');
    expect((await cli(home, ['export', '--format', 'nquads', '--out', out])).code).toBe(0);
    const other = path.join(tmp, 'home2');
    const imp = await cli(other, ['import', out]);
    expect(imp.code).toBe(0);
    const count = async (h: string) => JSON.parse((await cli(h, ['query', 'SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }', '--json'])).stdout).results.bindings[0].n.value;
    expect(await count(other)).toBe(await count(home));
    for (const format of ['trig', 'turtle', 'jsonld']) {
      const r = await cli(home, ['export', '--format', format]);
      expect(r.code).toBe(0);
      expect(r.stdout.length).toBeGreaterThan(1000);
    }
  });

  it('works against a running node, and a second node on the same home is refused', async () => {
    const node = cliSpawn(home, ['start', '--no-mdns', '--listen', '/ip4/127.0.0.1/tcp/0', '--http-port', '0']);
    try {
      await node.waitFor(/ready/);
      const second = await cli(home, ['start', '--no-mdns', '--http-port', '0']);
      expect(second.code).toBe(1);
      expect(second.stderr).toMatch(/in use by process \d+/);
      const q = await cli(home, ['query', 'SELECT (COUNT(*) AS ?n) WHERE { ?c a ss:EBook }', '--json']);
      expect(q.code).toBe(0);
      expect(Number(JSON.parse(q.stdout).results.bindings[0].n.value)).toBeGreaterThan(0);
      // A file added while the node runs becomes queryable.
      await mkdir(path.join(books, 'new'), { recursive: true });
      await cp(path.join(corpusDir, 'generated', 'gen-pandoc-epub3.epub'), path.join(books, 'new', 'book.epub'));
      const t0 = Date.now();
      let found = false;
      while (!found && Date.now() - t0 < 15_000) {
        const r = await cli(home, ['query', `ASK { <${'file://' + encodeURI(path.join(books, 'new', 'book.epub'))}> ?p ?o }`, '--format', 'json']);
        found = JSON.parse(r.stdout).boolean === true;
        if (!found) await new Promise((res) => setTimeout(res, 100));
      }
      console.log(`running node: new file queryable after ${Date.now() - t0} ms (CLI round trips included)`);
      expect(found).toBe(true);
    } finally {
      expect(await stop(node.child)).toBe(0);
    }
    expect(node.output()).toMatch(/SIGTERM: stopping/);
  });

  it('survives SIGKILL during an import: the store opens and holds whole transactions only', async () => {
    const big = path.join(tmp, 'big.nq');
    const lines: string[] = [];
    for (let i = 0; i < 200_000; i++) lines.push(`<urn:x:s${i}> <urn:x:p> "value ${i}" <urn:x:g> .`);
    await writeFile(big, lines.join('\n') + '\n');
    const h = path.join(tmp, 'home-kill');
    const run = cliSpawn(h, ['import', big]);
    await new Promise((r) => setTimeout(r, 1200));
    await stop(run.child, 'SIGKILL');
    const count = await cli(h, ['query', 'SELECT (COUNT(*) AS ?n) WHERE { GRAPH <urn:x:g> { ?s ?p ?o } }', '--json']);
    expect(count.code).toBe(0);
    const n = Number(JSON.parse(count.stdout).results.bindings[0].n.value);
    console.log(`import killed after ${n} of 200000 statements`);
    expect(n % 10_000).toBe(0); // whole patches only
    const again = await cli(h, ['import', big]);
    expect(again.code).toBe(0);
    const after = await cli(h, ['query', 'SELECT (COUNT(*) AS ?n) WHERE { GRAPH <urn:x:g> { ?s ?p ?o } }', '--json']);
    expect(Number(JSON.parse(after.stdout).results.bindings[0].n.value)).toBe(200_000);
    void readFile;
  });

  it('reports a damaged log record with file and offset, truncates nothing on a query, and `repair` recovers the rest', async () => {
    const h = path.join(tmp, 'home-damage');
    for (let i = 0; i < 3; i++) {
      const f = path.join(tmp, `part${i}.nt`);
      await writeFile(f, `<urn:x:s${i}> <urn:x:p> "value ${i}" .\n`);
      expect((await cli(h, ['import', f])).code).toBe(0);
    }
    const help = await cli(h, ['repair', '--help']);
    expect(help.stdout).toMatch(/--json/);
    expect(JSON.parse((await cli(h, ['repair', '--json'])).stdout)).toMatchObject({ changed: false, lost: [] });
    const seg = path.join(h, 'store', 'log', '000000000001.log');
    const buf = await readFile(seg);
    const last = buf.lastIndexOf('SSP2');
    buf[buf.length - 12] ^= 0x20; // inside the last acknowledged record
    await writeFile(seg, buf);
    const q = await cli(h, ['query', 'SELECT ?o WHERE { ?s <urn:x:p> ?o }']);
    expect(q.code).toBe(1);
    expect(q.stderr).toContain(`${seg} is damaged at byte ${last}`);
    expect(q.stderr).toMatch(/semsync repair/);
    expect(await readFile(seg)).toEqual(buf); // a read truncates nothing
    expect(await readFile(path.join(h, 'damaged', `000000000001.log.${last}`))).toEqual(buf.subarray(last));
    const r = await cli(h, ['repair', '--json']);
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report.logDamage).toMatchObject({ file: seg, offset: last });
    expect(report.lost).toEqual([expect.objectContaining({ from: 3, to: 3 })]);
    const after = await cli(h, ['query', '--json', 'SELECT ?o WHERE { ?s <urn:x:p> ?o }']);
    expect(JSON.parse(after.stdout).results.bindings.map((b: { o: { value: string } }) => b.o.value).sort()).toEqual(['value 0', 'value 1']);
  });
});
