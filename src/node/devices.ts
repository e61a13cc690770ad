// The node's devices: list, claim, plan and place (from local shares or fetched from peers), explain, host targets, media roots, categories.
import { EventEmitter } from 'node:events';
import { statSync } from 'node:fs';
import { mkdir, rm, stat, statfs, realpath } from 'node:fs/promises';
import path from 'node:path';
import n3 from 'n3';
import type { Quad } from '@rdfjs/types';
import { graphIri } from '../graph/vocab.js';
import {
  KINDS, categoriseFacts, categoryQuads, defaultRulesFile, fetchFacts, loadDefaultRules, plan, prepareFieldValues, userRulesFiles,
  type Assigned, type ContentFacts, type DeviceEntry, type DeviceProfile, type Operation, type RuleGraph, type Rules, type SourceFile,
} from '../rules/index.js';
import {
  claimDevice, claimState, currentUser, executePlan, explainPath, listDevice, listDevices, readClaims, readDeviceProfile,
  readMountTable, stableDeviceId, DeviceForeignError, DEVICE_DEFAULT_KINDS, namingOf, PENDING_FILE, LEGACY_PENDING_FILE, DeviceNotClaimedError, Stager,
  noteRemovedByPerson, emptyTrash, xdgTrashDir, TRASH_DAYS,
  type DeviceInfo, type ExecuteError, type ExecuteProgress,
} from '../devices/index.js';
import { writeConfig } from './config.js';
import { claimOptions, type ClaimRequest } from './device-claim.js';
import { DeviceGraphs } from './device-graph.js';
import { FailureError } from '../base/index.js';

export type { ClaimRequest } from './device-claim.js';
import { PlanMemo } from './plan-memo.js';
import { localSources } from './sources.js';
import { makeTargetFolder } from './target-folder.js';
import type { SemsyncNode } from './node.js';

/** A device the user named that is not attached (or not known): exit 2. */
export class UnknownDeviceError extends FailureError {
  override name = 'UnknownDeviceError';
}

/** One attached device or host target, as `semsync devices` shows it. */
export interface DeviceRow {
  id: string;
  name: string;
  root: string;
  state: DeviceInfo['state'];
  /** 'mount' (a mounted volume), 'folder' (a media root), 'target' (a host folder placed like a device). */
  kind: 'mount' | 'folder' | 'target';
  fsType: string;
  filesystem: DeviceProfile['filesystem'];
  free?: number;
  total?: number;
  owner?: string;
  accepts?: string[];
  error?: string;
  /** Why a device carrying a claimed id is not that claim's device (another volume, a claim made before binding). */
  note?: string;
}

export interface PlaceSummary {
  device: string;
  name: string;
  root: string;
  dryRun: boolean;
  planned: { copy: number; remove: number; skip: number };
  copied: number;
  removed: number;
  bytes: number;
  /** Why each content or file was not placed. */
  skipped: Array<{ target?: string; content?: string; file?: string; reason: string }>;
  errors: ExecuteError[];
  /** The plan's operations (every copy and remove; skips are in `skipped`). */
  operations: Array<Exclude<Operation, { kind: 'skip' }>>;
}

export interface ExplainAnswer {
  path: string;
  device: string;
  root: string;
  relativePath: string;
  content: string;
  rule: string;
  /** The metadata the rule's template used (title, creator, category, categoryRule...). */
  values: Record<string, string>;
  placedAt: string;
  /** What this node's graph says about the content now (title, creator, subject, genre, date...), if it knows it. */
  metadata?: Record<string, string[]>;
}

export interface PlaceOptions {
  dryRun?: boolean;
  /** Place again what the person deleted from the device by hand (the catalog's memory of it is dropped). */
  restore?: boolean;
  onProgress?: (p: ExecuteProgress) => void;
  signal?: AbortSignal;
}

/** Fetches a content's bytes from a peer into `out` (a file path); throws if no peer has it. */
export type ContentFetcher = (hash: string, out: string) => Promise<void>;

const NOT_HERE = 'not on this node';
const registry = new WeakMap<SemsyncNode, NodeDevices>();

