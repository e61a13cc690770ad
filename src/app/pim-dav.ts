// The CalDAV/CardDAV accounts: add/remove/list, one sync at a time, the running node's schedule (a timer for the next
// account due; add, remove and changes are followed at once), and each account's last result and failing items (`dav status`).
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { createDefaults, discover, DavClient, DavError, hrefKey, isInside, isLoopback, syncAccount, type DavSyncCounts, type DavSyncReport, type DavSyncResult, type DavSyncState, type ItemFailure } from '../dav/index.js';
import { parsePolicy, type PimPolicy } from '../pim/index.js';
import type { GraphStore } from '../graph/index.js';
import { Serial } from '../base/index.js';
import { PimError, readJson, writeJson } from './pim-files.js';

export interface DavAccount {
  name: string;
  url: string;
  user?: string;
  passwordFile?: string;
  policy?: PimPolicy;
  /** Seconds between syncs in a running node (default 300). */
  intervalS?: number;
  /** Basic auth over plain http to another machine was allowed explicitly. */
  insecure?: boolean;
}

export interface DavAddOptions {
  name?: string;
  user?: string;
  passwordFile?: string;
  policy?: unknown;
  intervalS?: number;
  insecure?: boolean;
}

export interface DavAccountStatus {
  name: string;
  url: string;
  /** ISO time of the last sync, if any. */
  lastSync?: string;
  ok?: boolean;
  summary?: string;
  /** `ok`, `failed` (an item or the server), or `stopped` (the mass-deletion guard), with the totals and the guard's messages. */
  result?: DavSyncResult;
  counts?: DavSyncCounts;
  stopped?: string[];
  /** `personal` (no policy), `work`, or `custom` (a policy file). */
  policy: 'personal' | 'work' | 'custom';
  /** A sync of it runs now. */
  syncing: boolean;
  /** Items that are not on the server, by collection, with the server's reason and the next attempt. */
  failures: Array<ItemFailure & { collection: string }>;
}

export interface DavAccountsComponents {
  store: GraphStore;
  /** HOME/pim: dav.json and each account's dav-NAME.json. */
  dir: string;
  /** After a sync changed the store: admissions re-checked, peers told. */
  afterChange: () => Promise<void>;
}

/** The longest wait between two looks at the accounts file in a running node (an account edited by hand is seen then). */
const RECHECK_MS = 60_000;

export class DavAccounts {
  private queue: Promise<unknown> = Promise.resolve();
  private readonly edits = new Serial();
  private running = false;
  private timer: NodeJS.Timeout | undefined;
  private due = new Map<string, number>();
  private onLog: (line: string) => void = () => {};
  private syncing = new Set<string>();
  private readonly store: GraphStore;
  private readonly dir: string;
  private readonly afterChange: () => Promise<void>;

  constructor(c: DavAccountsComponents) {
    this.store = c.store;
    this.dir = c.dir;
    this.afterChange = c.afterChange;
  }

  private stateFile(name: string): string {
    return path.join(this.dir, `dav-${name}.json`);
  }

  async accounts(): Promise<DavAccount[]> {
    return readJson<DavAccount[]>(path.join(this.dir, 'dav.json'), []);
  }

  async account(name: string): Promise<DavAccount> {
    const a = (await this.accounts()).find((x) => x.name === name);
    if (!a) throw new PimError(`no CalDAV/CardDAV account "${name}"; see \`semsync dav list\``);
    return a;
  }

  private async saveAccounts(accounts: DavAccount[]): Promise<void> {
    await writeJson(path.join(this.dir, 'dav.json'), accounts);
    this.kick();
  }

  /** Adds an account (edits of the account list run one at a time, so two never lose each other's change). */
  add(url: string, opts: DavAddOptions, cwd: string): Promise<DavAccount> {
    return this.edits.run(() => this.addNow(url, opts, cwd));
  }

