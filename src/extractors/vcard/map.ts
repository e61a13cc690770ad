// One vCard (jCal from ical.js) → quads about its contact IRI: W3C vCard + FOAF, with the source text kept.
import type { NamedNode } from '@rdfjs/types';
import { FOAF, GEO, RDF, SS, VCARD, XSD, pimHashIri, pimItemIri } from '../../graph/vocab.js';
import { firstString, props, values, type JCal, type JProp } from '../ical/parse.js';
import { type QuadList, iriFrom, literal, namedNode, plainText, sha256Hex } from '../ical/quads.js';

/** The N components, in order, and the vCard terms they map to. */
export const NAME_PARTS = ['family-name', 'given-name', 'additional-name', 'honorific-prefix', 'honorific-suffix'] as const;
/** The ADR components, in order, and the vCard terms they map to. */
export const ADR_PARTS = ['post-office-box', 'extended-address', 'street-address', 'locality', 'region', 'postal-code', 'country-name'] as const;

/** A URL with a scheme (`https:`, `mailto:`, ...): what can become an IRI once its illegal characters are escaped. */
const ABSOLUTE_URL = /^[A-Za-z][A-Za-z0-9+.-]*:/;

/** The contact IRI of a vCard: from its UID, else from the hash of its source text. */
export function contactIri(card: JCal | undefined, sourceText: string): NamedNode {
  const uid = card ? plainText(firstString(props(card, 'uid')[0])) : undefined;
  return uid ? pimItemIri('contact', uid.trim()) : pimHashIri('contact', sha256Hex(sourceText));
}

/** Writes the quads of one contact into `q`. `errors` collects values that could not be read. */
export function mapContact(q: QuadList, s: NamedNode, card: JCal, sourceText: string, errors: string[]): void {
  const kind = (plainText(firstString(props(card, 'kind')[0])) ?? 'individual').toLowerCase();
  const cls = kind === 'org' ? 'Organization' : kind === 'group' ? 'Group' : kind === 'location' ? 'Location' : 'Individual';
  q.add(s, RDF('type'), VCARD(cls));
  if (cls === 'Individual') q.add(s, RDF('type'), FOAF('Person'));
  q.text(s, SS('vcardVersion'), firstString(props(card, 'version')[0]));
  q.text(s, SS('sourceText'), sourceText);

  for (const p of props(card, 'uid')) q.text(s, VCARD('uid'), plainText(p[3])?.trim());
  for (const p of props(card, 'fn')) {
    q.text(s, VCARD('fn'), textValue(p));
    if (cls === 'Individual') q.text(s, FOAF('name'), textValue(p));
  }
  const n = props(card, 'n')[0];
  if (n) {
    const parts = structured(n);
    if (parts.some((x) => x !== undefined)) {
      const nameIri = namedNode(`${s.value}/name`);
      q.add(s, VCARD('hasName'), nameIri);
      q.add(nameIri, RDF('type'), VCARD('Name'));
      NAME_PARTS.forEach((term, i) => q.text(nameIri, VCARD(term), parts[i]));
    }
  }
  for (const p of props(card, 'nickname')) for (const v of values(p)) q.text(s, VCARD('nickname'), unescapeSemicolons(v));
  for (const p of props(card, 'email')) {
    const v = plainText(p[3])?.trim();
    if (v) q.add(s, VCARD('hasEmail'), iriFrom('mailto:', v.replace(/^mailto:/i, '')));
  }
  for (const p of props(card, 'tel')) {
    const v = plainText(p[3])?.trim();
    if (v) q.add(s, VCARD('hasTelephone'), iriFrom('tel:', v.replace(/^tel:/i, '')));
  }
  for (const p of props(card, 'adr')) {
    const parts = structured(p);
    if (!parts.some((x) => x !== undefined)) continue;
    const adr = namedNode(`${s.value}/adr/${sha256Hex(parts.map((x) => x ?? '').join('\u0000')).slice(0, 16)}`);
    q.add(s, VCARD('hasAddress'), adr);
    q.add(adr, RDF('type'), VCARD('Address'));
    ADR_PARTS.forEach((term, i) => q.text(adr, VCARD(term), parts[i]));
  }
  for (const p of props(card, 'bday')) {
    const lit = bdayLiteral(plainText(p[3]));
    if (lit) q.add(s, VCARD('bday'), lit);
  }
  for (const p of props(card, 'categories')) for (const v of values(p)) q.text(s, VCARD('category'), unescapeSemicolons(v));
  for (const p of props(card, 'class')) q.text(s, SS('class'), plainText(p[3])?.trim().toUpperCase());
  const escapedGeo = /^(?:[\w-]+\.)?GEO(?:;[^:\n]*)?:\s*([+-]?[\d.]+)\s*\\;\s*([+-]?[\d.]+)\s*$/im.exec(sourceText); // `lat\;lon` (Radicale writes a 2.1 GEO back so)
  for (const p of props(card, 'geo')) {
    const g = geoOf(p) ?? (escapedGeo ? geoOf(['geo', {}, 'text', `${escapedGeo[1]};${escapedGeo[2]}`] as unknown as JProp) : undefined);
    if (!g) {
      errors.push(`unreadable GEO ${JSON.stringify(p[3])}`);
      continue;
    }
    q.add(s, VCARD('hasGeo'), namedNode(`geo:${g.lat},${g.lon}`));
    q.double(s, GEO('lat'), g.lat);
    q.double(s, GEO('long'), g.lon);
  }
  for (const p of props(card, 'note')) q.text(s, VCARD('note'), textValue(p));
  for (const p of props(card, 'org')) {
    const parts = structured(p);
    q.text(s, VCARD('organization-name'), parts[0]);
    for (const unit of parts.slice(1)) q.text(s, VCARD('organization-unit'), unit);
  }
  for (const p of props(card, 'title')) q.text(s, VCARD('title'), textValue(p));
  for (const p of props(card, 'role')) q.text(s, VCARD('role'), textValue(p));
  for (const p of props(card, 'url')) {
    const v = plainText(p[3])?.trim().replace(/\\:/g, ':');
    if (!v) continue;
    // `URL:homepage` or `URL:www.example.com` (seen in Evolution, KAddressBook, Android exports) has no scheme: an IRI
    // made of it would be relative, which no store accepts. It is kept as the text it is.
    if (ABSOLUTE_URL.test(v)) q.add(s, VCARD('url'), iriFrom('', v));
    else {
      q.text(s, VCARD('url'), v);
      errors.push(`URL ${JSON.stringify(v.length > 80 ? v.slice(0, 80) + '…' : v)} is not an absolute IRI: kept as text`);
    }
  }
}

