// Copy targets: a folder on this node kept as a copy of a paired peer's share, in the share's own layout (the same
// folder on both machines). The peer's share graph says which path holds which content; the bytes are fetched by
// hash from that peer. Nothing the person made or changed here is overwritten or removed: a path already holding
// other bytes is left alone, and only files this node placed, still untouched, go to the trash when the peer's share
// no longer lists them (`semsync target restore` puts them back; the XDG trash shows them too).
import { lstat, realpath, rename, rm } from 'node:fs/promises';
import { createReadStream } from 'node:fs';
import { createHash } from 'node:crypto';
import path from 'node:path';
import { readJsonFile, writeJsonFile } from '../base/index.js';
import { addToTrash, deviceDir, moveToTrash, readTrash, restoreTrash, xdgTrashDir, type TrashEntry } from '../devices/index.js';
import type { NodeHome } from './home.js';
import { makeTargetFolder } from './target-folder.js';
import { planCopy, untouched, wantedFiles, ShareCopyError, STATE_FILE, type CopyState, type PlacedFile, type ShareCopyConfig, type WantedFile } from './share-copy-plan.js';

export { ShareCopyError, type ShareCopyConfig };

/** What one run did. */
export interface CopyReport {
  name: string;
  fetched: number;
  bytes: number;
  adopted: number;
  trashed: number;
  /** Paths left alone, with why (the person's own file, a refused path, a failed fetch). */
  skipped: Array<{ rel: string; reason: string }>;
  /** False when this node holds no graph of that share (not granted yet, or revoked): nothing was touched. */
  listed: boolean;
}

export interface ShareCopiesComponents {
  home: NodeHome;
  /** Fetch content by hash from `peer` into `out` (verified; written via a part file and renamed). */
  fetch?: (hash: string, out: string, peer: string) => Promise<void>;
  /** Fetch many small files from `peer` in one request; each item's `error` says what failed (peers/batch.ts). */
  fetchBatch?: (peer: string, items: Array<{ hash: string; out: string; error?: string }>) => Promise<void>;
  /** How many groups of files are fetched at once (default 4). */
  parallel?: number;
}

const SAVE_EVERY = 2000;
/** Files per batch request, and the size under which a file goes in one. */
const BATCH = 128;
const BATCH_MAX_FILE = 1 << 20;

type Planned = WantedFile & { replaces?: PlacedFile };

export class ShareCopies {
  private running: Promise<unknown> = Promise.resolve();
  private again = false;
  private busy = false;
  /** Where runs report (set by follow()): failures, and a line for each run that did something. */
  private tell: { onError: (err: Error) => void; say: (line: string) => void } = { onError: () => {}, say: () => {} };

  constructor(private readonly c: ShareCopiesComponents) {}

  /** The running peer node's fetch (set when it starts). */
  useFetch(fetch: NonNullable<ShareCopiesComponents['fetch']>, fetchBatch?: ShareCopiesComponents['fetchBatch']): void {
    this.c.fetch = fetch;
    this.c.fetchBatch = fetchBatch;
  }

  list(): ShareCopyConfig[] {
    return this.c.home.config.shareCopies ?? [];
  }

  /** Make `dir` a copy of `peer`'s share `share`. */
  async add(dir: string, peer: string, share: string, name?: string): Promise<ShareCopyConfig> {
    const { home } = this.c;
    if (!/^[1-9A-HJ-NP-Za-km-z]{40,80}$/.test(peer)) throw new ShareCopyError(`"${peer}" is not a peer id (see \`semsync peers\`)`);
    if (!share || share.includes('/')) throw new ShareCopyError(`"${share}" is not a share name`);
    const abs = path.resolve(dir);
    await makeTargetFolder(abs);
    const real = await realpath(abs);
    const cfg = home.config;
    const copies = cfg.shareCopies ?? [];
    const copyName = name ?? (path.basename(real) || 'copy');
    const inside = (a: string, b: string) => a === b || a.startsWith(b + '/') || b.startsWith(a + '/');
    if ([...copies, ...cfg.hostTargets].some((t) => t.name === copyName)) throw new ShareCopyError(`a target named "${copyName}" exists already`);
    if ([...copies, ...cfg.hostTargets].some((t) => inside(path.resolve(t.path), real))) throw new ShareCopyError(`${real} overlaps a target already`);
    if (cfg.shares.some((s) => inside(s.path, real))) throw new ShareCopyError(`${real} overlaps a shared folder; a copy target must be outside the shares`);
    const entry = { name: copyName, path: real, peer, share };
    await home.saveConfig({ ...cfg, shareCopies: [...copies, entry] });
    this.kick();
    return entry;
  }

  async remove(name: string): Promise<boolean> {
    const { home } = this.c;
    const copies = home.config.shareCopies ?? [];
    const next = copies.filter((t) => t.name !== name && path.resolve(t.path) !== path.resolve(name));
    if (next.length === copies.length) return false;
    await home.saveConfig({ ...home.config, shareCopies: next });
    return true;
  }

