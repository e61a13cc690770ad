// The durable graph store: oxigraph in memory, every change fsync'd to the change log first, N-Quads snapshots to bound recovery.
import fsp from 'node:fs/promises';
import path from 'node:path';
import n3 from 'n3';
import type { Quad, Term } from '@rdfjs/types';
import { segmentName, type ChangeLog, type TornTail } from './changelog.js';
import { PatchError, StoreError, StoreLockedError } from './errors.js';
import { formatHlc, parseHlc, receive, tick, type Hlc } from './hlc.js';
import { importInBatches, type ImportOptions } from './io.js';
import { AUTHOR_RE, decodePatch, encodePatch, patchProblem } from './patch.js';
import { acquirePidLock, Emitter, type PidLock } from '../base/index.js';
import type { QueryOutput } from './query.js';
import { quadProblem, quadTerms } from './terms.js';
import type { Change, Patch, QueryContext, ResultFormat, VersionVector } from './types.js';
import { graphAuthor, graphIri } from './vocab.js';
import { stateRecords } from './state.js';
import type { PagedSnapshotInfo, StoreBackend } from './backend.js';
import { openBackend } from './backend-open.js';
import { PagedBackend } from './backend-paged.js';
import { WholeBackend } from './backend-whole.js';
import { pagedAbove, type OpenOptions } from './store-options.js';
import { NewGraphRows } from './new-graph.js';
import { utf8 } from './rows.js';
import { readHistory, retentionOf } from './history-log.js';
import { currentChannel, withChannel } from './channel.js';

export type { QueryOutput } from './query.js';
export type { OpenOptions } from './store-options.js';

const { namedNode } = n3.DataFactory;
const TRUSTED = { maxBytes: 1 << 30, maxRows: 1 << 30, maxTermLength: 1 << 30 };

export type { ImportOptions } from './io.js';

/** Blank nodes never enter the store: oxigraph relabels them on load, and they cannot sync (derive an IRI instead). */
function blankProblem(q: Quad): string | null {
  return [q.subject, q.object, q.graph].some((t) => t.termType === 'BlankNode')
    ? 'blank nodes are not stored (they cannot sync): derive a stable IRI, see vocab.ts'
    : null;
}

/** Changes by their rows (`s p o [g]`), each checked; the last mention of a row wins, in its place. */
function keyedChanges(changes: Change[]): Map<string, Change> {
  const rows = new Map<string, Change>();
  for (const c of changes) {
    if (!c || (c.op !== 'A' && c.op !== 'D')) throw new StoreError('A change needs op "A" or "D".');
    const problem = quadProblem(c.quad) ?? blankProblem(c.quad);
    if (problem) throw new StoreError(`Cannot store this quad: ${problem}.`);
    const key = quadTerms(c.quad);
    rows.delete(key); // keep the order of the last mention
    rows.set(key, c);
  }
  return rows;
}

/** What the store announces: `commit` after a change is durable and applied (local or another author's). */
export interface StoreEvents extends Record<string, unknown> {
  commit: { author: string; seq: number; local: boolean };
}

export class GraphStore {
  /** Listen here instead of polling versionVector(): one `commit` per durable write. */
  readonly events = new Emitter<StoreEvents>();
  private queue: Promise<unknown> = Promise.resolve();
  private closed = false;
  private bytesSinceSnapshot = 0;
  /** Per author, the seq of its latest full-state record in the log (patches before it cannot be replayed to peers). */
  private stateAt = new Map<string, number>();

  private constructor(
    readonly nodeId: string,
    readonly dir: string,
    /** Where the statements are held: whole, paged or reach-only (backend.ts), chosen on open; a whole one may become paged. */
    private backend: StoreBackend,
    private vv: VersionVector,
    private clock: Hlc,
    private readonly log: ChangeLog,
    private readonly lock: PidLock,
    private readonly opts: OpenOptions,
  ) {}

  /** An append that never finished at the end of the log when the store was opened (dropped; cut off unless opened for one query), if any. */
  get recoveredTornTail(): TornTail | null {
    return this.log.tornTail;
  }

  /** Open (creating) a store: the latest snapshot, then the log after it; a torn last record is dropped. */
  static async open(opts: OpenOptions): Promise<GraphStore> {
    if (!AUTHOR_RE.test(opts.nodeId)) throw new StoreError(`Bad node id ${JSON.stringify(opts.nodeId)}: use 1-128 letters, digits, '.', '_', '~' or '-'.`);
    const dir = path.resolve(opts.dir);
    await fsp.mkdir(dir, { recursive: true });
    const got = acquirePidLock(path.join(dir, 'LOCK'));
    if ('owner' in got) throw new StoreLockedError(dir, got.owner.pid);
    try {
      const { backend, replayed, stale } = await openBackend(dir, opts);
      const { log, vv, clock, stateAt } = replayed;
      const store = new GraphStore(opts.nodeId, dir, backend, vv, clock, log, got.lock, opts);
      // A snapshot of an older format is rewritten on close (cold queries need its index).
      store.bytesSinceSnapshot = stale ? Math.max(replayed.replayed, (4 << 20) + 1) : replayed.replayed;
      store.stateAt = stateAt;
      return store;
    } catch (e) {
      got.lock.release();
      throw e;
    }
  }

