// Reading facts from the graph: packed queries survive hostile literals and blank nodes; precomputed facts reuse.
import { describe, expect, it } from 'vitest';
import n3 from 'n3';
import { fetchFacts, loadDefaultRules, plan } from '../../src/rules/index.js';
import type { RuleGraph } from '../../src/rules/graph.js';
import { GraphStore } from '../../src/graph/store.js';
import { tempDir } from '../graph/helpers.js';
import { book, graphWith, photo, profile, track } from './helpers.js';

describe('fetchFacts', () => {
  it('keeps literals with separators, percent signs and control characters intact', () => {
    const nasty = 'a|Lb c%20d urn:x|Lz \u001e\u001f 100% \u{1F409}';
    const b = book({ id: 'n', title: nasty, creators: ['X|Y Z'], subjects: ['SF'] });
    const facts = fetchFacts(graphWith(b), ['ebook']);
    expect(facts.get(b.iri)?.values.title).toEqual([nasty]);
    expect(facts.get(b.iri)?.values.creator).toEqual(['X|Y Z']);
    expect(facts.size).toBe(1);
  });

  it('a blank node somewhere does not hide anyone else\'s facts', () => {
    const b = book({ id: 'a', title: 'A', creators: ['P'], subjects: ['SF'] });
    const other = book({ id: 'o', title: 'O' });
    const g = graphWith(b, other, { ttl: `<${other.iri}> dcterms:creator [ foaf:name "Blank" ] .\n_:x dcterms:title "orphan" .\n` });
    const facts = fetchFacts(g, ['ebook']);
    expect(facts.get(b.iri)?.values).toMatchObject({ title: ['A'], creator: ['P'], subject: ['SF'] });
    expect(facts.get(other.iri)?.values.title).toEqual(['O']);
  });

  it('joins albums, album artists and files', () => {
    const t = track({ id: 't', title: 'T', artist: 'Art', album: 'Alb', albumArtist: 'Various', track: 3, genres: ['jazz', 'Jazz'] });
    const f = fetchFacts(graphWith(t), ['music']).get(t.iri)!;
    expect(f.kind).toBe('music');
    expect(f.values).toMatchObject({ album: ['Alb'], albumArtist: ['Various'], creator: ['Art'], track: ['3'], genre: ['Jazz', 'jazz'] });
    expect(f.files).toEqual([{ iri: 'file:///home/u/share/music/t.mp3', mime: 'audio/mpeg', size: 5000, path: 'music/t.mp3' }]);
  });

  it('plan with precomputed facts equals plan without', () => {
    const g = graphWith(book({ id: 'a', title: 'A', creators: ['P'], subjects: ['SF'] }), track({ id: 't', title: 'T', artist: 'X' }));
    const rules = loadDefaultRules();
    const facts = fetchFacts(g, ['ebook', 'music', 'photo']);
    const none = { select: () => { throw new Error('no queries expected'); } };
    const dev = profile({ accepts: ['ebook'] });
    expect(plan({ graph: none, rules, profile: dev, listing: [], sources: new Map(), facts })).toEqual(
      plan({ graph: g, rules, profile: dev, listing: [], sources: new Map() }),
    );
  });

  it('reads the same facts from a paged store\'s stream as from its queries, changes since the snapshot included', async () => {
    const items = [
      book({ id: 'a', title: 'A "quoted" \\ title\n', creators: ['P', 'Q'], subjects: ['SF', 'Science Fiction'] }),
      book({ id: 'b', title: 'Café ✓', creators: ['P'], path: 'books/déjà vu.epub' }),
      track({ id: 't', title: 'T', artist: 'Art', album: 'Alb', albumArtist: 'Various', track: 3, genres: ['jazz', 'Jazz'] }),
      photo({ id: 'p', date: '2021-05-06T07:08:09.000Z', place: 'Paris' }),
    ];
    const quads = (...xs: Array<{ ttl: string }>) => new n3.Parser({ format: 'N-Quads' }).parse(graphWith(...xs).store.dump({ format: 'application/n-quads' }));
    const dir = tempDir('facts-paged');
    const whole = await GraphStore.open({ dir, nodeId: 'n0' });
    await whole.commit(quads(...items).map((quad) => ({ op: 'A', quad })));
    await whole.snapshot();
    await whole.close();
    const store = await GraphStore.open({ dir, nodeId: 'n0', pagedAbove: 0, workingSet: 10 });
    try {
      // after the snapshot: a new book, and one of the first book's subjects gone
      await store.commit(quads(book({ id: 'c', title: 'C', creators: ['R'], subjects: ['Horror'] })).map((quad) => ({ op: 'A', quad })));
      const sf = store.match(null, n3.DataFactory.namedNode('http://purl.org/dc/terms/subject'), n3.DataFactory.literal('SF'));
      await store.commit(sf.map((quad) => ({ op: 'D', quad })));
      expect(store.scans).toBe(true);
      const queried: RuleGraph = {
        select: (q) => { const out = store.query(q); return out.kind === 'bindings' ? out.rows : []; },
        selectTsv: (q) => store.query(q, { format: 'tsv' }).serialized ?? '',
      };
      let scans = 0;
      const streamed: RuleGraph = { ...queried, scan: (p, each) => { scans++; store.scan(p, each); } };
      const kinds = ['ebook', 'music', 'photo'] as const;
      const want = fetchFacts(queried, kinds);
      expect(want.size).toBe(5);
      expect(want.get(items[0].iri)?.values.subject).toEqual(['Science Fiction']);
      expect(fetchFacts(streamed, kinds)).toEqual(want);
      expect(scans).toBe(2);
    } finally {
      await store.close();
    }
  });
});
