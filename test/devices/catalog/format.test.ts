// The catalog writer (src/devices/catalog/format.ts), with n3's TriG parser as the ground truth: what every record
// says, read back by n3, is exactly the statements the catalog format defines for it, in the device's one graph.
import n3 from 'n3';
import { describe, expect, it } from 'vitest';
import { catalogBytes, prepareCatalogRecords, serializeCatalog } from '../../../src/devices/catalog/format.js';
import type { CatalogRecord } from '../../../src/devices/index.js';
import { awkward, randomRecords } from './records-helper.js';

const SS = 'https://w3id.org/semsync/ns#';
const XSD = 'http://www.w3.org/2001/XMLSchema#';
const DEVICE = 'https://w3id.org/semsync/id/device/';

/** What a record must say, as n3 reads it: its statements (predicate, object, datatype), sorted. */
function expected(r: CatalogRecord): string[] {
  const out = [
    [`${SS}relativePath`, r.path, `${XSD}string`],
    ['http://www.semanticdesktop.org/ontologies/2007/01/19/nie#interpretedAs', r.content, 'iri'],
    ['http://www.semanticdesktop.org/ontologies/2007/03/22/nfo#fileSize', String(r.size), `${XSD}integer`],
    [`${SS}placedBy`, r.rule, 'iri'],
    [`${SS}placedAt`, r.placedAt, `${XSD}dateTime`],
    [`${SS}templateValues`, JSON.stringify(r.values), 'http://www.w3.org/1999/02/22-rdf-syntax-ns#JSON'],
  ];
  if (r.removedAt) out.push([`${SS}removedByPerson`, r.removedAt, `${XSD}dateTime`]);
  if (r.restoredAt) out.push([`${SS}restoredAt`, r.restoredAt, `${XSD}dateTime`]);
  return out.map((x) => JSON.stringify(x)).sort();
}

/** n3's reading of a catalog: the graphs used, the device's statements, and each file's statements by its path. */
function readByN3(text: string): { graphs: Set<string>; device: string[]; files: Map<string, string[]> } {
  const quads = new n3.Parser({ format: 'TriG' }).parse(text);
  const bySubject = new Map<string, n3.Quad[]>();
  for (const q of quads) bySubject.set(q.subject.value, [...(bySubject.get(q.subject.value) ?? []), q]);
  const files = new Map<string, string[]>();
  let device: string[] = [];
  for (const [s, qs] of bySubject) {
    const said = qs.map((q) => JSON.stringify([q.predicate.value, q.object.value, q.object.termType === 'Literal' ? (q.object as n3.Literal).datatype.value : 'iri'])).sort();
    if (s.startsWith(DEVICE)) device = said;
    else files.set(qs.find((q) => q.predicate.value === `${SS}relativePath`)!.object.value, said);
  }
  return { graphs: new Set(quads.map((q) => q.graph.value)), device, files };
}

describe('catalog writer', () => {
  it('writes every record so that n3 reads exactly its statements, in one graph named by the device', () => {
    for (const records of [awkward, randomRecords(300)]) {
      const got = readByN3(serializeCatalog('dev-1', records));
      expect(got.graphs).toEqual(new Set([`${DEVICE}dev-1`]));
      expect(got.device).toEqual([
        JSON.stringify(['http://www.w3.org/1999/02/22-rdf-syntax-ns#type', `${SS}Device`, 'iri']),
        JSON.stringify([`${SS}deviceId`, 'dev-1', `${XSD}string`]),
      ].sort());
      expect(got.files.size).toBe(records.length);
      for (const r of records) expect(got.files.get(r.path)).toEqual(expected(r));
    }
  });

  it('writes an IRI n3 would refuse with its offending characters percent-encoded', () => {
    const r = { ...awkward[1], rule: 'urn:x:rule with space<>' };
    expect(readByN3(serializeCatalog('dev-1', [r])).files.get(r.path)).toEqual(expected({ ...r, rule: 'urn:x:rule%20with%20space%3C%3E' }));
  });

  it('writes the same bytes from its per-record cache, in any order and after records were prepared', () => {
    const records = randomRecords(50, 3);
    const first = catalogBytes('dev-2', records);
    expect(catalogBytes('dev-2', records)).toEqual(first);
    const fresh = records.map((r) => ({ ...r }));
    prepareCatalogRecords(fresh.slice(10));
    const shuffled = [...fresh.slice(25), ...fresh.slice(0, 25)];
    const got = readByN3(serializeCatalog('dev-2', shuffled));
    for (const r of records) expect(got.files.get(r.path)).toEqual(expected(r));
  });

  it('gives each record its own subject, so two records for one content stay two files', () => {
    const twin = [awkward[0], { ...awkward[0], path: 'Copy/of the same.mp3' }];
    expect(readByN3(serializeCatalog('dev-3', twin)).files.size).toBe(2);
  });
});
