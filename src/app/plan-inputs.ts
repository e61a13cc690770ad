// What every plan reads from the library, cached while it is unchanged: the rules, every content's planning facts and
// categories, the local source of each content; the library's version (catalog-only commits not counted); categories
// written into the `rules` graph.
import { statSync } from 'node:fs';
import n3 from 'n3';
import type { Quad } from '@rdfjs/types';
import { graphIri } from '../graph/index.js';
import {
  KINDS, categoriseFacts, categoryQuads, defaultRulesFile, fetchFacts, loadDefaultRules, prepareFieldValues, userRulesFiles,
  type Assigned, type ContentFacts, type RuleGraph, type Rules, type SourceFile,
} from '../rules/index.js';
import type { NodeHome } from './home.js';
import { localSources } from './sources.js';

export interface PlanInputsComponents {
  home: NodeHome;
}

export class PlanInputs {
  private facts: { key: string; facts: Map<string, ContentFacts> } | undefined;
  private rulesCache: { key: string; rules: Rules } | undefined;
  private categoriesCache: { facts: Map<string, ContentFacts>; rules: Rules; categories: Map<string, Assigned[]> } | undefined;
  private sourcesCache: { facts: Map<string, ContentFacts>; shares: string; sources: Map<string, SourceFile> } | undefined;
  /** Store versions reached by commits of catalog graphs only, each mapped to the version before it. */
  private readonly besideLibrary = new Map<string, string>();
  private readonly home: NodeHome;

  constructor(c: PlanInputsComponents) {
    this.home = c.home;
  }

  get graph(): RuleGraph {
    const store = this.home.store;
    return {
      select(sparql: string) {
        const out = store.query(sparql);
        return out.kind === 'bindings' ? out.rows : [];
      },
      selectTsv(sparql: string) {
        const out = store.query(sparql, { format: 'tsv' });
        return out.kind === 'bindings' ? (out.serialized ?? '') : '';
      },
      ...(store.scans ? { scan: (predicates: string[], each: (p: string, s: string, o: string) => void) => store.scan(predicates, each) } : {}),
    };
  }

  /** The rules (defaults + the user's files), parsed again only when a rules file changed. */
  rules(): Rules {
    const key = this.rulesStamp();
    if (this.rulesCache?.key !== key) this.rulesCache = { key, rules: loadDefaultRules(this.home.paths.home) };
    return this.rulesCache.rules;
  }

  /** The rules files and their identities (inode, size, times): changes when a rules file is added, edited or removed. */
  rulesStamp(): string {
    return [defaultRulesFile(), ...userRulesFiles(this.home.paths.home)].map((f) => {
      const st = statSync(f, { throwIfNoEntry: false });
      return st ? `${f}:${st.ino}:${st.size}:${st.mtimeMs}:${st.ctimeMs}` : f;
    }).join('\n');
  }

  /**
   * The library's version: the store's version vector, except that commits of catalog graphs only (this node's
   * own, made by {@link commitBesideLibrary}) do not count. Planning facts, plans and the running node's "the graph
   * changed, place again" key on it, so loading a catalog after a placement does not make the next placement read
   * every fact again (0.72 s for 10,000 files) or start another placement round.
   */
  libraryKey(): string {
    let key = vvKey(this.home.store.versionVector());
    for (let i = 0; i < 10_000 && this.besideLibrary.has(key); i++) key = this.besideLibrary.get(key)!;
    return key;
  }

  /** Commits statements of catalog graphs (no library content), as a version the library key skips. */
  async commitBesideLibrary(changes: Array<{ op: 'A' | 'D'; quad: Quad }>): Promise<void> {
    const self = this.home.nodeId;
    const before = this.home.store.versionVector();
    const patch = await this.home.store.commit(changes);
    if (!patch) return;
    // Only when this commit alone moved the store (nothing else slipped in between): one more of our own patches.
    const after = this.home.store.versionVector();
    if (vvKey({ ...before, [self]: (before[self] ?? 0) + 1 }) === vvKey(after)) {
      this.besideLibrary.set(vvKey(after), vvKey(before));
      if (this.besideLibrary.size > 100_000) this.besideLibrary.clear(); // a bound; the cost is one re-read of facts
    }
  }

