// The dashboard's conflicts, recent changes (with undo) and "add" forms: each a call of the NodeApi, as the CLI makes it.
import path from 'node:path';
import { hlc, historyOf, type HistoryEntry } from '../graph/index.js';
import type { Patch } from '../graph/types.js';
import type { NodeApi } from '../node/index.js';
import type { SemsyncNode } from '../node/index.js';
import { InputError } from '../base/index.js';

/** A dashboard form or button sent something the node cannot act on (a relative path, an unknown choice). */
export class DashboardInputError extends InputError {
  override name = 'DashboardInputError';
}

/** One change of the recent-changes feed: who, when, through what, and a short account of what it touched. */
export interface ChangeRow {
  change: string;
  author: string;
  by: string;
  time: string;
  channel: HistoryEntry['channel'];
  /** What it came through at this node, when it says (`dav:<account>/<collection>`, `device:dav/<account>`, `import:<file>`). */
  via?: string;
  /** The records touched (contacts, events, files...), at most 5 shown; `records` counts them all. */
  shown: string[];
  records: number;
  /** The fields changed (predicates' local names: fn, tel, revision...), at most 8. */
  fields: string[];
  /** Statements added and removed. */
  added: number;
  removed: number;
}

export interface ChangesAnswer {
  changes: ChangeRow[];
  /** False when the log was compacted: older changes are not listed. */
  complete: boolean;
}

const PIM_ITEM = /\/id\/(contact|event|todo|journal)\/([^/]+)/;

/** A record's IRI as a person reads it: `contact u1`, a file's path, else the IRI. */
export function recordLabel(iri: string): string {
  const pim = PIM_ITEM.exec(iri);
  if (pim) return `${pim[1]} ${decodeURIComponent(pim[2])}`;
  if (iri.startsWith('file://')) return decodeURIComponent(new URL(iri).pathname);
  return iri;
}

/** The record a subject belongs to: a PIM item (its parts and overrides fold into it), else the subject. */
function recordOf(subject: string): string {
  const m = PIM_ITEM.exec(subject);
  return m ? subject.slice(0, m.index + m[0].length) : subject;
}

