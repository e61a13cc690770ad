// Placement of one device or host target: its preconditions (profile, owner, claim), recovery of an interrupted run,
// the plan (memoised, see plan-memo.ts), carrying it out (local sources, or bytes fetched from peers by the fetcher of
// this call), and what follows a run (trash kept short, the catalog graph loaded once the device is quiet).
import { mkdir, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { viaOf, withChannel } from '../graph/index.js';
import { plan, type ContentFacts, type DeviceEntry, type DeviceProfile, type Operation, type Rules } from '../rules/index.js';
import {
  assertClaimed, assertOwner, claimDevice, executePlan, listDevice, readDeviceProfile, DEVICE_DEFAULT_KINDS, namingOf, PENDING_FILE,
  LEGACY_PENDING_FILE, DeviceNotClaimedError, noteRemovedByPerson, emptyTrash, xdgTrashDir, TRASH_DAYS,
  type ExecuteError, type ExecuteProgress, type ScannedSource,
} from '../devices/index.js';
import type { DeviceGraphs } from './device-graph.js';
import type { DeviceRow } from './device-rows.js';
import type { NodeHome } from './home.js';
import { PlanMemo } from './plan-memo.js';
import type { PlanInputs } from './plan-inputs.js';
import { scanRecords } from './sources.js';

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

/** Fetches a content's bytes from a peer into `out` (a file path); throws if no peer has it. */
export type ContentFetcher = (hash: string, out: string) => Promise<void>;

export interface PlaceOptions {
  dryRun?: boolean;
  /** Place again what the person deleted from the device by hand (the catalog's memory of it is dropped). */
  restore?: boolean;
  onProgress?: (p: ExecuteProgress) => void;
  signal?: AbortSignal;
  /**
   * How this placement fetches content this node lacks (from peers), asked when the plan is carried out; none (or
   * undefined then): such content is reported as a skip. Each call brings its own: concurrent placements never share one.
   */
  fetcher?: () => ContentFetcher | undefined;
}

export interface PlacementComponents {
  home: NodeHome;
  user: () => string;
  inputs: PlanInputs;
  graphs: DeviceGraphs;
  /** A line worth printing. */
  log: (line: string) => void;
}

const NOT_HERE = 'not on this node';
/** How long a device stays quiet after a placement before its catalog graph is loaded. */
const GRAPH_QUIET_MS = 2000;

export class Placement {
  private readonly plans = new PlanMemo();
  /** What the scan recorded of each local source, read once per library version and set of shares (as the facts are). */
  private scanned: { key: string; records: (file: string) => ScannedSource | undefined } | undefined;
  private readonly locks = new Map<string, Promise<unknown>>();
  private graphWork: Promise<void> = Promise.resolve();
  /** Catalog graph loads waiting for their device to be quiet, by device root. */
  private readonly pendingGraphs = new Map<string, { timer: NodeJS.Timeout; run: () => void }>();

  constructor(private readonly c: PlacementComponents) {}

  /** Plan a device and (unless dryRun) carry the plan out. One placement per device at a time. */
  async place(dev: DeviceRow, opts: PlaceOptions = {}): Promise<PlaceSummary> {
    const prev = this.locks.get(dev.root) ?? Promise.resolve();
    const fn = () => this.placeAt(dev, opts);
    const run = prev.then(fn, fn);
    this.locks.set(dev.root, run.catch(() => undefined));
    return run;
  }

  /** The device's profile, checked: owned by this user and (unless a dry run) claimed on this machine. */
  private async checkedProfile(dev: DeviceRow, dryRun: boolean): Promise<DeviceProfile> {
    const root = dev.root;
    const { home } = this.c;
    const user = this.c.user();
    const profile = (await readDeviceProfile(root)) ?? (dryRun ? unclaimedProfile(dev) : undefined); // DeviceProfileError names the file and line
    if (!profile) throw new DeviceNotClaimedError(root, `it has never been claimed; run \`semsync devices claim ${dev.id}\` first`);
    if (dev.kind === 'target') profile.filesystem = 'posix'; // a host folder keeps POSIX names
    assertOwner(root, profile, user);
    // A dry run writes nothing, so it shows what an unclaimed device would get.
    if (dryRun) return profile;
    await assertClaimed(home.paths.claims, root, profile, {
      user,
      hint: `it is not claimed on this machine; run \`semsync devices claim ${profile.id}\` first`,
      // A host target is named by its path in this node's config (nothing to impersonate): its claim is bound now.
      bind: dev.kind === 'target' ? () => claimDevice(home.paths.claims, root, { user }) : undefined,
    });
    return profile;
  }

  private async placeAt(dev: DeviceRow, opts: PlaceOptions): Promise<PlaceSummary> {
    const root = dev.root;
    const profile = await this.checkedProfile(dev, Boolean(opts.dryRun));
    const rules = this.c.inputs.rules(); // RuleFileError names the file and line
    const facts = this.c.inputs.currentFacts();
    // An interrupted run (a pulled card) left files renamed into place but not catalogued: adopt them (checked by
    // hash) and drop its temp files first, so the plan sees them as ours instead of working around them.
    const pendingLeft = async (f: string) => Boolean(await stat(path.join(root, f)).catch(() => undefined));
    if (!opts.dryRun && ((await pendingLeft(PENDING_FILE)) || (await pendingLeft(LEGACY_PENDING_FILE)))) {
      await executePlan(root, [], { claims: this.c.home.paths.claims, user: this.c.user() });
    }
    const listing = await listDevice(root);
    // Files the person deleted by hand are remembered in the catalog and not copied back (unless restoring).
    const removed = await noteRemovedByPerson(root, profile.id, listing, { write: !opts.dryRun, forget: opts.restore });
    // Nothing is staged while the plan is made (src/devices/stage.ts): copies into new folders are written as whole
    // trees once the plan is durable, each renamed into place once; that costs less CPU (docs/decisions.md).
    const scanned = this.scanRecords();
    const ops = this.planFor(root, rules, profile, listing, facts, removed);
    const summary = await this.carryOut(dev, profile, ops, opts, scanned);
    for (const k of summary.skipped) if (k.content && !k.file) k.file = fileNameOf(facts.get(k.content));
    if (!opts.dryRun) await this.afterRun(dev, profile);
    return summary;
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
      this.c.log(`${dev.name}: cannot empty its trash: ${(e as Error).message}`);
    }
    const pending = this.pendingGraphs.get(dev.root);
    if (pending) clearTimeout(pending.timer);
    const run = () => {
      this.pendingGraphs.delete(dev.root);
      this.graphWork = this.graphWork.then(() => this.loadGraph(dev, profile));
    };
    this.pendingGraphs.set(dev.root, { timer: setTimeout(run, GRAPH_QUIET_MS).unref(), run });
  }

  /**
   * The scan's records of this node's share files (see sources.ts), kept while the library and the shares are the
   * same: only a commit to the store (a scan) changes them, and reading 10,000 of them is ~0.1-0.3 s per placement.
   */
  private scanRecords(): (file: string) => ScannedSource | undefined {
    const key = `${this.c.inputs.libraryKey()} ${JSON.stringify(this.c.home.config.shares)}`;
    if (this.scanned?.key !== key) this.scanned = { key, records: scanRecords(this.c.home) };
    return this.scanned.records;
  }

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

  /**
   * Load the catalog of an attached device or target into its graph (its commits come through `device:<name or id>`,
   * as history shows them); a failure is logged, never thrown.
   */
  async loadGraph(dev: DeviceRow, profile?: DeviceProfile): Promise<void> {
    try {
      await withChannel(viaOf('device', profile?.name || dev.name || dev.id), () => this.c.graphs.load({ ...dev, ...(profile?.mirror ? { mirror: true } : {}) }));
    } catch (e) {
      this.c.log(`${dev.name}: cannot load its catalog into the graph: ${(e as Error).message}`);
    }
  }

  private async carryOut(
    dev: DeviceRow, profile: DeviceProfile, ops: Operation[], opts: PlaceOptions, scanned: (file: string) => ScannedSource | undefined,
  ): Promise<PlaceSummary> {
    const root = dev.root;
    const fetch = opts.fetcher?.();
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
    const fetchDir = path.join(this.c.home.paths.home, 'cache', 'fetch');
    const fetched: string[] = [];
    try {
      const res = await executePlan(root, runnable, {
        claims: this.c.home.paths.claims,
        user: this.c.user(),
        // Host targets live on the machine's own disk: fsync per file buys little there (see docs/decisions.md).
        fsync: dev.kind !== 'target',
        // What semsync removes goes to a trash: the device's own, or the user's XDG trash for a host folder.
        trash: dev.kind === 'target' ? { kind: 'xdg', dir: xdgTrashDir() } : { kind: 'device' },
        onProgress: opts.onProgress,
        signal: opts.signal,
        // A local source still as the scan that hashed it recorded is not hashed again (see sources.ts).
        scanned: (op) => (op.source ? scanned(op.source) : undefined),
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
    removedByPerson: ReadonlySet<string>,
  ): Operation[] {
    const { inputs } = this.c;
    const sources = inputs.sources(facts);
    const removed = [...removedByPerson].sort().join(' ');
    const memoInputs = { graph: inputs.libraryKey(), rules, profile: JSON.stringify(profile), sources, removed };
    return this.plans.plan(root, memoInputs, listing, () => {
      const categories = inputs.categoriesOf(facts, rules);
      return plan({ graph: inputs.graph, rules, profile, listing, sources, facts, categories, removedByPerson });
    });
  }
}

/** What a dry run of a device with no profile plans with: every kind, any format, FAT-legal names. */
function unclaimedProfile(dev: DeviceRow): DeviceProfile {
  return { id: dev.id, name: dev.name, accepts: [...DEVICE_DEFAULT_KINDS], formats: {}, folders: {}, filesystem: namingOf(dev.fsType), source: `${dev.root} (unclaimed)` };
}

/** A name a person recognises for a content: its first local file's path, else its title. */
function fileNameOf(f: ContentFacts | undefined): string | undefined {
  return f?.files[0]?.path ?? f?.values.title?.[0];
}
