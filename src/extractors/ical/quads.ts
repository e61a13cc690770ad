// A small quad collector for PIM items: exact NFC strings (no white-space collapsing), IRIs escaped, no duplicates.
import { createHash } from 'node:crypto';
import n3 from 'n3';
import type { Literal, NamedNode, Quad, Term } from '@rdfjs/types';
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

/**
 * An IRI from a scheme and a value: `%` and every character an IRI does not allow (space, `<>"{}|\^` and the backquote, `[]`,
 * controls, U+FFFD and other non-characters, private use) percent-encoded as UTF-8; a second `#` too.
 */
export function iriFrom(scheme: string, value: string): NamedNode {
  return namedNode(scheme + escapeIri(value.normalize('NFC')));
}

export function escapeIri(s: string): string {
  let fragment = false;
  return s.replace(/[^A-Za-z0-9\-._~!$&'()*+,;=:@/?]/gu, (c) => {
    if (c === '#' && !fragment) {
      fragment = true;
      return c;
    }
    const cp = c.codePointAt(0)!;
    if (isUcschar(cp)) return c;
    if (cp >= 0xd800 && cp <= 0xdfff) return '%EF%BF%BD'; // a lone surrogate: U+FFFD, encoded
    return [...Buffer.from(c, 'utf8')].map((b) => `%${b.toString(16).toUpperCase().padStart(2, '0')}`).join('');
  });
}

/** RFC 3987 ucschar: the non-ASCII characters an IRI may hold as they are. */
function isUcschar(cp: number): boolean {
  if (cp >= 0xa0 && cp <= 0xd7ff) return true;
  if ((cp >= 0xf900 && cp <= 0xfdcf) || (cp >= 0xfdf0 && cp <= 0xffef)) return true;
  return cp >= 0x10000 && cp <= 0xefffd && (cp & 0xfffe) !== 0xfffe;
}

/** The inverse of {@link escapeIri} (for reading a mailto:/tel: IRI back): UTF-8 sequences decoded, a stray byte as is. */
export function unescapeIri(s: string): string {
  return s.replace(/(?:%[0-9A-Fa-f]{2})+/g, (run) => {
    try {
      return decodeURIComponent(run);
    } catch {
      return run.replace(/%([0-9A-Fa-f]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16)));
    }
  });
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

/**
 * The quads of an item moved to another IRI: `from` and the resources below it (`from/name`, `from/adr/…`) become
 * `to` and the same below it, as subjects and as objects. New quads: an n3 quad spread into an object loses its terms.
 */
export function renameItem(quads: readonly Quad[], from: NamedNode, to: NamedNode): Quad[] {
  const below = from.value + '/';
  const moved = (t: Term): Term => (t.termType === 'NamedNode' && (t.value === from.value || t.value.startsWith(below)) ? namedNode(to.value + t.value.slice(from.value.length)) : t);
  return quads.map((q) => quad(moved(q.subject) as Quad['subject'], q.predicate, moved(q.object) as Quad['object'], q.graph));
}