/** The one NodeDevices of an open node (the CLI's API and the running node's watcher share it). */
export function devicesOf(node: SemsyncNode): NodeDevices {
  let d = registry.get(node);
  if (!d) registry.set(node, (d = new NodeDevices(node)));
  return d;
}

/** Emits 'log' (a line worth printing) and 'targets-changed' / 'roots-changed'. */
export class NodeDevices extends EventEmitter {
  /** How to fetch content this node lacks (set by whoever runs the peer side); undefined: reported as a skip. */
  fetcher: (() => ContentFetcher | undefined) | undefined;
  user = currentUser();
  private facts: { key: string; facts: Map<string, ContentFacts> } | undefined;
  private rulesCache: { key: string; rules: Rules } | undefined;
  private categoriesCache: { facts: Map<string, ContentFacts>; rules: Rules; categories: Map<string, Assigned[]> } | undefined;
  private sourcesCache: { facts: Map<string, ContentFacts>; shares: string; sources: Map<string, SourceFile> } | undefined;
  private readonly plans = new PlanMemo();
  private locks = new Map<string, Promise<unknown>>();
  /** Each device's and target's catalog as a graph in the store (see device-graph.ts). */
  readonly graphs: DeviceGraphs;

  constructor(readonly node: SemsyncNode) {
    super();
    this.graphs = new DeviceGraphs(node, (changes) => this.commitBesideLibrary(changes));
  }

  get graph(): RuleGraph {
    const store = this.node.store;
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
    if (this.rulesCache?.key !== key) this.rulesCache = { key, rules: loadDefaultRules(this.node.paths.home) };
    return this.rulesCache.rules;
  }

  /** The rules files and their identities (inode, size, times): changes when a rules file is added, edited or removed. */
  rulesStamp(): string {
    return [defaultRulesFile(), ...userRulesFiles(this.node.paths.home)].map((f) => {
      const st = statSync(f, { throwIfNoEntry: false });
      return st ? `${f}:${st.ino}:${st.size}:${st.mtimeMs}:${st.ctimeMs}` : f;
    }).join('\n');
  }

  /** Store versions reached by commits of catalog graphs only, each mapped to the version before it. */
  private readonly besideLibrary = new Map<string, string>();

  /**
   * The library's version: the store's version vector, except that commits of catalog graphs only (this node's
   * own, made by {@link commitBesideLibrary}) do not count. Planning facts, plans and the running node's "the graph
   * changed, place again" key on it, so loading a catalog after a placement does not make the next placement read
   * every fact again (0.72 s for 10,000 files) or start another placement round.
   */
  libraryKey(): string {
    let key = vvKey(this.node.store.versionVector());
    for (let i = 0; i < 10_000 && this.besideLibrary.has(key); i++) key = this.besideLibrary.get(key)!;
    return key;
  }

