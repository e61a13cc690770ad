// Reading facts from the graph: packed queries survive hostile literals and blank nodes; precomputed facts reuse.
import { describe, expect, it } from 'vitest';
import { fetchFacts, loadDefaultRules, plan } from '../../src/rules/index.js';
import { book, graphWith, profile, track } from './helpers.js';

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
});
