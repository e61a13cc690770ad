// The catalog writer's hand-written quoting (format.ts) against the formatter it replaced (two JSON.stringify per
// record, kept here as it was): byte-identical catalogs over hostile strings, so old catalogs and readers see no change.
import { describe, expect, it } from 'vitest';
import { catalogBytes, valuesLiteral } from '../../../src/devices/catalog/format.js';
import type { CatalogRecord } from '../../../src/devices/index.js';
import { awkward, hex, randomRecords } from './records-helper.js';

/** The record line as the old formatter wrote it (its `_:f…` label left out: a counter both share). */
function oldLine(r: CatalogRecord): string {
  const lit = (s: string) => JSON.stringify(s);
  const iri = (s: string) => '<' + s.replace(/[\x00-\x20<>"{}|^`\\]/g, (c) => encodeURIComponent(c)) + '>';
  const integer = (n: number) => (Number.isSafeInteger(n) ? String(n) : `${lit(String(n))}^^xsd:integer`);
  return (
    `ss:relativePath ${lit(r.path)} ; nie:interpretedAs ${iri(r.content)} ; nfo:fileSize ${integer(r.size)} ; ` +
    `ss:placedBy ${iri(r.rule)} ; ss:placedAt ${lit(r.placedAt)}^^xsd:dateTime ; ss:templateValues ${lit(JSON.stringify(r.values))}^^rdf:JSON` +
    (r.removedAt ? ` ; ss:removedByPerson ${lit(r.removedAt)}^^xsd:dateTime` : '') +
    (r.restoredAt ? ` ; ss:restoredAt ${lit(r.restoredAt)}^^xsd:dateTime .` : ' .')
  );
}

const HOSTILE = [
  '', 'plain', 'say "hi"', 'back\\slash', '\\"', 'tab\there', 'nl\nand\rcr', '\x00\x01\x1f\x7f', '\b\f\v',
  'lone \uD800 high', 'lone \uDFFF low', '\uDC00\uD800 reversed', 'pair 😀 ok', 'é ü ñ 中文 العربية', 'sep \u2028 \u2029',
  '\uFEFFbom', '} ; ss:x "y" .', '{"json":"in"}', '</script>', '%20 <iri>', '\\u0041 written',
];

function records(): CatalogRecord[] {
  const out: CatalogRecord[] = [...awkward, ...randomRecords(200, 11)];
  HOSTILE.forEach((s, i) => {
    out.push({
      path: `Music/${s}/${i}.mp3`, content: hex('a'), size: i, rule: 'urn:x:rule', placedAt: s || '2026-01-01T00:00:00Z',
      values: { title: s, [s || 'empty']: 'v', '10': 'numeric key first', ext: 'mp3' }, removedAt: i % 3 ? undefined : s, restoredAt: i % 4 ? undefined : `${s}!`,
    });
  });
  // Values JSON.stringify leaves out or writes otherwise: the old formatter's output stays the rule.
  out.push({ path: 'odd/1', content: hex('b'), size: 1, rule: 'urn:x:r', placedAt: 't', values: { a: undefined, b: 'x' } as unknown as Record<string, string> });
  out.push({ path: 'odd/2', content: hex('c'), size: 2 ** 60, rule: 'urn:x:r', placedAt: 't', values: { n: 3, s: 'x' } as unknown as Record<string, string> });
  return out;
}

describe('catalog record formatting', () => {
  it('writes the same bytes as the two-stringify formatter over hostile paths, values and times', () => {
    const rs = records();
    const text = catalogBytes('dev-h', rs).toString('utf8');
    const lines = text.split('\n').filter((l) => l.startsWith('_:f')).map((l) => l.slice(l.indexOf(' ') + 1));
    expect(lines).toEqual(rs.map(oldLine));
    expect(Buffer.from(lines.join('\n'))).toEqual(Buffer.from(rs.map(oldLine).join('\n')));
  });

  it('quotes template values as JSON.stringify twice would, key order included', () => {
    for (const s of HOSTILE) {
      for (const v of [{ title: s }, { [s]: 'x', b: s }, { 2: 'two', 1: 'one', z: s, a: 'a' }, {}]) {
        expect(valuesLiteral(v)).toBe(JSON.stringify(JSON.stringify(v)));
      }
    }
  });
});
