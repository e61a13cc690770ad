// Categorisation by the default rules: subject spellings, BISAC, fallbacks, music genres, photo dates and places.
import { describe, expect, it } from 'vitest';
import { categorise, categoryQuads, loadDefaultRules, loadRules, defaultRulesFile } from '../../src/rules/index.js';
import { book, graphWith, photo, ruleFiles, track, PREFIXES } from './helpers.js';

const rules = loadDefaultRules();

function categoriesOfBook(subjects: string[]): string[] {
  const b = book({ id: subjects.join('|'), title: 'T', creators: ['A'], subjects });
  return categorise(graphWith(b), rules).get(b.iri) ?? [];
}

describe('ebook categories', () => {
  it.each([
    'Science Fiction',
    'science-fiction',
    'SF',
    'Sci-Fi',
    'scifi',
    'SCIENCE FICTION',
    'Science fiction, American',
    'Science fiction -- History and criticism',
    'Hard science fiction',
    'FICTION / Science Fiction / General',
    'FICTION / Science Fiction / Space Opera',
    'Fiction, science fiction, general',
    'Ciencia ficción',
  ])('"%s" → SciFi', (subject) => {
    expect(categoriesOfBook([subject])[0]).toBe('SciFi');
  });

  it.each([
    ['FICTION / Fantasy / Epic', 'Fantasy'],
    ['FICTION / Mystery & Detective / General', 'Mystery'],
    ['Detective and mystery stories', 'Mystery'],
    ['crime', 'Mystery'],
    ['FICTION / Thrillers / Suspense', 'Thriller'],
    ['FICTION / Romance / Contemporary', 'Romance'],
    ['FICTION / Horror', 'Horror'],
    ['BIOGRAPHY & AUTOBIOGRAPHY / Science & Technology', 'Biography'],
    ['HISTORY / Europe / France', 'History'],
    ['France -- History', 'History'],
    ['SCIENCE / Physics / General', 'Science'],
    ['POETRY / American / General', 'Poetry'],
    ['JUVENILE FICTION / Animals', 'Children'],
    ['FICTION / Literary', 'Fiction'],
    ['FICTION / General', 'Fiction'],
    ['Fiction', 'Fiction'],
    ['Non-fiction', 'NonFiction'],
    ['TECHNOLOGY & ENGINEERING / Mechanical', 'NonFiction'],
    ['TRUE CRIME / Murder', 'NonFiction'],
  ])('"%s" → %s', (subject, category) => {
    expect(categoriesOfBook([subject])[0]).toBe(category);
  });

  it('fallbacks apply only when nothing more specific matched', () => {
    expect(categoriesOfBook(['Fiction', 'Science Fiction'])).toEqual(['SciFi']);
    expect(categoriesOfBook(['FICTION / General', 'FICTION / Science Fiction / General'])).toEqual(['SciFi']);
  });

  it('several categories: the highest priority first', () => {
    expect(categoriesOfBook(['Fantasy', 'Science Fiction'])).toEqual(['SciFi', 'Fantasy']);
    expect(categoriesOfBook(['JUVENILE FICTION / Science Fiction'])).toEqual(['SciFi', 'Children']);
  });

  it('a book with no subjects has no category', () => {
    expect(categoriesOfBook([])).toEqual([]);
    expect(categoriesOfBook(['Zzyzx'])).toEqual([]);
  });
});

describe('music and photo categories', () => {
  it('music genres, normalised', () => {
    const items = [
      track({ id: '1', genres: ['hip hop'] }),
      track({ id: '2', genres: ['Hip-Hop'] }),
      track({ id: '3', genres: ['Heavy Metal'] }),
      track({ id: '4', genres: ['rhythm and blues'] }),
      track({ id: '5', genres: ['Delta Blues'] }),
      track({ id: '6', genres: ['vaporwave'] }),
      track({ id: '7', genres: ['CHIPTUNE'] }),
      track({ id: '8', genres: ['Alternative Rock'] }),
    ];
    const cats = categorise(graphWith(...items), rules);
    expect(items.map((i) => cats.get(i.iri)?.[0])).toEqual([
      'Hip-Hop',
      'Hip-Hop',
      'Metal',
      'R&B',
      'Blues',
      'Vaporwave',
      'Chiptune',
      'Rock',
    ]);
  });

  it('photos by year and, where known, place', () => {
    const a = photo({ id: 'a', date: '2023-07-14T10:22:00', place: 'Paris' });
    const b = photo({ id: 'b', date: '2019-01-02T00:00:00' });
    const c = photo({ id: 'c' });
    const cats = categorise(graphWith(a, b, c), rules);
    expect(cats.get(a.iri)).toEqual(['2023', 'Paris']);
    expect(cats.get(b.iri)).toEqual(['2019']);
    expect(cats.has(c.iri)).toBe(false);
  });

  it('categoryQuads writes ss:category links to labelled category IRIs', () => {
    const b = book({ id: 'q', subjects: ['SF'] });
    const quads = categoryQuads(categorise(graphWith(b), rules));
    expect(quads.map((q) => `${q.subject.value} ${q.object.value}`)).toContain(
      `${b.iri} https://w3id.org/semsync/id/category/SciFi`,
    );
  });

  it('an ss:where rule is evaluated with SPARQL', () => {
    const [user] = ruleFiles({
      'lang.ttl': `${PREFIXES}
<#french> a ss:CategoryRule ; ss:kind "ebook" ; ss:category "En français" ; ss:priority 100 ;
  ss:where "?content dcterms:language ?l . FILTER(STRSTARTS(?l, 'fr'))" .`,
    });
    const fr = book({ id: 'fr', subjects: ['SF'] });
    const g = graphWith(fr, { ttl: `<${fr.iri}> dcterms:language "fr-FR" .\n` }, book({ id: 'en', subjects: ['SF'] }));
    const cats = categorise(g, loadRules([defaultRulesFile(), user]));
    expect(cats.get(fr.iri)).toEqual(['En français', 'SciFi']);
  });
});
