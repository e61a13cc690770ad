// The node's PIM side: `pim import/export`, privacy policies per peer and server, the peers' policy hook and resyncs, CalDAV/CardDAV accounts.
import { promises as fs } from 'node:fs';
import path from 'node:path';
import n3 from 'n3';
import type { Quad } from '@rdfjs/types';
import { graphAuthor, pimItemOf } from '../graph/vocab.js';
import { allowedItem, effectiveExclusions, parsePolicy, policyHook, type PimPolicy } from '../pim/policy.js';
import { exportItems, liveMasters, mergedView, pimKindOf, readPimBytes, writeItems, type PimKindName } from '../pim/store.js';
import { DavClient, DavError, syncAccount, type DavSyncReport, type DavSyncState } from '../dav/index.js';
import type { SemsyncNode } from './node.js';
import type { NodePeers } from './peers.js';

export class PimError extends Error {
  override name = 'UsageError';
}

export interface PimImportReport {
  file: string;
  kind: PimKindName;
  items: number;
  added: number;
  changed: number;
  unchanged: number;
  /** Problems per item (the item is kept as far as it could be read) and per file. */
  errors: string[];
}

export interface PolicyEntry {
  /** A peer id, or `dav:<account>` for a server. */
  target: string;
  policy: PimPolicy | null;
  /** What the policy keeps from leaving, spelled out. */
  excludes: ReturnType<typeof effectiveExclusions>;
}

export interface DavAccount {
  name: string;
  url: string;
  user?: string;
  passwordFile?: string;
  policy?: PimPolicy;
  /** Seconds between syncs in a running node (default 300). */
  intervalS?: number;
}

interface PimState {
  /** peer id → the epoch of the full state it needs (a policy or an item's admission changed). */
  resync: Record<string, number>;
  /** Our own seq up to which item admissions were checked. */
  checkedSeq: number;
}

const instances = new WeakMap<SemsyncNode, NodePim>();
const w = new n3.Writer({ format: 'N-Quads' });
const key = (q: Quad) => w.quadToString(q.subject, q.predicate, q.object, q.graph);

async function readJson<T>(file: string, fallback: T): Promise<T> {
  try {
    return JSON.parse(await fs.readFile(file, 'utf8')) as T;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return fallback;
    throw new PimError(`${file}: ${(err as Error).message}`);
  }
}

