// Planning: templates and fallbacks, profile folders and depth, collisions, idempotence, rule changes, skips.
import { describe, expect, it } from 'vitest';
import { loadDefaultRules, loadRules, defaultRulesFile, plan, type Operation } from '../../src/rules/index.js';
import type { DeviceEntry } from '../../src/rules/types.js';
import { PREFIXES, book, execute, graphWith, photo, profile, ruleFiles, track } from './helpers.js';

const rules = loadDefaultRules();
const targets = (ops: Operation[]): string[] => ops.flatMap((o) => (o.kind === 'copy' ? [o.target] : []));

describe('templates and fallbacks', () => {
  it('ebooks, music and photos go where the default templates say', () => {
    const g = graphWith(
      book({ id: 'dune', title: 'Dune', creators: ['Frank Herbert'], subjects: ['FICTION / Science Fiction / General'] }),
      track({ id: 't', title: 'Dancing Queen', artist: 'ABBA', album: 'Arrival', albumArtist: 'ABBA', track: 2 }),
      photo({ id: 'IMG_0001', date: '2023-07-14T10:22:00' }),
    );
    const ops = plan({ graph: g, rules, profile: profile(), listing: [], sources: new Map() });
    // Operations come in code-unit order of their targets (locale-independent, so every machine agrees).
    expect(targets(ops)).toEqual([
      'Music/ABBA/Arrival/02 - Dancing Queen.mp3',
      'Photos/2023/07/IMG_0001.JPG',
      'eBooks/SciFi/Frank Herbert - Dune.epub',
    ]);
    const copy = ops[2] as Operation & { kind: 'copy' };
    expect(copy.rule).toBe('https://w3id.org/semsync/rules/default#place-ebook');
    expect(copy.values).toMatchObject({ category: 'SciFi', creator: 'Frank Herbert', title: 'Dune', ext: 'epub' });
    expect(copy.size).toBe(1000);
    expect(copy.source).toBeUndefined();
  });

  it('uses the documented fallbacks', () => {
    const g = graphWith(
      book({ id: 'anon', path: 'books/Some File.epub' }),
      track({ id: 'a', title: 'Solo', artist: 'Nico', album: 'Chelsea Girl', track: 1 }),
      track({ id: 'b', title: 'Loose', artist: 'Nobody' }),
      track({ id: 'c', path: 'music/untagged thing.flac', mime: 'audio/flac' }),
      photo({ id: 'nodate' }),
      photo({ id: 'yearonly', date: '2020' }),
    );
    const ops = plan({ graph: g, rules, profile: profile(), listing: [], sources: new Map() });
    expect(targets(ops).sort()).toEqual(
      [
        'eBooks/Uncategorized/Unknown Author - Some File.epub',
        'Music/Nico/Chelsea Girl/01 - Solo.mp3', // album artist → artist
        'Music/Nobody/Unknown Album/Loose.mp3', // no track number: no dangling " - "
        'Music/Unknown Artist/Unknown Album/untagged thing.flac', // no title → file name
        'Photos/Unknown/nodate.JPG',
        'Photos/2020/yearonly.JPG',
      ].sort(),
    );
  });

  it('the local source names the extension and is passed on with its size', () => {
    const b = book({ id: 'x', title: 'X', creators: ['Y'], subjects: ['SF'], path: 'a/x' });
    const ops = plan({
      graph: graphWith(b),
      rules,
      profile: profile(),
      listing: [],
      sources: new Map([[b.iri, { path: '/home/u/share/a/x.EPUB', size: 1234 }]]),
    });
    expect(ops).toEqual([
      expect.objectContaining({ kind: 'copy', target: 'eBooks/SciFi/Y - X.epub', source: '/home/u/share/a/x.EPUB', size: 1234 }),
    ]);
  });
});

