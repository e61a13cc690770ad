// `semsync undo CHANGE` and `semsync undo --peer ID --since TIME`: reverting changes as one ordinary local commit.
// Rows in this node's own graphs are inverted where the store still holds what they did (graph/history.ts). A contact
// or event is restored as a whole in this node's PIM graph with a new revision, so it wins over the change undone
// (on every node, after sync): a node never writes another node's graphs. Other nodes' other rows cannot be undone here.
import n3 from 'n3';
import type { Quad } from '@rdfjs/types';
import { changeId, graphSource, inverseRows, parseChangeId, withChannel, type Skipped } from '../graph/index.js';
import { parseHlc } from '../graph/index.js';
import type { Change, Patch } from '../graph/types.js';
import { ICAL, RDF, SS, VCARD, pimItemOf } from '../graph/vocab.js';
import { mergeVersions } from '../pim/index.js';
import { groupByMaster, mergedView, nextRevision, pimGraph, type MergedItem, type PimKindName } from '../pim/index.js';
import { HistoryError, namesOf } from './history.js';
import type { HistoryHome } from './history.js';

const { quad, literal, namedNode } = n3.DataFactory;
const REV = SS('revision');
const DELETED = SS('deleted');
/** What a tombstone keeps of the item, so a privacy policy judges it as the item was (as pim/store.ts does). */
const POLICY_FIELDS = [RDF('type'), ICAL('class'), ICAL('categories'), ICAL('uid'), VCARD('category'), SS('class')];
const w = new n3.Writer({ format: 'N-Quads' });
const key = (q: Quad) => w.quadToString(q.subject, q.predicate, q.object);

export interface UndoItem {
  item: string;
  /** `restore`: the item comes back as it was before; `delete`: it did not exist before, so it goes. */
  action: 'restore' | 'delete';
  /** Whose version comes back (for restore). */
  from?: string;
}

export interface UndoReport {
  dryRun: boolean;
  /** The changes undone (`<author>:<seq>`). */
  changes: string[];
  items: UndoItem[];
  /** Statements of this node's own graphs put back (added) or taken out (removed), contacts and events aside. */
  added: number;
  removed: number;
  skipped: Skipped[];
  /** The undo's own change, null when nothing was left to do or with --dry-run. */
  commit: string | null;
}

/** A time: an ISO date, milliseconds since the epoch, or a span ago (`30m`, `2h`, `7d`). */
export function parseSince(text: string, now = Date.now()): number {
  const ago = /^(\d+)\s*(s|m|min|h|d)$/i.exec(text.trim());
  if (ago) return now - Number(ago[1]) * { s: 1e3, m: 6e4, min: 6e4, h: 36e5, d: 864e5 }[ago[2].toLowerCase() as 's']!;
  if (/^\d{10,}$/.test(text.trim())) return Number(text.trim());
  const t = Date.parse(text);
  if (Number.isNaN(t)) throw new HistoryError(`--since ${JSON.stringify(text)}: not a time (give an ISO date like 2026-12-07T10:00Z, or a span ago like 30m, 2h, 7d)`);
  return t;
}

interface ItemTouch {
  kind: PimKindName;
  graph: string;
  author: string;
  master: string;
  /** Newest first. */
  patches: Patch[];
}

const pimKindOfGraph = (graph: string): PimKindName | undefined => {
  const s = graphSource(graph);
  return s?.source === 'pim/contacts' ? 'contacts' : s?.source === 'pim/calendar' ? 'calendar' : undefined;
};

/** The item as the versions merge (pim/merge.ts, as mergedView merges it). */
const winner = (master: string, versions: Array<{ author: string; quads: Quad[] }>) => mergeVersions(master, versions);

class ItemUndo {
  private graphs = new Map<string, Map<string, Quad[]>>();
  private views = new Map<PimKindName, ReturnType<typeof mergedView>>();
  private lastRev: string | undefined;

  constructor(private readonly node: HistoryHome, private readonly name: (id: string) => string) {}

  private groups(graph: string): Map<string, Quad[]> {
    let g = this.graphs.get(graph);
    if (!g) this.graphs.set(graph, (g = groupByMaster(this.node.store.match(null, null, null, namedNode(graph)))));
    return g;
  }