  get size(): number {
    return this.backend.size;
  }

  /** Statements held in memory: all of them, or a paged store's working set. */
  get holding(): number {
    return this.backend.holding;
  }

  /** Whether this store holds only a query's reach (OpenOptions.reach). */
  get partial(): boolean {
    return this.backend.partial;
  }

  /** Refuses what a store holding only one query's reach cannot do right. */
  private whole(what: string, writes = false): void {
    if (writes && this.opts.readOnly) throw new StoreError(`The store at ${this.dir} was opened to read only: it cannot ${what}.`);
    if (this.partial) throw new StoreError(`This store was opened for one query and holds only what it reaches: it cannot ${what}.`);
  }

  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    if (this.closed) return Promise.reject(new StoreError(`The store at ${this.dir} is closed.`));
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** A local change by this node: no-ops filtered, logged durably, then applied. null if nothing changed. */
  commit(changes: Iterable<Change>): Promise<Patch | null> {
    const list = changes instanceof NewGraphRows ? changes : [...changes];
    const via = currentChannel(); // channel.ts: withChannel around the caller says through what it came
    return this.exclusive(async () => {
      this.whole('take changes', true);
      return this.commitNow(list, via);
    });
  }

  private async commitNow(changes: Change[], via: string): Promise<Patch | null> {
    if (changes instanceof NewGraphRows && changes.length && this.backend.holdsNothingIn(changes.graphs)) return this.commitNew(changes, via);
    const rows = changes instanceof NewGraphRows ? changes.keyed : keyedChanges(changes);
    if (!rows.size) return null;
    const keys = [...rows.keys()];
    const present = this.backend.present(keys, [...rows.values()].map((c) => c.quad.graph.termType === 'DefaultGraph'));
    const net: Change[] = [];
    const lines: string[] = [];
    for (let i = 0; i < keys.length; i++) {
      const c = rows.get(keys[i])!;
      if (c.op === 'A' ? present.has(i) : !present.has(i)) continue;
      net.push(c);
      lines.push(`${c.op} ${keys[i]} .\n`);
    }
    if (!net.length) return null;
    return this.logAndApply(net, via, (head) => head + lines.join(''), (text) => this.backend.apply(text, true));
  }

  /**
   * A new graph's rows (NewGraphRows, into graphs that hold nothing: each row is an addition that changes something):
   * the log's text written from the rows in one join, and the rows handed to the backend as they are (no re-reading
   * of the patch text, no presence check, no quad per row).
   */
  private commitNew(changes: NewGraphRows, via: string): Promise<Patch> {
    const rows = changes.rows;
    return this.logAndApply(changes, via, (head) => `${head}A ${rows.join(' .\nA ')} .\n`, () => this.backend.applyAdditions(rows));
  }

  /** One local patch: its text (`body` adds its rows after the headers and `TX`), logged durably, applied, announced. */
  private async logAndApply(net: Change[], via: string, body: (head: string) => string, apply: (text: string) => void): Promise<Patch> {
    const seq = (this.vv[this.nodeId] ?? 0) + 1;
    const clock = tick(this.clock, Date.now());
    const patch: Patch = { author: this.nodeId, seq, hlc: formatHlc(clock), changes: net, via };
    const head = encodePatch({ ...patch, changes: [] });
    const text = body(head.slice(0, head.length - 'TC .\n'.length)) + 'TC .\n';
    await this.log.append([{ payload: utf8(text), author: this.nodeId, seq }]);
    apply(text);
    this.vv[this.nodeId] = seq;
    this.clock = clock;
    await this.afterWrite(text.length);
    this.events.emit('commit', { author: this.nodeId, seq, local: true });
    return patch;
  }

  /** A patch by another author: 'duplicate', 'gap' (keep it and retry later), or validated, logged durably, applied. */
  applyRemote(patch: Patch): Promise<'applied' | 'duplicate' | 'gap'> {
    if (patch?.author === this.nodeId) return Promise.reject(new StoreError(`A patch by this node (${this.nodeId}) came back from outside; it is not applied.`));
    const problem = patchProblem(patch) ?? patch.changes.map((c) => blankProblem(c.quad)).find((x) => x) ?? null;
    if (problem) return Promise.reject(new PatchError(problem, 0));
    return this.exclusive(async () => {
      this.whole('take changes', true);
      const have = this.vv[patch.author] ?? 0;
      if (patch.seq <= have) return 'duplicate';
      if (patch.seq > have + 1) return 'gap';
      const text = encodePatch(patch);
      await this.log.append([{ payload: Buffer.from(text), author: patch.author, seq: patch.seq }]);
      this.backend.apply(text, false);
      this.vv[patch.author] = patch.seq;
      this.clock = receive(this.clock, parseHlc(patch.hlc)!, Date.now());
      await this.afterWrite(text.length);
      this.events.emit('commit', { author: patch.author, seq: patch.seq, local: false });
      return 'applied';
    });
  }

