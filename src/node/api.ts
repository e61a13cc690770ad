// What a user can ask of a node, as plain serialisable calls: served locally, or by a running node over its control socket.
import path from 'node:path';
import n3 from 'n3';
import type { Quad, Term } from '@rdfjs/types';
import type { ResultFormat } from '../graph/types.js';
import { PREFIXES } from '../graph/vocab.js';
import { federatedQuery, serviceUrls } from '../graph/federation.js';
import { queryKind } from '../graph/query.js';
import { callContext } from './call-context.js';
import { fileIri } from '../library/quads.js';
import type { ScanSummary } from '../library/indexer.js';
import type { PendingWork } from '../library/retry.js';
import type { ShareConfig } from './config.js';
import type { SemsyncNode } from './node.js';
import type { FetchResult, IdInfo, NodePeers, PeerEntry } from './peers.js';
import type { ExecuteProgress } from '../devices/index.js';
import type { ClaimRequest, DeviceRow, ExplainAnswer, NodeDevices, PlaceSummary } from './devices.js';
import { trashOf, type TrashRow } from './device-trash.js';
import type { DavAccount, DavAccountStatus, DavAddOptions, NodePim, PimImportReport, PolicyEntry } from './pim.js';
import type { DavSyncReport } from '../dav/index.js';
import type { PimKindName } from '../pim/store.js';
import type { HistoryAnswer } from './history.js';
import type { UndoReport } from './undo.js';
import type { ConflictEntry, ConflictResolution } from '../app/conflicts.js';
import { InputError } from '../base/index.js';

export class NotDescribedError extends InputError {
  override name = 'NotDescribedError';
}

/** A query's answer, ready to print: a table of strings for SELECT in `table` form, else the serialised text. */
export type QueryAnswer = { kind: 'table'; vars: string[]; rows: string[][] } | { kind: 'text'; text: string };

export interface NodeStatus {
  nodeId: string;
  home: string;
  running: boolean;
  pid: number;
  shares: ShareConfig[];
  statements: number;
  versionVector: Record<string, number>;
  /** The node process's memory (process.memoryUsage(): rss, heapUsed, external, in bytes). */
  memory: { rss: number; heapUsed: number; external: number };
  /** The query worker's counters (queued, workers started and replaced...), when the node runs one. */
  queries?: Record<string, unknown>;
  /** Scans and changes waiting for a retry after a full disk. */
  pending?: PendingWork[];
}

/**
 * Where a running node sends queries: a worker with time, memory and result limits (src/server's WorkerRunner), so
 * no query of any size runs on the thread that holds the store.
 */
export interface QueryService {
  /** `services`: not run, the query has SERVICE clauses (these endpoints) to be federated by the caller. */
  run(sparql: string, format: ResultFormat, opts?: { timeoutMs?: number; signal?: AbortSignal; federate?: boolean }): Promise<{ text: string; services?: string[] }>;
  stats?(): object;
}