/** The components of a structured value (N, ADR, ORG) as strings; a multi-valued component is joined with `,`. */
export function structured(p: JProp): (string | undefined)[] {
  const v = p[3];
  const list = Array.isArray(v) ? v : values(p).length > 1 ? values(p) : typeof v === 'string' ? v.split(';') : [];
  return list.map((x) => unescapeSemicolons(plainText(x)));
}

/**
 * A single text value. ical.js splits some vCard 3 texts (NOTE) at unescaped commas, and keeps `\;` (RFC 2426 escapes
 * `;` in every text): the values are joined back with `,` and `\;` read as `;`, as EVCard and vobject do.
 */
export function textValue(p: JProp): string | undefined {
  return unescapeSemicolons(plainText(values(p).map((v) => plainText(v) ?? '')));
}

export function unescapeSemicolons<T>(v: T): T {
  return (typeof v === 'string' ? v.replace(/\\;/g, ';') : v) as T;
}

/** A BDAY: xsd:date for a full date, xsd:dateTime for a date and time, else the text (`--0415`, `circa 1800`). */
export function bdayLiteral(text: string | undefined) {
  if (!text) return undefined;
  const t = text.trim();
  let m: RegExpExecArray | null;
  if ((m = /^(\d{4})-?(\d{2})-?(\d{2})$/.exec(t))) return literal(`${m[1]}-${m[2]}-${m[3]}`, XSD('date'));
  if ((m = /^(\d{4})-?(\d{2})-?(\d{2})T(\d{2}):?(\d{2}):?(\d{2})(Z|[+-]\d{2}:?\d{2})?$/.exec(t))) {
    const tz = m[7] === undefined ? '' : m[7] === 'Z' ? 'Z' : `${m[7].slice(0, 3)}:${m[7].slice(-2)}`;
    return literal(`${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}${tz}`, XSD('dateTime'));
  }
  return literal(t);
}

/** GEO: vCard 3 `lat;lon` (two floats), vCard 4 `geo:lat,lon` (a URI). */
export function geoOf(p: JProp): { lat: number; lon: number } | undefined {
  let lat: number;
  let lon: number;
  const v = p[3];
  if (Array.isArray(v) && v.length >= 2) {
    lat = Number(v[0]);
    lon = Number(v[1]);
  } else if (typeof v === 'string') {
    const m = /^(?:geo:)?\s*([+-]?[\d.]+)\s*[,;]\s*([+-]?[\d.]+)/i.exec(v.trim());
    if (!m) return undefined;
    lat = Number(m[1]);
    lon = Number(m[2]);
  } else return undefined;
  if (!Number.isFinite(lat) || !Number.isFinite(lon) || Math.abs(lat) > 90 || Math.abs(lon) > 180) return undefined;
  return { lat, lon };
}
