// The reach-only backend (backend.ts): a store for one query. The log is read first (what it adds decides how far
// the snapshot may be narrowed), then only the snapshot's lines the query's reach can match are loaded (reach.ts,
// narrow.ts), then the log's rows of its predicates. It answers that query as the whole store would, and refuses
// everything else (changes, matches, exports, snapshots).
import oxigraph from 'oxigraph';
import { refuse, refuseScan, type OpenedBackend, type Replay, type StoreBackend } from './backend.js';
import { runQuery, type QueryOutput } from './query.js';
import { linePredicate, type Reach } from './reach.js';
import { applyNet, netRows } from './rows.js';
import { latestSnapshotMeta, loadLatestSnapshot } from './snapshot.js';
import type { QueryContext, ResultFormat } from './types.js';

export class ReachBackend implements StoreBackend {
  readonly mode = 'reach';
  readonly partial = true;
  readonly scans = false;
  readonly pagedSnapshot = null;

  constructor(private readonly ox: oxigraph.Store) {}

  static async open(dir: string, reach: Reach, replay: Replay): Promise<OpenedBackend> {
    const ox = new oxigraph.Store();
    const pending: string[] = [];
    const replayed = await replay(await latestSnapshotMeta(dir), (t) => pending.push(t));
    // A row whose predicate is not of our shape ('') is kept on replay; it dirties nothing a pattern names.
    const nets = pending.map(netRows);
    const dirty = new Set<string>();
    for (const net of nets) for (const row of net.adds) dirty.add(linePredicate(row) ?? '');
    await loadLatestSnapshot(dir, ox, reach, dirty);
    for (const net of nets) applyNet(ox, net, reach);
    return { backend: new ReachBackend(ox), replayed, stale: false };
  }

  get size(): number {
    return this.ox.size;
  }

  get holding(): number {
    return this.ox.size;
  }

  query(sparql: string, format?: ResultFormat, context?: QueryContext): QueryOutput {
    return runQuery(this.ox, sparql, format, context);
  }

  holdsNothingIn(): never {
    return this.present();
  }

  present(): never {
    return refuse('take changes');
  }

  apply(): never {
    return refuse('take changes');
  }

  applyAdditions(): never {
    return refuse('take changes');
  }

  graphNames(): never {
    return refuse('list its graphs');
  }

  match(): never {
    return refuse('match statements');
  }

  scan(): never {
    return refuseScan();
  }

  exportText(): never {
    return refuse('export');
  }

  async exportTo(): Promise<void> {
    refuse('export');
  }

  snapshotDue(): boolean {
    return false;
  }

  async writeSnapshot(): Promise<void> {
    refuse('write a snapshot');
  }

  close(): void {}
}
