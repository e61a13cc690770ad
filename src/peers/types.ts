// Shapes shared inside src/peers: the store surface sync needs, the logger, and the events a node emits.
import type { Quad, Term } from '@rdfjs/types';
import type { Patch, VersionVector } from '../graph/types.js';

/** What sync needs from the graph store (GraphStore satisfies it). */
export interface SyncStore {
  readonly nodeId: string;
  applyRemote(patch: Patch): Promise<'applied' | 'duplicate' | 'gap'>;
  versionVector(): VersionVector;
  patchesSince(vv: VersionVector): Patch[] | null;
  match(s?: Term | null, p?: Term | null, o?: Term | null, g?: Term | null): Quad[];
}

/** A pino-compatible logger (only these methods are used). */
export interface Logger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };

/** Sync progress with one peer. */
export interface SyncProgress {
  peerId: string;
  /** `out`: we sent our patches (or a full state) and the peer acknowledged up to `seq`; `in`: we applied theirs. */
  direction: 'in' | 'out';
  /** The author's sequence number now held by the receiving side. */
  seq: number;
  /** The sending side's latest sequence number, as far as we know (for a progress bar). */
  of: number;
  /** True when this was a full-state transfer. */
  full?: boolean;
}