describe('device profiles', () => {
  const g = graphWith(
    track({ id: 't', title: 'Intro', artist: 'Moby', album: 'Play', track: 1 }),
    book({ id: 'b', title: 'B', creators: ['C'], subjects: ['Poetry'] }),
  );
  it('a profile folder replaces the rule folder', () => {
    const ops = plan({
      graph: g,
      rules,
      profile: profile({ folders: { music: 'MUSIC/', ebook: 'Documents/eBooks' } }),
      listing: [],
      sources: new Map(),
    });
    expect(targets(ops)).toEqual(['Documents/eBooks/Poetry/C - B.epub', 'MUSIC/Moby/Play/01 - Intro.mp3']);
  });
  it.each([
    [0, 'Music/Moby - Play - 01 - Intro.mp3'],
    [1, 'Music/Moby/Play - 01 - Intro.mp3'],
    [2, 'Music/Moby/Play/01 - Intro.mp3'],
    [5, 'Music/Moby/Play/01 - Intro.mp3'],
  ])('folder_depth %i', (depth, target) => {
    const ops = plan({ graph: g, rules, profile: profile({ accepts: ['music'], folderDepth: depth }), listing: [], sources: new Map() });
    expect(targets(ops)).toEqual([target]);
  });
  it('kinds the device does not take are left out; formats it does not take are skipped with the reason', () => {
    const g2 = graphWith(
      track({ id: 'mp3', title: 'A', artist: 'X', album: 'Y', track: 1 }),
      track({ id: 'flac', title: 'B', artist: 'X', album: 'Y', track: 2, mime: 'audio/flac', path: 'm/b.flac' }),
      book({ id: 'b', title: 'B', creators: ['C'] }),
    );
    const ops = plan({
      graph: g2,
      rules,
      profile: profile({ name: 'Player', accepts: ['music'], formats: { music: ['audio/mp3', 'audio/x-m4a'] } }),
      listing: [],
      sources: new Map(),
    });
    expect(ops.map((o) => o.kind)).toEqual(['copy', 'skip']);
    expect(ops[1]).toMatchObject({ kind: 'skip', reason: expect.stringMatching(/audio\/flac is not one Player accepts/u) });
  });
  it('ss:forDevice rules apply only on that device', () => {
    const [user] = ruleFiles({
      'kobo.ttl': `${PREFIXES}\n<#kobo> a ss:PlacementRule ; ss:kind "ebook" ; ss:forDevice "kobo-1" ; ss:template "{title}.{ext}" .`,
    });
    const r = loadRules([defaultRulesFile(), user]);
    const on = (id: string) => targets(plan({ graph: g, rules: r, profile: profile({ id, accepts: ['ebook'] }), listing: [], sources: new Map() }));
    expect(on('kobo-1')).toEqual(['B.epub']);
    expect(on('other')).toEqual(['eBooks/Poetry/C - B.epub']);
  });
});

describe('names and collisions', () => {
  it('hostile metadata stays inside the device with legal names', () => {
    const g = graphWith(
      book({ id: '1', title: '../../x', creators: ['/etc/passwd'], subjects: ['SF'] }),
      book({ id: '2', title: 'CON', creators: ['C:\\x'], subjects: ['SF'] }),
      book({ id: '3', title: 'a:b?', creators: ['Dots...'], subjects: ['SF'] }),
      book({ id: '4', title: 'T'.repeat(300), creators: ['🐉 Dragon'], subjects: ['SF'] }),
    );
    const ops = plan({ graph: g, rules, profile: profile({ accepts: ['ebook'] }), listing: [], sources: new Map() });
    const t = targets(ops);
    expect(t).toContain('eBooks/SciFi/_etc_passwd - .._.._x.epub');
    expect(t).toContain('eBooks/SciFi/C__x - CON.epub');
    expect(t).toContain('eBooks/SciFi/Dots... - a_b_.epub');
    const long = t.find((p) => p.includes('🐉'))!;
    const name = long.split('/')[2];
    expect(name.length).toBe(255);
    expect(name.startsWith('🐉 Dragon - TTT')).toBe(true);
    expect(name.endsWith('.epub')).toBe(true);
  });

  it('same path: deterministic suffixes, case-insensitive on FAT', () => {
    const items = [
      book({ id: 'a', title: 'Dune', creators: ['Frank Herbert'], subjects: ['SF'] }),
      book({ id: 'b', title: 'DUNE', creators: ['frank herbert'], subjects: ['SF'] }),
      book({ id: 'c', title: 'Dune', creators: ['Frank Herbert'], subjects: ['SF'] }),
    ];
    const run = (fs: 'vfat' | 'posix', order: typeof items) =>
      targets(plan({ graph: graphWith(...order), rules, profile: profile({ filesystem: fs, accepts: ['ebook'] }), listing: [], sources: new Map() }));
    const fat = run('vfat', items);
    expect(fat.map((p) => p.toLowerCase()).sort()).toEqual([
      'ebooks/scifi/frank herbert - dune (2).epub',
      'ebooks/scifi/frank herbert - dune (3).epub',
      'ebooks/scifi/frank herbert - dune.epub',
    ]);
    expect(run('vfat', [...items].reverse())).toEqual(fat);
    expect(run('posix', items)).toHaveLength(3);
    expect(run('posix', items).filter((p) => p.includes('(2)'))).toHaveLength(1); // only the two exact twins collide
  });

  it("never overwrites or removes a file it did not place", () => {
    const b = book({ id: 'a', title: 'Dune', creators: ['Frank Herbert'], subjects: ['SF'] });
    const listing: DeviceEntry[] = [
      { path: 'eBooks/SciFi/frank herbert - dune.epub', size: 5 }, // the user's own, unknown content
      { path: 'eBooks/SciFi/Old.epub', size: 5, content: 'urn:sha256:00' },
    ];
    const ops = plan({ graph: graphWith(b), rules, profile: profile(), listing, sources: new Map() });
    expect(ops).toEqual([expect.objectContaining({ kind: 'copy', target: 'eBooks/SciFi/Frank Herbert - Dune (2).epub' })]);
  });
});

