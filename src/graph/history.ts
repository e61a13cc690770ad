// History and undo from the change log (pure): one record's changes out of patches, and the inverse rows of patches
// where the store still holds what they did.
import type { Quad } from '@rdfjs/types';
import { compareHlcText, parseHlc } from './hlc.js';
import { termToNQuads } from './terms.js';
import type { Change, Patch } from './types.js';
import { ID } from './vocab.js';

/**
 * Through what a change came: `peer` (another node's patch; what it came through there is its `via`), else the
 * patch's `via` header when it has one (channel.ts: `local` edit, `import`, `undo`, `dav` sync, `device`, `scan`),
 * else told from its graph's name `…/graph/<node>/<source>` as older patches must be: `device` (`device/…`), `scan`
 * (`share/…`), `local` (anything else this node wrote).
 */
export type Channel = 'local' | 'scan' | 'device' | 'peer' | 'dav' | 'import' | 'undo';
const KINDS = new Set<string>(['local', 'scan', 'device', 'dav', 'import', 'undo']);

/** A change id as history prints it and undo takes it: `<author>:<seq>`. */
export function changeId(author: string, seq: number): string {
  return `${author}:${seq}`;
}

export function parseChangeId(id: string): { author: string; seq: number } | null {
  const m = /^([A-Za-z0-9._~-]{1,128}):([1-9][0-9]{0,15})$/.exec(id);
  return m ? { author: m[1], seq: Number(m[2]) } : null;
}

/** The author and source part of a graph named `…/graph/<node>/<source>`, or null for any other graph. */
export function graphSource(graph: string): { author: string; source: string } | null {
  const prefix = ID.iri + 'graph/';
  if (!graph.startsWith(prefix)) return null;
  const rest = graph.slice(prefix.length);
  const cut = rest.indexOf('/');
  return cut < 0 ? { author: rest, source: '' } : { author: rest.slice(0, cut), source: decodeURIComponent(rest.slice(cut + 1)) };
}

export function channelOf(graph: string, author: string, self: string, via?: string): Channel {
  const source = graphSource(graph)?.source ?? '';
  if (source.startsWith('device/')) return 'device';
  if (author !== self) return 'peer';
  const kind = via?.split(':', 1)[0] ?? '';
  if (kind !== 'local' && KINDS.has(kind)) return kind as Channel; // `local` is the default: the graph may say more (a scan)
  return source.startsWith('share/') ? 'scan' : 'local';
}

/** The milliseconds of a patch's hybrid logical clock as an ISO date. */
export function hlcTime(hlc: string): string {
  return new Date(parseHlc(hlc)?.ms ?? 0).toISOString();
}

/** Patches in the order they happened: by clock, then author, then seq. */
export function inTimeOrder(patches: Patch[]): Patch[] {
  return [...patches].sort((a, b) => compareHlcText(a.hlc, b.hlc) || (a.author < b.author ? -1 : a.author > b.author ? 1 : a.seq - b.seq));
}

/** One predicate of one subject in one graph: the values a change removed (`from`) and added (`to`), as N-Triples. */
export interface FieldChange {
  subject: string;
  predicate: string;
  graph: string;
  from: string[];
  to: string[];
}

export interface HistoryEntry {
  change: string;
  author: string;
  seq: number;
  hlc: string;
  time: string;
  channel: Channel;
  /** The patch's `via` header, when it has one: the channel with its detail at the author (`dav:<account>/<collection>`, `device:<id>`). */
  via?: string;
  fields: FieldChange[];
}

/** A subject test for one record: the IRI itself and everything below it (a contact's parts, an event's overrides). */
export function recordSubjects(iris: string[]): (subject: string) => boolean {
  return (s) => iris.some((i) => s === i || s.startsWith(i + '/'));
}

const fieldKey = (q: Quad) => `${q.subject.value}\n${q.predicate.value}\n${q.graph.value}`;

function fieldsOf(changes: Change[]): FieldChange[] {
  const out = new Map<string, FieldChange>();
  for (const c of changes) {
    const k = fieldKey(c.quad);
    let f = out.get(k);
    if (!f) out.set(k, (f = { subject: c.quad.subject.value, predicate: c.quad.predicate.value, graph: c.quad.graph.value, from: [], to: [] }));
    (c.op === 'D' ? f.from : f.to).push(termToNQuads(c.quad.object));
  }
  return [...out.values()];
}

/** The changes to the subjects `about` accepts, oldest first; `self` is this node's id (for the channel). */
export function historyOf(patches: Patch[], about: (subject: string) => boolean, self: string): HistoryEntry[] {
  const out: HistoryEntry[] = [];
  for (const p of inTimeOrder(patches)) {
    const rows = p.changes.filter((c) => about(c.quad.subject.value));
    if (!rows.length) continue;
    const graph = rows[0].quad.graph.value;
    const e: HistoryEntry = { change: changeId(p.author, p.seq), author: p.author, seq: p.seq, hlc: p.hlc, time: hlcTime(p.hlc), channel: channelOf(graph, p.author, self, p.via), fields: fieldsOf(rows) };
    if (p.via) e.via = p.via;
    out.push(e);
  }
  return out;
}

/** A row undo leaves alone, and why. */
export interface Skipped {
  change: string;
  subject: string;
  predicate: string;
  graph: string;
  reason: string;
}

/**
 * The inverse rows of `targets` (patches of `all`, every patch in the log, or some of their rows) where the store still holds what they
 * did: a field (subject, predicate, graph) that a later patch touched again is superseded and left alone, as is a
 * row whose effect is already gone (`present` says whether a quad is in the store). Newest target first, so undoing
 * a window restores the state before its first change.
 */
export function inverseRows(targets: Patch[], all: Patch[], present: (q: Quad) => boolean): { rows: Change[]; skipped: Skipped[] } {
  const ordered = inTimeOrder(all);
  const chosen = new Map(targets.map((p) => [changeId(p.author, p.seq), p]));
  const rows = new Map<string, Change>();
  const skipped: Skipped[] = [];
  const laterTouched = new Map<string, string>(); // field → the first later patch (not undone) that touched it
  for (let i = ordered.length - 1; i >= 0; i--) {
    const id = changeId(ordered[i].author, ordered[i].seq);
    const p = chosen.get(id); // the rows to undo may be some of the patch's only
    if (!p) {
      for (const c of ordered[i].changes) laterTouched.set(fieldKey(c.quad), id);
      continue;
    }
    const reported = new Set<string>();
    for (const c of [...p.changes].reverse()) {
      const k = fieldKey(c.quad);
      const later = laterTouched.get(k);
      if (later) {
        if (!reported.has(k)) skipped.push({ change: id, subject: c.quad.subject.value, predicate: c.quad.predicate.value, graph: c.quad.graph.value, reason: `changed again later by ${later}` });
        reported.add(k);
        continue;
      }
      const inverse: Change = { op: c.op === 'A' ? 'D' : 'A', quad: c.quad };
      const rowKey = `${k}\n${termToNQuads(c.quad.object)}`;
      rows.delete(rowKey);
      rows.set(rowKey, inverse);
    }
  }
  const out: Change[] = [];
  for (const r of rows.values()) if (r.op === 'D' ? present(r.quad) : !present(r.quad)) out.push(r);
  return { rows: out, skipped };
}
