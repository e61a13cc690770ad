// Queries answered in the node's own thread, with no worker hop: only a query text that a replica has just answered
// in under `underMs` on exactly the data the store holds now (same version vector), with no SERVICE and a small
// result. oxigraph cannot be interrupted, so this thread never runs a query it has not seen to be cheap on the same
// data; any commit since (the version vector moved) sends the text back through a worker, which measures it again.
// A run here that is slow anyway (a paged store's working set differs from the replica's) counts against the text:
// once three runs were slow and they outnumber its fast runs, it goes to the workers for good. (A wall-clock bound:
// on a loaded machine this thread is sometimes descheduled mid-run, so one slow run is not proof of a slow query.)
import type { GraphStore } from '../graph/index.js';
import { vv } from '../graph/index.js';
import type { QueryContext, ResultFormat, VersionVector } from '../graph/types.js';

/** A run here counts as slow past this many times the bound it was admitted under. */
const SLOW_FACTOR = 4;
/** Texts remembered (the most recent); a dashboard or an application repeats a few. */
const KEPT = 512;
/** Results larger than this are not answered here (their copy and send are the node thread's time). */
const SMALL_RESULT = 64 << 10;

interface Mark {
  /** The store's version vector when a replica answered it cheaply. */
  at: VersionVector;
  slow: number;
  fast: number;
}

export class CheapQueries {
  private readonly marks = new Map<string, Mark>();
  /** Texts that ran slowly here twice: never again in this thread. */
  private readonly never = new Set<string>();
  /** Queries answered here, and texts sent to the workers for good. */
  ran = 0;
  demoted = 0;

  constructor(
    private readonly store: GraphStore,
    /** A replica's run under this many ms marks a text cheap (0: never answer in this thread). */
    private readonly underMs: number,
    private readonly maxResultBytes: number,
  ) {}

  private static key(sparql: string, format: ResultFormat, context?: QueryContext): string {
    return JSON.stringify([format, context?.base ?? null, context?.dataset ?? null, sparql]);
  }

  /**
   * After a worker answered: marks the text when its run there took under the bound, on the data (version vector
   * `at`, the replica's when the query was posted) the store still holds, with no SERVICE and a small result.
   */
  note(sparql: string, format: ResultFormat, context: QueryContext | undefined, r: { ms: number; bytes: number; at: VersionVector; services: boolean }): void {
    if (this.underMs <= 0 || r.services || r.ms >= this.underMs || r.bytes > SMALL_RESULT || sparql.length > 4096) return;
    const key = CheapQueries.key(sparql, format, context);
    if (this.never.has(key)) return;
    const had = this.marks.get(key);
    this.marks.delete(key); // the most recent last
    this.marks.set(key, { at: r.at, slow: had?.slow ?? 0, fast: had?.fast ?? 0 });
    if (this.marks.size > KEPT) this.marks.delete(this.marks.keys().next().value!);
  }

  /** The answer from this thread when the text is known cheap on the store's current data; undefined otherwise. */
  run(sparql: string, format: ResultFormat, context?: QueryContext): { text: string; ms: number } | undefined {
    const key = CheapQueries.key(sparql, format, context);
    const mark = this.marks.get(key);
    if (!mark || !vv.equals(mark.at, this.store.versionVector())) return undefined;
    const t0 = performance.now();
    let text: string;
    try {
      text = this.store.query(sparql, { format, context }).serialized ?? '';
    } catch (err) {
      this.marks.delete(key);
      throw err;
    }
    const ms = performance.now() - t0;
    this.ran++;
    if (ms <= this.underMs * SLOW_FACTOR) mark.fast++;
    else if (++mark.slow >= 3 && mark.slow > mark.fast) {
      this.marks.delete(key);
      this.never.add(key);
      this.demoted++;
    }
    if (text.length > Math.min(SMALL_RESULT, this.maxResultBytes)) {
      // not what the replica answered on this data; the workers answer it (and apply the result limit) from now on
      this.marks.delete(key);
      this.never.add(key);
      return undefined;
    }
    return { text, ms };
  }
}
