// Replaying the change log after a snapshot on open: each author's patches in sequence from where the snapshot
// ends, full states (replaceAuthor) applied only whole, the clock and version vector carried forward.
import path from 'node:path';
import { ChangeLog, type LogOptions } from './changelog.js';
import { CorruptLogError, MissingSnapshotError } from './errors.js';
import { HLC_ZERO, maxHlc, parseHlc, type Hlc } from './hlc.js';
import type { SnapshotMeta } from './snapshot.js';
import { StateReplay, stateHeader } from './state.js';
import type { VersionVector } from './types.js';

export interface Replayed {
  log: ChangeLog;
  /** The patches held: the snapshot's and those replayed. */
  vv: VersionVector;
  clock: Hlc;
  /** Bytes of log replayed. */
  replayed: number;
  /** Per author, the seq of its latest full-state record in the log (patches before it cannot be replayed to peers). */
  stateAt: Map<string, number>;
}

/** Open the log in `dir`/log and hand each patch past the snapshot `head` to `apply` (its encoded text), in order. */
export async function replayLog(dir: string, head: SnapshotMeta | null, apply: (text: string) => void, opts: LogOptions = {}): Promise<Replayed> {
  const vv: VersionVector = { ...(head?.vv ?? {}) };
  let clock = (head && parseHlc(head.hlc)) || HLC_ZERO;
  let replayed = 0;
  const lastInLog = new Map<string, number>();
  const stateAt = new Map<string, number>();
  const states = new StateReplay();
  const log = await ChangeLog.open(
    path.join(dir, 'log'),
    (e, payload) => {
      const prev = lastInLog.get(e.author);
      const st = stateHeader(payload); // a full state (replaceAuthor) jumps from `base` to its seq, in 1..n parts
      let group: string[] | undefined;
      if (st) {
        group = states.add(e.author, e.seq, st, payload.toString('utf8'));
        if (!group) return; // more parts to come (or a group cut short by a crash: never applied)
        stateAt.set(e.author, e.seq);
      } else {
        states.interrupt(e.author);
      }
      const base = st?.base;
      if (prev !== undefined && (base === undefined ? e.seq !== prev + 1 : e.seq <= prev)) {
        throw new CorruptLogError(`The change log holds patch ${e.seq} of ${e.author} right after patch ${prev}: a part of the log is missing.`, path.join(dir, 'log'), e.offset);
      }
      lastInLog.set(e.author, e.seq);
      const have = vv[e.author] ?? 0;
      if (e.seq <= have) return; // already in the snapshot
      if (base === undefined ? e.seq !== have + 1 : base !== have) {
        if (!head) throw new MissingSnapshotError(dir, e.author, base ?? e.seq - 1);
        throw new CorruptLogError(`The change log starts ${e.author}'s patches at ${e.seq}, but the snapshot ends at ${have}: patches are missing.`, path.join(dir, 'log'), e.offset);
      }
      const text = payload.toString('utf8');
      for (const t of group ?? [text]) apply(t);
      vv[e.author] = e.seq;
      const h = parseHlc(/^H hlc "([^"]+)" \.$/m.exec(text)?.[1] ?? '');
      if (h) clock = maxHlc(clock, h);
      replayed += payload.length;
    },
    opts,
  );
  return { log, vv, clock, replayed, stateAt };
}
