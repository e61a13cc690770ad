// Reading a catalog: two hand-written parsers for the exact shapes semsync writes (TriG now, N-Quads before), fast,
// and n3's parser for anything else (a catalog another tool rewrote). Both give the same quads, then the same records.
import n3 from 'n3';
import { NFO, NIE, RDF, SS } from '../../graph/vocab.js';
import { NON_ASCII, type CatalogRecord } from './record.js';

interface Q {
  s: string;
  p: string;
  o: string;
  g?: string;
}

// A literal's text as semsync writes it is a JSON string's (format.ts): JSON.parse unescapes it natively, with the same
// result as the Turtle rules below wherever it accepts the text; anything else (\U, \', a raw tab) takes the rules.
const unesc = (s: string) => (s.includes('\\') ? jsonString(s) ?? turtleUnesc(s) : s);
const jsonString = (s: string): string | undefined => {
  try {
    return JSON.parse(`"${s}"`) as string;
  } catch {
    return undefined;
  }
};
const turtleUnesc = (s: string) =>
  s.replace(/\\(u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|.)/g, (_, c: string) =>
    c.length > 1 ? String.fromCodePoint(parseInt(c.slice(1), 16)) : ({ n: '\n', r: '\r', t: '\t', b: '\b', f: '\f' } as Record<string, string>)[c] ?? c);

/** One term at `i` (an IRI, a blank node or a literal); returns its value and the index after it, or undefined. */
function term(line: string, i: number): [string, number] | undefined {
  const c = line[i];
  if (c === '<') {
    const e = line.indexOf('>', i);
    return e < 0 ? undefined : [line.slice(i + 1, e), e + 1];
  }
  if (c === '_') {
    const e = line.indexOf(' ', i);
    return e < 0 ? undefined : [line.slice(i, e), e];
  }
  if (c === '"') {
    let e = i + 1;
    for (;;) {
      e = line.indexOf('"', e);
      if (e < 0) return undefined;
      let bs = 0;
      while (line[e - 1 - bs] === '\\') bs++;
      if (bs % 2 === 0) break;
      e++;
    }
    const value = unesc(line.slice(i + 1, e));
    let j = e + 1;
    if (line.startsWith('^^<', j)) j = line.indexOf('>', j) + 1;
    else if (line[j] === '@') while (j < line.length && line[j] !== ' ') j++;
    return j <= 0 ? undefined : [value, j];
  }
  return undefined;
}

/** Our own catalog lines, fast; undefined if any line is not in the simple shape we write (then n3 parses it). */
function quickQuads(text: string): Q[] | undefined {
  const out: Q[] = [];
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const s = term(line, 0);
    if (!s || line[s[1]] !== ' ' || line[s[1] + 1] !== '<') return undefined;
    const p = term(line, s[1] + 1)!;
    if (!p || line[p[1]] !== ' ') return undefined;
    const o = term(line, p[1] + 1);
    if (!o) return undefined;
    let g: string | undefined;
    let k = o[1];
    if (line.startsWith(' <', k)) {
      const gt = term(line, k + 1);
      if (!gt) return undefined;
      g = gt[0];
      k = gt[1];
    }
    if (line.slice(k).trim() !== '.') return undefined;
    out.push({ s: s[0], p: p[0], o: o[0], g });
  }
  return out;
}

/** A term in our TriG (an IRI, a blank node, a literal, a number, a prefixed name or `a`) at `i`, or undefined. */
function tterm(line: string, i: number, prefixes: Map<string, string>): [string, number] | undefined {
  const c = line[i];
  if (c === '<' || c === '"') {
    if (c === '<') return term(line, i);
    const lt = term(line, i); // with a ^^<IRI> or @lang tag: taken there
    if (!lt || !line.startsWith('^^', lt[1])) return lt;
    const e = line.indexOf(' ', lt[1]);
    return e < 0 ? undefined : [lt[0], e];
  }
  let e = line.indexOf(' ', i);
  if (e < 0) e = line.length;
  const word = line.slice(i, e);
  if (c === '_' && line[i + 1] === ':') return [word, e];
  if (/^[+-]?\d+$/.test(word)) return [word, e];
  if (word === 'a') return [RDF('type').value, e];
  const colon = word.indexOf(':');
  const ns = colon < 0 ? undefined : prefixes.get(word.slice(0, colon));
  return ns === undefined || !/^[\w-]*$/.test(word.slice(colon + 1)) ? undefined : [ns + word.slice(colon + 1), e];
}

/**
 * Our own TriG (prefixes, one graph, a line per subject with `;` between its statements), fast, each statement to
 * `each` as it is read (no object per statement); false if a line is not in that shape (then n3 parses it all).
 */
