// `semsync conflicts`: the open conflicts of contacts and calendar items (a single-valued field two nodes set apart, as
// pim/merge.ts finds them), each side with its value, node and time; settling one is an ordinary edit that syncs.
// File descriptions two nodes disagree on are found and settled in file-conflicts.ts, listed in the same shape.
import type { Quad } from '@rdfjs/types';
import { InputError } from '../base/index.js';
import { SS, pimItemOf } from '../graph/vocab.js';
import { ICAL_FIELDS, PIM_KINDS, QuadIndex, VCARD_FIELDS, itemFields, mergedView, readPimBytes, writeItems, type FieldConflict, type MergedItem, type PimKindName, type PimStore } from '../pim/index.js';

export class ConflictError extends InputError {}

export interface ConflictSide {
  /** The value as its vCard/iCalendar text says it (without the property name). */
  value: string;
  /** The node that wrote it: its id, and its name as paired here (`this node` for ours). */
  node: string;
  by: string;
  /** The revision (hybrid logical clock) of the write, and its time. */
  rev: string;
  time: string;
  /** Where it came from when not from the node itself: the CalDAV/CardDAV collection it was synced from. */
  via?: string;
  /** Written on this node (not taken from a server). */
  mine: boolean;
  /** The value shown meanwhile (the later write; node id breaks a tie). */
  shown: boolean;
  /** A file description's side: that node's files holding the content (paths as that node wrote them). */
  paths?: string[];
}

export interface ConflictEntry {
  id: string;
  /** `file`: a file description (file-conflicts.ts); `item` is then the content, `uid` a file's name. */
  kind: PimKindName | 'file';
  /** The contact or event: its IRI and UID. */
  item: string;
  uid: string;
  /** A file description's: this node's files holding the content (else every node's). */
  paths?: string[];
  field: string;
  sides: ConflictSide[];
}

export interface ConflictResolution {
  id: string;
  item: string;
  field: string;
  kept: string;
  /** The settling edit was written (false: the conflict had already gone). */
  written: boolean;
}

export interface ConflictDeps {
  store: PimStore;
  /** A node id as a person knows it (a paired name); default the id. */
  name?: (id: string) => string;
}

/** The text of a value: its lines as the field writes them, without the property name. */
function valueText(kind: PimKindName, master: string, field: string, quads: Quad[]): string {
  const g = new QuadIndex(quads);
  if (field.startsWith('RID:')) {
    const s = `${master}/${field.slice(4)}`;
    return ICAL_FIELDS.flatMap((f) => f.lines(g, s, '2.0')).join(' | ') || '(no override)';
  }
  const def = (kind === 'contacts' ? VCARD_FIELDS : ICAL_FIELDS).find((f) => f.names.includes(field));
  const lines = def ? def.lines(g, master, g.values(master, SS('vcardVersion'))[0] ?? '3.0') : quads.map((q) => q.object.value);
  return lines.map((l) => (def ? l.slice(l.indexOf(':') + 1) : l)).join(', ') || '(none)';
}

const uidOf = (master: string) => decodeURIComponent(master.slice(master.lastIndexOf('/') + 1));
const timeOf = (rev: string) => {
  const ms = Number(rev.split('.')[0]);
  return Number.isFinite(ms) && ms > 0 ? new Date(ms).toISOString() : '';
};

/** Text fields: a VALUE given for them is escaped as TEXT before it is read. */
const TEXT_FIELDS = new Set(['FN', 'NOTE', 'TITLE', 'ROLE', 'SUMMARY', 'DESCRIPTION', 'LOCATION', 'COMMENT']);

export class PimConflicts {
  constructor(private readonly deps: ConflictDeps) {}

  private name(id: string): string {
    return this.deps.name?.(id) ?? id;
  }

  private entry(kind: PimKindName, c: FieldConflict): ConflictEntry {
    const self = this.deps.store.nodeId;
    const sides = c.sides.map((s, i) => ({ value: valueText(kind, c.master, c.field, s.quads), node: s.author, by: this.name(s.author), rev: s.rev, time: timeOf(s.rev), ...(s.via ? { via: s.via } : {}), mine: s.author === self && !s.via, shown: i === 0 }));
    return { id: c.id, kind, item: c.master, uid: uidOf(c.master), field: c.field, sides };
  }