async function writeJson(file: string, value: unknown): Promise<void> {
  await fs.mkdir(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`; // concurrent writers never share a temp file
  await fs.writeFile(tmp, JSON.stringify(value, null, 2) + '\n', { mode: 0o600 });
  await fs.rename(tmp, file);
}

/** One per open node (`NodePim.for(node)`): the CLI's calls and the running node's hooks share it. */
export class NodePim {
  private peers: NodePeers | undefined;
  private timers: NodeJS.Timeout[] = [];
  private davQueue: Promise<unknown> = Promise.resolve();
  private state: PimState | undefined;
  private policies: Record<string, PimPolicy> | undefined;

  private constructor(readonly node: SemsyncNode) {}

  static for(node: SemsyncNode): NodePim {
    let p = instances.get(node);
    if (!p) instances.set(node, (p = new NodePim(node)));
    return p;
  }

  private get dir(): string {
    return path.join(this.node.paths.home, 'pim');
  }

  private async loadState(): Promise<PimState> {
    this.state ??= await readJson<PimState>(path.join(this.dir, 'state.json'), { resync: {}, checkedSeq: this.node.store.versionVector()[this.node.nodeId] ?? 0 });
    return this.state;
  }

  private async peerPolicies(): Promise<Record<string, PimPolicy>> {
    this.policies ??= await readJson<Record<string, PimPolicy>>(path.join(this.dir, 'policies.json'), {});
    return this.policies;
  }

  // ---- import / export ----

  async import(paths: string[], cwd: string): Promise<PimImportReport[]> {
    const files: string[] = [];
    for (const p of paths) {
      const abs = path.resolve(cwd, p);
      const st = await fs.stat(abs).catch(() => undefined);
      if (!st) throw new PimError(`${abs}: no such file or folder`);
      if (st.isDirectory()) {
        for (const e of await fs.readdir(abs, { withFileTypes: true, recursive: true })) {
          if (e.isFile() && /\.(vcf|vcard|ics|ical)$/i.test(e.name)) files.push(path.join(e.parentPath, e.name));
        }
      } else files.push(abs);
    }
    const out: PimImportReport[] = [];
    for (const file of files.sort()) {
      const bytes = await fs.readFile(file);
      const kind = pimKindOf(file, bytes);
      if (!kind) throw new PimError(`${file}: neither contacts (.vcf, BEGIN:VCARD) nor a calendar (.ics, BEGIN:VCALENDAR)`);
      const read = readPimBytes(kind, bytes);
      const r = await writeItems(this.node.store, kind, read.groups, { timezones: read.timezones });
      out.push({ file, kind, items: read.groups.length, added: r.added.length, changed: r.changed.length, unchanged: r.unchanged.length, errors: [...read.errors, ...read.groups.flatMap((g) => g.errors)] });
    }
    await this.afterLocalChange();
    return out;
  }

  /** Deletes items (by UID or item IRI) from the merged view: tombstones in this node's graph, which travel like edits. */
  async remove(kind: PimKindName, ids: string[]): Promise<{ removed: string[]; unknown: string[] }> {
    const view = mergedView(this.node.store, kind);
    const removed: string[] = [];
    const unknown: string[] = [];
    for (const id of ids) {
      const hit = [...view.items.values()].find((i) => !i.deleted && (i.master === id || i.master.endsWith('/' + encodeURIComponent(id.normalize('NFC')))));
      if (hit) removed.push(hit.master);
      else unknown.push(id);
    }
    if (removed.length) await writeItems(this.node.store, kind, [], { remove: removed });
    await this.afterLocalChange();
    return { removed, unknown };
  }

  /** The merged contacts or calendar as .vcf/.ics text; written to `out` (resolved against cwd) when given. */
  async export(kind: PimKindName, out: string | undefined, cwd: string): Promise<{ items: number; out?: string; text?: string }> {
    const view = mergedView(this.node.store, kind);
    const text = exportItems(view);
    const items = liveMasters(view).length;
    if (!out) return { items, text };
    const file = path.resolve(cwd, out);
    await fs.writeFile(file, text);
    return { items, out: file };
  }

  // ---- policies ----

  private entry(target: string, policy: PimPolicy | undefined): PolicyEntry {
    return { target, policy: policy ?? null, excludes: effectiveExclusions(policy) };
  }

  async policyList(): Promise<PolicyEntry[]> {
    const peers = await this.peerPolicies();
    const out = Object.entries(peers).map(([id, p]) => this.entry(id, p));
    for (const a of await this.davAccounts()) out.push(this.entry(`dav:${a.name}`, a.policy));
    return out;
  }

  async policyShow(target: string): Promise<PolicyEntry> {
    if (target.startsWith('dav:')) return this.entry(target, (await this.davAccount(target.slice(4))).policy);
    return this.entry(target, (await this.peerPolicies())[target]);
  }

  /** Sets (or with null clears) the policy of a peer or `dav:<account>`; a peer gets a fresh full state under it. */
  async policySet(target: string, value: unknown): Promise<PolicyEntry> {
    const policy = value === null ? undefined : parsePolicy(value);
    if (target.startsWith('dav:')) {
      const accounts = await this.davAccounts();
      const a = accounts.find((x) => x.name === target.slice(4));
      if (!a) throw new PimError(`no CalDAV/CardDAV account "${target.slice(4)}"; see \`semsync dav list\``);
      a.policy = policy;
      await writeJson(path.join(this.dir, 'dav.json'), accounts);
      return this.entry(target, policy);
    }
    const { assertPeerId } = await import('../peers/index.js');
    assertPeerId(target);
    const peers = { ...(await this.peerPolicies()) };
    if (policy) peers[target] = policy;
    else delete peers[target];
    await writeJson(path.join(this.dir, 'policies.json'), peers);
    this.policies = peers;
    await this.markResync([target]);
    return this.entry(target, policy);
  }

  // ---- the running node: policy hook, admission changes, resyncs ----

  /** Installs the policy hook and the resync bookkeeping on the peer side of a running node. */
  async attach(peers: NodePeers): Promise<void> {
    this.peers = peers;
    await this.loadState();
    await this.peerPolicies();
    const store = this.node.store;
    const self = this.node.nodeId;
    const own = (iri: string) => store.match(n3.DataFactory.namedNode(iri), null, null, null).filter((q) => graphAuthor(q.graph.value) === self);
    const hook = policyHook((peer) => this.policies?.[peer], own);
    let seen = -1;
    const trust = peers.trust as typeof peers.trust & { resyncWanted?: (p: string) => number; resyncDone?: (p: string, e: number) => void };
    trust.policy = (peer, q) => {
      const seq = store.versionVector()[self] ?? 0;
      if (seq !== seen) {
        hook.invalidate(); // judged on the item as it is now: a cached decision may be stale
        seen = seq;
      }
      return hook(peer, q);
    };
    trust.resyncWanted = (peer) => this.state?.resync[peer] ?? 0;
    trust.resyncDone = (peer, epoch) => {
      const s = this.state;
      if (s && (s.resync[peer] ?? 0) <= epoch && s.resync[peer] !== undefined) {
        delete s.resync[peer];
        void writeJson(path.join(this.dir, 'state.json'), s);
      }
    };
    await this.checkAdmissions();
    this.timers.push(setInterval(() => void this.checkAdmissions().catch(() => {}), 500));
  }

  /** Starts periodic CalDAV/CardDAV syncs (a running node). */
  async start(onLog: (line: string) => void = () => {}): Promise<void> {
    for (const a of await this.davAccounts()) {
      const every = Math.max(1, a.intervalS ?? 300) * 1000;
      const run = () => void this.davSync(a.name).then(
        (rs) => rs.forEach((r) => (r.pulled + r.pushed + r.deletedHere + r.deletedThere + r.conflicts > 0 || r.errors.length) && onLog(`dav ${a.name}: ${summary(r)}`)),
        (err: Error) => onLog(`dav ${a.name}: ${err.message}`),
      );
      this.timers.push(setTimeout(run, 1000));
      this.timers.push(setInterval(run, every));
    }
  }

  async stop(): Promise<void> {
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
    await this.davQueue.catch(() => {});
    this.peers = undefined;
  }

  private async afterLocalChange(): Promise<void> {
    await this.checkAdmissions();
    this.peers?.notifyCommit();
  }

  private async markResync(peerIds: string[]): Promise<void> {
    const s = await this.loadState();
    for (const p of peerIds) s.resync[p] = Math.max((s.resync[p] ?? 0) + 1, Date.now());
    await writeJson(path.join(this.dir, 'state.json'), s);
    (this.peers?.peerNode as { pushAll?: () => void } | undefined)?.pushAll?.();
  }

  /**
   * Our own commits since the last check: for every peer with a policy, an item whose admission changed (PUBLIC →
   * PRIVATE, or back) needs a full state for that peer (patches alone would leave the old copy there, or half an item).
   */
  async checkAdmissions(): Promise<void> {
    const s = await this.loadState();
    const store = this.node.store;
    const self = this.node.nodeId;
    const seq = store.versionVector()[self] ?? 0;
    if (seq <= s.checkedSeq) return;
    const policies = Object.entries(await this.peerPolicies());
    const flipped = new Set<string>();
    if (policies.length) {
      const patches = store.patchesSince({ ...store.versionVector(), [self]: s.checkedSeq });
      if (!patches) policies.forEach(([p]) => flipped.add(p));
      else {
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
      }
    }
    s.checkedSeq = seq;
    if (flipped.size) await this.markResync([...flipped]);
    else await writeJson(path.join(this.dir, 'state.json'), s);
  }

  // ---- CalDAV / CardDAV ----

  async davAccounts(): Promise<DavAccount[]> {
    return readJson<DavAccount[]>(path.join(this.dir, 'dav.json'), []);
  }

  private async davAccount(name: string): Promise<DavAccount> {
    const a = (await this.davAccounts()).find((x) => x.name === name);
    if (!a) throw new PimError(`no CalDAV/CardDAV account "${name}"; see \`semsync dav list\``);
    return a;
  }

  async davAdd(url: string, opts: { name?: string; user?: string; passwordFile?: string; policy?: unknown; intervalS?: number }, cwd: string): Promise<DavAccount> {
    let u: URL;
    try {
      u = new URL(url);
    } catch {
      throw new PimError(`not a URL: ${JSON.stringify(url)} (e.g. https://dav.example.com/user/)`);
    }
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new PimError(`${url}: only http(s) servers`);
    const accounts = await this.davAccounts();
    const name = opts.name ?? u.host.replace(/[^A-Za-z0-9.-]/g, '_');
    if (accounts.some((a) => a.name === name)) throw new PimError(`an account named "${name}" exists already (pick another with --name)`);
    const passwordFile = opts.passwordFile ? path.resolve(cwd, opts.passwordFile) : undefined;
    if (passwordFile) await fs.access(passwordFile).catch(() => { throw new PimError(`${passwordFile}: cannot read the password file`); });
    const policy = opts.policy === 'work' ? { work: true } : opts.policy === undefined ? undefined : parsePolicy(opts.policy);
    const a: DavAccount = { name, url: u.href.endsWith('/') ? u.href : u.href + '/', user: opts.user, passwordFile, policy, intervalS: opts.intervalS };
    await writeJson(path.join(this.dir, 'dav.json'), [...accounts, a]);
    return a;
  }

  /** Syncs one account (or all); runs one at a time. A failing server throws a DavError; what was synced before stays. */
  davSync(name?: string): Promise<DavSyncReport[]> {
    const job = this.davQueue.then(async () => {
      const accounts = name ? [await this.davAccount(name)] : await this.davAccounts();
      const out: DavSyncReport[] = [];
      for (const a of accounts) {
        const password = a.passwordFile ? (await fs.readFile(a.passwordFile, 'utf8')).replace(/\r?\n$/, '') : undefined;
        const client = new DavClient(a.url, a.user, password);
        const file = path.join(this.dir, `dav-${a.name}.json`);
        const state = await readJson<DavSyncState>(file, { collections: {} });
        try {
          out.push(...(await syncAccount(this.node.store, client, state, { policy: a.policy, onState: (s) => writeJson(file, s) })));
        } catch (err) {
          await writeJson(file, state);
          if (err instanceof DavError) throw new DavError(`account ${a.name}: ${err.message}`, err.status);
          throw err;
        }
      }
      await this.afterLocalChange();
      return out;
    });
    this.davQueue = job.catch(() => {});
    return job;
  }
}

export function summary(r: DavSyncReport): string {
  return `${r.collection}: pulled ${r.pulled}, pushed ${r.pushed}, deleted here ${r.deletedHere}, deleted there ${r.deletedThere}, conflicts ${r.conflicts}, withheld ${r.withheld}${r.retry ? `, retry ${r.retry}` : ''}${r.errors.length ? `, errors ${r.errors.length}` : ''}`;
}