/** The calls the CLI (and the control socket) make. Every argument and result is JSON. */
export interface NodeApi {
  status(): Promise<NodeStatus>;
  shareAdd(folder: string, name?: string): Promise<ShareConfig>;
  shareList(): Promise<ShareConfig[]>;
  shareRemove(name: string): Promise<number>;
  scan(names?: string[]): Promise<ScanSummary[]>;
  /** A query with SERVICE <http://…> is federated (comunica, within `timeoutMs`, default 30 s); any other runs on oxigraph. */
  query(sparql: string, format: 'table' | ResultFormat, opts?: { timeoutMs?: number }): Promise<QueryAnswer>;
  describe(file: string, format: 'turtle' | 'ntriples' | 'nquads'): Promise<string>;
  export(format: ResultFormat): Promise<string>;
  import(file: string, format?: string): Promise<{ quads: number; patches: number }>;
  /** Peers (see src/node/peers.ts): our id and addresses; nearby and paired peers; trust and grants; fetch by hash. */
  id(): Promise<IdInfo>;
  peerList(): Promise<PeerEntry[]>;
  pair(peerId: string, opts?: { addr?: string[]; name?: string }): Promise<PeerEntry>;
  unpair(peerId: string): Promise<boolean>;
  shareGrant(share: string, peerId: string): Promise<string[]>;
  shareRevoke(share: string, peerId: string): Promise<string[]>;
  /** `out` is resolved against `cwd` (the caller's folder). */
  fetch(hash: string, out: string | undefined, cwd: string): Promise<FetchResult>;
  /** Devices (see src/node/devices.ts): attached devices and host targets; claim; place; explain; targets; media roots. */
  deviceList(): Promise<DeviceRow[]>;
  deviceClaim(idOrPath: string, opts?: ClaimRequest): Promise<DeviceRow>;
  place(device: string, opts?: { dryRun?: boolean; restore?: boolean }): Promise<PlaceSummary>;
  explain(file: string): Promise<ExplainAnswer>;
  targetAdd(dir: string, name?: string, opts?: { mirror?: boolean }): Promise<DeviceRow>;
  /** The trash of attached devices and host targets (what semsync removed, kept 30 days). */
  trashList(device?: string): Promise<TrashRow[]>;
  trashRestore(ids: string[] | 'all', device?: string): Promise<{ restored: TrashRow[]; errors: string[] }>;
  trashEmpty(opts?: { device?: string; olderThanDays?: number }): Promise<TrashRow[]>;
  targetList(): Promise<Array<{ name: string; path: string }>>;
  targetRemove(name: string): Promise<boolean>;
  mediaRootAdd(dir: string): Promise<string[]>;
  mediaRootRemove(dir: string): Promise<string[]>;
  mediaRootList(): Promise<string[]>;
  /** PIM (see src/node/pim.ts, docs/pim.md): import into this node's pim graphs, export the merged view, policies, CalDAV/CardDAV. */
  pimImport(paths: string[], cwd: string): Promise<PimImportReport[]>;
  pimExport(kind: PimKindName, out: string | undefined, cwd: string): Promise<{ items: number; out?: string; text?: string }>;
  /** Delete contacts/events by UID (or item IRI). */
  pimRemove(kind: PimKindName, ids: string[]): Promise<{ removed: string[]; unknown: string[] }>;
  policyList(): Promise<PolicyEntry[]>;
  policyShow(target: string): Promise<PolicyEntry>;
  /** `policy`: a policy object (see src/pim/policy.ts), or null to clear. */
  policySet(target: string, policy: unknown): Promise<PolicyEntry>;
  davAdd(url: string, opts: DavAddOptions, cwd: string): Promise<DavAccount>;
  davRemove(name: string): Promise<DavAccount>;
  davList(): Promise<DavAccount[]>;
  davSync(name?: string, opts?: { allowMassDelete?: boolean }): Promise<DavSyncReport[]>;
  /** Each account's last sync, its result and the items that failed. */
  davStatus(): Promise<DavAccountStatus[]>;
  /** History and undo (see src/node/history.ts, undo.ts): one record's changes; revert one change or one node's since a time. */
  history(what: string, cwd: string, limit?: number): Promise<HistoryAnswer>;
  undo(change: string, opts?: { dryRun?: boolean }): Promise<UndoReport>;
  undoPeer(peer: string, since: string, opts?: { dryRun?: boolean }): Promise<UndoReport>;
  /** Open PIM conflicts, and settling one (src/app/conflicts.ts). */
  conflicts(): Promise<ConflictEntry[]>;
  conflictResolve(id: string, keep: string): Promise<ConflictResolution>;
}

/** The API served straight from an open node (in this process). */
export class LocalApi implements NodeApi {
  constructor(
    readonly node: SemsyncNode,
    private readonly running = false,
    /** The running node's peer side, once started (a getter: the daemon starts it after the API is served). */
    private readonly livePeers: () => NodePeers | undefined = () => undefined,
  ) {}

  private ownPeers: Promise<NodePeers> | undefined;

  /** Set by `semsync start`: the worker that runs the queries asked through the control socket. */
  queries: QueryService | undefined;