function row(e: HistoryEntry, p: Patch, name: (id: string) => string): ChangeRow {
  const records = [...new Set(e.fields.map((f) => recordOf(f.subject)))];
  return {
    change: e.change,
    author: e.author,
    by: name(e.author),
    time: e.time,
    channel: e.channel,
    ...(e.via ? { via: e.via } : {}),
    shown: records.slice(0, 5).map(recordLabel),
    records: records.length,
    fields: [...new Set(e.fields.map((f) => f.predicate.replace(/^.*[#/]/, '')))].slice(0, 8),
    added: p.changes.filter((c) => c.op === 'A').length,
    removed: p.changes.filter((c) => c.op === 'D').length,
  };
}

/** What the dashboard's policy form may choose: the CLI's `--work`, `--personal` and `--clear`. */
const POLICIES: Record<string, unknown> = { work: { work: true }, personal: { work: false }, clear: null };

export class DashboardViews {
  /** The feed, until the store's next commit. */
  private cached = new Map<string, ChangesAnswer>();
  private offCommit: (() => void) | undefined;

  constructor(
    private readonly node: Pick<SemsyncNode, 'store' | 'nodeId'>,
    private readonly api: NodeApi,
  ) {}

  close(): void {
    this.offCommit?.();
    this.offCommit = undefined;
    this.cached.clear();
  }

  conflicts() {
    return this.api.conflicts();
  }

  /** Keep `mine`, `theirs`, or a value of one's own (`value`, read as the field's text: `--keep VALUE`). */
  conflictResolve(id: unknown, keep: unknown, value?: unknown) {
    if (typeof id !== 'string' || !id) throw new DashboardInputError('say which conflict (its id)');
    if (keep === 'value') {
      if (typeof value !== 'string' || !value.trim()) throw new DashboardInputError('type the value to keep');
      return this.api.conflictResolve(id, value.trim());
    }
    if (keep !== 'mine' && keep !== 'theirs') throw new DashboardInputError(`keep "mine", "theirs" or a value of your own, not ${JSON.stringify(keep)}`);
    return this.api.conflictResolve(id, keep);
  }

  /** The newest `limit` changes, newest first; file scans and device catalogs only when `all`. */
  async changes(limit: number, all: boolean): Promise<ChangesAnswer> {
    const key = `${limit}/${all}`;
    const have = this.cached.get(key);
    if (have) return have;
    this.offCommit ??= this.node.store.events.on('commit', () => this.cached.clear());
    const { patches, complete } = this.node.store.logPatches();
    const names = new Map((await this.api.peerList().catch(() => [])).filter((p) => p.name).map((p) => [p.peerId, p.name!]));
    const name = (id: string) => (id === this.node.nodeId ? 'this node' : names.get(id) ?? id);
    const byId = new Map(patches.map((p) => [`${p.author}:${p.seq}`, p]));
    const newest = [...patches].sort((a, b) => hlc.compareHlcText(b.hlc, a.hlc) || (a.author < b.author ? 1 : a.author > b.author ? -1 : b.seq - a.seq));
    const changes: ChangeRow[] = [];
    for (let i = 0; i < newest.length && changes.length < limit; i += limit) {
      const entries = historyOf(newest.slice(i, i + limit), () => true, this.node.nodeId).reverse();
      for (const e of entries) if (all || !bookkeeping(e)) changes.push(row(e, byId.get(e.change)!, name));
    }
    const answer = { changes: changes.slice(0, limit), complete };
    this.cached.set(key, answer);
    return answer;
  }

  undo(change: unknown, dryRun: boolean) {
    if (typeof change !== 'string' || !change) throw new DashboardInputError('say which change to undo (NODE:SEQ)');
    return this.api.undo(change, { dryRun });
  }

  /** Everything one peer (or this node) did since `since` (an ISO time, or `2h` ago): `undo --peer ID --since TIME`. */
  undoPeer(peer: unknown, since: unknown, dryRun: boolean) {
    if (typeof peer !== 'string' || !peer.trim()) throw new DashboardInputError('say whose changes to undo (a peer id or name)');
    if (typeof since !== 'string' || !since.trim()) throw new DashboardInputError('say since when (an ISO time, or 30m, 2h, 7d ago)');
    return this.api.undoPeer(peer.trim(), since.trim(), { dryRun });
  }

  shareAdd(folder: unknown, name: unknown) {
    return this.api.shareAdd(absolute(folder, 'the folder to share'), optionalName(name));
  }

  targetAdd(dir: unknown, name: unknown, mirror: unknown) {
    return this.api.targetAdd(absolute(dir, 'the target folder'), optionalName(name), { mirror: String(mirror) === 'true' });
  }

  /** A CalDAV/CardDAV account, as `semsync dav add URL --user U --password-file F [--policy work] --name N`. */
  davAdd(b: Record<string, unknown>) {
    if (typeof b.url !== 'string' || !b.url.trim()) throw new DashboardInputError('give the server\'s URL (https://dav.example.com/me/)');
    if (b.policy !== undefined && b.policy !== 'work' && b.policy !== 'personal') throw new DashboardInputError(`choose the policy work or personal, not ${JSON.stringify(b.policy)}`);
    const user = optionalName(b.user);
    const passwordFile = typeof b.passwordFile === 'string' && b.passwordFile.trim() ? absolute(b.passwordFile, 'the password file') : undefined;
    if (user && !passwordFile) throw new DashboardInputError('give the password file of the user (a file holding only the password, readable by the node)');
    return this.api.davAdd(b.url.trim(), { name: optionalName(b.name), user, passwordFile, policy: b.policy === 'work' ? 'work' : undefined }, path.dirname(passwordFile ?? '/'));
  }

  policies() {
    return this.api.policyList();
  }

  policySet(target: unknown, policy: unknown) {
    if (typeof target !== 'string' || !target.trim()) throw new DashboardInputError('say whose policy: a peer id, or dav:ACCOUNT');
    if (typeof policy !== 'string' || !(policy in POLICIES)) throw new DashboardInputError(`choose the policy work, personal or clear, not ${JSON.stringify(policy)}`);
    return this.api.policySet(target.trim(), POLICIES[policy]);
  }
}

/** A path typed into the dashboard: absolute (the node has no working folder of the person's to resolve it against). */
function absolute(p: unknown, what: string): string {
  if (typeof p !== 'string' || !p.trim()) throw new DashboardInputError(`give ${what}`);
  if (!path.isAbsolute(p.trim())) throw new DashboardInputError(`${p}: give ${what} as an absolute path (like /home/me/Books)`);
  return p.trim();
}

function optionalName(name: unknown): string | undefined {
  return typeof name === 'string' && name.trim() ? name.trim() : undefined;
}

/** This node's own scans and device catalogs: the feed leaves them out unless all changes are asked for. */
function bookkeeping(e: HistoryEntry): boolean {
  return e.channel === 'scan' || (e.channel === 'device' && !e.via);
}