function quickTrig(text: string, each: (s: string, p: string, o: string, g: string | undefined) => void): boolean {
  const prefixes = new Map<string, string>();
  let g: string | undefined;
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    if (line.startsWith('@prefix ')) {
      const m = /^@prefix ([\w-]*): <([^<>"{}|^`\\\s]*)> \.$/.exec(line);
      if (!m) return false;
      prefixes.set(m[1], m[2]);
      continue;
    }
    if (line === '}') {
      if (g === undefined) return false;
      g = undefined;
      continue;
    }
    if (line.endsWith(' {')) {
      const gt = g === undefined ? term(line, 0) : undefined;
      if (!gt || gt[1] !== line.length - 2 || !line.startsWith('<')) return false;
      g = gt[0];
      continue;
    }
    const s = tterm(line, 0, prefixes);
    if (!s) return false;
    for (let k = s[1]; ; ) {
      if (line[k] !== ' ') return false;
      const p = tterm(line, k + 1, prefixes);
      if (!p || line[p[1]] !== ' ') return false;
      const o = tterm(line, p[1] + 1, prefixes);
      if (!o) return false;
      each(s[0], p[0], o[0], g);
      k = o[1];
      if (line.startsWith(' ; ', k)) k += 2;
      else if (line.slice(k) === ' .') break;
      else return false;
    }
  }
  return g === undefined;
}

function n3Quads(text: string, format: 'TriG' | 'N-Quads'): Q[] {
  return new n3.Parser({ format }).parse(text).map((q) => ({
    s: q.subject.termType === 'BlankNode' ? `_:${q.subject.value}` : q.subject.value,
    p: q.predicate.value,
    o: q.object.termType === 'BlankNode' ? `_:${q.object.value}` : q.object.value,
    g: q.graph.termType === 'NamedNode' ? q.graph.value : undefined,
  }));
}

/** Whether catalog text is TriG (what semsync writes now) rather than N-Quads (what it wrote before). */
const isTrig = (text: string) => /^\s*(@prefix|@base|prefix|base)\b/i.test(text);

/**
 * Parse a catalog into records (files without a path, content or rule are ignored) and the device IRI: TriG as
 * written now, or N-Quads as older versions wrote (`.semsync/catalog.nq`); a pending list has the same shape.
 */
export function parseCatalog(text: string, format: 'TriG' | 'N-Quads' = isTrig(text) ? 'TriG' : 'N-Quads'): { device?: string; records: CatalogRecord[] } {
  let read = new Reader();
  if (format !== 'TriG' || !quickTrig(text, read.each)) {
    read = new Reader();
    for (const { s, p, o, g } of (format === 'TriG' ? undefined : quickQuads(text)) ?? n3Quads(text, format)) read.each(s, p, o, g);
  }
  return { device: read.device, records: read.records() };
}

const P = {
  rp: SS('relativePath').value, interp: NIE('interpretedAs').value,
  size: NFO('fileSize').value, placedBy: SS('placedBy').value, placedAt: SS('placedAt').value, tv: SS('templateValues').value,
  removed: SS('removedByPerson').value, restored: SS('restoredAt').value,
};

/** Catalog statements gathered into records, by subject. */
class Reader {
  device: string | undefined;
  private readonly files = new Map<string, Partial<CatalogRecord> & { values: Record<string, string> }>();

  private get(s: string) {
    let f = this.files.get(s);
    if (!f) this.files.set(s, (f = { values: {} }));
    return f;
  }

  readonly each = (s: string, p: string, o: string, g: string | undefined): void => {
    if (g) this.device ??= g;
    switch (p) {
      case P.rp: this.get(s).path = NON_ASCII.test(o) ? o.normalize('NFC') : o; break;
      case P.interp: this.get(s).content = o; break;
      case P.size: this.get(s).size = Number(o); break;
      case P.placedBy: this.get(s).rule = o; break;
      case P.placedAt: this.get(s).placedAt = o; break;
      case P.removed: this.get(s).removedAt = o; break;
      case P.restored: this.get(s).restoredAt = o; break;
      case P.tv: {
        try {
          const v = JSON.parse(o) as unknown;
          if (v && typeof v === 'object') copyValues(this.get(s), v as Record<string, unknown>);
        } catch {
          // a broken value list does not hide the file
        }
        break;
      }
    }
  };

  records(): CatalogRecord[] {
    const records: CatalogRecord[] = [];
    for (const f of this.files.values()) {
      if (!f.path || !f.content || !f.rule) continue;
      const r: CatalogRecord = { path: f.path, content: f.content, size: f.size ?? 0, rule: f.rule, values: f.values, placedAt: f.placedAt ?? '' };
      if (f.removedAt) r.removedAt = f.removedAt;
      if (f.restoredAt) r.restoredAt = f.restoredAt;
      records.push(r);
    }
    return records;
  }
}

/** A template value list into a file's values, each as a string; a list of strings only (the usual) is kept as it is. */
function copyValues(f: { values: Record<string, string> }, v: Record<string, unknown>): void {
  let strings = !Array.isArray(v) && !Object.hasOwn(v, '__proto__'); // (assigned, it sets no key: as before)
  if (strings) for (const k in v) if (typeof v[k] !== 'string') { strings = false; break; }
  if (strings && Object.keys(f.values).length === 0) f.values = v as Record<string, string>;
  else for (const [k, x] of Object.entries(v)) f.values[k] = String(x);
}