  private view(kind: PimKindName): ReturnType<typeof mergedView> {
    let v = this.views.get(kind);
    if (!v) this.views.set(kind, (v = mergedView(this.node.store, kind)));
    return v;
  }

  /** The rows that put `t.master` back as it was before `t.patches`, or why not. */
  rows(t: ItemTouch, out: Change[], items: UndoItem[], skipped: Skipped[]): void {
    const newest = t.patches[0];
    const skip = (reason: string): void => void skipped.push({ change: changeId(newest.author, newest.seq), subject: t.master, predicate: '', graph: t.graph, reason });
    const setRev = newest.changes.find((c) => c.op === 'A' && c.quad.subject.value === t.master && c.quad.predicate.equals(REV))?.quad.object.value;
    const now: MergedItem | undefined = this.view(t.kind).items.get(t.master);
    if (!setRev || !now || now.author !== t.author || now.rev !== setRev) {
      return skip(now ? `changed again later by ${this.name(now.author)} (${now.deleted ? 'deleted' : 'edited'})` : 'no longer in the store');
    }
    const before = new Map((this.groups(t.graph).get(t.master) ?? []).map((q) => [key(q), q]));
    for (const p of t.patches) for (const c of [...p.changes].reverse()) {
      if (pimItemOf(c.quad.subject.value)?.master !== t.master || c.quad.graph.value !== t.graph) continue;
      if (c.op === 'A') before.delete(key(c.quad));
      else before.set(key(c.quad), c.quad);
    }
    const was = winner(t.master, this.versions(t, [...before.values()]));
    if ((!was || was.deleted) && now.deleted) return skip('it was not there before either');
    const own = pimGraph(this.node.nodeId, t.kind);
    const old = this.groups(own.value).get(t.master) ?? [];
    this.lastRev = nextRevision(this.node.store, this.lastRev);
    const rev = quad(namedNode(t.master), REV, literal(this.lastRev), own);
    let next: Quad[];
    if (was && !was.deleted) {
      next = [...was.quads.filter((q) => !q.predicate.equals(REV)).map((q) => quad(q.subject, q.predicate, q.object, own)), rev];
      items.push({ item: t.master, action: 'restore', from: this.name(was.author) });
    } else {
      const keep = now.quads.filter((q) => q.subject.value === t.master && POLICY_FIELDS.some((p) => q.predicate.equals(p)));
      next = [...keep.map((q) => quad(q.subject, q.predicate, q.object, own)), quad(namedNode(t.master), DELETED, literal('true', namedNode('http://www.w3.org/2001/XMLSchema#boolean')), own), rev];
      items.push({ item: t.master, action: 'delete' });
    }
    const want = new Map(next.map((q) => [key(q), q]));
    for (const q of old) if (!want.delete(key(q))) out.push({ op: 'D', quad: q });
    for (const q of want.values()) out.push({ op: 'A', quad: q });
  }

  /** Every node's version of the item, with `before` standing for the graph whose changes are undone. */
  private versions(t: ItemTouch, before: Quad[]): Array<{ author: string; quads: Quad[] }> {
    const out: Array<{ author: string; quads: Quad[] }> = [{ author: t.author, quads: before }];
    const kindGraphs = new Set<string>();
    for (const q of this.node.store.match(namedNode(t.master), REV, null, null)) if (pimKindOfGraph(q.graph.value) === t.kind) kindGraphs.add(q.graph.value);
    for (const g of kindGraphs) if (g !== t.graph) out.push({ author: graphSource(g)!.author, quads: this.groups(g).get(t.master) ?? [] });
    return out;
  }
}

