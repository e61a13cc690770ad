// The PIM use cases: `pim import/export`, privacy policies per peer and server, the peers' policy hook and resyncs, CalDAV/CardDAV accounts.
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { viaOf, withChannel, type GraphStore } from '../graph/index.js';
import { effectiveExclusions, parsePolicy, type PimPolicy } from '../pim/index.js';
import { exportItems, liveMasters, mergedView, pimKindOf, readPimBytes, writeItems, type PimKindName } from '../pim/index.js';
import { DavAccounts } from './pim-dav.js';
import { PimError } from './pim-files.js';
import { PimAdmissions, type AdmissionPeers } from './pim-admissions.js';

export { PimError } from './pim-files.js';
export type { DavAccount, DavAccountStatus, DavAddOptions } from './pim-dav.js';

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

export interface PimComponents {
  store: GraphStore;
  nodeId: string;
  /** HOME/pim: policies, accounts, sync states. */
  dir: string;
}

/** The PIM use cases: import, export, remove, policies, the CalDAV/CardDAV accounts; admissions on a running node. Built once per node. */
export class Pim {
  /** The CalDAV/CardDAV accounts. */
  readonly dav: DavAccounts;
  readonly admissions: PimAdmissions;

  constructor(private readonly c: PimComponents) {
    this.admissions = new PimAdmissions(c);
    this.dav = new DavAccounts({ store: c.store, dir: c.dir, afterChange: () => this.admissions.afterLocalChange() });
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
      const r = await withChannel(viaOf('import', path.basename(file)), () => writeItems(this.c.store, kind, read.groups, { timezones: read.timezones }));
      out.push({ file, kind, items: read.groups.length, added: r.added.length, changed: r.changed.length, unchanged: r.unchanged.length, errors: [...read.errors, ...read.groups.flatMap((g) => g.errors)] });
    }
    await this.admissions.afterLocalChange();
    return out;
  }

  /** Deletes items (by UID or item IRI) from the merged view: tombstones in this node's graph, which travel like edits. */
  async remove(kind: PimKindName, ids: string[]): Promise<{ removed: string[]; unknown: string[] }> {
    const view = mergedView(this.c.store, kind);
    const removed: string[] = [];
    const unknown: string[] = [];
    for (const id of ids) {
      const hit = [...view.items.values()].find((i) => !i.deleted && (i.master === id || i.master.endsWith('/' + encodeURIComponent(id.normalize('NFC')))));
      if (hit) removed.push(hit.master);
      else unknown.push(id);
    }
    if (removed.length) await writeItems(this.c.store, kind, [], { remove: removed });
    await this.admissions.afterLocalChange();
    return { removed, unknown };
  }

  /** The merged contacts or calendar as .vcf/.ics text; written to `out` (resolved against cwd) when given. */
  async export(kind: PimKindName, out: string | undefined, cwd: string): Promise<{ items: number; out?: string; text?: string }> {
    const view = mergedView(this.c.store, kind);
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
    const peers = await this.admissions.peerPolicies();
    const out = Object.entries(peers).map(([id, p]) => this.entry(id, p));
    for (const a of await this.dav.accounts()) out.push(this.entry(`dav:${a.name}`, a.policy));
    return out;
  }

  async policyShow(target: string): Promise<PolicyEntry> {
    if (target.startsWith('dav:')) return this.entry(target, (await this.dav.account(target.slice(4))).policy);
    return this.entry(target, (await this.admissions.peerPolicies())[target]);
  }

  /** Sets (or with null clears) the policy of a peer or `dav:<account>`; a peer gets a fresh full state under it. */
  async policySet(target: string, value: unknown): Promise<PolicyEntry> {
    const policy = value === null ? undefined : parsePolicy(value);
    if (target.startsWith('dav:')) {
      await this.dav.setPolicy(target.slice(4), policy);
      return this.entry(target, policy);
    }
    const { assertPeerId } = await import('../peers/index.js');
    assertPeerId(target);
    await this.admissions.setPeerPolicy(target, policy);
    return this.entry(target, policy);
  }

  // ---- the running node ----

  /** Installs the policy hook and the resync bookkeeping on the peer side of a running node. */
  async attach(peers: AdmissionPeers): Promise<void> {
    await this.admissions.attach(peers);
  }

  /** Starts periodic CalDAV/CardDAV syncs (a running node); accounts added or removed later are followed at once. */
  async start(onLog: (line: string) => void = () => {}): Promise<void> {
    this.dav.start(onLog);
  }

  async stop(): Promise<void> {
    this.admissions.stop();
    await this.dav.stop();
  }

  /** Our own commits since the last check: a peer for which an item's admission changed gets a full state. */
  async checkAdmissions(): Promise<void> {
    await this.admissions.checkAdmissions();
  }
}

export { summary } from './pim-dav.js';
