// A file's description: the file, its content and what they name (people, albums), never a share or a category.
import n3 from 'n3';
import type { Term } from '@rdfjs/types';
import { expect, it } from 'vitest';
import { describeQuads, serializeQuads, termText } from '../../src/app/describe.js';

const { quad, namedNode, literal, blankNode } = n3.DataFactory;
const file = namedNode('file:///music/a.mp3');
const content = namedNode('urn:sha256:' + 'a'.repeat(64));
const person = namedNode('https://w3id.org/semsync/id/person/ann');
const share = namedNode('https://w3id.org/semsync/id/share/music');
const g = namedNode('https://w3id.org/semsync/graph/n/share/music');
const other = namedNode('https://w3id.org/semsync/graph/peer/share/music');
const quads = [
  quad(file, namedNode('urn:p:interpretedAs'), content, g),
  quad(file, namedNode('urn:p:inShare'), share, g),
  quad(share, namedNode('urn:p:name'), literal('music'), g),
  quad(content, namedNode('urn:p:creator'), person, g),
  quad(content, namedNode('urn:p:creator'), person, other),
  quad(person, namedNode('urn:p:name'), literal('Ann'), g),
];
const store = { match: (s?: Term | null) => quads.filter((q) => !s || q.subject.equals(s)) };

it('follows content and people, not shares, and prints each triple once', () => {
  const out = describeQuads(store, file);
  expect(out.map((q) => q.subject.value)).toEqual([file.value, file.value, content.value, content.value, person.value]);
  const nt = serializeQuads(out, 'ntriples');
  expect(nt.trim().split('\n')).toHaveLength(4); // the creator said in two graphs is one triple
  expect(serializeQuads(out, 'nquads').trim().split('\n')).toHaveLength(5);
  expect(termText(blankNode('b1'))).toBe('_:b1');
  expect(termText(undefined)).toBe('');
});