describe('idempotence and change', () => {
  function library(n: number) {
    const items = [];
    for (let i = 0; i < n; i++) {
      items.push(book({ id: `b${i}`, title: `Book ${i % 7}`, creators: [`Author ${i % 3}`], subjects: [i % 2 ? 'SF' : 'Fantasy'] }));
      items.push(track({ id: `t${i}`, title: `Song ${i % 5}`, artist: `Band ${i % 4}`, album: 'Hits', track: (i % 5) + 1, genres: ['rock'] }));
      items.push(photo({ id: `p${i}`, date: `202${i % 4}-0${(i % 9) + 1}-01T00:00:00`, path: `DCIM/IMG_${i % 6}.JPG` }));
    }
    return items;
  }

  it('plan → execute → plan again is zero operations (user files present)', () => {
    const g = graphWith(...library(40));
    const dev = profile();
    let listing: DeviceEntry[] = [{ path: 'eBooks/SciFi/Author 1 - Book 1.epub', size: 1 }];
    const first = plan({ graph: g, rules, profile: dev, listing, sources: new Map() });
    expect(first.filter((o) => o.kind === 'copy')).toHaveLength(120);
    listing = execute(listing, first);
    expect(plan({ graph: g, rules, profile: dev, listing, sources: new Map() })).toEqual([]);
  });

  it('a rule change moves and removes only our files, and settles', () => {
    const items = library(10);
    const g = graphWith(...items);
    const dev = profile({ accepts: ['ebook'] });
    const mine: DeviceEntry = { path: 'eBooks/Fantasy/mine.epub', size: 1, content: 'urn:sha256:ff' };
    let listing = execute([mine], plan({ graph: g, rules, profile: dev, listing: [mine], sources: new Map() }));
    const [user] = ruleFiles({
      'flat.ttl': `${PREFIXES}\n<#flat> a ss:PlacementRule ; ss:kind "ebook" ; ss:folder "Books" ; ss:template "{creator}/{title}.{ext}" .`,
    });
    const changed = loadRules([defaultRulesFile(), user]);
    const ops = plan({ graph: g, rules: changed, profile: dev, listing, sources: new Map() });
    const removes = ops.filter((o) => o.kind === 'remove');
    expect(removes).toHaveLength(10);
    expect(removes.every((o) => o.target.startsWith('eBooks/') && o.target !== mine.path)).toBe(true);
    const copies = ops.filter((o) => o.kind === 'copy');
    expect(copies).toHaveLength(10);
    expect(copies.every((o) => o.target.startsWith('Books/Author ') && o.deviceSource?.startsWith('eBooks/'))).toBe(true);
    listing = execute(listing, ops);
    expect(listing).toContainEqual(mine);
    expect(plan({ graph: g, rules: changed, profile: dev, listing, sources: new Map() })).toEqual([]);
  });

  it('content that left the library stays (copy, not mirror) unless the device mirrors; a second copy of ours is removed', () => {
    const a = book({ id: 'a', title: 'A', creators: ['X'], subjects: ['SF'] });
    const rule = 'https://w3id.org/semsync/rules/default#place-ebook';
    const listing: DeviceEntry[] = [
      { path: 'eBooks/SciFi/X - A.epub', size: 1, content: a.iri, placedBy: rule },
      { path: 'eBooks/SciFi/X - A (2).epub', size: 1, content: a.iri, placedBy: rule },
      { path: 'eBooks/SciFi/Gone.epub', size: 1, content: 'urn:sha256:99', placedBy: rule },
    ];
    const ops = plan({ graph: graphWith(a), rules, profile: profile(), listing, sources: new Map() });
    expect(ops.map((o) => `${o.kind} ${'target' in o ? o.target : ''}`)).toEqual(['remove eBooks/SciFi/X - A (2).epub']);
    const mirrored = plan({ graph: graphWith(a), rules, profile: { ...profile(), mirror: true }, listing, sources: new Map() });
    expect(mirrored.map((o) => `${o.kind} ${'target' in o ? o.target : ''}`)).toEqual([
      'remove eBooks/SciFi/Gone.epub',
      'remove eBooks/SciFi/X - A (2).epub',
    ]);
  });

  it('plans 10,000 files with a handful of queries', () => {
    const items = library(3400);
    const g = graphWith(...items);
    let queries = 0;
    const counted = { select: (q: string) => (queries++, g.select(q)) };
    const t0 = performance.now();
    const ops = plan({ graph: counted, rules, profile: profile(), listing: [], sources: new Map() });
    const ms = performance.now() - t0;
    expect(ops.filter((o) => o.kind === 'copy')).toHaveLength(10200);
    expect(queries).toBeLessThanOrEqual(4);
    console.log(`planned ${ops.length} operations in ${ms.toFixed(0)} ms with ${queries} queries`);
  });
});