  private async addNow(url: string, opts: DavAddOptions, cwd: string): Promise<DavAccount> {
    let u: URL;
    try {
      u = new URL(url);
    } catch {
      throw new PimError(`not a URL: ${JSON.stringify(url)} (e.g. https://dav.example.com/user/)`);
    }
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new PimError(`${url}: only http(s) servers`);
    if (u.username || u.password) {
      // Stored as written and printed by `dav list`, a password in the URL would be in plain text (and fetch refuses such URLs).
      const bare = `${u.protocol}//${u.host}${u.pathname}${u.search}`;
      throw new PimError(`${bare}: put the user and password beside the URL, not in it: \`semsync dav add ${bare} --user NAME --password-file FILE\``);
    }
    if (opts.user !== undefined && u.protocol === 'http:' && !isLoopback(u.hostname) && !opts.insecure) {
      throw new PimError(`${url}: the password would cross the network unencrypted (plain http); use the server's https URL, or --insecure if this network is trusted`);
    }
    const accounts = await this.accounts();
    const name = opts.name ?? u.host.replace(/[^A-Za-z0-9.-]/g, '_');
    if (!/^[A-Za-z0-9._-]+$/.test(name)) throw new PimError(`account name "${name}": letters, digits, ".", "_" and "-" only`);
    if (accounts.some((a) => a.name === name)) throw new PimError(`an account named "${name}" exists already (pick another with --name)`);
    const href = u.href.endsWith('/') ? u.href : u.href + '/';
    const overlap = accounts.find((a) => isInside(href, a.url) || isInside(a.url, href));
    if (overlap) throw new PimError(`${href} overlaps the account "${overlap.name}" (${overlap.url}): the same calendars would be synced twice and conflict with themselves; remove one (\`semsync dav remove ${overlap.name}\`)`);
    const passwordFile = opts.passwordFile ? path.resolve(cwd, opts.passwordFile) : undefined;
    if (passwordFile) await fs.access(passwordFile).catch(() => { throw new PimError(`${passwordFile}: cannot read the password file`); });
    const policy = opts.policy === 'work' ? { work: true } : opts.policy === undefined ? undefined : parsePolicy(opts.policy);
    const a: DavAccount = { name, url: href, user: opts.user, passwordFile, policy, intervalS: opts.intervalS, ...(opts.insecure ? { insecure: true } : {}) };
    this.due.set(name, 0); // a running node syncs it at once
    await this.saveAccounts([...accounts, a]);
    return a;
  }

  /** Forgets an account (and what its syncs agreed on); nothing is deleted here or on the server. */
  remove(name: string): Promise<DavAccount> {
    return this.edits.run(async () => {
      const accounts = await this.accounts();
      const a = accounts.find((x) => x.name === name);
      if (!a) throw new PimError(`no CalDAV/CardDAV account "${name}"; see \`semsync dav list\``);
      await this.queue.catch(() => {});
      this.due.delete(name);
      await this.saveAccounts(accounts.filter((x) => x !== a));
      await fs.rm(this.stateFile(name), { force: true });
      return a;
    });
  }

  /** Sets (or with undefined clears) one account's policy. */
  setPolicy(name: string, policy: PimPolicy | undefined): Promise<void> {
    return this.edits.run(async () => {
      const accounts = await this.accounts();
      const a = accounts.find((x) => x.name === name);
      if (!a) throw new PimError(`no CalDAV/CardDAV account "${name}"; see \`semsync dav list\``);
      a.policy = policy;
      await this.saveAccounts(accounts);
    });
  }

  /** Syncs one account (or all), one at a time. A failing server throws a DavError; what was synced before stays. */
  sync(name?: string, opts: { allowMassDelete?: boolean } = {}): Promise<DavSyncReport[]> {
    const job = this.queue.then(async () => {
      const accounts = name ? [await this.account(name)] : await this.accounts();
      const out: DavSyncReport[] = [];
      for (const a of accounts) out.push(...(await this.syncOne(a, accounts, opts.allowMassDelete)));
      return out;
    });
    this.queue = job.catch(() => {});
    return job;
  }

  private async syncOne(a: DavAccount, all: DavAccount[], allowMassDelete?: boolean): Promise<DavSyncReport[]> {
    const password = a.passwordFile ? (await fs.readFile(a.passwordFile, 'utf8')).replace(/\r?\n$/, '') : undefined;
    const file = this.stateFile(a.name);
    this.syncing.add(a.name);
    try {
      return await this.syncWith(a, all, file, password, allowMassDelete);
    } finally {
      this.syncing.delete(a.name);
    }
  }

  private async syncWith(a: DavAccount, all: DavAccount[], file: string, password: string | undefined, allowMassDelete?: boolean): Promise<DavSyncReport[]> {
    const state = await readJson<DavSyncState>(file, { collections: {} });
    const others = await Promise.all(all.filter((x) => x.name !== a.name).map(async (x) => ({ name: x.name, st: await readJson<DavSyncState>(this.stateFile(x.name), { collections: {} }) })));
    try {
      const client = new DavClient(a.url, { user: a.user, password, insecure: a.insecure });
      const found = await createDefaults(client, await discover(client));
      const mine = found.collections.filter((c) => !others.some((o) => o.st.collections[hrefKey(c.url)]));
      const reports = await syncAccount(this.store, client, state, mine, { policy: a.policy, account: a.name, allowMassDelete, onState: (s) => writeJson(file, s) });
      for (const c of found.collections.filter((x) => !mine.includes(x))) {
        const owner = others.find((o) => o.st.collections[hrefKey(c.url)])!.name;
        reports.push({ collection: c.url, kind: c.kind, pulled: 0, pushed: 0, deletedHere: 0, deletedThere: 0, conflicts: 0, withheld: 0, retry: 0, failed: [], errors: [], stopped: `skipped: the account "${owner}" syncs this collection already (overlapping accounts)` });
      }
      for (const r of reports) if (found.created.some((c) => c.url === r.collection)) r.created = true;
      state.last = lastOf(reports);
      await writeJson(file, state);
      await this.afterChange();
      return reports;
    } catch (err) {
      state.last = { at: Date.now(), ok: false, summary: (err as Error).message, result: 'failed' };
      await writeJson(file, state);
      if (err instanceof DavError) throw new DavError(`account ${a.name}: ${err.message}`, err.status);
      throw err;
    }
  }

