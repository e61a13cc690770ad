// The two meanings of a term's text (terms.ts), one function each: termToNQuads (the text the log and snapshots
// write, for RDF/JS and oxigraph terms alike) and termLabel (what a person reads).
import { describe, expect, it } from 'vitest';
import n3 from 'n3';
import oxigraph from 'oxigraph';
import { termLabel, termToNQuads } from '../../src/graph/terms.js';
import { termText } from '../../src/cli/output.js';

const { namedNode, blankNode, literal, defaultGraph } = n3.DataFactory;
const XSD_INT = 'http://www.w3.org/2001/XMLSchema#integer';

describe('termToNQuads', () => {
  it('writes each kind of term as N-Quads does, the default graph as nothing', () => {
    expect(termToNQuads(namedNode('http://ex.org/a'))).toBe('<http://ex.org/a>');
    expect(termToNQuads(blankNode('b1'))).toBe('_:b1');
    expect(termToNQuads(literal('say "hi"\n'))).toBe('"say \\"hi\\"\\n"');
    expect(termToNQuads(literal('chat', 'fr'))).toBe('"chat"@fr');
    expect(termToNQuads(literal('7', namedNode(XSD_INT)))).toBe(`"7"^^<${XSD_INT}>`);
    expect(termToNQuads(defaultGraph())).toBe('');
  });

  it("gives oxigraph's terms the text oxigraph writes for them", () => {
    for (const t of [oxigraph.namedNode('http://ex.org/a'), oxigraph.blankNode('b1'), oxigraph.literal('chat', 'fr'), oxigraph.literal('7', oxigraph.namedNode(XSD_INT)), oxigraph.literal('plain')]) {
      expect(termToNQuads(t)).toBe(t.toString());
    }
    expect(termToNQuads(oxigraph.defaultGraph())).toBe('');
  });
});

describe('termLabel', () => {
  it('gives IRIs and literals bare, blank nodes with their prefix, nothing for none; the CLI prints the same', () => {
    const cases = [namedNode('http://ex.org/a'), literal('Dune', 'en'), literal('7', namedNode(XSD_INT)), blankNode('b1'), undefined];
    expect(cases.map(termLabel)).toEqual(['http://ex.org/a', 'Dune', '7', '_:b1', '']);
    expect(cases.map(termText)).toEqual(cases.map(termLabel));
  });
});
