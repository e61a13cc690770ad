// The seams to src/graph: the RDF Patch text codec (graph/patch.ts) and applying a full state to the store.
import type { Quad } from '@rdfjs/types';
import { decodePatch, encodePatch } from '../graph/patch.js';
import type { PatchCodec } from './wire/session.js';
import type { SyncStore } from './types.js';

/** The store surface the peer node needs: sync plus replacing one author's state (slow sync). */
export interface PeerStore extends SyncStore {
  replaceAuthor?(author: string, seq: number, hlc: string, quads: Quad[]): Promise<void>;
}

export const patchCodec: PatchCodec = {
  encode: (p) => encodePatch(p),
  decode: (bytes) => decodePatch(bytes),
};

export function stateApplier(store: PeerStore): (author: string, seq: number, hlc: string, quads: Quad[]) => Promise<void> {
  return async (author, seq, hlc, quads) => {
    if (!store.replaceAuthor) throw new Error('this store cannot take a full state transfer (no replaceAuthor)');
    await store.replaceAuthor(author, seq, hlc, quads);
  };
}