  /** Commits statements of catalog graphs (no library content), as a version the library key skips. */
  async commitBesideLibrary(changes: Array<{ op: 'A' | 'D'; quad: Quad }>): Promise<void> {
    const self = this.node.nodeId;
    const before = this.node.store.versionVector();
    const patch = await this.node.store.commit(changes);
    if (!patch) return;
    // Only when this commit alone moved the store (nothing else slipped in between): one more of our own patches.
    const after = this.node.store.versionVector();
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
  private categoriesOf(facts: Map<string, ContentFacts>, rules: Rules): Map<string, Assigned[]> {
    const c = this.categoriesCache;
    if (c?.facts === facts && c.rules === rules) return c.categories;
    const categories = categoriseFacts(this.graph, facts, rules);
    this.categoriesCache = { facts, rules, categories };
    return categories;
  }

  /** Attached devices (mounts, media roots) and host targets. Never writes to a device. */
  async list(): Promise<DeviceRow[]> {
    const mounts = await readMountTable().catch(() => []);
    const targets = this.node.config.hostTargets.map((t) => path.resolve(t.path));
    const infos = await listDevices({ claims: this.node.paths.claims, mediaRoots: this.node.config.mediaRoots, user: this.user, mounts });
    const rows: DeviceRow[] = infos.filter((i) => !targets.includes(i.root)).map((i) => row(i, i.kind));
    const claims = await readClaims(this.node.paths.claims);
    for (const t of this.node.config.hostTargets) {
      let profile: DeviceProfile | undefined;
      let error: string | undefined;
      try {
        profile = await readDeviceProfile(t.path, { mounts });
      } catch (e) {
        error = (e as Error).message;
      }
      const st = await statfs(t.path).catch(() => undefined);
      const check = profile ? await claimState(this.node.paths.claims, t.path, profile, { user: this.user, claims, mounts }) : { state: 'unclaimed' as const };
      rows.push({
        id: profile?.id ?? `host-${t.name}`, name: t.name, root: path.resolve(t.path),
        state: check.state, kind: 'target', fsType: 'folder', ...(check.note ? { note: check.note } : {}),
        filesystem: 'posix', free: st ? st.bavail * st.bsize : undefined, total: st ? st.blocks * st.bsize : undefined,
        ...(profile?.owner ? { owner: profile.owner } : {}), ...(profile ? { accepts: profile.accepts } : {}), ...(error ? { error } : {}),
      });
    }
    return rows;
  }

  /** The attached device (or target) named by id, name or path. */
  async find(idOrPath: string): Promise<DeviceRow> {
    const rows = await this.list();
    const abs = path.resolve(idOrPath);
    const real = await realpath(abs).catch(() => abs);
    const hit =
      rows.find((r) => r.id === idOrPath) ??
      rows.find((r) => r.root === abs || r.root === real) ??
      rows.find((r) => r.name === idOrPath);
    if (hit) return hit;
    // A claimed device that was named by the stable id it was listed under before its claim.
    const mounts = await readMountTable().catch(() => []);
    for (const r of rows) if ((await stableDeviceId(r.root, mounts)) === idOrPath) return r;
    const known = rows.map((r) => `${r.id} (${r.name}, ${r.root})`).join('; ') || 'none';
    throw new UnknownDeviceError(`no attached device or target "${idOrPath}"; attached: ${known}. See \`semsync devices\`.`);
  }

  /**
   * Claim a device for this user (writes its .semsync/device.ttl if it has none, or what was asked: a name, kinds,
   * formats, mirroring) and record the claim here.
   */
  async claim(idOrPath: string, opts: ClaimRequest = {}): Promise<DeviceRow> {
    const dev = await this.find(idOrPath);
    await claimDevice(this.node.paths.claims, dev.root, { ...claimOptions(opts), user: this.user });
    this.emit('claimed', dev.root);
    return this.find(dev.root);
  }

  /** Plan a device and (unless dryRun) carry the plan out. One placement per device at a time. */
  async place(idOrPath: string, opts: PlaceOptions = {}): Promise<PlaceSummary> {
    const dev = await this.find(idOrPath);
    return this.locked(dev.root, () => this.placeAt(dev, opts));
  }

  private async locked<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.locks.get(key) ?? Promise.resolve();
    const run = prev.then(fn, fn);
    this.locks.set(key, run.catch(() => undefined));
    return run;
  }