  /** Every open conflict, by item then field. */
  list(): ConflictEntry[] {
    const out: ConflictEntry[] = [];
    for (const kind of PIM_KINDS) {
      for (const item of mergedView(this.deps.store, kind).items.values()) for (const c of item.conflicts) out.push(this.entry(kind, c));
    }
    return out.sort((a, b) => (a.item < b.item ? -1 : a.item > b.item ? 1 : a.field < b.field ? -1 : 1));
  }

  private find(id: string): { kind: PimKindName; item: MergedItem; conflict: FieldConflict } {
    const hits: Array<{ kind: PimKindName; item: MergedItem; conflict: FieldConflict }> = [];
    for (const kind of PIM_KINDS) {
      for (const item of mergedView(this.deps.store, kind).items.values()) for (const c of item.conflicts) if (c.id === id || (id.length >= 4 && c.id.startsWith(id))) hits.push({ kind, item, conflict: c });
    }
    if (hits.length > 1) throw new ConflictError(`conflict ${id}: ${hits.length} conflicts start so; give more of the id (see \`semsync conflicts\`)`);
    if (!hits.length) throw new ConflictError(`no open conflict ${id} (settled already, or never here); see \`semsync conflicts\``);
    return hits[0];
  }

  /** The quads of the value to keep: a side (`mine`, `theirs`) or a VALUE read as the field's text. */
  private chosen(kind: PimKindName, item: MergedItem, c: FieldConflict, keep: string): Quad[] {
    const self = this.deps.store.nodeId;
    if (keep === 'mine' || keep === 'theirs') {
      const mine = (s: FieldConflict['sides'][number]) => s.author === self && !s.via;
      const side = keep === 'mine' ? c.sides.find(mine) : c.sides.find((s) => !mine(s));
      if (!side) throw new ConflictError(`conflict ${c.id}: ${keep === 'mine' ? 'no side was written on this node' : 'every side was written on this node'}; keep a value instead (--keep VALUE)`);
      return side.quads;
    }
    if (c.field.startsWith('RID:')) throw new ConflictError(`conflict ${c.id} is about a whole recurrence override: keep mine or theirs`);
    const text = TEXT_FIELDS.has(c.field) ? keep.replace(/\\/g, '\\\\').replace(/;/g, '\\;').replace(/,/g, '\\,').replace(/\r?\n/g, '\\n') : keep;
    const uid = `UID:${uidOf(c.master).replace(/\\/g, '\\\\').replace(/;/g, '\\;').replace(/,/g, '\\,')}`;
    const comp = pimItemOf(c.master)?.kind === 'todo' ? 'VTODO' : pimItemOf(c.master)?.kind === 'journal' ? 'VJOURNAL' : 'VEVENT';
    const source = kind === 'contacts' ? ['BEGIN:VCARD', 'VERSION:3.0', uid, `${c.field}:${text}`, 'END:VCARD'] : ['BEGIN:VCALENDAR', 'VERSION:2.0', `BEGIN:${comp}`, uid, `${c.field}:${text}`, `END:${comp}`, 'END:VCALENDAR'];
    const group = readPimBytes(kind, Buffer.from(source.join('\r\n') + '\r\n')).groups.find((g) => g.master === item.master);
    const value = group && itemFields(item.master, group.quads).fields.get(c.field);
    if (!value?.size) throw new ConflictError(`conflict ${c.id}: ${JSON.stringify(keep)} does not read as a ${c.field} value${group?.errors.length ? ` (${group.errors[0]})` : ''}`);
    return [...value.values()].flatMap((v) => v.quads);
  }

  /** Settles conflict `id` by keeping `mine`, `theirs` or a VALUE: this node writes the item with that value chosen. */
  async resolve(id: string, keep: string): Promise<ConflictResolution> {
    const { kind, item, conflict: c } = this.find(id.trim());
    const value = this.chosen(kind, item, c, keep);
    const shown = new Set(c.sides[0].quads.map(key));
    const quads = [...item.quads.filter((q) => !shown.has(key(q))), ...value];
    const w = await writeItems(this.deps.store, kind, [{ master: item.master, quads, errors: [] }], { settle: new Map([[item.master, new Set([c.field])]]) });
    return { id: c.id, item: item.master, field: c.field, kept: valueText(kind, c.master, c.field, value), written: w.changed.length + w.added.length > 0 };
  }
}

const key = (q: Quad) => `${q.subject.value}\n${q.predicate.value}\n${q.object.termType}\n${q.object.value}\n${q.object.termType === 'Literal' ? q.object.datatype.value + '@' + q.object.language : ''}`;
