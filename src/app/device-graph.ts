// Every copy in the graph: each device and host target this node has seen has a named graph of its copies (its
// catalog) in the node's store, `…/graph/<nodeId>/device/<deviceId>`, loaded when it attaches and after each
// placement, kept (marked detached) when it goes. Synced to paired peers (see docs/decisions.md "Every copy in the graph").
import { createHash } from 'node:crypto';
import { lstatSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import n3 from 'n3';
import type { Quad } from '@rdfjs/types';
import { DCTERMS, FOAF, NFO, RDF, RDFS, SS, XSD, graphIri } from '../graph/vocab.js';
import { rowOf, rowQuads, viaOf, withChannel, type GraphStore, type NewGraphRows } from '../graph/index.js';
import { CATALOG_FILE, LEGACY_CATALOG_FILE, PROFILE_DIR, catalogGraphRows, deviceDir, deviceIri, deviceQuads, deviceGraphSource, readCatalogRecords, type DeviceSeen } from '../devices/index.js';
import { FailureError } from '../base/index.js';

/** What `load` needs of an attached device (a `DeviceRow`'s fields). */
export interface SeenRow {
  id: string;
  name: string;
  root: string;
  kind: string;
  fsType: string;
  free?: number;
  total?: number;
  mirror?: boolean;
}

interface Loaded {
  graph: string;
  seen: DeviceSeen;
  /** What identifies the catalog and the device's facts as loaded: unchanged → nothing to do. */
  stamp: string;
  /**
   * What the graph holds, as rows (undefined: not read back from the store yet); a list as committed into a graph that
   * held nothing, made a set when first needed (a first load of 80,000 rows need not hash them all again).
   */
  rows: Set<string> | readonly string[] | undefined;
}

/** A loaded graph's rows as a set (kept as one from then on), or undefined when not known. */
function rowSet(l: Loaded | undefined): Set<string> | undefined {
  if (l?.rows !== undefined && !(l.rows instanceof Set)) l.rows = new Set(l.rows);
  return l?.rows as Set<string> | undefined;
}

const { namedNode, quad, literal } = n3.DataFactory;
const TITLE = DCTERMS('title');
const VERSION = SS('catalogVersion').value;
const CREATOR = DCTERMS('creator');
const CATEGORY = SS('category');
const NAME = FOAF('name');
const LABEL = RDFS('label');
/** What the node copies of a content's description into a device's graph. */
const ADOPTED = [TITLE, CREATOR, DCTERMS('subject'), DCTERMS('date'), DCTERMS('language'), NFO('genre'), CATEGORY];

/** The biggest catalog loaded into the graph (a 10,000-file catalog is ~5 MB; a device that is not ours may say anything). */
export const CATALOG_GRAPH_MAX_BYTES = 128 << 20;

/** A device's catalog that is not loaded into the graph (too big). */
export class CatalogGraphError extends FailureError {
  override name = 'CatalogGraphError';
}

/** Statements per commit when a catalog's changes are committed. */
const COMMIT_PART = 10_000;
/**
 * Most statements committed at once into a graph that holds nothing yet (a device seen for the first time): one patch
 * of rows, no presence check row by row (about 25,000 files); a bigger catalog goes in parts of COMMIT_PART, so one
 * load does not hold the store for seconds.
 */
const FRESH_MAX = 200_000;

/** What the catalog graphs need of the node: its id (the graphs' author) and its store. */
export interface DeviceGraphsComponents {
  readonly nodeId: string;
  readonly store: GraphStore;
}

export class DeviceGraphs {
  private readonly loaded = new Map<string, Loaded>(); // by graph IRI
  private readonly byRoot = new Map<string, string>(); // attached root → graph IRI

  /**
   * `commit`: how the catalog's statements are committed (the device service's, which tells planning that its facts
   * did not change: a catalog graph holds no library content, see DeviceService.commitBesideLibrary).
   */
  constructor(
    private readonly node: DeviceGraphsComponents,
    private readonly commit: (changes: Array<{ op: 'A' | 'D'; quad: Quad }>) => Promise<unknown> = (c) => node.store.commit(c),
  ) {}

  /** The graph IRI of a device's catalog on this node. */
  graphOf(id: string): string {
    return graphIri(this.node.nodeId, deviceGraphSource(id)).value;
  }

  /**
   * Load the catalog of the device at `row.root` (attached now) into its graph: what changed since the last load is
   * committed (nothing when the catalog file and the device's facts are the same). Reads only; a `.semsync` that is
   * a symbolic link is refused (DeviceEscapeError). Returns the number of statements added and removed.
   */
  async load(row: SeenRow, now = new Date()): Promise<{ added: number; removed: number }> {
    const root = path.resolve(row.root);
    deviceDir(root, PROFILE_DIR, false);
    const file = path.join(root, CATALOG_FILE);
    let st: ReturnType<typeof lstatSync>;
    for (const f of [path.join(root, LEGACY_CATALOG_FILE), file]) {
      st = lstatSync(f, { throwIfNoEntry: false });
      if (st?.isSymbolicLink()) throw new CatalogGraphError(`${f} is a symbolic link; not read`);
      if (st && st.size > CATALOG_GRAPH_MAX_BYTES) {
        throw new CatalogGraphError(`${f} is ${st.size} bytes; a catalog of at most ${CATALOG_GRAPH_MAX_BYTES} bytes is loaded into the graph (left out)`);
      }
    }
    const graph = this.graphOf(row.id);
    const stamp = createHash('sha256')
      .update(JSON.stringify([row.id, row.name, row.kind, row.fsType, row.root, Boolean(row.mirror), st ? [st.ino, st.size, st.mtimeMs, st.ctimeMs] : null]))
      .digest('hex').slice(0, 24);
    this.byRoot.set(root, graph);
    const last = this.loaded.get(graph);
    if (last?.stamp === stamp && last.seen.attached) return { added: 0, removed: 0 };
    const seen: DeviceSeen = {
      id: row.id, label: row.name, kind: row.kind, fsType: row.fsType, root, lastSeen: now.toISOString(), attached: true,
      ...(row.free !== undefined ? { free: row.free } : {}), ...(row.total !== undefined ? { total: row.total } : {}),
      ...(row.mirror ? { mirror: true } : {}), version: stamp,
    };
    // Plugged in again with the catalog it had: only the device's own statements change.
    if (last?.stamp === stamp) return this.swapDevice(last, seen);
    if (!last) {
      // A node started again: the graph in the store says which catalog it was loaded from.
      const held = this.node.store.match(namedNode(deviceIri(row.id)), null, null, namedNode(graph));
      if (held.some((q) => q.predicate.value === VERSION && q.object.value === stamp)) {
        const loaded: Loaded = { graph, seen, stamp, rows: undefined };
        this.loaded.set(graph, loaded);
        return this.swapDevice(loaded, seen, held);
      }
    }
    const records = await readCatalogRecords(root);
    const contents = new Set(records.flatMap((r) => (r.removedAt ? [] : [r.content])));
    const { quads: described, titled, categorised } = this.describe(graph, contents);
    const rows = catalogGraphRows(graph, seen, records, { titled, categorised });
    for (const q of described) rows.addQuad(q);
    return this.replace(graph, seen, stamp, rows);
  }

  /**
   * Adoption: what the store says of the copies' contents (title, creators, subjects, date, language, genre, category,
   * the creators' names), copied into the device's graph, so the node keeps describing a copy, with the same values,
   * once its source is gone (a visitor left, a grant was revoked). The same values as the source's: planning, which
   * reads them from every graph, sees no difference. No rdf:type: content only copies describe is not "in the library".
   */
  private describe(graph: string, contents: ReadonlySet<string>): { quads: Quad[]; titled: Set<string>; categorised: Set<string> } {
    const store = this.node.store;
    const g = namedNode(graph);
    const out: Quad[] = [];
    const titled = new Set<string>();
    const categorised = new Set<string>();
    const people = new Set<string>();
    const labels = new Set<string>();
    const seen = new Set<string>();
    const push = (q: Quad) => {
      const x = quad(q.subject, q.predicate, q.object, g);
      const k = rowOf(x);
      if (!seen.has(k)) {
        seen.add(k);
        out.push(x);
      }
    };
    if (contents.size === 0) return { quads: out, titled, categorised };
    for (const p of ADOPTED) {
      for (const q of store.match(null, p, null, null)) {
        const c = q.subject.value;
        if (q.subject.termType !== 'NamedNode' || !contents.has(c)) continue;
        if (q.object.termType === 'BlankNode') continue;
        push(q);
        if (p === TITLE) titled.add(c);
        else if (p === CATEGORY) (categorised.add(c), labels.add(q.object.value));
        else if (p === CREATOR && q.object.termType === 'NamedNode') people.add(q.object.value);
      }
    }
    for (const iri of people) for (const q of store.match(namedNode(iri), NAME, null, null)) push(q);
    for (const iri of labels) {
      push(quad(namedNode(iri), RDF('type'), SS('Category')));
      for (const q of store.match(namedNode(iri), LABEL, null, null)) push(q);
    }
    return { quads: out, titled, categorised };
  }

  /** The device that was attached at `root` is gone: its graph stays, marked detached (`ss:attached false`). */
  async detached(rootIn: string): Promise<boolean> {
    const root = path.resolve(rootIn);
    const graph = this.byRoot.get(root);
    if (!graph) return false;
    this.byRoot.delete(root);
    const last = this.loaded.get(graph);
    if (!last) return false;
    // ss:lastSeen stays the last time this node looked at it attached: another node that sees it later is fresher.
    await withChannel(viaOf('device', last.seen.label || last.seen.id), () => this.swapDevice(last, { ...last.seen, attached: false }));
    return true;
  }

  /**
   * At start: this node's device graphs that say `ss:attached true` for a device that is not attached now (it was
   * unplugged while the node was stopped) are marked detached. `attachedRoots`: the devices and targets attached now.
   */
  async detachMissing(attachedRoots: readonly string[]): Promise<number> {
    const prefix = graphIri(this.node.nodeId, 'device/').value;
    const here = new Set(attachedRoots.map((r) => pathToFileURL(path.resolve(r)).href));
    const out = this.node.store.query(
      `SELECT ?g ?d ?m WHERE { GRAPH ?g { ?d <${SS('attached').value}> true ; <${SS('mountPoint').value}> ?m } FILTER(STRSTARTS(STR(?g), ${JSON.stringify(prefix)})) }`,
    );
    if (out.kind !== 'bindings') return 0;
    const changes: Array<{ op: 'A' | 'D'; quad: Quad }> = [];
    for (const r of out.rows) {
      if (!r.g || !r.d || !r.m || here.has(r.m.value)) continue;
      const g = namedNode(r.g.value);
      const d = namedNode(r.d.value);
      changes.push({ op: 'D', quad: quad(d, SS('attached'), literal('true', XSD('boolean')), g) });
      changes.push({ op: 'A', quad: quad(d, SS('attached'), literal('false', XSD('boolean')), g) });
      this.loaded.delete(r.g.value); // read back from the store at its next load
    }
    if (changes.length) await withChannel(viaOf('device'), () => this.commit(changes));
    return changes.length / 2;
  }

  /** Replace the device's own statements in a loaded graph (its copies unchanged). */
  private async swapDevice(last: Loaded, seen: DeviceSeen, held?: Quad[]): Promise<{ added: number; removed: number }> {
    const before = new Map((held ?? deviceQuads(last.graph, last.seen)).map((q) => [rowOf(q), q]));
    const after = new Map(deviceQuads(last.graph, seen).map((q) => [rowOf(q), q]));
    const changes: Array<{ op: 'A' | 'D'; quad: Quad }> = [];
    for (const [k, q] of before) if (!after.has(k)) changes.push({ op: 'D', quad: q });
    for (const [k, q] of after) if (!before.has(k)) changes.push({ op: 'A', quad: q });
    if (changes.length) await this.commit(changes);
    const rows = rowSet(last);
    for (const c of changes) {
      if (c.op === 'D') rows?.delete(rowOf(c.quad));
      else rows?.add(rowOf(c.quad));
    }
    last.seen = seen;
    return { added: changes.filter((c) => c.op === 'A').length, removed: changes.filter((c) => c.op === 'D').length };
  }

  /**
   * Make the graph hold exactly `want`: a graph that holds nothing yet gets it in one commit (its rows as they are); one
   * that holds something gets what changed, in parts.
   */
  private async replace(graph: string, seen: DeviceSeen, stamp: string, want: NewGraphRows): Promise<{ added: number; removed: number }> {
    let have = rowSet(this.loaded.get(graph));
    have ??= new Set(this.node.store.match(null, null, null, namedNode(graph)).map(rowOf));
    if (have.size === 0 && want.length <= FRESH_MAX) {
      if (want.length) await this.commit(want);
      this.loaded.set(graph, { graph, seen, stamp, rows: want.rows });
      return { added: want.length, removed: 0 };
    }
    const rows = new Set(want.rows);
    const gone = [...have].filter((r) => !rows.has(r));
    const added = [...rows].filter((r) => !have.has(r));
    const changes = [
      ...rowQuads(gone).map((quad) => ({ op: 'D' as const, quad })),
      ...rowQuads(added).map((quad) => ({ op: 'A' as const, quad })),
    ];
    // In parts, so a big catalog does not hold the store for seconds at once; the device's own statements (with its
    // ss:catalogVersion) go last, so a load cut short is never taken for a complete one.
    const dev = deviceIri(seen.id);
    changes.sort((x, y) => Number(x.quad.subject.value === dev) - Number(y.quad.subject.value === dev));
    for (let i = 0; i < changes.length; i += COMMIT_PART) await this.commit(changes.slice(i, i + COMMIT_PART));
    this.loaded.set(graph, { graph, seen, stamp, rows });
    return { added: added.length, removed: gone.length };
  }
}
