// `semsync history ITEM|PATH`: one record's changes from the change log, with who (by name), when and through what.
import { existsSync } from 'node:fs';
import path from 'node:path';
import n3 from 'n3';
import { historyOf, recordSubjects, type HistoryEntry } from '../graph/index.js';
import { NIE, pimItemIri, pimItemOf, type PimKind } from '../graph/vocab.js';
import { fileIri } from '../library/index.js';
import type { GraphStore } from '../graph/index.js';

/** What history and undo need of the node: its id, its store, its trust file (for peer names). */
export interface HistoryHome {
  readonly nodeId: string;
  readonly store: GraphStore;
  readonly paths: { readonly trust: string };
}
import { FailureError } from '../base/index.js';

const { namedNode } = n3.DataFactory;

export class HistoryError extends FailureError {
  override name = 'HistoryError';
}

export interface HistoryLine extends HistoryEntry {
  /** Who: "this node", a paired peer's name, or its id. */
  by: string;
}

export interface HistoryAnswer {
  /** The IRIs whose changes are shown (an item, or a file and the contents it pointed at). */
  record: string[];
  entries: HistoryLine[];
  /** Entries before these were left out by `--limit`. */
  omitted: number;
  /** False when the log was compacted: changes older than its oldest patch are not shown. */
  complete: boolean;
}

/** Node id → a name to show: "this node", a paired peer's name, else the id. */
export async function namesOf(node: HistoryHome): Promise<(id: string) => string> {
  const names = new Map<string, string>();
  try {
    const { TrustStore } = await import('../peers/trust.js');
    for (const p of (await TrustStore.open(node.paths.trust)).peers()) if (p.name) names.set(p.id, p.name);
  } catch {
    // no trust file yet, or one that does not read: ids are shown
  }
  return (id) => (id === node.nodeId ? 'this node' : names.get(id) ?? id);
}

const KINDS: PimKind[] = ['contact', 'event', 'todo', 'journal'];

/**
 * The IRIs a record is known by: an IRI (a PIM part → its item), a file path (the file's IRI), or a contact/event UID
 * (the kinds the store holds it as, else those the change log has changes of: one read of the log for all kinds).
 */
function resolveRecord(node: HistoryHome, what: string, cwd: string): string[] {
  if (/^[A-Za-z][A-Za-z0-9+.-]*:/.test(what) && !existsSync(path.resolve(cwd, what))) return [pimItemOf(what)?.item ?? what];
  const abs = path.resolve(cwd, what);
  if (existsSync(abs) || what.includes('/')) return [fileIri(abs).value];
  const iris = KINDS.map((k) => pimItemIri(k, what).value);
  let hits = iris.filter((iri) => node.store.match(namedNode(iri), null, null, null).length > 0);
  if (!hits.length) {
    const { patches } = node.store.logPatches(iris);
    hits = iris.filter((iri) => patches.some((p) => p.changes.some((c) => recordSubjects([iri])(c.quad.subject.value))));
  }
  if (!hits.length) throw new HistoryError(`${what}: no contact or calendar item has this UID, and there is no file at ${abs}`);
  return hits;
}

/** The changes to one record, oldest first (the newest `limit` when given). */
export async function recordHistory(node: HistoryHome, what: string, cwd: string, limit?: number): Promise<HistoryAnswer> {
  if (!what.trim()) throw new HistoryError('say which record: a contact or event UID or IRI, or a file path');
  let record = resolveRecord(node, what, cwd);
  let read = node.store.logPatches(record);
  if (record[0].startsWith('file:')) {
    // a file's description and the descriptions of the contents it pointed at (now or in the log)
    const contents = new Set(node.store.match(namedNode(record[0]), NIE('interpretedAs'), null, null).map((q) => q.object.value));
    for (const p of read.patches) for (const c of p.changes) if (c.quad.subject.value === record[0] && c.quad.predicate.equals(NIE('interpretedAs'))) contents.add(c.quad.object.value);
    record = [record[0], ...[...contents].sort()];
    read = node.store.logPatches(record);
  }
  const name = await namesOf(node);
  const entries = historyOf(read.patches, recordSubjects(record), node.nodeId).map((e) => ({ ...e, by: name(e.author) }));
  const keep = typeof limit === 'number' && limit >= 0 ? Math.min(limit, entries.length) : entries.length;
  return { record, entries: entries.slice(entries.length - keep), omitted: entries.length - keep, complete: read.complete };
}
