// Test helper: reads the PIM corpus, summarises our quads per item, compares field by field with pim/manifest.json.
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Quad } from '@rdfjs/types';
import { GEO, ICAL, SS, VCARD, XSD } from '../../src/graph/vocab.js';
import { readCalendars } from '../../src/extractors/ical/index.js';
import { readVcards, type PimItem } from '../../src/extractors/vcard/index.js';
import { bdayLiteral } from '../../src/extractors/vcard/map.js';
import { unescapeIri } from '../../src/extractors/ical/quads.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const PIM_DIR = path.resolve(repoRoot, '..', 'shared', 'corpus', 'pim');

export interface ManifestEntry {
  path: string;
  type: 'vcard' | 'icalendar';
  summary: Record<string, unknown>[];
}

export function manifest(): ManifestEntry[] {
  return (JSON.parse(readFileSync(path.join(PIM_DIR, 'manifest.json'), 'utf8')) as { files: ManifestEntry[] }).files;
}

/** Every .vcf / .ics file in the corpus folder (not only those the manifest lists). */
export function corpusFiles(ext: '.vcf' | '.ics'): string[] {
  const out: string[] = [];
  for (const dir of readdirSync(PIM_DIR, { withFileTypes: true })) {
    if (!dir.isDirectory()) continue;
    for (const f of readdirSync(path.join(PIM_DIR, dir.name))) if (f.endsWith(ext)) out.push(`pim/${dir.name}/${f}`);
  }
  return out.sort();
}