  /** Every content's planning facts, reused while the graph is unchanged. */
  currentFacts(): Map<string, ContentFacts> {
    const key = this.libraryKey();
    if (this.facts?.key !== key) this.facts = { key, facts: fetchFacts(this.graph, KINDS) };
    return this.facts.facts;
  }

  /** Every content's categories under the current rules, reused while the facts and the rules are the same. */
  categoriesOf(facts: Map<string, ContentFacts>, rules: Rules): Map<string, Assigned[]> {
    const c = this.categoriesCache;
    if (c?.facts === facts && c.rules === rules) return c.categories;
    const categories = categoriseFacts(this.graph, facts, rules);
    this.categoriesCache = { facts, rules, categories };
    return categories;
  }

  /**
   * Content IRI → a file in one of this node's shares holding it: only files this node's own share graphs describe
   * (never a file IRI a peer asserted), resolved as the scanner does (see sources.ts); hashed again while copied.
   */
  sources(facts: Map<string, ContentFacts>): Map<string, SourceFile> {
    const shares = JSON.stringify(this.home.config.shares.map((s) => s.path));
    if (this.sourcesCache?.facts === facts && this.sourcesCache.shares === shares) return this.sourcesCache.sources;
    const out = localSources(this.home, facts);
    this.sourcesCache = { facts, shares, sources: out };
    return out;
  }

  /**
   * Write every content's categories into this node's `rules` graph (`?c ss:category ?cat . ?cat rdfs:label "SciFi"`),
   * replacing what was there. Returns the number of statements added and removed. `prepare: false` (nothing to
   * place now) skips working out the local sources and template field values ahead: a later plan does it on first
   * use; the statements written are the same.
   */
  async refreshCategories(opts: { prepare?: boolean } = {}): Promise<{ added: number; removed: number }> {
    const graph = graphIri(this.home.nodeId, 'rules');
    const facts = this.currentFacts();
    const assigned = this.categoriesOf(facts, this.rules());
    // What every plan of a device needs from the library, worked out now rather than when a device is placed.
    if (opts.prepare !== false) prepareFieldValues(facts, assigned, this.sources(facts));
    const labels = new Map([...assigned].map(([iri, list]) => [iri, list.map((a) => a.label)]));
    const { quad } = n3.DataFactory;
    const want = categoryQuads(labels).map((q) => quad(q.subject, q.predicate, q.object, graph));
    const key = (q: Quad) => `${q.subject.value} ${q.predicate.value} ${q.object.termType}:${q.object.value}`;
    const have = this.home.store.match(null, null, null, graph);
    const wantKeys = new Set(want.map(key));
    const haveKeys = new Set(have.map(key));
    const changes = [
      ...have.filter((q) => !wantKeys.has(key(q))).map((q) => ({ op: 'D' as const, quad: q })),
      ...want.filter((q) => !haveKeys.has(key(q))).map((q) => ({ op: 'A' as const, quad: q })),
    ];
    if (changes.length === 0) return { added: 0, removed: 0 };
    const before = this.facts;
    await this.home.store.commit(changes);
    // Categories are not planning facts: the cached facts stay valid.
    if (before && this.facts === before) this.facts = { key: this.libraryKey(), facts: before.facts };
    return { added: changes.filter((c) => c.op === 'A').length, removed: changes.filter((c) => c.op === 'D').length };
  }
}

/** A version vector as text, its authors in order (the same vector, the same text). */
function vvKey(vv: Record<string, number>): string {
  return JSON.stringify(Object.keys(vv).sort().map((k) => [k, vv[k]]));
}