  private find(name: string): ShareCopyConfig {
    const hit = this.list().find((t) => t.name === name || path.resolve(t.path) === path.resolve(name));
    if (!hit) throw new ShareCopyError(`no copy target "${name}"; see \`semsync target list\``);
    return hit;
  }

  /** What the copy target's runs moved to the trash. */
  async trash(name: string): Promise<TrashEntry[]> {
    return readTrash(this.find(name).path);
  }

  /** Put trashed files back (by id, or all). A restored file is the person's: never removed or replaced again. */
  async restore(name: string, ids: string[] | 'all'): Promise<{ restored: TrashEntry[]; errors: string[] }> {
    const t = this.find(name);
    return restoreTrash(t.path, `copy-${t.name}`, ids);
  }

  /** Run every copy target now; a call during a run makes one more run after it. */
  kick(): Promise<unknown> {
    const { onError, say } = this.tell;
    if (this.busy) {
      this.again = true;
      return this.running;
    }
    this.busy = true;
    this.running = (async () => {
      try {
        do {
          this.again = false;
          for (const t of this.list()) {
            // one target's failure (a folder gone, a full disk) is said and the others still run
            const r = await this.run(t).catch((err: Error) => void onError(new ShareCopyError(`copy target ${t.name} (${t.path}): ${err.message}`)));
            if (r && (r.fetched || r.trashed || r.skipped.length)) say(summaryLine(r));
          }
        } while (this.again);
      } finally {
        this.busy = false;
      }
    })();
    return this.running;
  }

  /** Bring one copy target in line with the peer's share graph as this node holds it now. */
  async run(t: ShareCopyConfig): Promise<CopyReport> {
    const report: CopyReport = { name: t.name, fetched: 0, bytes: 0, adopted: 0, trashed: 0, skipped: [], listed: false };
    const wanted = wantedFiles(this.c.home.store, t.peer, t.share);
    if (!wanted) return report;
    report.listed = true;
    for (const r of wanted.refused) report.skipped.push({ rel: r.rel, reason: `refused: ${r.reason}` });
    await makeTargetFolder(t.path);
    const stateFile = path.join(t.path, STATE_FILE);
    const state = await readJsonFile<CopyState>(stateFile, { v: 1, peer: t.peer, share: t.share, files: {} });
    const plan = planCopy(wanted, state);
    if (plan.fetch.length === 0 && plan.remove.length === 0) return report;
    deviceDir(t.path, '.semsync', true);
    let unsaved = 0;
    const save = async (force: boolean) => {
      if (!force && unsaved < SAVE_EVERY) return;
      unsaved = 0;
      await writeJsonFile(stateFile, state);
    };
    try {
      await this.removeGone(t, plan.remove, state, report);
      // small files go in batches on one stream each; the rest one by one (big ones take the bulk channel)
      const groups: Planned[][] = [];
      for (const w of plan.fetch) {
        const last = groups[groups.length - 1];
        if (w.size >= 0 && w.size < BATCH_MAX_FILE && last && last.length < BATCH && last[0].size < BATCH_MAX_FILE) last.push(w);
        else groups.push([w]);
      }
      const worker = async () => {
        for (let g = groups.shift(); g; g = groups.shift()) {
          for (const [rel, placed] of await this.placeGroup(t, g, report)) {
            state.files[rel] = placed;
            unsaved++;
          }
          await save(false);
        }
      };
      await Promise.all(Array.from({ length: this.c.parallel ?? 4 }, worker));
    } finally {
      await save(true);
    }
    return report;
  }

  /** A group of files: each checked here, the ones to fetch fetched (in one batch when the peer node can), then settled. */
  private async placeGroup(t: ShareCopyConfig, group: Planned[], report: CopyReport): Promise<Array<[string, PlacedFile]>> {
    const out: Array<[string, PlacedFile]> = [];
    const todo: Array<{ w: Planned; abs: string; tmp: string; error?: string }> = [];
    for (const w of group) {
      try {
        const r = await this.prepare(t, w, report);
        if (r && 'abs' in r) todo.push({ w, ...r });
        else if (r) out.push([w.rel, r]);
      } catch (err) {
        report.skipped.push({ rel: w.rel, reason: (err as Error).message });
      }
    }
    if (todo.length === 0) return out;
    const { fetch, fetchBatch } = this.c;
    if (todo.length > 1 && fetchBatch) {
      const items = todo.map((x) => ({ hash: x.w.hash, out: x.tmp, error: undefined as string | undefined }));
      await fetchBatch(t.peer, items).catch(() => undefined); // each item's error says what failed
      items.forEach((it, i) => (todo[i].error = it.error));
    } else {
      if (!fetch) throw new ShareCopyError('no peer node to fetch from');
      for (const x of todo) await fetch(x.w.hash, x.tmp, t.peer).catch((err: Error) => (x.error = err.message));
    }
    for (const x of todo) {
      if (x.error) {
        report.skipped.push({ rel: x.w.rel, reason: x.error });
        continue;
      }
      try {
        out.push([x.w.rel, await this.settle(t, x.w, x.abs, x.tmp, report)]);
      } catch (err) {
        report.skipped.push({ rel: x.w.rel, reason: (err as Error).message });
      }
    }
    return out;
  }

