// Builds the quads of one description: typed literals, NFC strings, people; no blank nodes, no duplicates.
import n3 from 'n3';
import type { Literal, NamedNode, Quad } from '@rdfjs/types';
import { FOAF, RDF, SS, XSD, cleanText, personIri } from '../graph/vocab.js';

const { literal, quad } = n3.DataFactory;

/** Collects the quads about one content resource (and the people, albums it names). */
export class Describer {
  readonly quads: Quad[] = [];
  readonly errors: string[] = [];
  private readonly seen = new Set<string>();

  constructor(
    readonly content: NamedNode,
    family: string,
  ) {
    this.add(SS('extractor'), literal(family));
  }

  add(p: NamedNode, o: NamedNode | Literal, s: NamedNode = this.content): void {
    const key = `${s.value}\u0000${p.value}\u0000${o.termType}\u0000${o.value}\u0000${o.termType === 'Literal' ? o.datatype.value : ''}`;
    if (this.seen.has(key)) return;
    this.seen.add(key);
    this.quads.push(quad(s, p, o));
  }

  type(cls: NamedNode, s: NamedNode = this.content): void {
    this.add(RDF('type'), cls, s);
  }

  /** A string literal, cleaned (NFC, white space collapsed); empty strings are dropped. Returns the cleaned text. */
  text(p: NamedNode, value: unknown, s: NamedNode = this.content): string | undefined {
    const t = textOf(value);
    if (t !== undefined) this.add(p, literal(t), s);
    return t;
  }

  integer(p: NamedNode, n: unknown, s: NamedNode = this.content): void {
    const v = typeof n === 'string' ? Number(n.trim()) : n;
    if (typeof v === 'number' && Number.isInteger(v)) this.add(p, literal(String(v), XSD('integer')), s);
  }

  double(p: NamedNode, n: unknown, s: NamedNode = this.content): void {
    if (typeof n === 'number' && Number.isFinite(n)) this.add(p, literal(String(n), XSD('double')), s);
  }

  decimal(p: NamedNode, n: unknown, s: NamedNode = this.content): void {
    const v = typeof n === 'string' ? n.trim() : typeof n === 'number' && Number.isFinite(n) ? String(n) : '';
    if (/^[+-]?(\d+(\.\d*)?|\.\d+)$/.test(v)) this.add(p, literal(v, XSD('decimal')), s);
  }

  boolean(p: NamedNode, b: boolean, s: NamedNode = this.content): void {
    this.add(p, literal(b ? 'true' : 'false', XSD('boolean')), s);
  }

  /** A date typed by its precision (see {@link dateLiteral}); an unreadable date is kept out and noted. */
  date(p: NamedNode, value: unknown, s: NamedNode = this.content): Literal | undefined {
    const t = textOf(value);
    if (t === undefined) return undefined;
    const lit = dateLiteral(t);
    if (lit) this.add(p, lit, s);
    else this.errors.push(`unreadable date ${JSON.stringify(t)} for ${p.value}`);
    return lit;
  }

  /** A person named `name`: the IRI from the normalised name, typed foaf:Person with foaf:name. */
  person(p: NamedNode, name: unknown, s: NamedNode = this.content): NamedNode | undefined {
    const t = textOf(name);
    if (t === undefined) return undefined;
    const who = personIri(t);
    this.add(p, who, s);
    this.type(FOAF('Person'), who);
    this.add(FOAF('name'), literal(t), who);
    return who;
  }
}

/** The cleaned text of a value (a string, a number, or a language alternative `{value}`), or undefined when empty. */
export function textOf(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'number' || typeof value === 'bigint') return String(value);
  if (typeof value === 'object' && 'value' in (value as object)) return textOf((value as { value: unknown }).value);
  if (typeof value !== 'string') return undefined;
  const t = cleanText(value.replace(/\u0000+$/u, ''));
  return t === '' ? undefined : t;
}

const YEAR = /^(\d{4})$/;
const YEAR_MONTH = /^(\d{4})[-:](\d{2})$/;
const DAY = /^(\d{4})[-:]?(\d{2})[-:]?(\d{2})$/;
const DATETIME = /^(\d{4})[-:](\d{2})[-:](\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(\.\d+)?)?\s*(Z|[+-]\d{2}:?\d{2})?$/;

/**
 * A date literal typed by precision: `2009` → xsd:gYear, `2009-10` → xsd:gYearMonth, `2009-10-05` (or `2009:10:05`,
 * `20091005`) → xsd:date, a date and time (ISO or EXIF `YYYY:MM:DD hh:mm:ss`, with an optional offset) → xsd:dateTime.
 * Returns undefined for anything else, and for all-zero EXIF dates.
 */
export function dateLiteral(text: string, offset?: string): Literal | undefined {
  const t = text.trim();
  let m: RegExpExecArray | null;
  if ((m = YEAR.exec(t))) return m[1] === '0000' ? undefined : literal(m[1], XSD('gYear'));
  if ((m = YEAR_MONTH.exec(t))) return validDate(m[1], m[2], '01') ? literal(`${m[1]}-${m[2]}`, XSD('gYearMonth')) : undefined;
  if ((m = DAY.exec(t))) return validDate(m[1], m[2], m[3]) ? literal(`${m[1]}-${m[2]}-${m[3]}`, XSD('date')) : undefined;
  if ((m = DATETIME.exec(t))) {
    if (!validDate(m[1], m[2], m[3]) || Number(m[4]) > 24 || Number(m[5]) > 59) return undefined;
    const tz = normaliseOffset(m[8] ?? offset);
    return literal(`${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6] ?? '00'}${m[7] ?? ''}${tz ?? ''}`, XSD('dateTime'));
  }
  return undefined;
}

/** `+0200` / `+02:00` / `Z` → `+02:00` / `Z`; anything else → undefined. */
export function normaliseOffset(tz: string | undefined): string | undefined {
  if (!tz) return undefined;
  const t = tz.trim();
  if (t === 'Z') return 'Z';
  const m = /^([+-])(\d{2}):?(\d{2})$/.exec(t);
  return m ? `${m[1]}${m[2]}:${m[3]}` : undefined;
}

function validDate(y: string, mo: string, d: string): boolean {
  const month = Number(mo);
  const day = Number(d);
  return y !== '0000' && month >= 1 && month <= 12 && day >= 1 && day <= 31;
}
