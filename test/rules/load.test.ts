// Loading rules: broken files name the file and line; a user's rules file adds categories and templates.
import { describe, expect, it } from 'vitest';
import { mkdirSync, writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  RuleFileError,
  defaultRulesFile,
  loadDefaultRules,
  loadRules,
  plan,
  userRulesFiles,
} from '../../src/rules/index.js';
import { PREFIXES, book, graphWith, profile, ruleFiles } from './helpers.js';

function loadError(text: string): RuleFileError {
  const [file] = ruleFiles({ 'mine.ttl': text });
  try {
    loadRules([defaultRulesFile(), file]);
  } catch (err) {
    expect(err).toBeInstanceOf(RuleFileError);
    const e = err as RuleFileError;
    expect(e.file).toBe(file);
    expect(e.message).toContain(file);
    return e;
  }
  throw new Error('expected a RuleFileError');
}

describe('loadRules', () => {
  it('loads the defaults', () => {
    const rules = loadDefaultRules();
    expect(rules.placementRules.map((r) => r.kind).sort()).toEqual(['document', 'ebook', 'music', 'photo']);
    expect(rules.categoryRules.some((r) => r.category === 'SciFi')).toBe(true);
  });

  it('broken Turtle: the file and the line', () => {
    const e = loadError(`${PREFIXES}
<#a> a ss:CategoryRule ;
  ss:kind "ebook" ;
  ss:category "X" ,, .
`);
    expect(e.line).toBe(15);
    expect(e.message).toMatch(/mine\.ttl:15: not valid Turtle/u);
  });

  it('an incomplete rule: the file, the rule and its line', () => {
    const e = loadError(`${PREFIXES}
<#nokind> a ss:CategoryRule ; ss:category "X" .
`);
    expect(e.rule).toMatch(/#nokind$/u);
    expect(e.line).toBe(13);
    expect(e.message).toMatch(/ss:kind must be one of/u);
  });

  it.each([
    ['<#t> a ss:PlacementRule ; ss:kind "ebook" ; ss:template "{nope}/{title}" .', /unknown field \{nope\}/u],
    ['<#t> a ss:PlacementRule ; ss:kind "ebook" ; ss:template "../{title}" .', /".." segment/u],
    ['<#t> a ss:PlacementRule ; ss:kind "ebook" ; ss:template "/abs/{title}" .', /absolute/u],
    ['<#t> a ss:PlacementRule ; ss:kind "ebook" .', /needs an ss:template/u],
    ['<#c> a ss:CategoryRule ; ss:kind "ebook" ; ss:category "X" ; ss:subjectPattern "(" .', /not a valid regular expression/u],
    ['<#c> a ss:CategoryRule ; ss:kind "ebook" .', /needs ss:category/u],
    ['<#c> a ss:CategoryRule ; ss:kind "ebook" ; ss:categoryFrom "colour" .', /ss:categoryFrom must be/u],
    ['[] a ss:CategoryRule ; ss:kind "ebook" ; ss:category "X" .', /needs an IRI/u],
    ['<#c> a ss:CategoryRule ; ss:kind "ebook" ; ss:category "X", "Y" .', /ss:category has 2 values/u],
  ])('rejects %s', (rule, message) => {
    expect(loadError(`${PREFIXES}\n${rule}\n`).message).toMatch(message);
  });

  it('a missing file names the file', () => {
    expect(() => loadRules(['/nonexistent/rules.ttl'])).toThrow(/\/nonexistent\/rules\.ttl: cannot read it/u);
  });

  it('user rules come from HOME/rules/*.ttl, in name order', () => {
    const home = mkdtempSync(join(tmpdir(), 'semsync-home-'));
    expect(userRulesFiles(home)).toEqual([]);
    mkdirSync(join(home, 'rules'));
    writeFileSync(join(home, 'rules', 'b.ttl'), PREFIXES);
    writeFileSync(join(home, 'rules', 'a.ttl'), PREFIXES);
    writeFileSync(join(home, 'rules', 'notes.txt'), 'x');
    expect(userRulesFiles(home)).toEqual([join(home, 'rules', 'a.ttl'), join(home, 'rules', 'b.ttl')]);
    expect(loadDefaultRules(home).files).toHaveLength(3);
  });
});

describe('a user rules file changes the plan without code', () => {
  it('adds a category and a template', () => {
    const cyber = book({ id: 'nm', title: 'Neuromancer', creators: ['William Gibson'], subjects: ['Cyberpunk fiction'] });
    const other = book({ id: 'dune', title: 'Dune', creators: ['Frank Herbert'], subjects: ['Science Fiction'] });
    const g = graphWith(cyber, other);
    const dev = profile({ accepts: ['ebook'] });
    const before = plan({ graph: g, rules: loadDefaultRules(), profile: dev, listing: [], sources: new Map() });
    expect(before.map((o) => o.kind === 'copy' && o.target)).toEqual([
      'eBooks/SciFi/Frank Herbert - Dune.epub',
      'eBooks/SciFi/William Gibson - Neuromancer.epub',
    ]);
    const home = mkdtempSync(join(tmpdir(), 'semsync-home-'));
    mkdirSync(join(home, 'rules'));
    writeFileSync(
      join(home, 'rules', 'mine.ttl'),
      `${PREFIXES}
@prefix cat: <https://w3id.org/semsync/id/category/> .
<#cyberpunk> a ss:CategoryRule ; ss:kind "ebook" ; ss:category cat:Cyberpunk ; ss:priority 100 ;
  ss:subjectPattern "cyberpunk" .
<#cyber-shelf> a ss:PlacementRule ; ss:kind "ebook" ; ss:forCategory cat:Cyberpunk ; ss:folder "Books" ;
  ss:template "Cyberpunk/{title} ({creator}).{ext}" .
`,
    );
    const rules = loadDefaultRules(home);
    const after = plan({ graph: g, rules, profile: dev, listing: [], sources: new Map() });
    const copies = after.filter((o) => o.kind === 'copy');
    expect(copies.map((o) => o.target)).toEqual([
      'Books/Cyberpunk/Neuromancer (William Gibson).epub',
      'eBooks/SciFi/Frank Herbert - Dune.epub',
    ]);
    expect(copies[0].rule).toMatch(/mine\.ttl#cyber-shelf$/u);
    expect(copies[0].values.categoryRule).toMatch(/mine\.ttl#cyberpunk$/u);
  });
});

describe('the documented example', () => {
  it('ontologies/rules/README.md example rules load and apply', async () => {
    const { readFileSync } = await import('node:fs');
    const readme = readFileSync(new URL('../../ontologies/rules/README.md', import.meta.url), 'utf8');
    const turtle = /```turtle\n([\s\S]*?)```/u.exec(readme)![1];
    const [file] = ruleFiles({ 'mine.ttl': turtle });
    const rules = loadRules([defaultRulesFile(), file]);
    const b = book({ id: 'k', title: 'Snow Crash', creators: ['Neal Stephenson'], subjects: ['Cyberpunk'] });
    const onKobo = plan({ graph: graphWith(b), rules, profile: profile({ id: 'kobo-libra' }), listing: [], sources: new Map() });
    const elsewhere = plan({ graph: graphWith(b), rules, profile: profile(), listing: [], sources: new Map() });
    expect(onKobo.map((o) => o.kind === 'copy' && o.target)).toEqual(['Books/Neal Stephenson - Snow Crash.epub']);
    expect(elsewhere.map((o) => o.kind === 'copy' && o.target)).toEqual(['Books/Cyberpunk/Snow Crash (Neal Stephenson).epub']);
  });
});
