// Named error classes of the graph layer: each says what went wrong, where, and what to do.
import { FailureError, InputError, type ErrorKind } from '../base/index.js';

/** Base class of every error the store raises on purpose. */
export class StoreError extends FailureError {
  override name = 'StoreError';
}

/** The store folder is already open in another process (or in this one). */
export class StoreLockedError extends StoreError {
  override name = 'StoreLockedError';
  constructor(readonly dir: string, readonly pid: number) {
    super(
      `The store at ${dir} is in use by process ${pid} (lock file ${dir}/LOCK). Stop that process (or wait for it to finish) and try again; ` +
        `if no semsync runs, \`semsync unlock\` checks that and removes the lock.`,
    );
  }
}

/** The change log is damaged before its end: acknowledged changes after the damage cannot be trusted. */
export class CorruptLogError extends StoreError {
  override name = 'CorruptLogError';
  /** `kept`: where the damaged bytes were copied ('' when nothing was). */
  constructor(message: string, readonly file: string, readonly offset: number, readonly kept = '') {
    super(message);
  }
}

/** A snapshot file is unreadable or disagrees with its own header. */
export class CorruptSnapshotError extends StoreError {
  override name = 'CorruptSnapshotError';
  constructor(message: string, readonly file: string) {
    super(message);
  }
}

/** The store has no snapshot, but its log was compacted: what the lost snapshot held before the log starts is gone. */
export class MissingSnapshotError extends StoreError {
  override name = 'MissingSnapshotError';
  constructor(readonly dir: string, readonly author: string, readonly missingUpTo: number) {
    super(
      `The store ${dir} has no snapshot, but its change log was compacted: it starts ${author}'s patches after ${missingUpTo}, ` +
        `so patches 1..${missingUpTo} were only in a snapshot that is gone (deleted or moved). Nothing was changed. ` +
        `Put the snapshot back if you have it (a backup of the store folder recovers everything); otherwise \`semsync repair\` ` +
        `rebuilds the store from what the log holds: this node's own later patches (statements that only the lost patches ` +
        `added are lost, and it lists them by author and number); other nodes' graphs come again from peers.`,
    );
  }
}

/** An encoded RDF Patch is malformed or too big. `line` is 1-based (0 when the whole input is at fault). */
export class PatchError extends InputError {
  override name = 'PatchError';
  constructor(readonly reason: string, readonly line: number) {
    super(line > 0 ? `RDF Patch line ${line}: ${reason}` : `RDF Patch: ${reason}`);
  }
}

/** A SPARQL query that does not parse. `line` and `column` are 1-based, relative to the user's text. */
export class QueryError extends InputError {
  override name = 'QueryError';
  constructor(readonly reason: string, readonly line: number, readonly column: number) {
    super(line > 0 ? `Query error at line ${line}, column ${column}: ${reason}` : `Query error: ${reason}`);
  }
}

/** A query that parsed but could not be evaluated (an unsupported SERVICE, a wrong result format...). line/column are 0. */
export class QueryEvaluationError extends QueryError {
  override name = 'QueryEvaluationError';
  constructor(reason: string) {
    super(reason, 0, 0);
  }
}

/** An import file that cannot be read or parsed. `quads` were committed (durably) before the error. */
export class ImportError extends StoreError {
  override name = 'ImportError';
  override readonly kind: ErrorKind = 'input';
  constructor(message: string, readonly file: string, readonly quads: number, readonly line?: number) {
    super(message);
  }
}