  private async peersSide(): Promise<NodePeers> {
    const live = this.livePeers();
    if (live) return live;
    this.ownPeers ??= import('./peers.js').then((m) => m.NodePeers.open(this.node));
    return this.ownPeers;
  }

  // The peer, PIM and device sides are loaded when first asked for: a query needs none of them (libp2p alone
  // costs half a second of module loading).
  private async pim(): Promise<NodePim> {
    return (await import('./pim.js')).NodePim.for(this.node);
  }

  private async devices(): Promise<NodeDevices> {
    return (await import('./devices.js')).devicesOf(this.node);
  }

  async status(): Promise<NodeStatus> {
    return {
      nodeId: this.node.nodeId,
      home: this.node.paths.home,
      running: this.running,
      pid: process.pid,
      shares: this.node.config.shares,
      statements: this.node.store.size,
      versionVector: this.node.store.versionVector(),
      memory: (({ rss, heapUsed, external }) => ({ rss, heapUsed, external }))(process.memoryUsage()),
      queries: this.queries?.stats?.() as Record<string, unknown> | undefined,
      pending: this.node.pendingWork(),
    };
  }

  async shareAdd(folder: string, name?: string) {
    return this.node.addShare(folder, name);
  }

  async shareList() {
    return this.node.config.shares;
  }

  async shareRemove(name: string) {
    return this.node.removeShare(name);
  }

  async scan(names?: string[]) {
    return this.node.scan(names);
  }

  async query(sparql: string, format: 'table' | ResultFormat, opts: { timeoutMs?: number } = {}): Promise<QueryAnswer> {
    const fmt = format === 'table' ? {} : { format };
    // a running node's worker runs the query, or finds its SERVICE clauses (off this thread) for it to be federated here
    const inWorker = this.queries ? await this.queryInWorker(this.queries, sparql, format, opts) : undefined;
    if (inWorker && !('services' in inWorker)) return inWorker;
    const services = inWorker?.services ?? serviceUrls(sparql);
    const out = services.length ? await federatedQuery(this.node.store, sparql, { ...fmt, services, timeoutMs: opts.timeoutMs }) : this.node.store.query(sparql, fmt);
    if (out.serialized !== undefined) return { kind: 'text', text: withNewline(out.serialized) };
    if (out.kind === 'boolean') return { kind: 'text', text: `${out.value}\n` };
    if (out.kind === 'quads') return { kind: 'text', text: writeQuads(out.quads, 'Turtle') };
    return { kind: 'table', vars: out.vars, rows: out.rows.map((r) => out.vars.map((v) => termText(r[v]))) };
  }

  /** The same answers as in this thread, from the query worker: a table from SPARQL JSON, graphs re-serialised as Turtle. */
  private async queryInWorker(queries: QueryService, sparql: string, format: 'table' | ResultFormat, opts: { timeoutMs?: number }): Promise<QueryAnswer | { services: string[] }> {
    const kind = queryKind(sparql);
    const graph = kind === 'construct' || kind === 'describe';
    const signal = callContext.getStore()?.signal; // a CLI that went away (Ctrl+C) drops its query
    // a SERVICE query is federated in the worker as well: no query of any size runs on the thread that holds the store
    const out = await queries.run(sparql, format !== 'table' ? format : graph ? 'ntriples' : 'json', { ...opts, signal, federate: true });
    if (out.services) return { services: out.services };
    if (format !== 'table') return { kind: 'text', text: withNewline(out.text) };
    if (graph) return { kind: 'text', text: writeQuads(new n3.Parser({ format: 'N-Triples' }).parse(out.text), 'Turtle') };
    type Cell = { type: string; value: unknown } | undefined;
    const r = JSON.parse(out.text) as { head: { vars?: string[] }; boolean?: boolean; results?: { bindings: Array<Record<string, Cell>> } };
    if (typeof r.boolean === 'boolean') return { kind: 'text', text: `${r.boolean}\n` };
    const vars = r.head.vars ?? [];
    const cell = (x: Cell) => (!x || typeof x.value !== 'string' ? '' : x.type === 'bnode' ? `_:${x.value}` : x.value);
    return { kind: 'table', vars, rows: (r.results?.bindings ?? []).map((b) => vars.map((v) => cell(b[v]))) };
  }