  private async placeAt(dev: DeviceRow, opts: PlaceOptions): Promise<PlaceSummary> {
    const root = dev.root;
    const profile = (await readDeviceProfile(root)) ?? (opts.dryRun ? unclaimedProfile(dev) : undefined); // DeviceProfileError names the file and line
    if (!profile) throw new DeviceNotClaimedError(root, `it has never been claimed; run \`semsync devices claim ${dev.id}\` first`);
    if (dev.kind === 'target') profile.filesystem = 'posix'; // a host folder keeps POSIX names
    if (profile.owner && profile.owner !== this.user) throw new DeviceForeignError(root, profile.owner, this.user);
    // A dry run writes nothing, so it shows what an unclaimed device would get.
    if (!opts.dryRun) {
      let check = await claimState(this.node.paths.claims, root, profile, { user: this.user });
      if (check.unbound && dev.kind === 'target') {
        // A host target is named by its path in this node's config (nothing to impersonate): its claim is bound now.
        await claimDevice(this.node.paths.claims, root, { user: this.user });
        check = await claimState(this.node.paths.claims, root, profile, { user: this.user });
      }
      if (check.state !== 'claimed') {
        throw new DeviceNotClaimedError(root, check.note ?? `it is not claimed on this machine; run \`semsync devices claim ${profile.id}\` first`);
      }
    }
    const rules = this.rules(); // RuleFileError names the file and line
    const facts = this.currentFacts();
    // An interrupted run (a pulled card) left files renamed into place but not catalogued: adopt them (checked by
    // hash) and drop its temp files first, so the plan sees them as ours instead of working around them.
    const pendingLeft = async (f: string) => Boolean(await stat(path.join(root, f)).catch(() => undefined));
    if (!opts.dryRun && ((await pendingLeft(PENDING_FILE)) || (await pendingLeft(LEGACY_PENDING_FILE)))) {
      await executePlan(root, [], { claims: this.node.paths.claims, user: this.user });
    }
    const listing = await listDevice(root);
    // Files the person deleted by hand are remembered in the catalog and not copied back (unless restoring).
    const removed = await noteRemovedByPerson(root, profile.id, listing, { write: !opts.dryRun, forget: opts.restore });
    // While the plan is made, the copy thread already stages the bytes of new content (see src/devices/stage.ts).
    const stager = opts.dryRun ? undefined : new Stager(root, dev.kind !== 'target');
    try {
      let onDevice: Set<string> | undefined; // content already on the device: kept or moved there, not staged
      const stage = (c: string, src: string, size: number) => {
        onDevice ??= new Set(listing.flatMap((e) => (e.content ? [e.content] : [])));
        if (!onDevice.has(c)) stager!.add(c, src, size);
      };
      const ops = this.planFor(root, rules, profile, listing, facts, removed, stager && stage);
      const summary = await this.carryOut(dev, profile, ops, stager, opts);
      for (const k of summary.skipped) if (k.content && !k.file) k.file = fileNameOf(facts.get(k.content));
      if (!opts.dryRun) await this.afterRun(dev, profile);
      return summary;
    } finally {
      await stager?.close();
    }
  }

  /**
   * After a placement: the trash drops what is older than its keeping time, and the catalog graph is brought up to
   * date in the background once the device has been quiet for {@link GRAPH_QUIET_MS} (a 10,000-file catalog is
   * about 2 s of commits: placements in a row, as a running node makes while files arrive, load it once, and the
   * placement does not wait for it; {@link graphsSettled} loads what is pending at once).
   */
  private async afterRun(dev: DeviceRow, profile: DeviceProfile): Promise<void> {
    try {
      await emptyTrash(dev.root, { olderThanDays: TRASH_DAYS });
    } catch (e) {
      this.emit('log', `${dev.name}: cannot empty its trash: ${(e as Error).message}`);
    }
    const pending = this.pendingGraphs.get(dev.root);
    if (pending) clearTimeout(pending.timer);
    const run = () => {
      this.pendingGraphs.delete(dev.root);
      this.graphWork = this.graphWork.then(() => this.loadGraph(dev, profile));
    };
    this.pendingGraphs.set(dev.root, { timer: setTimeout(run, GRAPH_QUIET_MS).unref(), run });
  }

  private graphWork: Promise<void> = Promise.resolve();
  /** Catalog graph loads waiting for their device to be quiet, by device root. */
  private readonly pendingGraphs = new Map<string, { timer: NodeJS.Timeout; run: () => void }>();

  /** Resolves once every catalog graph load a placement asked for is done (those still waiting start now). */
  async graphsSettled(): Promise<void> {
    for (const p of [...this.pendingGraphs.values()]) {
      clearTimeout(p.timer);
      p.run();
    }
    for (let w = this.graphWork; ; w = this.graphWork) {
      await w;
      if (w === this.graphWork) return;
    }
  }

  /** Load the catalog of an attached device or target into its graph; a failure is logged, never thrown. */
  async loadGraph(dev: DeviceRow, profile?: DeviceProfile): Promise<void> {
    try {
      await this.graphs.load({ ...dev, ...(profile?.mirror ? { mirror: true } : {}) });
    } catch (e) {
      this.emit('log', `${dev.name}: cannot load its catalog into the graph: ${(e as Error).message}`);
    }
  }

