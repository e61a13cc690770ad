// The NodeApi served straight from an open node: each call goes to the node's home or to one of its app services.
import path from 'node:path';
import n3 from 'n3';
import type { ResultFormat } from '../graph/types.js';
import { federatedQuery, serviceUrls } from '../graph/index.js';
import { queryKind } from '../graph/index.js';
import { callContext } from './call-context.js';
import { fileIri } from '../library/index.js';
import type { ScanSummary } from '../library/index.js';
import type { PendingWork } from '../library/index.js';
import type { ShareConfig } from './config.js';
import type { NodePeers, PeersHome } from './peers.js';
import type { ExecuteProgress } from '../devices/index.js';
import type { ClaimRequest, Devices } from './devices.js';
import type { DeviceTrash } from './device-trash.js';
import type { ShareCopies } from './share-copy.js';
import type { DavAddOptions, Pim } from './pim.js';
import type { PimKindName } from '../pim/index.js';
import type { HistoryHome } from './history.js';
import { NotDescribedError, type NodeApi, type NodeStatus, type QueryAnswer, type QueryService } from './node-api.js';
import { describeQuads, serializeQuads, termText, writeQuads } from './describe.js';
import type { NodeHome } from './home.js';

export { describeQuads, serializeQuads, termText, writeQuads } from './describe.js';
export { NotDescribedError, type NodeApi, type NodeStatus, type QueryAnswer, type QueryService } from './node-api.js';

/** What the API needs of the open node: its home, its shares and scans, and the work waiting for a retry. */
export interface ApiHome extends NodeHome, PeersHome, HistoryHome {
  readonly paths: NodeHome['paths'] & PeersHome['paths'] & HistoryHome['paths'];
  addShare(folder: string, name?: string): Promise<ShareConfig>;
  removeShare(name: string): Promise<number>;
  scan(names: string[] | undefined): Promise<ScanSummary[]>;
  pendingWork(): PendingWork[];
}

export interface ApiComponents {
  home: ApiHome;
  /** Served by a running node (`semsync start`). */
  running: boolean;
  /** The running node's peer side, once started (a getter: the daemon starts it after the API is served). */
  livePeers: () => NodePeers | undefined;
  // The PIM, device and trash services are loaded when first asked for: a query needs none of them.
  devices: () => Promise<Devices>;
  pim: () => Promise<Pim>;
  trash: () => Promise<DeviceTrash>;
  copies: () => Promise<ShareCopies>;
}

/** The API served straight from an open node (in this process), over the node's services. */
export class AppApi implements NodeApi {
  private ownPeers: Promise<NodePeers> | undefined;
  private readonly home: ApiHome;
  private readonly running: boolean;
  private readonly livePeers: () => NodePeers | undefined;
  private readonly pim: () => Promise<Pim>;
  private readonly devices: () => Promise<Devices>;
  private readonly trash: () => Promise<DeviceTrash>;
  private readonly copies: () => Promise<ShareCopies>;

  /** Set by `semsync start`: the worker that runs the queries asked through the control socket. */
  queries: QueryService | undefined;

  constructor(c: ApiComponents) {
    this.home = c.home;
    this.running = c.running;
    this.livePeers = c.livePeers;
    this.pim = c.pim;
    this.devices = c.devices;
    this.trash = c.trash;
    this.copies = c.copies;
  }

  // The peer side is loaded when first asked for: a query needs none of it (libp2p alone costs half a second of
  // module loading).
  private async peersSide(): Promise<NodePeers> {
    const live = this.livePeers();
    if (live) return live;
    this.ownPeers ??= import('./peers.js').then((m) => m.NodePeers.open(this.home));
    return this.ownPeers;
  }

  async status(): Promise<NodeStatus> {
    return {
      nodeId: this.home.nodeId,
      home: this.home.paths.home,
      running: this.running,
      pid: process.pid,
      shares: this.home.config.shares,
      statements: this.home.store.size,
      versionVector: this.home.store.versionVector(),
      memory: (({ rss, heapUsed, external }) => ({ rss, heapUsed, external }))(process.memoryUsage()),
      queries: this.queries?.stats?.() as Record<string, unknown> | undefined,
      pending: this.home.pendingWork(),
    };
  }

  async shareAdd(folder: string, name?: string) {
    return this.home.addShare(folder, name);
  }

  async shareList() {
    return this.home.config.shares;
  }

  async shareRemove(name: string) {
    return this.home.removeShare(name);
  }

  async scan(names?: string[]) {
    return this.home.scan(names);
  }