  async status(): Promise<DavAccountStatus[]> {
    const out: DavAccountStatus[] = [];
    for (const a of await this.accounts()) {
      const st = await readJson<DavSyncState>(this.stateFile(a.name), { collections: {} });
      const failures = Object.values(st.collections).flatMap((c) =>
        Object.values(c.failed ?? {}).map((f) => ({ collection: c.url ?? '', name: f.name, uid: f.uid, href: f.href, reason: f.reason, nextTry: new Date(f.next).toISOString() })));
      const l = st.last;
      const policy = a.policy ? (a.policy.work && !a.policy.exclude ? 'work' : 'custom') : 'personal';
      out.push({ name: a.name, url: a.url, lastSync: l ? new Date(l.at).toISOString() : undefined, ok: l?.ok, summary: l?.summary, result: l?.result, counts: l?.counts, stopped: l?.stopped, policy, syncing: this.syncing.has(a.name), failures });
    }
    return out;
  }

  // ---- the running node ----

  /** Syncs each account every `intervalS` (default 300 s); an account added, removed or changed is followed at once. */
  start(onLog: (line: string) => void): void {
    this.onLog = onLog;
    this.running = true;
    this.kick();
  }

  async stop(): Promise<void> {
    this.running = false;
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.queue.catch(() => {});
  }

  /** Look at the accounts now (an account was added, removed or changed). */
  private kick(): void {
    this.wake(0);
  }

  private wake(ms: number): void {
    if (!this.running) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.tick(), ms);
  }

  private ticking = false;
  private kickedWhileTicking = false;

  private async tick(): Promise<void> {
    if (!this.running) return;
    if (this.ticking) {
      this.kickedWhileTicking = true;
      return;
    }
    this.ticking = true;
    let next = RECHECK_MS;
    try {
      next = await this.syncDue();
    } catch (err) {
      this.onLog(`dav: ${(err as Error).message}`);
    } finally {
      this.ticking = false;
    }
    if (this.kickedWhileTicking) next = 0;
    this.kickedWhileTicking = false;
    this.wake(Math.min(Math.max(next, 0), RECHECK_MS));
  }

  /** Syncs every account that is due; returns the time (ms) until the next one is. */
  private async syncDue(): Promise<number> {
    let next = Infinity;
    for (const a of await this.accounts()) {
      const now = Date.now();
      const due = this.due.get(a.name) ?? now + 1000;
      if (!this.due.has(a.name)) this.due.set(a.name, due);
      if (due > now) {
        next = Math.min(next, due - now);
        continue;
      }
      const interval = Math.max(1, a.intervalS ?? 300) * 1000;
      this.due.set(a.name, now + interval);
      next = Math.min(next, interval);
      await this.sync(a.name).then(
        (rs) => rs.forEach((r) => (r.pulled + r.pushed + r.deletedHere + r.deletedThere + r.conflicts > 0 || r.failed.length || r.stopped) && this.onLog(`dav ${a.name}: ${summary(r)}`)),
        (err: Error) => this.onLog(`dav ${a.name}: ${err.message}`),
      );
    }
    return next;
  }
}

/** What an account's state keeps of a sync: when, its result, the totals, the guard's messages, a one-line summary. */
export function lastOf(reports: DavSyncReport[]): NonNullable<DavSyncState['last']> {
  const sum = (f: (r: DavSyncReport) => number) => reports.reduce((n, r) => n + f(r), 0);
  const counts: DavSyncCounts = { pulled: sum((r) => r.pulled), pushed: sum((r) => r.pushed), deletedHere: sum((r) => r.deletedHere), deletedThere: sum((r) => r.deletedThere), conflicts: sum((r) => r.conflicts), withheld: sum((r) => r.withheld), failed: sum((r) => r.failed.length) };
  const stopped = reports.flatMap((r) => (r.stopped ? [`${r.collection}: ${r.stopped}`] : []));
  const guard = reports.some((r) => r.stopped?.startsWith('stopped:'));
  const bad = counts.failed > 0 || stopped.length > 0;
  const result: DavSyncResult = guard ? 'stopped' : bad ? 'failed' : 'ok';
  return { at: Date.now(), ok: !bad, summary: reports.map(summary).join('; '), result, counts, ...(stopped.length ? { stopped } : {}) };
}

export function summary(r: DavSyncReport): string {
  if (r.stopped) return `${r.collection}: ${r.stopped}`;
  return `${r.collection}${r.created ? ' (created)' : ''}: pulled ${r.pulled}, pushed ${r.pushed}, deleted here ${r.deletedHere}, deleted there ${r.deletedThere}, conflicts ${r.conflicts}, withheld ${r.withheld}${r.retry ? `, retry ${r.retry}` : ''}${r.failed.length ? `, failed ${r.failed.length}` : ''}`;
}