  private async carryOut(
    dev: DeviceRow,
    profile: DeviceProfile,
    ops: Operation[],
    stager: Stager | undefined,
    opts: PlaceOptions,
  ): Promise<PlaceSummary> {
    const root = dev.root;
    const fetch = this.fetcher?.();
    const skipped: PlaceSummary['skipped'] = [];
    const runnable: Operation[] = [];
    const planned = { copy: 0, remove: 0, skip: 0 };
    for (const op of ops) {
      if (op.kind === 'copy') planned.copy++;
      else if (op.kind === 'remove') planned.remove++;
      if (op.kind === 'skip') skipped.push({ content: op.content, reason: op.reason });
      else if (op.kind === 'copy' && !op.source && !op.deviceSource && !fetch) {
        skipped.push({ target: op.target, content: op.content, reason: `${NOT_HERE} (no local copy, and no running peer node to fetch it from)` });
      } else runnable.push(op);
    }
    const summary: PlaceSummary = {
      device: profile.id, name: profile.name, root, dryRun: Boolean(opts.dryRun),
      planned: { ...planned, skip: skipped.length },
      copied: 0, removed: 0, bytes: 0, skipped, errors: [],
      operations: runnable.filter((o): o is Exclude<Operation, { kind: 'skip' }> => o.kind !== 'skip'),
    };
    if (opts.dryRun || runnable.length === 0) return summary;
    const fetchDir = path.join(this.node.paths.home, 'cache', 'fetch');
    const fetched: string[] = [];
    try {
      const res = await executePlan(root, runnable, {
        claims: this.node.paths.claims,
        user: this.user,
        // Host targets live on the machine's own disk: fsync per file buys little there (see docs/decisions.md).
        fsync: dev.kind !== 'target',
        // What semsync removes goes to a trash: the device's own, or the user's XDG trash for a host folder.
        trash: dev.kind === 'target' ? { kind: 'xdg', dir: xdgTrashDir() } : { kind: 'device' },
        onProgress: opts.onProgress,
        signal: opts.signal,
        ...(stager ? { staging: stager } : {}),
        readSource: async (content) => {
          if (!fetch) return undefined;
          await mkdir(fetchDir, { recursive: true });
          const out = path.join(fetchDir, content.replace(/^urn:sha256:/, ''));
          try {
            await fetch(content, out);
          } catch (e) {
            skipped.push({ content, reason: `${NOT_HERE}, and no peer could send it: ${(e as Error).message}` });
            return undefined;
          }
          fetched.push(out);
          return out;
        },
      });
      summary.copied = res.copied;
      summary.removed = res.removed;
      this.plans.ran(root, ops, res);
      summary.bytes = res.bytes;
      for (const s of res.skips) if (s.reason !== 'already in place') skipped.push(s);
      // A content no peer could send is a skip (said above), not an error.
      summary.errors = res.errors.filter((e) => !(e.code === 'ENOSOURCE' && skipped.some((s) => s.content === e.content)));
    } finally {
      for (const f of fetched) await rm(f, { force: true }).catch(() => undefined);
    }
    summary.planned.skip = skipped.length;
    return summary;
  }

  /**
   * The plan for a device: computed again only when the graph, the rules, the device's profile, the local
   * sources or the device's contents changed since the last plan of that device (see plan-memo.ts).
   */
  private planFor(
    root: string, rules: Rules, profile: DeviceProfile, listing: readonly DeviceEntry[], facts: Map<string, ContentFacts>,
    removedByPerson: ReadonlySet<string>, onPlace?: (content: string, source: string, size: number) => void,
  ): Operation[] {
    const sources = this.sources(facts);
    const removed = [...removedByPerson].sort().join(' ');
    const inputs = { graph: this.libraryKey(), rules, profile: JSON.stringify(profile), sources, removed };
    return this.plans.plan(root, inputs, listing, () => {
      const categories = this.categoriesOf(facts, rules);
      return plan({ graph: this.graph, rules, profile, listing, sources, facts, categories, removedByPerson, ...(onPlace ? { onPlace } : {}) });
    });
  }

