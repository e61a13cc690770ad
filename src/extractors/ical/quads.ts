// A small quad collector for PIM items: exact NFC strings (no white-space collapsing), IRIs escaped, no duplicates.
import { createHash } from 'node:crypto';
import n3 from 'n3';
import type { Literal, NamedNode, Quad } from '@rdfjs/types';
import { NIE, RDF, SS, XSD } from '../../graph/vocab.js';

const { literal, namedNode, quad } = n3.DataFactory;

export class QuadList {
  readonly quads: Quad[] = [];
  private readonly seen = new Set<string>();

  add(s: NamedNode, p: NamedNode, o: NamedNode | Literal): void {
    const key = `${s.value}\u0000${p.value}\u0000${o.termType}\u0000${o.value}\u0000${o.termType === 'Literal' ? o.datatype.value : ''}`;
    if (this.seen.has(key)) return;
    this.seen.add(key);
    this.quads.push(quad(s, p, o));
  }

  /** A string literal in NFC, kept exactly (line breaks and outer spaces included); empty strings are dropped. */
  text(s: NamedNode, p: NamedNode, value: unknown): void {
    const t = plainText(value);
    if (t !== undefined) this.add(s, p, literal(t));
  }

  integer(s: NamedNode, p: NamedNode, value: unknown): void {
    const n = typeof value === 'string' ? Number(value.trim()) : value;
    if (typeof n === 'number' && Number.isInteger(n)) this.add(s, p, literal(String(n), XSD('integer')));
  }

  double(s: NamedNode, p: NamedNode, value: number): void {
    if (Number.isFinite(value)) this.add(s, p, literal(String(value), XSD('double')));
  }
}

/** A value as NFC text: strings as they are, numbers printed, a list joined with `,`; undefined when empty. */
export function plainText(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (Array.isArray(value)) return plainText(value.map((v) => plainText(v) ?? '').join(','));
  if (typeof value === 'number') return String(value);
  if (typeof value !== 'string') return undefined;
  const t = value.normalize('NFC');
  return t === '' ? undefined : t;
}

/** An IRI from a scheme and a value: characters IRIs do not allow (space, `<>"{}|\^\``, controls) and `%` escaped. */
export function iriFrom(scheme: string, value: string): NamedNode {
  return namedNode(scheme + escapeIri(value.normalize('NFC')));
}

export function escapeIri(s: string): string {
  return s.replace(/[\u0000-\u0020<>"{}|\\^`%\u007f]/gu, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`);
}

/** The inverse of {@link escapeIri} (for reading a mailto:/tel: IRI back). */
export function unescapeIri(s: string): string {
  return s.replace(/%([0-9A-Fa-f]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16)));
}

/** SHA-256 of a text's UTF-8 bytes, lower-case hex. */
export function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

export { literal, namedNode };

/** The content resource of a PIM file (an address book or a calendar): its family and types. */
export function pimContent(q: QuadList, content: NamedNode, family: string, type: NamedNode): void {
  q.add(content, SS('extractor'), literal(family));
  q.add(content, RDF('type'), NIE('InformationElement'));
  q.add(content, RDF('type'), type);
}

/** Each item the file holds: `content ss:contains item`, the item's quads, and its errors into `errors`. */
export function addPimItems(q: QuadList, content: NamedNode, items: ReadonlyArray<{ iri: NamedNode; quads: readonly Quad[]; errors: readonly string[] }>, errors: string[]): void {
  for (const item of items) {
    q.add(content, SS('contains'), item.iri);
    for (const x of item.quads) q.quads.push(x);
    errors.push(...item.errors);
  }
}
