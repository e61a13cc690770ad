// The seams to src/graph: the RDF Patch text codec (graph/patch.ts) and applying a full state to the store.
import type { Quad } from '@rdfjs/types';
import n3 from 'n3';
import { decodePatch, encodePatch } from '../graph/index.js';
import { SS, graphIri } from '../graph/vocab.js';
import type { Change } from '../graph/types.js';
import { authoredBy } from './filter.js';
import { ProtocolError, type PatchCodec } from './wire/session.js';
import type { SyncStore } from './types.js';

/** The store surface the peer node needs: sync, local commits, and (optionally) replacing one author's state. */
export interface PeerStore extends SyncStore {
  commit(changes: Iterable<Change>): Promise<unknown>;
  /** Atomically replace everything `author` said by `quads` and hold its patches up to `seq` (if the store has it). */
  replaceAuthor?(author: string, seq: number, hlc: string, quads: Quad[]): Promise<void>;
}

export const patchCodec: PatchCodec = {
  encode: (p) => encodePatch(p),
  decode: (bytes) => decodePatch(bytes),
};

const w = new n3.Writer({ format: 'N-Quads' });
const key = (q: Quad) => w.quadToString(q.subject, q.predicate, q.object, q.graph);

/**
 * Apply a full state of `author` at `seq`. With store.replaceAuthor, atomically. Otherwise through applyRemote:
 * the difference between what we hold of `author` and the state as patch have+1, then empty patches up to `seq`
 * (the sender makes sure `seq` is ahead of what we hold). An interruption leaves a prefix applied; the next
 * session resumes from the version vector.
 */
export function stateApplier(store: PeerStore): (author: string, seq: number, hlc: string, quads: Quad[]) => Promise<void> {
  return async (author, seq, hlc, quads) => {
    const have = store.versionVector()[author] ?? 0;
    if (seq <= have) throw new ProtocolError(`full state at ${seq} is not ahead of the ${have} patches we hold`);
    if (store.replaceAuthor) return store.replaceAuthor(author, seq, hlc, quads); // GraphStore: one durable record
    const want = new Map(quads.map((q) => [key(q), q]));
    const changes: Change[] = [];
    for (const q of store.match(null, null, null, null)) {
      if (!authoredBy(author, [q])) continue;
      const k = key(q);
      if (want.has(k)) want.delete(k);
      else changes.push({ op: 'D', quad: q });
    }
    for (const q of want.values()) changes.push({ op: 'A', quad: q });
    for (let s = have + 1; s <= seq; s++) {
      const r = await store.applyRemote({ author, seq: s, hlc, changes: s === have + 1 ? changes : [] });
      if (r === 'gap') throw new ProtocolError(`full state could not be applied at ${s}`);
    }
  };
}

/** Move our own sequence forward with a change that never leaves this node (so a full state can be sent as new). */
export async function bumpOwnSeq(store: PeerStore, self: string): Promise<void> {
  const g = graphIri(self, 'local/sync');
  const s = n3.DataFactory.namedNode('urn:semsync:sync');
  const p = SS('stateEpoch');
  const old = store.match(s, p, null, g).map((q) => ({ op: 'D' as const, quad: q }));
  const now = n3.DataFactory.literal(`${Date.now()}-${Math.random().toString(36).slice(2, 8)}`);
  await store.commit([...old, { op: 'A', quad: n3.DataFactory.quad(s, p, now, g) }]);
}