  /**
   * Install another author's full state (a slow sync): everything its graphs hold here is replaced by `quads`
   * and its version set to `seq`, durably in one log write (the diff against what was held, with `H base` and
   * `H part` headers; parts of 32 MiB at most), replayed only whole, so a crash leaves either the old state or
   * the new one. `seq` must be ahead of what is held.
   */
  replaceAuthor(author: string, seq: number, hlc: string, quads: Quad[]): Promise<void> {
    if (author === this.nodeId) return Promise.reject(new StoreError(`A full state of this node (${this.nodeId}) came from outside; it is not applied.`));
    const problem = patchProblem({ author, seq, hlc, changes: [] }) ?? quads.map((q, i) => {
      const p = quadProblem(q) ?? blankProblem(q) ?? (q.graph.termType === 'NamedNode' && graphAuthor(q.graph.value) === author ? null : `not in one of ${author}'s graphs`);
      return p && `quad ${i + 1}: ${p}`;
    }).find((x) => x);
    if (problem) return Promise.reject(new PatchError(problem, 0));
    return this.exclusive(async () => {
      this.whole('take changes', true);
      const have = this.vv[author] ?? 0;
      if (seq <= have) throw new StoreError(`A full state of ${author} at ${seq} is not ahead of the ${have} patches held.`);
      const want = new Map<string, true>();
      for (const q of quads) want.set(quadTerms(q), true);
      const rows: string[] = [];
      const prefix = graphIri(author, '').value;
      for (const g of this.backend.graphNames()) {
        if (!g.startsWith(prefix)) continue;
        for (const x of this.match(null, null, null, namedNode(g))) {
          const k = quadTerms(x);
          if (want.has(k)) want.delete(k);
          else rows.push(`D ${k} .\n`);
        }
      }
      for (const k of want.keys()) rows.push(`A ${k} .\n`);
      const texts = stateRecords(author, seq, hlc, have, rows, this.opts.statePartBytes);
      rows.length = 0;
      await this.log.append(texts.map((t) => ({ payload: Buffer.from(t), author, seq })));
      for (const t of texts) this.backend.apply(t, true);
      this.vv[author] = seq;
      this.stateAt.set(author, seq);
      this.clock = receive(this.clock, parseHlc(hlc)!, Date.now());
      await this.afterWrite(texts.reduce((n, t) => n + t.length, 0));
      this.events.emit('commit', { author, seq, local: false });
    });
  }

  private async afterWrite(bytes: number): Promise<void> {
    this.bytesSinceSnapshot += bytes;
    if (this.backend instanceof WholeBackend && this.backend.size > pagedAbove(this.opts)) return this.pageOut(this.backend);
    if (this.backend.snapshotDue() || this.bytesSinceSnapshot >= (this.opts.snapshotEveryBytes ?? 128 << 20)) await this.snapshotBestEffort();
  }

  /**
   * A whole store grown past `pagedAbove` becomes paged: a snapshot, then everything but the working set leaves
   * memory (oxigraph's freed memory then serves the working set and the changes; the process does not shrink).
   */
  private async pageOut(whole: WholeBackend): Promise<void> {
    try {
      await this.snapshotNow();
    } catch {
      return; // a snapshot only bounds recovery (a full disk): stay whole, the next write tries again
    }
    const paged = await PagedBackend.fromLatest(this.dir, whole.size, this.opts);
    if (!paged) return;
    this.backend = paged;
    whole.free();
  }

  /** A snapshot only bounds recovery time: the change is already durable in the log, so a failure (a full disk) must not fail it; the next trigger retries. */
  private async snapshotBestEffort(): Promise<void> {
    await this.snapshotNow().catch(() => undefined);
  }

  versionVector(): VersionVector {
    return { ...this.vv };
  }

  /** The current hybrid logical clock, as "<ms>.<counter>". */
  clockNow(): string {
    return formatHlc(this.clock);
  }

