import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import n3 from 'n3';
import type { Quad } from '@rdfjs/types';
import { decodePatch, encodePatch, patchProblem } from '../../src/graph/patch.js';
import { PatchError } from '../../src/graph/errors.js';
import type { Patch } from '../../src/graph/types.js';

const { namedNode, literal, quad, defaultGraph, blankNode } = n3.DataFactory;

const iri = fc
  .tuple(fc.constantFrom('http://ex.org/', 'urn:x:', 'file:///home/a%20b/', 'https://w3id.org/semsync/id/'), fc.stringMatching(/^[A-Za-z0-9_.~%-]{0,12}$/), fc.string({ unit: 'grapheme', maxLength: 4 }))
  // only what an IRI may hold (RFC 3987, as oxigraph checks it): a stray % is escaped, other characters dropped
  .map(([a, b, c]) => a + b.replace(/%(?![0-9A-Fa-f]{2})/g, '%25') + c.replace(/[^A-Za-z0-9\-._~!$&'()*+,;=:@/\u00A0-\uD7FF\uF900-\uFDCF\uFDF0-\uFFEF\u{10000}-\u{1FFFD}]/gu, ''))
  .map((s) => namedNode(s));
const text = fc.string({ unit: 'grapheme', maxLength: 20 });
const lit = fc.oneof(
  text.map((s) => literal(s)),
  fc.tuple(text, fc.constantFrom('en', 'fr-CA', 'zh-Hant-TW')).map(([s, l]) => literal(s, l)),
  fc.tuple(text, iri).map(([s, d]) => literal(s, d)),
  fc.integer().map((i) => literal(String(i), namedNode('http://www.w3.org/2001/XMLSchema#integer'))),
);
const quadArb: fc.Arbitrary<Quad> = fc
  .tuple(fc.oneof(iri, fc.stringMatching(/^[a-z][a-z0-9]{0,5}$/).map((l) => blankNode(l))), iri, fc.oneof(iri, lit), fc.option(iri))
  .map(([s, p, o, g]) => quad(s, p, o, g ?? defaultGraph()));
const patchArb: fc.Arbitrary<Patch> = fc.record({
  author: fc.stringMatching(/^[A-Za-z0-9._~-]{1,20}$/),
  seq: fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }),
  hlc: fc.tuple(fc.nat({ max: 2 ** 45 }), fc.nat({ max: 1e6 })).map(([a, b]) => `${a}.${b}`),
  changes: fc.array(fc.record({ op: fc.constantFrom('A' as const, 'D' as const), quad: quadArb }), { maxLength: 8 }),
});

function sameQuad(a: Quad, b: Quad): boolean {
  return a.equals(b);
}

function good(rows = 'A <http://s> <http://p> "o" .\n'): string {
  return `H id <urn:semsync:patch:n1:2> .\nH prev <urn:semsync:patch:n1:1> .\nH author "n1" .\nH seq "2" .\nH hlc "100.0" .\nTX .\n${rows}TC .\n`;
}

function lineOf(f: () => unknown): number {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(PatchError);
    return (e as PatchError).line;
  }
  throw new Error('expected a PatchError');
}