  async describe(file: string, format: 'turtle' | 'ntriples' | 'nquads'): Promise<string> {
    const abs = path.resolve(file);
    const quads = describeQuads(this.node.store, fileIri(abs));
    if (quads.length === 0) throw new NotDescribedError(`${abs} is not described; is it in a share, and has it been scanned?`);
    return serializeQuads(quads, format);
  }

  async export(format: ResultFormat) {
    return this.node.store.export(format);
  }

  async import(file: string, format?: string) {
    return this.node.store.importFile(path.resolve(file), { format });
  }

  async id() {
    return (await this.peersSide()).id();
  }

  async peerList() {
    return (await this.peersSide()).list();
  }

  async pair(peerId: string, opts: { addr?: string[]; name?: string } = {}) {
    return (await this.peersSide()).pair(peerId, opts);
  }

  async unpair(peerId: string) {
    return (await this.peersSide()).unpair(peerId);
  }

  async shareGrant(share: string, peerId: string) {
    return (await this.peersSide()).grant(share, peerId);
  }

  async shareRevoke(share: string, peerId: string) {
    return (await this.peersSide()).revoke(share, peerId);
  }

  async fetch(hash: string, out: string | undefined, cwd: string) {
    return (await this.peersSide()).fetch(hash, out, cwd);
  }

  async pimImport(paths: string[], cwd: string) {
    return (await this.pim()).import(paths, cwd);
  }

  async pimExport(kind: PimKindName, out: string | undefined, cwd: string) {
    return (await this.pim()).export(kind, out, cwd);
  }

  async pimRemove(kind: PimKindName, ids: string[]) {
    return (await this.pim()).remove(kind, ids);
  }

  async policyList() {
    return (await this.pim()).policyList();
  }

  async policyShow(target: string) {
    return (await this.pim()).policyShow(target);
  }

  async policySet(target: string, policy: unknown) {
    return (await this.pim()).policySet(target, policy);
  }

  async davAdd(url: string, opts: DavAddOptions, cwd: string) {
    return (await this.pim()).dav.add(url, opts, cwd);
  }

  async davRemove(name: string) {
    return (await this.pim()).dav.remove(name);
  }

  async davStatus() {
    return (await this.pim()).dav.status();
  }

  async history(what: string, cwd: string, limit?: number) {
    return (await import('./history.js')).recordHistory(this.node, what, cwd, limit);
  }

  async undo(change: string, opts: { dryRun?: boolean } = {}) {
    const r = await (await import('./undo.js')).undoChange(this.node, change, opts.dryRun === true);
    if (r.commit) this.livePeers()?.notifyCommit();
    return r;
  }

  async undoPeer(peer: string, since: string, opts: { dryRun?: boolean } = {}) {
    const r = await (await import('./undo.js')).undoPeer(this.node, peer, since, opts.dryRun === true);
    if (r.commit) this.livePeers()?.notifyCommit();
    return r;
  }

  async conflicts() {
    return new (await import('../app/conflicts.js')).PimConflicts({ store: this.node.store, name: await (await import('./history.js')).namesOf(this.node) }).list();
  }

  async conflictResolve(id: string, keep: string) {
    const r = await new (await import('../app/conflicts.js')).PimConflicts({ store: this.node.store }).resolve(id, keep);
    if (r.written) {
      await (await this.pim()).checkAdmissions(); // a settled CLASS may change who may see the item
      this.livePeers()?.notifyCommit();
    }
    return r;
  }

  async davList() {
    return (await this.pim()).dav.accounts();
  }

  async davSync(name?: string, opts?: { allowMassDelete?: boolean }) {
    return (await this.pim()).dav.sync(name, opts);
  }

  async deviceList() {
    return (await this.devices()).list();
  }

  async deviceClaim(idOrPath: string, opts: ClaimRequest = {}) {
    return (await this.devices()).claim(idOrPath, opts);
  }