/** Undo `targets` (patches of the log): one local commit unless `dryRun`. */
export async function undoPatches(node: HistoryHome, targets: Patch[], all: Patch[], dryRun: boolean): Promise<UndoReport> {
  const name = await namesOf(node);
  const self = node.nodeId;
  const skipped: Skipped[] = [];
  const plain: Patch[] = [];
  const touches = new Map<string, ItemTouch>();
  for (const p of [...targets].sort((a, b) => b.seq - a.seq)) {
    const rows: Change[] = [];
    for (const c of p.changes) {
      const g = c.quad.graph.value;
      const kind = pimKindOfGraph(g);
      const item = pimItemOf(c.quad.subject.value);
      if (kind && item) {
        const k = `${g}\n${item.master}`;
        const t = touches.get(k) ?? { kind, graph: g, author: graphSource(g)!.author, master: item.master, patches: [] };
        if (t.patches[t.patches.length - 1] !== p) t.patches.push(p);
        touches.set(k, t);
      } else if (graphSource(g)?.author === self) rows.push(c);
      else skipped.push({ change: changeId(p.author, p.seq), subject: c.quad.subject.value, predicate: c.quad.predicate.value, graph: g, reason: `in ${name(graphSource(g)?.author ?? g)}'s own graph: only that node can change it` });
    }
    if (rows.length) plain.push({ ...p, changes: rows });
  }
  const present = (q: Quad) => node.store.match(q.subject, q.predicate, q.object, q.graph).length > 0;
  const inv = inverseRows(plain, all, present);
  skipped.push(...inv.skipped);
  const changes: Change[] = [...inv.rows];
  const items: UndoItem[] = [];
  const itemUndo = new ItemUndo(node, name);
  for (const t of touches.values()) itemUndo.rows(t, changes, items, skipped);
  let commit: string | null = null;
  if (!dryRun && changes.length) {
    const p = await withChannel('undo', () => node.store.commit(changes));
    if (p) commit = changeId(p.author, p.seq);
  }
  return {
    dryRun,
    changes: targets.map((p) => changeId(p.author, p.seq)),
    items,
    added: inv.rows.filter((c) => c.op === 'A').length,
    removed: inv.rows.filter((c) => c.op === 'D').length,
    skipped,
    commit,
  };
}

/** `undo CHANGE`. */
export async function undoChange(node: HistoryHome, id: string, dryRun: boolean): Promise<UndoReport> {
  const want = parseChangeId(id);
  if (!want) throw new HistoryError(`${JSON.stringify(id)} is not a change id (NODE:SEQ, as \`semsync history\` prints it)`);
  const { patches, complete } = node.store.logPatches();
  const target = patches.find((p) => p.author === want.author && p.seq === want.seq);
  if (!target) throw new HistoryError(`no change ${id} in the change log${complete ? '' : ' (it may be older than the last compaction)'}`);
  return undoPatches(node, [target], patches, dryRun);
}

/**
 * The patches `peer` wrote since `from`: a node (its id, or a paired peer's name; this node's id too), or a channel
 * this node's changes came through (`dav:ACCOUNT` a CalDAV/CardDAV account's syncs, `device:dav/ACCOUNT` a phone or
 * app through this node's DAV server): this node's patches whose `via` is it or names one of its collections.
 */
async function patchesOf(node: HistoryHome, patches: Patch[], peer: string, from: number): Promise<Patch[]> {
  const since = (p: Patch) => (parseHlc(p.hlc)?.ms ?? 0) >= from;
  if (/^(dav|device):./.test(peer)) return patches.filter((p) => p.author === node.nodeId && (p.via === peer || p.via?.startsWith(`${peer}/`)) && since(p));
  let author = peer;
  if (!patches.some((p) => p.author === peer)) {
    const name = await namesOf(node);
    author = [...new Set(patches.map((p) => p.author))].find((a) => name(a) === peer) ?? peer;
  }
  return patches.filter((p) => p.author === author && since(p));
}

/** `undo --peer ID|dav:ACCOUNT --since TIME`: everything one node (or one DAV account) did since then. */
export async function undoPeer(node: HistoryHome, peer: string, since: string, dryRun: boolean): Promise<UndoReport> {
  const from = parseSince(since);
  const { patches } = node.store.logPatches();
  const targets = await patchesOf(node, patches, peer, from);
  if (!targets.length) throw new HistoryError(`no change by ${peer} since ${new Date(from).toISOString()} in the change log`);
  return undoPatches(node, targets, patches, dryRun);
}