  /**
   * Content IRI → a file in one of this node's shares holding it: only files this node's own share graphs describe
   * (never a file IRI a peer asserted), resolved as the scanner does (see sources.ts); hashed again while copied.
   */
  private sources(facts: Map<string, ContentFacts>): Map<string, SourceFile> {
    const shares = JSON.stringify(this.node.config.shares.map((s) => s.path));
    if (this.sourcesCache?.facts === facts && this.sourcesCache.shares === shares) return this.sourcesCache.sources;
    const out = localSources(this.node, facts);
    this.sourcesCache = { facts, shares, sources: out };
    return out;
  }

  /** Which rule and which metadata put the file at `file` (a path on an attached device or target). */
  async explain(file: string): Promise<ExplainAnswer> {
    const abs = path.resolve(file);
    const real = await realpath(abs).catch(() => abs);
    const rows = (await this.list()).sort((a, b) => b.root.length - a.root.length);
    const dev = rows.find((r) => real === r.root || real.startsWith(r.root + '/') || abs.startsWith(r.root + '/'));
    if (!dev) throw new UnknownDeviceError(`${abs} is not on an attached device or host target (see \`semsync devices\`)`);
    const under = real.startsWith(dev.root + '/') ? real : abs;
    const rel = path.relative(dev.root, under).split(path.sep).join('/');
    const e = await explainPath(dev.root, rel);
    if (!e) throw new UnknownDeviceError(`${abs}: semsync did not place this file on ${dev.name} (its catalog does not list it)`);
    const facts = this.currentFacts().get(e.content);
    const metadata = facts ? Object.fromEntries(Object.entries(facts.values).filter(([, v]) => v.length > 0)) : undefined;
    return { path: abs, device: dev.name, root: dev.root, relativePath: e.path, content: e.content, rule: e.rule, values: e.values, placedAt: e.placedAt, ...(metadata ? { metadata } : {}) };
  }

  /** Make a local folder a placement target: it is claimed for this user like a device and placed after scans. */
  async addTarget(dir: string, name?: string, opts: { mirror?: boolean } = {}): Promise<DeviceRow> {
    const abs = path.resolve(dir);
    await makeTargetFolder(abs);
    const real = await realpath(abs);
    const targetName = name ?? (path.basename(real) || 'target');
    const cfg = this.node.config;
    if (cfg.hostTargets.some((t) => t.name === targetName)) throw new UnknownDeviceError(`a target named "${targetName}" exists already`);
    if (cfg.hostTargets.some((t) => path.resolve(t.path) === real)) throw new UnknownDeviceError(`${real} is a target already`);
    if (cfg.shares.some((s) => real === s.path || real.startsWith(s.path + '/') || s.path.startsWith(real + '/'))) {
      throw new UnknownDeviceError(`${real} overlaps a shared folder; a target must be outside the shares (placed copies would be described again)`);
    }
    // A host target takes every kind, documents included (filed under Documents/<Category>/).
    await claimDevice(this.node.paths.claims, real, { name: targetName, owner: this.user, user: this.user, accepts: [...KINDS], ...(opts.mirror ? { mirror: true } : {}) });
    await this.saveConfig({ ...cfg, hostTargets: [...cfg.hostTargets, { name: targetName, path: real }] });
    this.emit('targets-changed');
    return this.find(real);
  }

  async removeTarget(name: string): Promise<boolean> {
    const cfg = this.node.config;
    const next = cfg.hostTargets.filter((t) => t.name !== name && path.resolve(t.path) !== path.resolve(name));
    if (next.length === cfg.hostTargets.length) return false;
    await this.saveConfig({ ...cfg, hostTargets: next });
    // Its files stay, and so does its catalog graph: no longer placed, so marked detached.
    for (const t of cfg.hostTargets) if (!next.includes(t)) await this.graphs.detached(t.path).catch(() => false);
    this.emit('targets-changed');
    return true;
  }

  /** Media roots: folders whose mounts (and which themselves) count as devices. */
  async addRoot(dir: string): Promise<string[]> {
    const abs = path.resolve(dir);
    const st = await stat(abs).catch(() => undefined);
    if (!st?.isDirectory()) throw new UnknownDeviceError(`${abs}: no such folder`);
    const real = await realpath(abs);
    const cfg = this.node.config;
    if (!cfg.mediaRoots.includes(real)) await this.saveConfig({ ...cfg, mediaRoots: [...cfg.mediaRoots, real] });
    this.emit('roots-changed');
    return this.node.config.mediaRoots;
  }

