// The catalog's TriG writer: the prefixes, then the device's graph with one line per placed file. Each record's line
// is built once and kept as bytes, so the frequent rewrites of a placement run only copy bytes.
import { NFO, NIE, RDF, SS, XSD } from '../../graph/vocab.js';
import { deviceIri } from '../profile.js';
import type { CatalogRecord } from './record.js';

// JSON's string syntax is a subset of N-Triples' and Turtle's (\" \\ \n \r \t \b \f \uXXXX), and native.
// A string JSON writes as it is (no quote, backslash, control character or surrogate) is quoted without a call.
const lit = (s: string) => (PLAIN.test(s) ? `"${s}"` : JSON.stringify(s));
const PLAIN = /^[^"\\\x00-\x1f\uD800-\uDFFF]*$/;

/**
 * `JSON.stringify(JSON.stringify(values))` (the ss:templateValues literal), written by hand when every key and value
 * is a plain string (the usual record): a plain string is its own JSON text, and the outer quoting only escapes
 * the inner quotes. Keys in the order JSON.stringify takes them (Object.keys' order). Anything else: the two calls.
 */
export function valuesLiteral(values: Record<string, string>): string {
  let out = '"{';
  let first = true;
  for (const k of Object.keys(values)) {
    const v = values[k];
    if (typeof v !== 'string' || !PLAIN.test(k) || !PLAIN.test(v)) return JSON.stringify(JSON.stringify(values));
    out += `${first ? '' : ','}\\"${k}\\":\\"${v}\\"`;
    first = false;
  }
  return out + '}"';
}
const IRI_ESC = /[\x00-\x20<>"{}|^`\\]/;
const iri = (s: string) => '<' + (IRI_ESC.test(s) ? s.replace(/[\x00-\x20<>"{}|^`\\]/g, (c) => encodeURIComponent(c)) : s) + '>';

/** The prefixes a catalog (and a pending list) declares, in the order written. */
const PREFIXES: ReadonlyArray<[string, string]> = [
  ['ss', SS('').value], ['nie', NIE('').value], ['nfo', NFO('').value], ['xsd', XSD('').value], ['rdf', RDF('').value],
];
const PREFIX_TEXT = PREFIXES.map(([p, ns]) => `@prefix ${p}: <${ns}> .\n`).join('');

// Each record's line is built once (records are replaced, never mutated) and kept as UTF-8 bytes, so frequent
// rewrites only copy bytes (the text itself is not kept: the GC would copy megabytes of strings around). The lines of
// records prepared together share one buffer (one UTF-8 encode; a run of them is copied at once).
interface Bytes {
  buf: Buffer;
  start: number;
  end: number;
}
const cache = new WeakMap<CatalogRecord, Bytes>();
let fileSeq = 0;

/** A placed file's statements (one line of TriG, inside the device's graph): a blank node found by its ss:relativePath. */
function recordLine(r: CatalogRecord): string {
  // A run's records share their rule and time: those terms are written once per change.
  if (r.rule !== last.rule) last.ruleTerm = iri((last.rule = r.rule));
  if (r.placedAt !== last.placedAt) last.placedAtTerm = lit((last.placedAt = r.placedAt));
  return (
    `_:f${(fileSeq++).toString(36)} ss:relativePath ${lit(r.path)} ; nie:interpretedAs ${iri(r.content)} ; nfo:fileSize ${integer(r.size)} ; ` +
    `ss:placedBy ${last.ruleTerm} ; ss:placedAt ${last.placedAtTerm}^^xsd:dateTime ; ss:templateValues ${valuesLiteral(r.values)}^^rdf:JSON` +
    (r.removedAt ? ` ; ss:removedByPerson ${lit(r.removedAt)}^^xsd:dateTime` : '') +
    (r.restoredAt ? ` ; ss:restoredAt ${lit(r.restoredAt)}^^xsd:dateTime .\n` : ' .\n')
  );
}
const last = { rule: '', ruleTerm: iri(''), placedAt: '', placedAtTerm: lit('') };
const integer = (n: number) => (Number.isSafeInteger(n) ? String(n) : `${lit(String(n))}^^xsd:integer`);

/** The bytes of each record (built for those that have none yet, together). */
function recordsBytes(records: readonly CatalogRecord[]): Bytes[] {
  const out: Bytes[] = [];
  const todo: number[] = [];
  const lines: string[] = [];
  for (let i = 0; i < records.length; i++) {
    const hit = cache.get(records[i]);
    out.push(hit!);
    if (!hit) {
      todo.push(i);
      lines.push(recordLine(records[i]));
    }
  }
  if (todo.length === 0) return out;
  const text = lines.join('');
  const buf = Buffer.from(text);
  const ascii = buf.length === text.length; // then byte offsets are string offsets
  for (let k = 0, off = 0; k < todo.length; k++) {
    const end = off + (ascii ? lines[k].length : Buffer.byteLength(lines[k]));
    const bytes = { buf, start: off, end };
    cache.set(records[todo[k]], bytes);
    out[todo[k]] = bytes;
    off = end;
  }
  return out;
}

/** Build records' catalog bytes ahead of a write (cached: a write of a catalog holding them only copies bytes). */
export function prepareCatalogRecords(records: readonly CatalogRecord[]): void {
  recordsBytes(records);
}

/** The device's graph IRI, as the catalog writes it. */
export const graphOf = (deviceId: string) => iri(deviceIri(deviceId));

/** The catalog (or a pending list) as TriG bytes: the prefixes, then the device's graph holding its records. */
export function catalogBytes(deviceId: string, records: Iterable<CatalogRecord>): Buffer {
  const g = graphOf(deviceId);
  const head = Buffer.from(`${PREFIX_TEXT}${g} {\n${g} a ss:Device ; ss:deviceId ${lit(deviceId)} .\n`);
  const tail = Buffer.from('}\n');
  const bytes = recordsBytes(Array.isArray(records) ? records : [...records]);
  let size = head.length + tail.length;
  for (const b of bytes) size += b.end - b.start;
  const out = Buffer.allocUnsafe(size);
  let off = head.copy(out, 0);
  // Records prepared together and written in the same order (a run's copies, by target) are one copy.
  for (let i = 0; i < bytes.length; ) {
    const { buf, start } = bytes[i];
    let end = bytes[i].end;
    for (i++; i < bytes.length && bytes[i].buf === buf && bytes[i].start === end; i++) end = bytes[i].end;
    off += buf.copy(out, off, start, end);
  }
  tail.copy(out, off);
  return out;
}

/** TriG text for a device's catalog (one graph: the device's IRI). */
export function serializeCatalog(deviceId: string, records: Iterable<CatalogRecord>): string {
  return catalogBytes(deviceId, records).toString('utf8');
}
