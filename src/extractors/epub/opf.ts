// Reads an OPF package document (EPUB 2 and 3): DC elements with their roles and refinements, metas, cover, series.
import { allText, parseXml, type XmlElement } from '../xml.js';

const DC = 'http://purl.org/dc/elements/1.1/';
const OPF = 'http://www.idpf.org/2007/opf';

export interface Person {
  name: string;
  /** MARC relator codes, lower case; empty when the file gives none. */
  roles: string[];
  /** 'creator' or 'contributor': the element the person was listed in. */
  element: string;
}

export interface DcDate {
  value: string;
  event?: string;
}

export interface OpfMetadata {
  version?: string;
  titles: string[];
  people: Person[];
  subjects: string[];
  languages: string[];
  dates: DcDate[];
  publishers: string[];
  identifiers: Array<{ value: string; isbn: boolean }>;
  descriptions: string[];
  rights: string[];
  modified?: string;
  series?: string;
  seriesIndex?: string;
  hasCover: boolean;
}

/** Common words EPUB 2 files put in opf:role instead of MARC codes. */
const ROLE_WORDS: Record<string, string> = {
  author: 'aut', editor: 'edt', illustrator: 'ill', translator: 'trl', narrator: 'nrt', contributor: 'ctb',
  publisher: 'pbl', artist: 'art', photographer: 'pht', designer: 'dsr', 'book producer': 'bkp', creator: 'cre',
};

function role(r: string): string | undefined {
  const t = r.trim().toLowerCase().replace(/^marc:/, '');
  if (/^[a-z]{3}$/.test(t)) return t;
  return ROLE_WORDS[t];
}

/** The path of the first OPF named by META-INF/container.xml. */
export function opfPathFrom(containerXml: string, problems?: string[]): string | undefined {
  const root = parseXml(containerXml, 'META-INF/container.xml', { problems });
  const rootfiles: XmlElement[] = [];
  const walk = (e: XmlElement) => e.children.forEach((c) => (c.local === 'rootfile' ? rootfiles.push(c) : walk(c)));
  walk(root);
  const pick = rootfiles.find((r) => (r.attrs['media-type'] ?? '') === 'application/oebps-package+xml') ?? rootfiles[0];
  return pick?.attrs['full-path'];
}

const text = (e: XmlElement) => allText(e).trim();
const attr = (e: XmlElement, local: string) => e.attrs[local] ?? e.attrs[`{${OPF}}${local}`];

/** Reads the package's metadata (`member` names it in problems and errors); what is missing stays empty. */
export function readOpf(xml: string, member = 'package document', problems?: string[]): OpfMetadata {
  const root = parseXml(xml, member, { problems });
  const pkg = root.children.find((c) => c.local === 'package');
  const md: OpfMetadata = {
    version: pkg?.attrs.version, titles: [], people: [], subjects: [], languages: [], dates: [], publishers: [],
    identifiers: [], descriptions: [], rights: [], hasCover: false,
  };
  if (!pkg) return md;
  const metadata = pkg.children.find((c) => c.local === 'metadata');
  const manifest = pkg.children.find((c) => c.local === 'manifest');
  const elements: XmlElement[] = [];
  // dc-metadata / x-metadata wrappers (OEB 1.2 style) hold the elements one level deeper.
  for (const c of metadata?.children ?? []) {
    if (c.local === 'dc-metadata' || c.local === 'x-metadata') elements.push(...c.children);
    else elements.push(c);
  }
  const metas = elements.filter((e) => e.local === 'meta');
  const refines = new Map<string, Array<{ property: string; value: string }>>();
  for (const m of metas) {
    const target = m.attrs.refines?.replace(/^#/, '');
    if (target && m.attrs.property) {
      const list = refines.get(target) ?? [];
      list.push({ property: m.attrs.property, value: text(m) });
      refines.set(target, list);
    }
  }
  const refined = (e: XmlElement, property: string) =>
    (e.attrs.id ? refines.get(e.attrs.id) ?? [] : []).filter((r) => r.property === property).map((r) => r.value);

  const titles = elements.filter((e) => e.ns === DC && e.local === 'title');
  const main = titles.find((t) => refined(t, 'title-type').includes('main')) ?? titles[0];
  for (const t of main ? [main, ...titles.filter((x) => x !== main)] : []) md.titles.push(text(t));

  for (const e of elements) {
    if (e.ns !== DC) continue;
    const value = text(e);
    if (value === '') continue;
    switch (e.local) {
      case 'creator':
      case 'contributor': {
        const roles = [attr(e, 'role'), ...refined(e, 'role')].filter((r): r is string => !!r).map(role);
        md.people.push({ name: value, roles: [...new Set(roles.filter((r): r is string => !!r))], element: e.local });
        break;
      }
      case 'subject':
        md.subjects.push(value);
        break;
      case 'language':
        md.languages.push(value);
        break;
      case 'date':
        md.dates.push({ value, event: attr(e, 'event')?.toLowerCase() });
        break;
      case 'publisher':
        md.publishers.push(value);
        break;
      case 'identifier': {
        const scheme = (attr(e, 'scheme') ?? '').toLowerCase();
        const type = refined(e, 'identifier-type');
        const declared = scheme === 'isbn' || type.includes('15') || type.includes('02') || /^(urn:)?isbn:/i.test(value);
        md.identifiers.push({ value, isbn: declared ? isbnDigits(value) !== undefined : validIsbn(value) });
        break;
      }
      case 'description':
        md.descriptions.push(value);
        break;
      case 'rights':
        md.rights.push(value);
        break;
    }
  }
  for (const m of metas) {
    const prop = m.attrs.property;
    const name = m.attrs.name;
    if (prop === 'dcterms:modified' && !m.attrs.refines) md.modified ??= text(m);
    if (prop === 'belongs-to-collection' && !m.attrs.refines && md.series === undefined) {
      const type = refined(m, 'collection-type');
      if (type.length === 0 || type.includes('series')) {
        md.series = text(m);
        md.seriesIndex = refined(m, 'group-position')[0];
      }
    }
    if (name === 'calibre:series' && m.attrs.content) md.series = m.attrs.content.trim();
    if (name === 'calibre:series_index' && m.attrs.content) md.seriesIndex = m.attrs.content.trim();
    if (name === 'cover' && m.attrs.content) md.hasCover = true;
  }
  if (!md.hasCover && manifest) {
    md.hasCover = manifest.children.some((i) => (i.attrs.properties ?? '').split(/\s+/).includes('cover-image'));
  }
  return md;
}

/** The digits of an ISBN-10 or ISBN-13 (hyphens, spaces and an `urn:isbn:` prefix dropped), or undefined. */
export function isbnDigits(value: string): string | undefined {
  const d = value.replace(/^(urn:)?isbn:?/i, '').replace(/[\s-]/g, '').toUpperCase();
  return /^(\d{9}[\dX]|\d{13})$/.test(d) ? d : undefined;
}

/** True for an ISBN with a valid check digit. */
export function validIsbn(value: string): boolean {
  const d = isbnDigits(value);
  if (!d) return false;
  if (d.length === 10) {
    let sum = 0;
    for (let i = 0; i < 10; i++) sum += (d[i] === 'X' ? 10 : Number(d[i])) * (10 - i);
    return sum % 11 === 0;
  }
  let sum = 0;
  for (let i = 0; i < 13; i++) sum += Number(d[i]) * (i % 2 === 0 ? 1 : 3);
  return sum % 10 === 0;
}