  async query(sparql: string, format: 'table' | ResultFormat, opts: { timeoutMs?: number } = {}): Promise<QueryAnswer> {
    const fmt = format === 'table' ? {} : { format };
    // a running node's worker runs the query, or finds its SERVICE clauses (off this thread) for it to be federated here
    const inWorker = this.queries ? await this.queryInWorker(this.queries, sparql, format, opts) : undefined;
    if (inWorker && !('services' in inWorker)) return inWorker;
    const services = inWorker?.services ?? serviceUrls(sparql);
    const out = services.length ? await federatedQuery(this.home.store, sparql, { ...fmt, services, timeoutMs: opts.timeoutMs }) : this.home.store.query(sparql, fmt);
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
    const quads = describeQuads(this.home.store, fileIri(abs));
    if (quads.length === 0) throw new NotDescribedError(`${abs} is not described; is it in a share, and has it been scanned?`);
    return serializeQuads(quads, format);
  }

  async export(format: ResultFormat) {
    return this.home.store.export(format);
  }

  async import(file: string, format?: string) {
    return this.home.store.importFile(path.resolve(file), { format });
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
    return (await import('./history.js')).recordHistory(this.home, what, cwd, limit);
  }

  async undo(change: string, opts: { dryRun?: boolean } = {}) {
    const r = await (await import('./undo.js')).undoChange(this.home, change, opts.dryRun === true);
    if (r.commit) this.livePeers()?.notifyCommit();
    return r;
  }

  async undoPeer(peer: string, since: string, opts: { dryRun?: boolean } = {}) {
    const r = await (await import('./undo.js')).undoPeer(this.home, peer, since, opts.dryRun === true);
    if (r.commit) this.livePeers()?.notifyCommit();
    return r;
  }

  async conflicts() {
    const name = await (await import('./history.js')).namesOf(this.home);
    const files = await (await this.fileConflicts(name)).list();
    return [...new (await import('./conflicts.js')).PimConflicts({ store: this.home.store, name }).list(), ...files];
  }

  /** File descriptions (file-conflicts.ts), whose edits from the person's own nodes (a policy chosen) settle. */
  private async fileConflicts(name?: (id: string) => string) {
    const ownNodes = async () => new Set(Object.keys(await (await this.pim()).admissions.peerPolicies()));
    return new (await import('./file-conflicts.js')).FileConflicts({ store: this.home.store, name, ownNodes });
  }

  async describeEdit(file: string, field: string, value: string) {
    const r = await (await this.fileConflicts()).editFile(file, field, value);
    if (r.written) this.livePeers()?.notifyCommit();
    return r;
  }

  async conflictResolve(id: string, keep: string) {
    if (id.trim().startsWith('f')) {
      const r = await (await this.fileConflicts()).resolve(id.trim(), keep);
      if (r.written) this.livePeers()?.notifyCommit();
      return r;
    }
    const r = await new (await import('./conflicts.js')).PimConflicts({ store: this.home.store }).resolve(id, keep);
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
    const devices = await this.devices();
    if (!opts.dryRun) await devices.refreshCategories();
    // Each call brings its own fetcher (none is shared and swapped, so concurrent placements never race for one).
    if (this.running) {
      const fetcher = () => {
        const peers = this.livePeers();
        return peers?.running ? async (hash: string, out: string) => void (await peers.fetch(hash, out)) : undefined;
      };
      return devices.place(device, { ...opts, fetcher });
    }
    const peers = await this.peersSide();
    const fetcher = () => (peers.trust.peers().length > 0 ? async (hash: string, out: string) => void (await peers.fetch(hash, out)) : undefined);
    try {
      return await devices.place(device, { ...opts, fetcher });
    } finally {
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
    return (await this.trash()).list(device);
  }

  async trashRestore(ids: string[] | 'all', device?: string) {
    return (await this.trash()).restore(ids, device);
  }

  async trashEmpty(opts: { device?: string; olderThanDays?: number } = {}) {
    return (await this.trash()).empty(opts);
  }

  async targetList() {
    return this.home.config.hostTargets;
  }

  async copyAdd(dir: string, peer: string, share: string, name?: string) {
    return (await this.copies()).add(dir, peer, share, name);
  }

  async copyList() {
    return (await this.copies()).list();
  }

  async copyRemove(name: string) {
    return (await this.copies()).remove(name);
  }

  async copyTrash(name: string) {
    return (await this.copies()).trash(name);
  }

  async copyRestore(name: string, ids: string[] | 'all') {
    return (await this.copies()).restore(name, ids);
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
    return this.home.config.mediaRoots;
  }
}

function withNewline(s: string): string {
  return s.endsWith('\n') ? s : s + '\n';
}
