// The catalog reader (src/devices/catalog/parse.ts): its fast readers agree with n3 on what semsync writes, old
// N-Quads catalogs still read, and hostile catalogs (another device's graph, statements outside any graph, giant
// lines, broken text) are read as n3 reads them or refused, never half-read.
import { readFileSync } from 'node:fs';
import n3 from 'n3';
import { describe, expect, it } from 'vitest';
import { serializeCatalog } from '../../../src/devices/catalog/format.js';
import { parseCatalog } from '../../../src/devices/catalog/parse.js';
import { awkward, hex, randomRecords } from './records-helper.js';

const DEVICE = 'https://w3id.org/semsync/id/device/';
const nquadsOf = (trig: string) => new n3.Writer({ format: 'N-Quads' }).quadsToString(new n3.Parser({ format: 'TriG' }).parse(trig));
async function trigByN3(trig: string): Promise<string> {
  const writer = new n3.Writer({ format: 'TriG', prefixes: { ss: 'https://w3id.org/semsync/ns#' } });
  writer.addQuads(new n3.Parser({ format: 'TriG' }).parse(trig));
  return new Promise((resolve, reject) => writer.end((e, out: string) => (e ? reject(e) : resolve(out))));
}

describe('catalog reader', () => {
  it('reads back every record written, as n3 reads the same catalog (TriG, rewritten TriG, N-Quads)', async () => {
    for (const records of [awkward, randomRecords(300, 11)]) {
      const text = serializeCatalog('dev-1', records);
      const fast = parseCatalog(text);
      expect(fast).toEqual({ device: `${DEVICE}dev-1`, records });
      expect(parseCatalog(await trigByN3(text))).toEqual(fast); // not our line shape: n3 reads it
      expect(parseCatalog(nquadsOf(text))).toEqual(fast); // N-Quads from another writer
      const tabbed = nquadsOf(text).split('\n').map((l) => l.replace(' ', '\t')).join('\n'); // a tab after the subject: not the fast reader's shape
      expect(parseCatalog(tabbed, 'N-Quads')).toEqual(fast);
    }
  });

  it('unescapes a literal written with Turtle\'s escapes JSON lacks (\\U, \\\') as n3 does, in the fast reader\'s line shape', async () => {
    const text = serializeCatalog('dev-1', [{ ...awkward[0], path: 'PLACEHOLDER' }]).replace('"PLACEHOLDER"', '"a\\U0001F680b\\\'c\\u00e9\\"d\\\\e"');
    const fast = parseCatalog(text);
    expect(fast.records[0].path).toBe('a🚀b\'cé"d\\e');
    expect(parseCatalog(await trigByN3(text))).toEqual(fast);
  });

  it('reads the N-Quads catalog older versions wrote (.semsync/catalog.nq)', () => {
    const old = readFileSync(new URL('../fixtures/catalog-nquads.nq', import.meta.url), 'utf8');
    const { device, records } = parseCatalog(old);
    expect(device).toBe(`${DEVICE}dev-old`);
    expect(records.map((r) => [r.path, r.content, r.size, r.values])).toEqual([
      ['Photos/2010/01/p0.jpg', hex('c'), 16384, { kind: 'photo', year: '2010', month: '01' }],
      ['Music/Beth Hart/01 - "Sinner\'s" Prayer.mp3', hex('d'), 277274, { artist: 'Beth Hart', title: 'Line\nbreak \\ back "quote"' }],
    ]);
  });

  it('reports the graph a catalog names (another device\'s, when it was copied from one), and reads statements outside any graph', () => {
    const theirs = serializeCatalog('someone-else', awkward.slice(0, 2));
    expect(parseCatalog(theirs).device).toBe(`${DEVICE}someone-else`);
    const outside = nquadsOf(theirs).replace(/ <https:\/\/w3id\.org\/semsync\/id\/device\/someone-else> \.$/gm, ' .');
    expect(parseCatalog(outside, 'N-Quads')).toEqual({ device: undefined, records: awkward.slice(0, 2) });
  });

  it('reads a record whose values fill a giant line, and a catalog of one giant line that is not TriG fails as n3 fails', () => {
    const huge = { ...awkward[0], values: { title: '\\"x'.repeat(200_000) + 'é'.repeat(50_000) } };
    expect(parseCatalog(serializeCatalog('dev-1', [huge])).records).toEqual([huge]);
    const junk = `@prefix ss: <https://w3id.org/semsync/ns#> .\n${'<'.repeat(300_000)}\n`;
    expect(() => parseCatalog(junk)).toThrow();
    expect(() => new n3.Parser({ format: 'TriG' }).parse(junk)).toThrow();
  });

  it('keeps a path with ".." or an absolute path as data (those who act on paths refuse it; see walk, graph and explain tests)', () => {
    const hostile = [{ ...awkward[0], path: '../../etc/passwd' }, { ...awkward[1], path: '/etc/shadow' }];
    expect(parseCatalog(serializeCatalog('dev-1', hostile)).records.map((r) => r.path)).toEqual(['../../etc/passwd', '/etc/shadow']);
  });

  it('leaves out a file without a path, content or rule, and keeps a file whose value list is broken', () => {
    const text = serializeCatalog('dev-1', [awkward[0]])
      .replace(' ; ss:templateValues ', ' ; ss:templateValues "{broken"^^rdf:JSON ; ss:x ')
      + '_:lonely <https://w3id.org/semsync/ns#relativePath> "no/content.mp3" .\n';
    const { records } = parseCatalog(text);
    expect(records.map((r) => [r.path, r.values])).toEqual([[awkward[0].path, {}]]);
  });

  it('reads every template value as a string, and a "__proto__" key sets nothing, in the fast and the n3 reader alike', () => {
    const lists = ['{"n":3,"b":true,"s":"x","z":null}', '["a","b"]', '{"__proto__":"x","title":"t"}', '{"title":"T","album":"A"}'];
    const want = [{ n: '3', b: 'true', s: 'x', z: 'null' }, { 0: 'a', 1: 'b' }, { title: 't' }, { title: 'T', album: 'A' }];
    lists.forEach((list, i) => {
      const text = serializeCatalog('dev-1', [awkward[0]]).replace(/ss:templateValues "(?:[^"\\]|\\.)*"/, `ss:templateValues ${JSON.stringify(list)}`);
      for (const t of [text, nquadsOf(text)]) {
        const values = parseCatalog(t).records[0].values;
        expect({ ...values }).toEqual(want[i]);
        expect(Object.getPrototypeOf(values)).toBe(Object.prototype);
        expect(Object.keys(values)).toEqual(Object.keys(want[i]));
      }
    });
  });
});
