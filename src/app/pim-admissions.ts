// PIM admissions: the per-peer privacy policies, the policy hook on the peers' trust store, and which peer needs a full
// state again because a policy or an item's admission (PUBLIC → PRIVATE, or back) changed. Follows the store's commits.
import path from 'node:path';
import n3 from 'n3';
import type { Quad } from '@rdfjs/types';
import { ICAL, graphAuthor, pimItemOf, type GraphStore } from '../graph/index.js';
import { allowedItem, policyHook, type PimPolicy } from '../pim/index.js';
import type { TrustStore } from '../peers/index.js';
import { Serial } from '../base/index.js';
import { readJson, writeJson } from './pim-files.js';

/** The graphs of a node's device and target catalogs (src/app/device-graph.ts). */
const DEVICE_GRAPH = /\/graph\/[^/]+\/device\//;
/** A node's edits of file descriptions (app/file-conflicts.ts): to the person's own nodes only, as device catalogs. */
const EDITS_GRAPH = /\/graph\/[^/]+\/edits$/;

interface PimState {
  /** peer id → the epoch of the full state it needs (a policy or an item's admission changed). */
  resync: Record<string, number>;
  /** Our own seq up to which item admissions were checked. */
  checkedSeq: number;
}

/** What admissions need of the running node's peer side (src/node/peers.ts's NodePeers is one). */
export interface AdmissionPeers {
  readonly trust: TrustStore;
  notifyCommit(): void;
  readonly peerNode?: { pushAll(): void } | undefined;
}

export interface PimAdmissionsComponents {
  store: GraphStore;
  nodeId: string;
  /** HOME/pim: policies.json and state.json. */
  dir: string;
}

const w = new n3.Writer({ format: 'N-Quads' });
const key = (q: Quad) => w.quadToString(q.subject, q.predicate, q.object, q.graph);

export class PimAdmissions {
  private state: PimState | undefined;
  private policies: Record<string, PimPolicy> | undefined;
  private peers: AdmissionPeers | undefined;
  private detach: Array<() => void> = [];
  /** Admission checks run one at a time; `queued` is the one not started yet (it sees every commit made before it starts). */
  private chain: Promise<void> = Promise.resolve();
  private queued: Promise<void> | undefined;
  private readonly policyEdits = new Serial();

  constructor(private readonly c: PimAdmissionsComponents) {}

  private get stateFile(): string {
    return path.join(this.c.dir, 'state.json');
  }

  private async loadState(): Promise<PimState> {
    this.state ??= await readJson<PimState>(this.stateFile, { resync: {}, checkedSeq: this.c.store.versionVector()[this.c.nodeId] ?? 0 });
    return this.state;
  }

  async peerPolicies(): Promise<Record<string, PimPolicy>> {
    this.policies ??= await readJson<Record<string, PimPolicy>>(path.join(this.c.dir, 'policies.json'), {});
    return this.policies;
  }

  /** Sets (undefined: clears) a peer's policy; that peer gets a fresh full state under it. */
  /** Sets (or with undefined clears) a peer's policy; one edit of the policies file at a time. */
  setPeerPolicy(peer: string, policy: PimPolicy | undefined): Promise<void> {
    return this.policyEdits.run(async () => {
      const peers = { ...(await this.peerPolicies()) };
      if (policy) peers[peer] = policy;
      else delete peers[peer];
      await writeJson(path.join(this.c.dir, 'policies.json'), peers);
      this.policies = peers;
      await this.markResync([peer]);
    });
  }

  /** Installs the policy hook and the resync bookkeeping on a running node's peer side; admissions follow every own commit. */
  async attach(peers: AdmissionPeers): Promise<void> {
    this.peers = peers;
    await this.loadState();
    await this.peerPolicies();
    // The hooks stay installed after stop(): a session still closing never sends without the policy.
    peers.trust.setPimHooks({ policy: this.policyHook(), resyncWanted: (peer) => this.state?.resync[peer] ?? 0 });
    this.detach.push(
      peers.trust.events.on('resync-done', ({ peer, epoch }) => this.resyncDone(peer, epoch)),
      this.c.store.events.on('commit', (e) => {
        if (e.author === this.c.nodeId) void this.checkAdmissions().catch(() => {});
      }),
    );
    await this.checkAdmissions();
  }

  /** Stops following commits and acknowledgements (the policy hook stays on the trust store, see attach). */
  stop(): void {
    for (const off of this.detach) off();
    this.detach = [];
    this.peers = undefined;
  }

