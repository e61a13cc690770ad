// The fields of one contact or calendar item as merge.ts sees them: which quads make each field's value (or each element
// of a multi-valued field), a short hash per value, and the quads that belong to no field (taken whole from one version).
import { createHash } from 'node:crypto';
import n3 from 'n3';
import type { Quad } from '@rdfjs/types';
import { FOAF, GEO, ICAL, SS, VCARD } from '../graph/vocab.js';

export type FieldMode = 'single' | 'set';

/** One field: its name (as in the vCard/iCalendar text), single-valued or a set, the master's predicates it owns. */
interface FieldDef {
  name: string;
  mode: FieldMode;
  preds: string[];
  /** The value is a node (N, ADR): the node's own quads belong to it too. */
  node?: boolean;
}

const single = (name: string, ...preds: string[]): FieldDef => ({ name, mode: 'single', preds });
const set = (name: string, ...preds: string[]): FieldDef => ({ name, mode: 'set', preds });
const date = (name: string, term: string): FieldDef => single(name, ICAL(term).value, SS(`${term}Tzid`).value);

/** Every modelled field of contacts and calendar items (the predicates of the two kinds do not overlap but GEO's). */
const FIELDS: FieldDef[] = [
  single('FN', VCARD('fn').value, FOAF('name').value),
  { name: 'N', mode: 'single', preds: [VCARD('hasName').value], node: true },
  set('NICKNAME', VCARD('nickname').value),
  single('ORG', VCARD('organization-name').value, VCARD('organization-unit').value),
  single('TITLE', VCARD('title').value),
  single('ROLE', VCARD('role').value),
  set('EMAIL', VCARD('hasEmail').value),
  set('TEL', VCARD('hasTelephone').value),
  { name: 'ADR', mode: 'set', preds: [VCARD('hasAddress').value], node: true },
  single('BDAY', VCARD('bday').value),
  set('CATEGORIES', VCARD('category').value, ICAL('categories').value),
  single('CLASS', SS('class').value, ICAL('class').value),
  single('GEO', VCARD('hasGeo').value, GEO('lat').value, GEO('long').value),
  single('NOTE', VCARD('note').value),
  set('URL', VCARD('url').value),
  single('SUMMARY', ICAL('summary').value),
  single('DESCRIPTION', ICAL('description').value),
  single('LOCATION', ICAL('location').value),
  single('COMMENT', ICAL('comment').value),
  single('STATUS', ICAL('status').value),
  single('PRIORITY', ICAL('priority').value),
  single('PERCENT-COMPLETE', ICAL('percentComplete').value),
  single('DURATION', ICAL('duration').value),
  single('RRULE', ICAL('rrule').value),
  date('DTSTART', 'dtstart'),
  date('DTEND', 'dtend'),
  date('DUE', 'due'),
  date('COMPLETED', 'completed'),
  date('RECURRENCE-ID', 'recurrenceId'),
  date('RDATE', 'rdate'),
  date('EXDATE', 'exdate'),
  set('TZ', SS('timezone').value),
];

const BY_PRED = new Map<string, FieldDef>(FIELDS.flatMap((f) => f.preds.map((p) => [p, f] as const)));
const OVERRIDE = 'RID:';

/** The mode of a field key (`FN`, `EMAIL`, or `RID:<override>`, a recurrence override, which is one single value). */
export function fieldMode(field: string): FieldMode {
  return field.startsWith(OVERRIDE) ? 'single' : (FIELDS.find((f) => f.name === field)?.mode ?? 'single');
}

/** One value of a field (a single field's whole value, or one element of a set): its quads and their hash. */
export interface FieldValue {
  hash: string;
  quads: Quad[];
}

export interface ItemFields {
  /** field → hash → value. */
  fields: Map<string, Map<string, FieldValue>>;
  /** Quads of no field: types, UID, version, source text, revision, marks. */
  rest: Quad[];
}

const writer = new n3.Writer({ format: 'N-Triples' });
const line = (q: Quad) => writer.quadToString(q.subject, q.predicate, q.object);

/** The canonical text of some quads (N-Triples lines, sorted; graphs dropped). */
export function valueText(quads: readonly Quad[]): string {
  return quads.map(line).sort().join('');
}

export function valueHash(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 16);
}

/** The quads of a value's text (what {@link valueText} wrote); malformed text gives none. */
export function parseValueText(text: string): Quad[] {
  try {
    return new n3.Parser({ format: 'N-Triples' }).parse(text);
  } catch {
    return [];
  }
}

/** Splits the quads of one item (master `master`) into its fields' values and the rest. */
export function itemFields(master: string, quads: readonly Quad[]): ItemFields {
  const parts = new Map<string, Quad[][]>();
  const add = (field: string, elem: Quad[], mode: FieldMode) => {
    const list = parts.get(field) ?? [];
    if (!parts.has(field)) parts.set(field, list);
    if (mode === 'set' || !list.length) list.push(elem);
    else list[0].push(...elem);
  };
  const bySubject = new Map<string, Quad[]>();
  for (const q of quads) {
    const list = bySubject.get(q.subject.value);
    if (list) list.push(q);
    else bySubject.set(q.subject.value, [q]);
  }
  const rest: Quad[] = [];
  const claimed = new Set<string>([master]);
  for (const q of bySubject.get(master) ?? []) {
    const f = BY_PRED.get(q.predicate.value);
    if (!f) {
      rest.push(q);
      continue;
    }
    const node = f.node && q.object.termType === 'NamedNode' && q.object.value.startsWith(master + '/') ? q.object.value : undefined;
    if (node) claimed.add(node);
    add(f.name, node ? [q, ...(bySubject.get(node) ?? [])] : [q], f.mode);
  }
  for (const [s, qs] of bySubject) {
    if (claimed.has(s)) continue;
    const rid = s.startsWith(master + '/rid-') ? s.slice(master.length + 1) : undefined;
    if (rid) add(OVERRIDE + rid, qs, 'single');
    else rest.push(...qs);
  }
  const fields = new Map<string, Map<string, FieldValue>>();
  for (const [field, elems] of parts) {
    const values = new Map<string, FieldValue>();
    for (const elem of elems) {
      const hash = valueHash(valueText(elem));
      const had = values.get(hash);
      if (had) had.quads.push(...elem);
      else values.set(hash, { hash, quads: elem });
    }
    fields.set(field, values);
  }
  return { fields, rest };
}