  /** Files this node placed that the share no longer lists: to the trash when untouched; the person's otherwise. */
  private async removeGone(t: ShareCopyConfig, gone: Array<{ rel: string; placed: PlacedFile }>, state: CopyState, report: CopyReport): Promise<void> {
    const entries: TrashEntry[] = [];
    const now = new Date();
    for (const { rel, placed } of gone) {
      delete state.files[rel];
      const st = await lstat(path.join(t.path, rel)).catch(() => undefined);
      if (!untouched(st, placed)) continue; // changed or removed here: the person's now
      const rec = { path: rel, content: `urn:sha256:${placed.hash}`, size: placed.size, rule: '', values: {}, placedAt: new Date(placed.mtimeMs).toISOString() };
      try {
        entries.push(moveToTrash(t.path, rec, { kind: 'xdg', dir: xdgTrashDir() }, `gone from ${t.peer}'s share ${t.share}`, now));
        report.trashed++;
      } catch (err) {
        report.skipped.push({ rel, reason: `not moved to the trash: ${(err as Error).message}` });
      }
    }
    await addToTrash(t.path, entries);
  }

  /** One file before any fetch: adopted when the same bytes are there, left alone when other bytes are, else where to fetch it. */
  private async prepare(t: ShareCopyConfig, w: Planned, report: CopyReport): Promise<PlacedFile | { abs: string; tmp: string } | undefined> {
    const i = w.rel.lastIndexOf('/');
    const dir = deviceDir(t.path, i < 0 ? '' : w.rel.slice(0, i), true)!;
    const abs = path.join(dir, w.rel.slice(i + 1));
    const st = await lstat(abs).catch(() => undefined);
    if (st) {
      if (!st.isFile()) return void report.skipped.push({ rel: w.rel, reason: 'something else is at that path here; left alone' });
      if (st.size === w.size && (await hashOf(abs)) === w.hash) {
        report.adopted++;
        return { hash: w.hash, size: st.size, mtimeMs: st.mtimeMs, ino: st.ino };
      }
      if (!w.replaces || !untouched(st, w.replaces)) return void report.skipped.push({ rel: w.rel, reason: 'a different file is here (yours); not replaced' });
    }
    return { abs, tmp: w.replaces && st ? `${abs}.semsync-new` : abs };
  }

  /** After the fetch: a replaced copy's old bytes go to the trash and the new take the name; what was placed. */
  private async settle(t: ShareCopyConfig, w: Planned, abs: string, tmp: string, report: CopyReport): Promise<PlacedFile> {
    if (tmp !== abs) {
      // The peer replaced the file and this copy was untouched: the old bytes go to the trash, the new take the name.
      const rec = { path: w.rel, content: `urn:sha256:${w.replaces!.hash}`, size: w.replaces!.size, rule: '', values: {}, placedAt: new Date(w.replaces!.mtimeMs).toISOString() };
      try {
        await addToTrash(t.path, [moveToTrash(t.path, rec, { kind: 'xdg', dir: xdgTrashDir() }, `replaced on ${t.peer}`, new Date())]);
      } catch (err) {
        await rm(tmp, { force: true });
        throw err;
      }
      await rename(tmp, abs);
    }
    const now = await lstat(abs);
    report.fetched++;
    report.bytes += now.size;
    return { hash: w.hash, size: now.size, mtimeMs: now.mtimeMs, ino: now.ino };
  }

  /** Runs after every commit of a followed peer's data and every settings change; returns the stop function. */
  follow(onError: (err: Error) => void, say: (line: string) => void = () => {}): () => void {
    this.tell = { onError, say };
    const store = this.c.home.store;
    let timer: NodeJS.Timeout | undefined;
    const soon = () => {
      timer ??= setTimeout(() => {
        timer = undefined;
        this.kick().catch((err: unknown) => onError(err as Error));
      }, 50);
    };
    const onCommit = (e: { author: string }) => {
      if (this.list().some((t) => t.peer === e.author)) soon();
    };
    let config = this.c.home.config;
    const poll = setInterval(() => {
      if (this.c.home.config === config) return;
      config = this.c.home.config;
      soon();
    }, 1000);
    poll.unref();
    const off = store.events.on('commit', onCommit);
    soon();
    return () => {
      off();
      clearInterval(poll);
      if (timer) clearTimeout(timer);
    };
  }
}

/** One line for the console: what a run did, and the first few paths it left alone with why. */
export function summaryLine(r: CopyReport): string {
  const left = r.skipped.slice(0, 3).map((s) => `${s.rel}: ${s.reason}`).join('; ');
  const more = r.skipped.length > 3 ? ` (+${r.skipped.length - 3} more)` : '';
  return `copy ${r.name}: ${r.fetched} fetched, ${r.adopted} already there, ${r.trashed} to the trash${r.skipped.length ? `, ${r.skipped.length} left alone: ${left}${more}` : ''}`;
}

async function hashOf(file: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(file)) h.update(chunk as Buffer);
  return h.digest('hex');
}