  /** Plans and places (categories refreshed first). Without a running node, content held only by peers is fetched by a short-lived peer node. */
  async place(device: string, opts: { dryRun?: boolean; restore?: boolean; onProgress?: (p: ExecuteProgress) => void } = {}) {
    const devices = (await this.devices());
    if (!opts.dryRun) await devices.refreshCategories();
    if (devices.fetcher || this.running) return devices.place(device, opts);
    const peers = await this.peersSide();
    devices.fetcher = () => (peers.trust.peers().length > 0 ? async (hash: string, out: string) => void (await peers.fetch(hash, out)) : undefined);
    try {
      return await devices.place(device, opts);
    } finally {
      devices.fetcher = undefined;
      await devices.graphsSettled(); // the catalog graph is in the store before this process closes it
    }
  }

  async explain(file: string) {
    return (await this.devices()).explain(file);
  }

  async targetAdd(dir: string, name?: string, opts: { mirror?: boolean } = {}) {
    return (await this.devices()).addTarget(dir, name, opts);
  }

  async trashList(device?: string) {
    return trashOf(await this.devices()).list(device);
  }

  async trashRestore(ids: string[] | 'all', device?: string) {
    return trashOf(await this.devices()).restore(ids, device);
  }

  async trashEmpty(opts: { device?: string; olderThanDays?: number } = {}) {
    return trashOf(await this.devices()).empty(opts);
  }

  async targetList() {
    return this.node.config.hostTargets;
  }

  async targetRemove(name: string) {
    return (await this.devices()).removeTarget(name);
  }

  async mediaRootAdd(dir: string) {
    return (await this.devices()).addRoot(dir);
  }

  async mediaRootRemove(dir: string) {
    return (await this.devices()).removeRoot(dir);
  }

  async mediaRootList() {
    return this.node.config.mediaRoots;
  }
}

type Matcher = { match: (s?: Term | null, p?: Term | null, o?: Term | null, g?: Term | null) => Quad[] };

/** The file's statements, its content's, and those of the resources they name (people, albums), from every graph. */
export function describeQuads(store: Matcher, iri: Term): Quad[] {
  const out: Quad[] = [];
  const done = new Set<string>();
  const queue: Term[] = [iri];
  while (queue.length > 0) {
    const s = queue.shift()!;
    if (done.has(s.value)) continue;
    done.add(s.value);
    for (const q of store.match(s, null, null, null)) {
      out.push(q);
      const o = q.object;
      if (o.termType === 'NamedNode' && (o.value.startsWith('urn:sha256:') || o.value.startsWith('https://w3id.org/semsync/id/'))) {
        if (!o.value.includes('/id/share/') && !o.value.includes('/id/category/')) queue.push(o);
      }
    }
  }
  return out;
}

export function serializeQuads(quads: Quad[], format: 'turtle' | 'ntriples' | 'nquads'): string {
  const name = { turtle: 'Turtle', ntriples: 'N-Triples', nquads: 'N-Quads' }[format];
  const triplesOnly = format !== 'nquads';
  const seen = new Set<string>();
  const unique: Quad[] = [];
  for (const q of quads) {
    const t = triplesOnly ? n3.DataFactory.quad(q.subject, q.predicate, q.object) : q;
    const k = `${t.subject.value}\u0000${t.predicate.value}\u0000${JSON.stringify(t.object)}\u0000${t.graph.value}`;
    if (seen.has(k)) continue;
    seen.add(k);
    unique.push(t);
  }
  return writeQuads(unique, name);
}

/** Serialises with n3 (prefix declarations included for Turtle); n3's writer finishes synchronously for strings. */
export function writeQuads(quads: Quad[], format: string): string {
  const writer = new n3.Writer({ format, prefixes: format === 'Turtle' ? PREFIXES : undefined });
  writer.addQuads(quads);
  let text = '';
  writer.end((err, result) => {
    if (err) throw err;
    text = result;
  });
  return text;
}

/** A term as a person reads it: IRIs bare, literals as their text. */
export function termText(t: Term | undefined): string {
  if (!t) return '';
  if (t.termType === 'BlankNode') return `_:${t.value}`;
  return t.value;
}

function withNewline(s: string): string {
  return s.endsWith('\n') ? s : s + '\n';
}