  /** Patches the holder of `vv` lacks, per author in seq order; null when the log no longer reaches back that far. */
  patchesSince(vv: VersionVector): Patch[] | null {
    this.whole('serve patches');
    const out: Patch[] = [];
    for (const author of Object.keys(this.vv).sort()) {
      const have = this.vv[author];
      const theirs = vv[author] ?? 0;
      if (have <= theirs) continue;
      const entries = this.log.entries(author);
      if (!entries.length || entries[0].seq > theirs + 1 || (this.stateAt.get(author) ?? 0) > theirs) return null;
      // Patches theirs+1..have are the newest entries, consecutive (full-state records and parts of an unfinished
      // one may lie before them); anything else means the log cannot answer.
      let i = entries.length - 1;
      while (i >= 0 && entries[i].seq !== theirs + 1) i--;
      if (i < 0 || entries[entries.length - 1].seq !== have || entries.length - i !== have - theirs) return null;
      for (; i < entries.length; i++) {
        out.push(decodePatch(this.log.read(entries[i]), TRUSTED));
      }
    }
    return out;
  }

  /**
   * Every patch still in the change log and its retained history (history-log.ts; all authors; a full state's parts as one patch),
   * each author's in seq order, with `complete`: whether they still reach back to every author's first patch.
   * `mentions` (IRIs): only the patches that may change a subject equal to or below one of them (read through the
   * retained segments' indexes; the caller filters exactly).
   */
  logPatches(mentions?: string[]): { patches: Patch[]; complete: boolean } {
    this.whole('read the change log');
    const live = { entries: this.log.authors().flatMap((a) => this.log.entries(a)), file: (seg: number) => path.join(this.log.dir, segmentName(seg)) };
    return readHistory(retentionOf(this.dir, this.opts).dir, live, this.vv, mentions);
  }

  /** Quads matching a pattern (null/undefined = any); n3 DataFactory quads. */
  match(s?: Term | null, p?: Term | null, o?: Term | null, g?: Term | null): Quad[] {
    this.whole('match statements');
    return this.backend.match(s, p, o, g);
  }

  /**
   * A paged store's snapshot (file, index of parts, statements) and the patches it holds, so that another thread
   * can open its own paged replica and catch up with patchesSince(vv); null for a store held whole.
   */
  get pagedSnapshot(): PagedSnapshotInfo | null {
    return this.backend.pagedSnapshot;
  }

  /**
   * Whether scan() streams statements from disk (a paged store): a flat read of whole predicates then costs no
   * loading into memory. A whole store answers the same with a query.
   */
  get scans(): boolean {
    return this.backend.scans;
  }

  /** Every statement of these predicates (IRIs), streamed from disk: `each(p, s, o)`, subject and object in N-Triples syntax. Paged stores only (see scans). */
  scan(predicates: string[], each: (p: string, s: string, o: string) => void): void {
    this.backend.scan(predicates, each);
  }

  /** A read-only SPARQL 1.1 query over the union of all graphs (or the context's dataset), with our prefixes predeclared. */
  query(sparql: string, opts: { format?: ResultFormat; context?: QueryContext } = {}): QueryOutput {
    return this.backend.query(sparql, opts.format, opts.context);
  }

  /** Everything (or one graph, by IRI) as text in `format`. For big stores prefer exportTo. */
  export(format: ResultFormat, opts: { graph?: string } = {}): string {
    this.whole('export');
    return this.backend.exportText(format, opts.graph);
  }

  /** Stream an export into a file, graph by graph. */
  exportTo(file: string, format: ResultFormat, opts: { graph?: string } = {}): Promise<void> {
    return this.exclusive(async () => {
      this.whole('export');
      return this.backend.exportTo(file, format, opts.graph);
    });
  }

  /** Import an RDF file in batches (each a durable patch); default-graph triples go to this node's import graph. */
  async importFile(file: string, opts: ImportOptions = {}): Promise<{ quads: number; patches: number }> {
    this.whole('import', true);
    return withChannel('import', () => importInBatches(file, opts, graphIri(this.nodeId, 'import'), async (batch) => (await this.commit(batch)) !== null));
  }

  /** Write a snapshot covering everything so far and compact the log segments it covers. */
  snapshot(): Promise<void> {
    return this.exclusive(async () => {
      this.whole('write a snapshot', true);
      return this.snapshotNow();
    });
  }

  private async snapshotNow(): Promise<void> {
    await this.backend.writeSnapshot(this.dir, { vv: { ...this.vv }, hlc: formatHlc(this.clock) });
    this.bytesSinceSnapshot = 0;
    await this.log.compact(this.vv, this.opts.keepSegments ?? 2, retentionOf(this.dir, this.opts));
  }

  /** Finish pending work, snapshot if much was logged since the last one, release the folder. */
  async close(): Promise<void> {
    if (this.closed) return;
    await this.exclusive(async () => {
      if (this.bytesSinceSnapshot > 4 << 20 && !this.partial && !this.opts.readOnly) await this.snapshotBestEffort();
      await this.log.close();
    }).finally(() => {
      this.backend.close();
      this.closed = true;
      this.lock.release();
    });
  }
}
