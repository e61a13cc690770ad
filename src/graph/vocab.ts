// The query contract's vocabulary: namespaces, the terms we use, and the stable IRIs we derive.
// Every module that writes or reads the graph names terms through this file, never by hand.
import n3 from 'n3';
import type { NamedNode } from '@rdfjs/types';

const { namedNode } = n3.DataFactory;

/** A namespace: `ns('title')` is the full IRI term. */
export type Namespace = ((local: string) => NamedNode) & { readonly iri: string };

export function namespace(iri: string): Namespace {
  const cache = new Map<string, NamedNode>();
  const fn = (local: string): NamedNode => {
    let term = cache.get(local);
    if (!term) {
      term = namedNode(iri + local);
      cache.set(local, term);
    }
    return term;
  };
  return Object.assign(fn, { iri });
}

export const RDF = namespace('http://www.w3.org/1999/02/22-rdf-syntax-ns#');
export const RDFS = namespace('http://www.w3.org/2000/01/rdf-schema#');
export const XSD = namespace('http://www.w3.org/2001/XMLSchema#');
export const DCTERMS = namespace('http://purl.org/dc/terms/');
export const FOAF = namespace('http://xmlns.com/foaf/0.1/');
export const GEO = namespace('http://www.w3.org/2003/01/geo/wgs84_pos#');
export const NIE = namespace('http://www.semanticdesktop.org/ontologies/2007/01/19/nie#');
export const NFO = namespace('http://www.semanticdesktop.org/ontologies/2007/03/22/nfo#');
export const NMM = namespace('http://www.semanticdesktop.org/ontologies/2009/02/19/nmm#');
export const NEXIF = namespace('http://www.semanticdesktop.org/ontologies/2007/05/10/nexif#');
export const VCARD = namespace('http://www.w3.org/2006/vcard/ns#');
export const ICAL = namespace('http://www.w3.org/2002/12/cal/ical#');
/** MARC relator roles as properties (each a sub-property of dcterms:contributor). */
export const RELATORS = namespace('http://id.loc.gov/vocabulary/relators/');
/** Our own small vocabulary, described in ontologies/semsync.ttl. */
export const SS = namespace('https://w3id.org/semsync/ns#');
/** Stable IRIs for things we derive (people, albums, categories, graphs). */
export const ID = namespace('https://w3id.org/semsync/id/');

export const PREFIXES: Record<string, string> = {
  rdf: RDF.iri,
  rdfs: RDFS.iri,
  xsd: XSD.iri,
  dcterms: DCTERMS.iri,
  foaf: FOAF.iri,
  geo: GEO.iri,
  nie: NIE.iri,
  nfo: NFO.iri,
  nmm: NMM.iri,
  nexif: NEXIF.iri,
  vcard: VCARD.iri,
  ical: ICAL.iri,
  relators: RELATORS.iri,
  ss: SS.iri,
};

/** `PREFIX a: <...>` lines for every prefix above, to put before a query. */
export function sparqlPrefixes(): string {
  return Object.entries(PREFIXES)
    .map(([p, iri]) => `PREFIX ${p}: <${iri}>`)
    .join('\n');
}

/** Unicode NFC, trimmed, inner white space collapsed: the form every stored string takes. */
export function cleanText(s: string): string {
  return s.normalize('NFC').replace(/\s+/gu, ' ').trim();
}

/** The key a name is identified by: NFC, case-folded, white space collapsed. */
export function nameKey(name: string): string {
  return cleanText(name).toLocaleLowerCase('en-US');
}

/** A derived IRI `https://w3id.org/semsync/id/<kind>/<key...>`; each key part is percent-encoded. */
export function derivedIri(kind: string, ...keyParts: string[]): NamedNode {
  return ID(`${kind}/${keyParts.map((p) => encodeURIComponent(nameKey(p))).join('/')}`);
}

/** A person (an author, an artist) from the normalised name. Typed foaf:Person, named by foaf:name. */
export function personIri(name: string): NamedNode {
  return derivedIri('person', name);
}

/** A music album: by album artist (or artist) and title. Typed nmm:MusicAlbum, titled by dcterms:title. */
export function albumIri(artist: string, title: string): NamedNode {
  return derivedIri('album', artist, title);
}

/** A category a rule assigns (e.g. SciFi). */
export function categoryIri(name: string): NamedNode {
  return ID(`category/${encodeURIComponent(cleanText(name))}`);
}

/** The content resource: the SHA-256 of the bytes, lower-case hex. */
export function contentIri(sha256Hex: string): NamedNode {
  return namedNode(`urn:sha256:${sha256Hex.toLowerCase()}`);
}

/**
 * The named graph one node writes for one source, e.g. a share: `https://w3id.org/semsync/graph/<nodeId>/<source>`.
 * The graph name says who said it: {@link graphAuthor} reads the node id back.
 */
export function graphIri(nodeId: string, source: string): NamedNode {
  return ID(`graph/${nodeId}/${source.split('/').map(encodeURIComponent).join('/')}`);
}

/** The author (node id) of a graph named by {@link graphIri}, or undefined for any other IRI. */
export function graphAuthor(graph: string): string | undefined {
  const prefix = ID.iri + 'graph/';
  if (!graph.startsWith(prefix)) return undefined;
  return graph.slice(prefix.length).split('/')[0];
}

/** The kinds of PIM item that get an IRI of their own. */
export type PimKind = 'contact' | 'event' | 'todo' | 'journal';

/**
 * A contact or calendar item from its UID: `…/id/<kind>/<uid>` (the UID percent-encoded, case kept); an override of
 * one occurrence (RECURRENCE-ID) adds `/rid-<YYYYMMDDThhmmss[Z]>`. Parts of the item (a contact's name, its
 * addresses) live below the item's IRI, so `iri + '/'` prefixes everything about it.
 */
export function pimItemIri(kind: PimKind, uid: string, recurrenceId?: string): NamedNode {
  const base = `${kind}/${encodeURIComponent(uid.normalize('NFC'))}`;
  return ID(recurrenceId ? `${base}/rid-${encodeURIComponent(recurrenceId)}` : base);
}

/** An item without a UID: `…/id/<kind>/sha256-<hex>` from the hash of its canonical text. */
export function pimHashIri(kind: PimKind, sha256Hex: string): NamedNode {
  return ID(`${kind}/sha256-${sha256Hex.toLowerCase()}`);
}

/** The item a PIM IRI belongs to (itself, or the item its path starts with), or undefined for other IRIs. */
export function pimItemOf(iri: string): { kind: PimKind; item: string; master: string } | undefined {
  if (!iri.startsWith(ID.iri)) return undefined;
  const parts = iri.slice(ID.iri.length).split('/');
  const kind = parts[0] as PimKind;
  if (!['contact', 'event', 'todo', 'journal'].includes(kind) || !parts[1]) return undefined;
  const master = `${ID.iri}${kind}/${parts[1]}`;
  const item = parts[2]?.startsWith('rid-') ? `${master}/${parts[2]}` : master;
  return { kind, item, master };
}

/** A VTIMEZONE definition, named by the hash of its text (two files may define one TZID differently). */
export function timezoneIri(sha256Hex: string): NamedNode {
  return ID(`timezone/${sha256Hex.toLowerCase()}`);
}