  /** After a change made here (import, remove, a DAV sync): admissions checked, peers told. */
  async afterLocalChange(): Promise<void> {
    await this.checkAdmissions();
    this.peers?.notifyCommit();
  }

  private policyHook(): (peer: string, q: Quad) => boolean {
    const { store, nodeId: self } = this.c;
    const own = (iri: string) => store.match(n3.DataFactory.namedNode(iri), null, null, null).filter((q) => graphAuthor(q.graph.value) === self);
    const overrides = (master: string) => {
      const uid = decodeURIComponent(master.slice(master.lastIndexOf('/') + 1));
      return store.match(null, ICAL('uid'), n3.DataFactory.literal(uid), null).filter((q) => q.subject.value.startsWith(master + '/rid-') && graphAuthor(q.graph.value) === self).flatMap((q) => own(q.subject.value));
    };
    const hook = policyHook((peer) => this.policies?.[peer], own, overrides);
    let seen = -1;
    return (peer, q) => {
      const seq = store.versionVector()[self] ?? 0;
      if (seq !== seen) {
        hook.invalidate(); // judged on the item as it is now: a cached decision may be stale
        seen = seq;
      }
      // Device and target catalogs (where each copy is) go only to the person's own nodes: those whose policy was
      // chosen (personal or work), never to a visitor paired for a share alone.
      if (DEVICE_GRAPH.test(q.graph.value) || EDITS_GRAPH.test(q.graph.value)) return this.policies?.[peer] !== undefined;
      return hook(peer, q);
    };
  }

  private resyncDone(peer: string, epoch: number): void {
    const s = this.state;
    if (s && (s.resync[peer] ?? 0) <= epoch && s.resync[peer] !== undefined) {
      delete s.resync[peer];
      void writeJson(this.stateFile, s).catch(() => {}); // written again at the next change
    }
  }

  private async markResync(peerIds: string[]): Promise<void> {
    const s = await this.loadState();
    for (const p of peerIds) s.resync[p] = Math.max((s.resync[p] ?? 0) + 1, Date.now());
    await writeJson(this.stateFile, s);
    this.peers?.peerNode?.pushAll();
  }

  /**
   * Our own commits since the last check: for every peer with a policy, an item whose admission changed (PUBLIC →
   * PRIVATE, or back) needs a full state for that peer (patches alone would leave the old copy there, or half an item).
   */
  checkAdmissions(): Promise<void> {
    if (this.queued) return this.queued;
    const run = this.chain.then(() => {
      this.queued = undefined;
      return this.checkOnce();
    });
    this.queued = run;
    this.chain = run.catch(() => {});
    return run;
  }

  private async checkOnce(): Promise<void> {
    const s = await this.loadState();
    const seq = this.c.store.versionVector()[this.c.nodeId] ?? 0;
    if (seq <= s.checkedSeq) return;
    const policies = Object.entries(await this.peerPolicies());
    const flipped = policies.length ? this.flippedSince(s.checkedSeq, policies) : new Set<string>();
    s.checkedSeq = seq;
    if (flipped.size) await this.markResync([...flipped]);
    else await writeJson(this.stateFile, s);
  }

  /** The peers for which one of our items changed admission since our seq `from`. */
  private flippedSince(from: number, policies: Array<[string, PimPolicy]>): Set<string> {
    const { store, nodeId: self } = this.c;
    const flipped = new Set<string>();
    const patches = store.patchesSince({ ...store.versionVector(), [self]: from });
    if (!patches) return new Set(policies.map(([p]) => p));
    const own = patches.filter((p) => p.author === self);
    const touched = new Set<string>();
    for (const p of own) for (const c of p.changes) {
      const it = pimItemOf(c.quad.subject.value);
      if (it && it.item === c.quad.subject.value) touched.add(it.item);
    }
    for (const item of touched) {
      const after = store.match(n3.DataFactory.namedNode(item), null, null, null).filter((q) => graphAuthor(q.graph.value) === self);
      const before = new Map(after.map((q) => [key(q), q]));
      for (const p of [...own].reverse()) for (const c of [...p.changes].reverse()) {
        if (c.quad.subject.value !== item) continue;
        if (c.op === 'A') before.delete(key(c.quad));
        else before.set(key(c.quad), c.quad);
      }
      for (const [peer, pol] of policies) if (allowedItem(pol, after) !== allowedItem(pol, [...before.values()])) flipped.add(peer);
    }
    return flipped;
  }
}
