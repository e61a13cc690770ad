// Sender-side filtering: which of our own quads may leave for a given peer (granted shares, PIM by policy).
import type { Quad } from '@rdfjs/types';
import { ID, graphAuthor } from '../graph/vocab.js';
import type { Patch } from '../graph/types.js';
import { channelKind } from '../graph/index.js';

export interface FilterContext {
  /** Our node id (= our peer id). */
  self: string;
  /** The peer the data is for. */
  peer: string;
  /** Shares granted to that peer. */
  grants: readonly string[];
  /** Source prefixes (after `graph/<self>/`) sent to every paired peer, subject to the policy; default ['pim/']. */
  pairedSources: readonly string[];
  policy: (peerId: string, quad: Quad) => boolean;
}

export const DEFAULT_PAIRED_SOURCES: readonly string[] = ['pim/'];

/** The source part of one of our graph IRIs (decoded), or undefined when the graph is not ours. */
export function ownSource(self: string, graph: string): string | undefined {
  const prefix = `${ID.iri}graph/${self}/`;
  if (!graph.startsWith(prefix)) return undefined;
  try {
    return graph.slice(prefix.length).split('/').map(decodeURIComponent).join('/');
  } catch {
    return undefined;
  }
}

/** A predicate over graph IRIs: may this graph's contents go to the peer at all (before the policy)? */
export function graphVisible(ctx: FilterContext): (graph: string) => boolean {
  const shares = new Set(ctx.grants);
  const cache = new Map<string, boolean>();
  return (graph) => {
    let ok = cache.get(graph);
    if (ok === undefined) {
      const src = ownSource(ctx.self, graph);
      ok =
        src !== undefined &&
        ((src.startsWith('share/') && shares.has(src.slice('share/'.length))) ||
          ctx.pairedSources.some((p) => src.startsWith(p)));
      if (cache.size < 10_000) cache.set(graph, ok);
    }
    return ok;
  };
}

/** A predicate over quads: visible graph AND allowed by the policy hook. Quads in the default graph never leave. */
export function quadFilter(ctx: FilterContext): (q: Quad) => boolean {
  const visible = graphVisible(ctx);
  return (q) => q.graph.termType === 'NamedNode' && visible(q.graph.value) && ctx.policy(ctx.peer, q);
}

/**
 * The patch as the peer may see it: same author, seq and clock, only the changes it may see (maybe none), and of its
 * channel only the kind (`dav`, not the account and collection; `import`, not the file's name).
 */
export function filterPatch(patch: Patch, keep: (q: Quad) => boolean): Patch {
  const out: Patch = { author: patch.author, seq: patch.seq, hlc: patch.hlc, changes: patch.changes.filter((c) => keep(c.quad)) };
  const via = channelKind(patch.via);
  if (via) out.via = via;
  return out;
}

/** Receiver-side check: every quad of a patch from `author` lies in one of `author`'s own graphs. */
export function authoredBy(author: string, quads: Iterable<Quad>): boolean {
  for (const q of quads) {
    if (q.graph.termType !== 'NamedNode' || graphAuthor(q.graph.value) !== author) return false;
  }
  return true;
}