export function readCorpusFile(rel: string): { items: PimItem[]; errors: string[] } {
  const bytes = readFileSync(path.join(PIM_DIR, rel.replace(/^pim\//, '')));
  return rel.endsWith('.vcf') ? readVcards(bytes) : readCalendars(bytes);
}

const objs = (qs: Quad[], s: string, p: string) => qs.filter((q) => q.subject.value === s && q.predicate.value === p).map((q) => q.object);
const vals = (qs: Quad[], s: string, p: string) => objs(qs, s, p).map((o) => o.value);

/** Our reading of one item, in the manifest's field names, taken from the quads (the query contract). */
export function ourSummary(item: PimItem): Record<string, unknown> {
  const q = item.quads;
  const s = item.iri.value;
  const out: Record<string, unknown> = {};
  const one = (p: string) => vals(q, s, p)[0];
  if (objs(q, s, VCARD('fn').value).length || vals(q, s, SS('vcardVersion').value).length || q.some((x) => x.object.value === VCARD('Individual').value)) {
    out.kind = 'contact';
    out.version = one(SS('vcardVersion').value);
    out.uid = one(VCARD('uid').value);
    out.fn = one(VCARD('fn').value);
    const name = one(VCARD('hasName').value);
    if (name) out.n = { family: one2(q, name, 'family-name'), given: one2(q, name, 'given-name'), additional: one2(q, name, 'additional-name'), prefix: one2(q, name, 'honorific-prefix'), suffix: one2(q, name, 'honorific-suffix') };
    out.nickname = vals(q, s, VCARD('nickname').value);
    out.orgNames = vals(q, s, VCARD('organization-name').value);
    out.orgUnits = vals(q, s, VCARD('organization-unit').value);
    out.title = vals(q, s, VCARD('title').value);
    out.emails = vals(q, s, VCARD('hasEmail').value).map((v) => unescapeIri(v.replace(/^mailto:/, '')));
    out.tels = vals(q, s, VCARD('hasTelephone').value).map((v) => unescapeIri(v.replace(/^tel:/, '')));
    out.adr = vals(q, s, VCARD('hasAddress').value).map((a) => ({ street: one2(q, a, 'street-address'), city: one2(q, a, 'locality'), region: one2(q, a, 'region'), code: one2(q, a, 'postal-code'), country: one2(q, a, 'country-name') }));
    out.categories = vals(q, s, VCARD('category').value);
    out.class = one(SS('class').value);
    out.bday = objs(q, s, VCARD('bday').value)[0];
    out.note = one(VCARD('note').value);
  } else {
    const type = vals(q, s, 'http://www.w3.org/1999/02/22-rdf-syntax-ns#type')[0] ?? '';
    out.kind = type.endsWith('Vtodo') ? 'todo' : type.endsWith('Vjournal') ? 'journal' : 'event';
    out.uid = one(ICAL('uid').value);
    for (const f of ['summary', 'description', 'location', 'class', 'status']) out[f] = one(ICAL(f).value);
    const pr = one(ICAL('priority').value);
    if (pr !== undefined) out.priority = Number(pr);
    const pc = one(ICAL('percentComplete').value);
    if (pc !== undefined) out.percentComplete = Number(pc);
    out.categories = vals(q, s, ICAL('categories').value);
    for (const f of ['dtstart', 'dtend', 'due', 'recurrenceId', 'completed']) {
      out[f] = one(ICAL(f).value);
      out[`${f}Tzid`] = one(SS(`${f}Tzid`).value);
    }
    const start = objs(q, s, ICAL('dtstart').value)[0];
    if (start && start.termType === 'Literal') out.allDay = start.datatype.value === XSD('date').value;
    out.duration = one(ICAL('duration').value);
    out.rrule = vals(q, s, ICAL('rrule').value);
    out.exdate = vals(q, s, ICAL('exdate').value);
    out.rdate = vals(q, s, ICAL('rdate').value);
  }
  const lat = one(GEO('lat').value);
  const lon = one(GEO('long').value);
  if (lat !== undefined && lon !== undefined) out.geo = { lat: Number(lat), lon: Number(lon) };
  return out;
}

function one2(q: Quad[], s: string, local: string): string | undefined {
  return vals(q, s, VCARD(local).value)[0];
}

export interface Disagreement {
  file: string;
  component: string;
  field: string;
  manifest: unknown;
  ours: unknown;
}

export interface Comparison {
  compared: number;
  agreed: number;
  disagreements: Disagreement[];
}

const nfc = (v: unknown) => (typeof v === 'string' ? v.normalize('NFC').replace(/\r\n/g, '\n') : v);
const norm = (v: unknown) => (v === '' || v === null ? undefined : nfc(v));
const sameSet = (a: unknown[], b: unknown[]) => {
  const x = [...new Set(a.map((v) => JSON.stringify(nfc(v))))].sort();
  const y = [...new Set(b.map((v) => JSON.stringify(nfc(v))))].sort();
  return x.length === y.length && x.every((v, i) => v === y[i]);
};

/** Instant of an ISO date-time with offset, or the text itself (dates, floating times). */
function dateKey(v: unknown): string | undefined {
  if (typeof v !== 'string' || v === '') return undefined;
  return /T.*(Z|[+-]\d{2}:\d{2})$/.test(v) ? String(Date.parse(v)) : v;
}

/** Compares one manifest component with ours; every field either side has counts once. */
export function compareComponent(file: string, component: string, m: Record<string, unknown>, o: Record<string, unknown>, out: Comparison): void {
  const check = (field: string, ok: boolean, mv: unknown, ov: unknown) => {
    out.compared++;
    if (ok) out.agreed++;
    else out.disagreements.push({ file, component, field, manifest: mv, ours: ov });
  };
  const text = (field: string, mv: unknown, ov: unknown) => {
    const a = norm(mv);
    const b = norm(ov);
    if (a === undefined && b === undefined) return;
    if (typeof a === 'string' && a.endsWith('…') && typeof b === 'string') return check(field, b.startsWith(a.slice(0, -1)), mv, ov);
    check(field, a === b, mv, ov);
  };
  const list = (field: string, mv: unknown, ov: unknown) => {
    const a = ((mv as unknown[] | undefined) ?? []).filter((v) => v !== null && v !== undefined && v !== '');
    const b = (ov as unknown[] | undefined) ?? [];
    if (a.length === 0 && b.length === 0) return;
    check(field, sameSet(a, b), mv, ov);
  };
  if (m.kind === 'contact') {
    for (const f of ['version', 'uid', 'fn', 'class', 'note']) text(f, m[f], o[f]);
    if (m.n || o.n) {
      const mn = (m.n ?? {}) as Record<string, unknown>;
      const on = (o.n ?? {}) as Record<string, unknown>;
      for (const part of ['family', 'given', 'additional', 'prefix', 'suffix']) text(`n.${part}`, mn[part], on[part]);
    }
    for (const f of ['nickname', 'emails', 'categories']) list(f, m[f], o[f]);
    // a vCard 4 TEL;VALUE=uri keeps its `tel:` in the manifest; ours are all tel: IRIs, compared without the scheme
    list('tels', ((m.tels as unknown[] | undefined) ?? []).map((t) => (typeof t === 'string' ? t.replace(/^tel:/, '') : t)), o.tels);
    const org = (m.org as (string[] | null)[] | undefined) ?? [];
    list('org names', org.filter(Boolean).map((x) => x![0]), o.orgNames);
    list('org units', org.filter(Boolean).flatMap((x) => x!.slice(1)).filter((x) => x !== ''), o.orgUnits);
    if (m.title !== undefined || (o.title as unknown[]).length) check('title', (o.title as unknown[]).includes(m.title), m.title, o.title);
    if (m.adr !== undefined || (o.adr as unknown[]).length) list('adr', (m.adr as unknown[] | undefined) ?? [], (o.adr as Record<string, unknown>[]).map((a) => Object.fromEntries(Object.entries(a).map(([k, v]) => [k, v ?? '']))));
    if (m.bday !== undefined || o.bday !== undefined) {
      const lit = bdayLiteral(m.bday as string | undefined);
      const ours = o.bday as { value: string } | undefined;
      check('bday', lit?.value === ours?.value, m.bday, ours?.value);
    }
    if (m.noteLength !== undefined && typeof o.note === 'string') {
      const crs = typeof m.note === 'string' ? (m.note.match(/\r/g) ?? []).length : 0;
      check('noteLength', (m.noteLength as number) - crs === (o.note as string).length, m.noteLength, (o.note as string).length);
    }
  } else {
    for (const f of ['uid', 'summary', 'description', 'location', 'class', 'status', 'duration']) text(f, m[f], o[f]);
    for (const f of ['priority', 'percentComplete', 'allDay']) if (m[f] !== undefined || o[f] !== undefined) check(f, m[f] === o[f], m[f], o[f]);
    for (const f of ['dtstart', 'dtend', 'due', 'recurrenceId', 'completed']) {
      if (m[f] !== undefined || o[f] !== undefined) check(f, dateKey(m[f]) === dateKey(o[f]), m[f], o[f]);
      text(`${f}Tzid`, m[`${f}Tzid`], o[`${f}Tzid`]);
    }
    for (const f of ['categories', 'rrule']) list(f, m[f], o[f]);
    for (const f of ['exdate', 'rdate']) list(f, ((m[f] as unknown[]) ?? []).map(dateKey), ((o[f] as unknown[]) ?? []).map(dateKey));
    if (m.descriptionLength !== undefined && typeof o.description === 'string') check('descriptionLength', m.descriptionLength === (o.description as string).length, m.descriptionLength, (o.description as string).length);
  }
  if (m.geo !== undefined || o.geo !== undefined) {
    const a = m.geo as { lat: number; lon: number } | null | undefined;
    const b = o.geo as { lat: number; lon: number } | undefined;
    check('geo', (!a && !b) || (!!a && !!b && Math.abs(a.lat - b.lat) < 1e-6 && Math.abs(a.lon - b.lon) < 1e-6), a, b);
  }
}

/** Compares every component of every manifest file of one type; a component count mismatch counts as one disagreement. */
export function compareCorpus(type: 'vcard' | 'icalendar'): Comparison & { files: number; components: number } {
  const out: Comparison & { files: number; components: number } = { compared: 0, agreed: 0, disagreements: [], files: 0, components: 0 };
  for (const entry of manifest().filter((e) => e.type === type)) {
    out.files++;
    const { items } = readCorpusFile(entry.path);
    const wanted = entry.summary.filter((c) => ['contact', 'event', 'todo', 'journal'].includes(c.kind as string));
    out.compared++;
    if (wanted.length === items.length) out.agreed++;
    else out.disagreements.push({ file: entry.path, component: '(count)', field: 'components', manifest: wanted.length, ours: items.length });
    wanted.forEach((m, i) => {
      out.components++;
      const item = items[i];
      if (item) compareComponent(entry.path, `${m.kind} #${i + 1}`, m, ourSummary(item), out);
    });
  }
  return out;
}