  async removeRoot(dir: string): Promise<string[]> {
    const abs = path.resolve(dir);
    const real = await realpath(abs).catch(() => abs);
    const cfg = this.node.config;
    await this.saveConfig({ ...cfg, mediaRoots: cfg.mediaRoots.filter((r) => r !== real && r !== abs) });
    this.emit('roots-changed');
    return this.node.config.mediaRoots;
  }

  private async saveConfig(next: SemsyncNode['config']): Promise<void> {
    this.node.config = next;
    await writeConfig(this.node.paths.config, next);
  }

  /**
   * Write every content's categories into this node's `rules` graph (`?c ss:category ?cat . ?cat rdfs:label "SciFi"`),
   * replacing what was there. Returns the number of statements added and removed.
   */
  async refreshCategories(): Promise<{ added: number; removed: number }> {
    const graph = graphIri(this.node.nodeId, 'rules');
    const facts = this.currentFacts();
    const assigned = this.categoriesOf(facts, this.rules());
    // What every plan of a device needs from the library, worked out now rather than when a device is placed.
    prepareFieldValues(facts, assigned, this.sources(facts));
    const labels = new Map([...assigned].map(([iri, list]) => [iri, list.map((a) => a.label)]));
    const { quad } = n3.DataFactory;
    const want = categoryQuads(labels).map((q) => quad(q.subject, q.predicate, q.object, graph));
    const key = (q: Quad) => `${q.subject.value} ${q.predicate.value} ${q.object.termType}:${q.object.value}`;
    const have = this.node.store.match(null, null, null, graph);
    const wantKeys = new Set(want.map(key));
    const haveKeys = new Set(have.map(key));
    const changes = [
      ...have.filter((q) => !wantKeys.has(key(q))).map((q) => ({ op: 'D' as const, quad: q })),
      ...want.filter((q) => !haveKeys.has(key(q))).map((q) => ({ op: 'A' as const, quad: q })),
    ];
    if (changes.length === 0) return { added: 0, removed: 0 };
    const before = this.facts;
    await this.node.store.commit(changes);
    // Categories are not planning facts: the cached facts stay valid.
    if (before && this.facts === before) this.facts = { key: this.libraryKey(), facts: before.facts };
    return { added: changes.filter((c) => c.op === 'A').length, removed: changes.filter((c) => c.op === 'D').length };
  }
}

function row(i: DeviceInfo, kind: DeviceRow['kind']): DeviceRow {
  return {
    id: i.id, name: i.name, root: i.root, state: i.state, kind, fsType: i.fsType, filesystem: i.filesystem,
    ...(i.free !== undefined ? { free: i.free } : {}), ...(i.total !== undefined ? { total: i.total } : {}),
    ...(i.owner ? { owner: i.owner } : {}), ...(i.profile ? { accepts: i.profile.accepts } : {}), ...(i.error ? { error: i.error } : {}),
    ...(i.note ? { note: i.note } : {}),
  };
}

/** What a dry run of a device with no profile plans with: every kind, any format, FAT-legal names. */
function unclaimedProfile(dev: DeviceRow): DeviceProfile {
  return { id: dev.id, name: dev.name, accepts: [...DEVICE_DEFAULT_KINDS], formats: {}, folders: {}, filesystem: namingOf(dev.fsType), source: `${dev.root} (unclaimed)` };
}

/** A name a person recognises for a content: its first local file's path, else its title. */
function fileNameOf(f: ContentFacts | undefined): string | undefined {
  return f?.files[0]?.path ?? f?.values.title?.[0];
}

/** How long a device stays quiet after a placement before its catalog graph is loaded. */
const GRAPH_QUIET_MS = 2000;

/** A version vector as text, its authors in order (the same vector, the same text). */
function vvKey(vv: Record<string, number>): string {
  return JSON.stringify(Object.keys(vv).sort().map((k) => [k, vv[k]]));
}