describe('RDF Patch codec', () => {
  it('round-trips any well-formed patch', () => {
    fc.assert(
      fc.property(patchArb, (p) => {
        expect(patchProblem(p)).toBeNull();
        const back = decodePatch(encodePatch(p));
        expect(back.author).toBe(p.author);
        expect(back.seq).toBe(p.seq);
        expect(back.hlc).toBe(p.hlc);
        expect(back.changes.length).toBe(p.changes.length);
        back.changes.forEach((c, i) => {
          expect(c.op).toBe(p.changes[i].op);
          expect(sameQuad(c.quad, p.changes[i].quad)).toBe(true);
        });
        // bytes in, same patch out
        expect(encodePatch(decodePatch(Buffer.from(encodePatch(p))))).toBe(encodePatch(p));
      }),
      { numRuns: 300 },
    );
  });

  it('writes the Jena RDF Patch shape', () => {
    const text = encodePatch({ author: 'n1', seq: 1, hlc: '5.0', changes: [{ op: 'D', quad: quad(namedNode('http://s'), namedNode('http://p'), literal('a\n"b"', 'en'), namedNode('http://g')) }] });
    expect(text).toBe('H id <urn:semsync:patch:n1:1> .\nH author "n1" .\nH seq "1" .\nH hlc "5.0" .\nTX .\nD <http://s> <http://p> "a\\n\\"b\\""@en <http://g> .\nTC .\n');
  });

  it('accepts escapes, comments, blank lines and unknown headers', () => {
    const p = decodePatch(`# a comment\nH note "x" .\n${good('A <http://s> <http://p> "\\u00e9\\t\\U0001F600" .\n\n').replace('TX', 'TX')}`);
    expect(p.changes[0].quad.object.value).toBe('é\t😀');
  });

  it.each([
    ['no TX', 'H author "n1" .\nH seq "1" .\nH hlc "1.0" .\n', 3],
    ['truncated (no TC)', 'H author "n1" .\nH seq "1" .\nH hlc "1.0" .\nTX .\nA <http://s> <http://p> "o" .\n', 5],
    ['row outside TX', 'H author "n1" .\nA <http://s> <http://p> "o" .\n', 2],
    ['header after TX', good().replace('TC .', 'H x "y" .\nTC .'), 8],
    ['unterminated IRI', good('A <http://s <http://p> "o" .\n'), 7],
    ['relative IRI', good('A <s> <http://p> "o" .\n'), 7],
    // IRIs the old check let in and oxigraph then refused in every query (issue 14, item 7)
    ['IRI with a C1 control', good('A <mailto:a\u0085b> <http://p> "o" .\n'), 7],
    ['IRI with U+FFFD', good('A <http://s> <http://p> <mailto:\uFFFDx> .\n'), 7],
    ['IRI with a second #', good('A <http://s#a#b> <http://p> "o" .\n'), 7],
    ['IRI with [ in its path', good('A <tel:[1]> <http://p> "o" .\n'), 7],
    ['IRI with a stray %', good('A <http://s/%zz> <http://p> "o" .\n'), 7],
    ['literal subject', good('A "s" <http://p> "o" .\n'), 7],
    ['two terms', good('A <http://s> <http://p> .\n'), 7],
    ['five terms', good('A <http://s> <http://p> <http://o> <http://g> <http://h> .\n'), 7],
    ['missing dot', good('A <http://s> <http://p> "o"\n'), 7],
    ['bad escape', good('A <http://s> <http://p> "\\q" .\n'), 7],
    ['surrogate escape', good('A <http://s> <http://p> "\\uD800" .\n'), 7],
    ['bad language', good('A <http://s> <http://p> "o"@-x .\n'), 7],
    ['text after TC', good() + 'A <http://s> <http://p> "o" .\n', 9],
    ['aborted', good().replace('TC .', 'TA .'), 8],
    ['second TX', good().replace('TC .', 'TX .'), 8],
    ['prefix row', good('PA "ex" <http://ex/> .\n'), 7],
    ['carriage return', good().replace('TX .\n', 'TX .\r\n'), 6],
    ['duplicate header', 'H author "n1" .\nH author "n2" .\n', 2],
    ['bad seq', 'H seq "01" .\n', 1],
    ['bad hlc', 'H hlc "x" .\n', 1],
    ['typed author', 'H author "n1"^^<http://x> .\n', 1],
    ['garbage', '\u0000\u0001', 1],
  ])('rejects %s with its line number', (_name, input, line) => {
    expect(lineOf(() => decodePatch(input))).toBe(line);
  });

  it('rejects missing headers and inconsistent id/prev', () => {
    expect(() => decodePatch('H seq "1" .\nH hlc "1.0" .\nTX .\nTC .\n')).toThrow(/author/);
    expect(() => decodePatch(good().replace('n1:2>', 'n1:3>'))).toThrow(/id/);
    expect(() => decodePatch(good().replace('n1:1>', 'n1:0>'))).toThrow(/prev/);
  });

  it('bounds bytes, rows and term length', () => {
    const big = good('A <http://s> <http://p> "' + 'x'.repeat(5000) + '" .\n');
    expect(lineOf(() => decodePatch(big, { maxTermLength: 1000 }))).toBe(7);
    expect(lineOf(() => decodePatch(big, { maxBytes: 1000 }))).toBe(0);
    expect(lineOf(() => decodePatch(Buffer.from(big), { maxBytes: 1000 }))).toBe(0);
    const rows = 'A <http://s> <http://p> "o" .\n'.repeat(11);
    expect(lineOf(() => decodePatch(good(rows), { maxRows: 10 }))).toBe(17);
    expect(lineOf(() => decodePatch(Buffer.from([0xff, 0xfe, 0x41])))).toBe(0);
  });

  it('never throws anything but PatchError on mutated input (fuzz)', () => {
    const base = encodePatch({
      author: 'n1',
      seq: 3,
      hlc: '1.2',
      changes: [
        { op: 'A', quad: quad(namedNode('http://s'), namedNode('http://p'), literal('v "q"', 'en'), namedNode('http://g')) },
        { op: 'D', quad: quad(namedNode('http://s'), namedNode('http://p'), literal('1', namedNode('http://www.w3.org/2001/XMLSchema#int'))) },
      ],
    });
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(), fc.nat({ max: 3 }), fc.string({ maxLength: 3, unit: 'binary' })), { minLength: 1, maxLength: 4 }), (edits) => {
        let s = base;
        for (const [pos, kind, str] of edits) {
          const i = pos % (s.length + 1);
          s = kind === 0 ? s.slice(0, i) + str + s.slice(i) : kind === 1 ? s.slice(0, i) + s.slice(i + 1) : kind === 2 ? s.slice(0, i) : s.slice(0, i) + str + s.slice(i + str.length);
        }
        try {
          const p = decodePatch(s);
          expect(patchProblem(p)).toBeNull(); // whatever is accepted is well formed
        } catch (e) {
          expect(e).toBeInstanceOf(PatchError);
        }
      }),
      { numRuns: 2000 },
    );
  });
});
