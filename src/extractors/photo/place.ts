// A photo's place, offline: the town it was taken in (or near), that town's region and country, as derived
// resources with stable IRIs (`dcterms:spatial` on the content; see docs/query-contract.md).
import n3 from 'n3';
import type { NamedNode } from '@rdfjs/types';
import { DCTERMS, GEO, ID, RDFS, SS } from '../../graph/vocab.js';
import type { Describer } from '../describe.js';
import { countryAt, countryName, nearestTown } from './gazetteer.js';

const { literal } = n3.DataFactory;

/** A town by its GeoNames id; a region by country and GeoNames admin1 code; a country by its ISO 3166-1 code. */
export function townIri(geonamesId: number): NamedNode {
  return ID(`place/geonames/${geonamesId}`);
}
export function regionIri(country: string, admin1: string): NamedNode {
  return ID(`place/region/${encodeURIComponent(country)}/${encodeURIComponent(admin1)}`);
}
export function countryIri(code: string): NamedNode {
  return ID(`place/country/${encodeURIComponent(code)}`);
}

function country(d: Describer, code: string, name: string | undefined): NamedNode {
  const iri = countryIri(code);
  d.type(DCTERMS('Location'), iri);
  d.text(RDFS('label'), name ?? code, iri);
  d.add(SS('countryCode'), literal(code), iri);
  return iri;
}

/**
 * Adds `content dcterms:spatial <place>`: the town (GeoNames, population ≥ 1000, within 50 km), with `ss:region`
 * (when GeoNames gives an admin1 code) and `ss:country`; with no town near, the country itself. Nothing when the
 * position is in no country and near no town (mid-ocean).
 */
export function describePlace(d: Describer, lat: number, long: number): void {
  const near = nearestTown(lat, long);
  const where = countryAt(lat, long);
  if (!near) {
    if (where) d.add(DCTERMS('spatial'), country(d, where.code, where.name));
    return;
  }
  const t = near.town;
  const iri = townIri(t.id);
  d.add(DCTERMS('spatial'), iri);
  d.type(DCTERMS('Location'), iri);
  d.text(RDFS('label'), t.name, iri);
  d.add(SS('countryCode'), literal(t.country), iri);
  d.double(GEO('lat'), t.lat, iri);
  d.double(GEO('long'), t.long, iri);
  const countryNode = country(d, t.country, countryName(t.country));
  d.add(SS('country'), countryNode, iri);
  if (t.admin1 && t.admin1 !== '00') {
    const region = regionIri(t.country, t.admin1);
    d.type(DCTERMS('Location'), region);
    d.add(SS('countryCode'), literal(t.country), region);
    d.add(SS('regionCode'), literal(t.admin1), region);
    d.add(SS('country'), countryNode, region);
    d.add(SS('region'), region, iri);
  }
}

