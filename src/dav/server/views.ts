// The merged PIM view per kind, kept up to date from the store's change log: after a commit only the items its
// patches touched are merged again (the whole view is read again only when the log cannot say what changed).
import n3 from 'n3';
import type { Quad } from '@rdfjs/types';
import type { Patch, VersionVector } from '../../graph/types.js';
import { equals } from '../../graph/index.js';
import { graphAuthor, pimItemOf } from '../../graph/vocab.js';
import { pimGraph, pimGraphs, type MergedItem, type MergedView, type PimKindName, type PimStore } from '../../pim/index.js';
import { mergeVersions, type Version } from '../../pim/index.js';

export type ViewStore = PimStore & { patchesSince?(vv: VersionVector): Patch[] | null };

const quadKey = (q: Quad) => `${q.subject.termType[0]}${q.subject.value}\u0000${q.predicate.value}\u0000${q.object.termType[0]}${q.object.value}\u0000${q.object.termType === 'Literal' ? `${q.object.language}\u0000${q.object.datatype.value}` : ''}`;

interface KindState {
  vv: VersionVector;
  view: MergedView;
  /** graph → master → that graph's quads of the master (by a key, so a patch can add and remove single quads). */
  graphs: Map<string, Map<string, Map<string, Quad>>>;
}

export class MergedViews {
  private states = new Map<PimKindName, KindState>();
  /** How the last view was made (for tests and logs): 'same' (also when the patches touched nothing of the kind), 'patched' or 'rebuilt'. */
  last: 'same' | 'patched' | 'rebuilt' = 'rebuilt';

  constructor(private readonly store: ViewStore) {}

  /** The merged view of `kind` at the store's current version. */
  view(kind: PimKindName, vv: VersionVector = this.store.versionVector()): MergedView {
    const st = this.states.get(kind);
    if (st && equals(st.vv, vv)) {
      this.last = 'same';
      return st.view;
    }
    if (st) {
      const patched = this.patch(kind, st, vv);
      if (patched) {
        this.last = patched === st.view ? 'same' : 'patched';
        return patched;
      }
    }
    this.last = 'rebuilt';
    return this.rebuild(kind, vv);
  }

  /** The last answer of the store's log, kept: both kinds ask it for the same versions after a commit. */
  private lastLog: { key: string; patches: Patch[] } | undefined;

  /** The patches from `from` to `to` (the current version); undefined when the log cannot say. */
  private patchesSince(from: VersionVector, to: VersionVector): Patch[] | undefined {
    const key = `${JSON.stringify(from)}>${JSON.stringify(to)}`;
    if (this.lastLog?.key === key) return this.lastLog.patches;
    let patches: Patch[] | null | undefined;
    try {
      patches = this.store.patchesSince?.(from);
    } catch {
      return undefined;
    }
    if (!patches) return undefined;
    this.lastLog = { key, patches };
    return patches;
  }

  private rebuild(kind: PimKindName, vv: VersionVector): MergedView {
    // The per-graph index is read once here (as mergedView reads it); patches keep it current from then on.
    const graphs: KindState['graphs'] = new Map();
    for (const g of pimGraphs(this.store, kind)) for (const q of this.store.match(null, null, null, n3.DataFactory.namedNode(g))) addQuad(graphs, g, q);
    const masters = new Set<string>();
    for (const byMaster of graphs.values()) for (const m of byMaster.keys()) if (m !== '') masters.add(m);
    const items = new Map<string, MergedItem>();
    for (const m of masters) items.set(m, winner(graphs, m)!);
    const view: MergedView = { kind, items, timezones: timezonesOf(graphs) };
    this.states.set(kind, { vv: { ...vv }, view, graphs });
    return view;
  }

  /** Applies the patches since the cached version; undefined when the store's log cannot answer. */
  private patch(kind: PimKindName, st: KindState, vv: VersionVector): MergedView | undefined {
    const patches = this.patchesSince(st.vv, vv);
    if (!patches) return undefined;
    const touched = new Set<string>();
    let timezones = false;
    for (const p of patches) {
      for (const c of p.changes) {
        const g = c.quad.graph.value;
        const author = graphAuthor(g);
        if (!author || g !== pimGraph(author, kind).value) continue;
        const master = pimItemOf(c.quad.subject.value)?.master ?? '';
        if (master === '') timezones = true;
        else touched.add(master);
        if (c.op === 'A') addQuad(st.graphs, g, c.quad);
        else st.graphs.get(g)?.get(master)?.delete(quadKey(c.quad));
      }
    }
    if (!touched.size && !timezones) {
      // Nothing of this kind changed: the same view (so its users can tell, by identity, that nothing did).
      this.states.set(kind, { vv: { ...vv }, view: st.view, graphs: st.graphs });
      return st.view;
    }
    const items = new Map(st.view.items);
    for (const master of touched) {
      const best = winner(st.graphs, master);
      if (best) items.set(master, best);
      else items.delete(master);
    }
    const tz = timezones ? timezonesOf(st.graphs) : st.view.timezones;
    const view: MergedView = { kind, items, timezones: tz };
    this.states.set(kind, { vv: { ...vv }, view, graphs: st.graphs });
    return view;
  }
}

function addQuad(graphs: KindState['graphs'], g: string, q: Quad): void {
  const master = pimItemOf(q.subject.value)?.master ?? '';
  let byMaster = graphs.get(g);
  if (!byMaster) graphs.set(g, (byMaster = new Map()));
  let quads = byMaster.get(master);
  if (!quads) byMaster.set(master, (quads = new Map()));
  quads.set(quadKey(q), q);
}

/** The merged item (pim/merge.ts, as mergedView merges it). */
function winner(graphs: KindState['graphs'], master: string): MergedItem | undefined {
  const versions: Version[] = [];
  for (const [g, byMaster] of [...graphs].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const qs = byMaster.get(master);
    if (qs?.size) versions.push({ author: graphAuthor(g)!, quads: [...qs.values()] });
  }
  return mergeVersions(master, versions);
}

const timezonesOf = (graphs: KindState['graphs']) => [...graphs.values()].flatMap((g) => [...(g.get('')?.values() ?? [])]);
