// What a store is opened with (GraphStore.open), and the size past which it is paged rather than held whole.
import type { Reach } from './reach.js';

export interface OpenOptions {
  /** The store folder (created if missing). */
  dir: string;
  /** This node's id: the author of its patches (letters, digits, `._~-`). */
  nodeId: string;
  /** Start a new log segment past this size (default 16 MiB). */
  segmentBytes?: number;
  /** Take a snapshot automatically once this much log was written since the last one (default 128 MiB). */
  snapshotEveryBytes?: number;
  /** Covered log segments kept after a snapshot, for peers a little behind (default 2). */
  keepSegments?: number;
  /** Days the covered log segments stay in `<dir>/history/` for history and undo after a snapshot (default 90; 0: none). */
  historyDays?: number;
  /** Most bytes the retained history may take: past it the oldest segments go first (default 1 GiB). */
  historyBytes?: number;
  /** The clock the retention is judged by (tests; default Date.now). */
  now?: () => number;
  /** Most text per full-state record (replaceAuthor; default 32 MiB). */
  statePartBytes?: number;
  /**
   * Load only the statements this reach can match (see reach.ts): a store for one query, which answers it as the
   * whole store would, and refuses everything else (changes, exports, matches, snapshots).
   */
  reach?: Reach;
  /**
   * Keep the store on disk, and in memory only the changes since its snapshot and a working set, when the snapshot
   * holds more than this many statements (default 500,000; paged.ts). A store opened smaller stays whole.
   */
  pagedAbove?: number;
  /** Most statements a paged store's working set holds (default 200,000). */
  workingSet?: number;
  /** Read only: the log is neither truncated nor appended to, no snapshot is written (a query's or an export's store). */
  readOnly?: boolean;
  /** Where damaged bytes found on open are copied (default `<dir>/damaged`; the node uses `HOME/damaged`). */
  damagedDir?: string;
  /** A paged store writes a snapshot once this many statements changed since the last (default 100,000: the changes are held in memory). */
  pagedChanges?: number;
}

/** OpenOptions.pagedAbove, else $SEMSYNC_PAGED_ABOVE (a number: tests run whole suites paged with it), else 500,000. */
export function pagedAbove(opts: Pick<OpenOptions, 'pagedAbove'>): number {
  const env = Number(process.env.SEMSYNC_PAGED_ABOVE);
  return opts.pagedAbove ?? (process.env.SEMSYNC_PAGED_ABOVE && Number.isFinite(env) ? env : 500_000);
}
