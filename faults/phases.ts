// The five fault phases (scan, import, sync, fetch, place): each sets up real homes, then kills a real process per trial and checks recovery.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { damagePhase } from './damage.js';
import { canonical, copyTree, corpus, count, freePort, killNode, listFiles, mounts, ok, refill, semsync, sha256, startNode, tempDir, until, type Daemon } from './lib.js';

/** One phase: `setup` once, then `trial` per fault; a trial returns a failure message, or undefined when recovery was complete. */
export interface Phase {
  name: string;
  /** Trials to run at least, whatever --trials says. */
  minTrials?: number;
  /** false: no trial kills a process (not topped up to reach a number of kills). */
  kills?: false;
  setup(): Promise<void>;
  trial(i: number, rand: () => number): Promise<string | undefined>;
  teardown(): Promise<void>;
}

const ID = 'https://w3id.org/semsync/id/';
const diff = (want: string[], got: string[]) => {
  const w = new Set(want);
  const g = new Set(got);
  const missing = want.filter((l) => !g.has(l));
  const extra = got.filter((l) => !w.has(l));
  return missing.length || extra.length ? `${missing.length} missing (e.g. ${missing[0] ?? '-'}), ${extra.length} extra (e.g. ${extra[0] ?? '-'})` : undefined;
};

async function mediaShare(work: string): Promise<string> {
  const share = path.join(work, 'share');
  for (const d of ['epub', 'audio', 'photos', 'generated']) await fsp.cp(path.join(corpus, d), path.join(share, d), { recursive: true, preserveTimestamps: true });
  return share;
}

/** scan: killed at a random point; the store must open, and a rescan must give exactly what a clean scan gives. */
export function scanPhase(): Phase {
  let work = '', home = '', reference: string[] = [], scanMs = 3000;
  return {
    name: 'scan',
    async setup() {
      work = await tempDir('scan');
      home = path.join(work, 'home');
      await ok(home, ['share', 'add', await mediaShare(work), '--name', 'Media']);
      const t0 = Date.now();
      await ok(home, ['scan']);
      scanMs = Date.now() - t0;
      reference = await canonical(home);
    },
    async trial(i, rand) {
      await fsp.rm(path.join(home, 'store'), { recursive: true, force: true });
      const kills = i % 2 === 0 ? 1 : 2; // every other trial kills the recovering scan too
      for (let k = 0; k < kills; k++) await semsync(home, ['scan'], { killAfterMs: Math.floor(rand() * scanMs * 1.1) });
      const opened = await semsync(home, ['query', 'ASK { ?s ?p ?o }']);
      if (opened.code !== 0) return `store did not open after the kill: ${opened.stderr.slice(-500)}`;
      const r = await semsync(home, ['scan']);
      if (r.code !== 0) return `rescan failed (${r.code}): ${r.stderr.slice(-500)}`;
      const d = diff(reference, await canonical(home));
      return d && `graph after rescan differs from a clean scan: ${d}`;
    },
    async teardown() { await fsp.rm(work, { recursive: true, force: true }); },
  };
}

/** import: 60,000 statements in 10,000-statement transactions; a kill leaves whole transactions only, and a re-import completes. */
export function importPhase(): Phase {
  const TOTAL = 60_000, BATCH = 10_000;
  let work = '', home = '', file = '', importMs = 3000;
  const where = 'GRAPH ?g { ?s <http://purl.org/dc/terms/title> ?o }';
  return {
    name: 'import',
    async setup() {
      work = await tempDir('import');
      home = path.join(work, 'home');
      file = path.join(work, 'big.nt');
      const lines: string[] = [];
      for (let i = 0; i < TOTAL; i++) lines.push(`<http://ex.org/item/${i}> <http://purl.org/dc/terms/title> "Item ${i} \\"q\\" é" .\n`);
      await fsp.writeFile(file, lines.join(''));
      const t0 = Date.now();
      await ok(home, ['import', file]);
      importMs = Date.now() - t0;
    },
    async trial(_i, rand) {
      await fsp.rm(path.join(home, 'store'), { recursive: true, force: true });
      const r = await semsync(home, ['import', file], { killAfterMs: Math.floor(rand() * importMs * 1.1) });
      const acked = r.code === 0 ? TOTAL : 0;
      let n: number;
      try { n = await count(home, where); } catch (e) { return `store did not open after the kill: ${(e as Error).message.slice(-500)}`; }
      if (n < acked) return `acknowledged import lost: ${n} of ${acked}`;
      if (n % BATCH !== 0 && n !== TOTAL) return `a torn transaction: ${n} statements (not a multiple of ${BATCH})`;
      const again = await semsync(home, ['import', file]);
      if (again.code !== 0) return `re-import failed (${again.code}): ${again.stderr.slice(-500)}`;
      const after = await count(home, where);
      return after === TOTAL ? undefined : `after re-import ${after} statements, not ${TOTAL}`;
    },
    async teardown() { await fsp.rm(work, { recursive: true, force: true }); },
  };
}

/** sync: two paired nodes; A's share changes and is rescanned while A or B is killed; after restart both hold identical data. */
export function syncPhase(): Phase {
  let work = '', share = '', aId = '', prefix = '';
  const homes = { a: '', b: '' };
  const ports = { a: 0, b: 0 };
  const nodes: Record<'a' | 'b', Daemon | undefined> = { a: undefined, b: undefined };
  let added: string[] = [];
  return {
    name: 'sync',
    async setup() {
      work = await tempDir('sync');
      homes.a = path.join(work, 'A');
      homes.b = path.join(work, 'B');
      share = path.join(work, 'share');
      await fsp.mkdir(share);
      await fsp.cp(path.join(corpus, 'epub'), path.join(share, 'epub'), { recursive: true });
      await ok(homes.a, ['share', 'add', share, '--name', 'Books']);
      ports.a = await freePort();
      ports.b = await freePort();
      aId = (JSON.parse(await ok(homes.a, ['id', '--json'])) as { peerId: string }).peerId;
      const bId = (JSON.parse(await ok(homes.b, ['id', '--json'])) as { peerId: string }).peerId;
      await ok(homes.a, ['pair', bId, '--addr', `/ip4/127.0.0.1/tcp/${ports.b}/p2p/${bId}`]);
      await ok(homes.a, ['share', 'grant', 'Books', bId]);
      await ok(homes.b, ['pair', aId, '--addr', `/ip4/127.0.0.1/tcp/${ports.a}/p2p/${aId}`]);
      prefix = `${ID}graph/${aId}/share/`;
      nodes.a = await startNode(homes.a, ports.a);
      nodes.b = await startNode(homes.b, ports.b);
      await converge(60_000);
    },
    async trial(i, rand) {
      const victim = i % 2 === 0 ? 'b' : 'a';
      for (let k = 0; k < 3; k++) {
        const f = path.join(share, `note-${i}-${k}.txt`);
        await fsp.writeFile(f, `note ${i}.${k} ${randomBytes(16).toString('hex')}\n`);
        added.push(f);
      }
      if (added.length > 6) await fsp.rm(added.shift()!, { force: true });
      const scan = semsync(homes.a, ['scan']);
      await new Promise((r) => setTimeout(r, Math.floor(rand() * 1500)));
      await killNode(nodes[victim]!);
      await scan;
      nodes[victim] = await startNode(homes[victim], ports[victim]);
      await ok(homes.a, ['scan']);
      const files = await listFiles(share);
      const described = await count(homes.a, `GRAPH ?g { ?f a nfo:FileDataObject } FILTER(STRSTARTS(STR(?g), "${prefix}"))`);
      if (described !== files.length) return `A describes ${described} files, its share holds ${files.length}`;
      try { await converge(60_000); } catch (e) { return (e as Error).message; }
      return undefined;
    },
    async teardown() {
      for (const n of Object.values(nodes)) if (n) await killNode(n, 'SIGTERM');
      await fsp.rm(work, { recursive: true, force: true });
    },
  };
  async function converge(ms: number): Promise<void> {
    let last = '';
    await until(async () => {
      const [a, b] = [await canonical(homes.a, prefix), await canonical(homes.b, prefix)];
      last = diff(a, b) ?? '';
      return a.length > 0 && last === '';
    }, ms, `B to hold exactly A's share graph (${last || 'A empty'})`).catch((e: Error) => { throw new Error(`${e.message}; last difference: ${last}`); });
  }
}

/** fetch: a 24 MB file fetched by hash from a running peer; the fetching CLI is killed; no partial file under the final name, the resumed fetch verifies. */
export function fetchPhase(): Phase {
  let work = '', hash = '', fetchMs = 1000, outDir = '', out = '';
  const homes = { a: '', b: '' };
  let a: Daemon | undefined;
  return {
    name: 'fetch',
    async setup() {
      work = await tempDir('fetch');
      homes.a = path.join(work, 'A');
      homes.b = path.join(work, 'B');
      const share = path.join(work, 'share');
      await fsp.mkdir(share);
      await fsp.writeFile(path.join(share, 'big.bin'), randomBytes(24 * 1024 * 1024));
      hash = await sha256(path.join(share, 'big.bin'));
      await ok(homes.a, ['share', 'add', share, '--name', 'Big']);
      await ok(homes.a, ['scan']);
      const pa = await freePort();
      const aId = (JSON.parse(await ok(homes.a, ['id', '--json'])) as { peerId: string }).peerId;
      const bId = (JSON.parse(await ok(homes.b, ['id', '--json'])) as { peerId: string }).peerId;
      await ok(homes.a, ['pair', bId]);
      await ok(homes.a, ['share', 'grant', 'Big', bId]);
      await ok(homes.b, ['pair', aId, '--addr', `/ip4/127.0.0.1/tcp/${pa}/p2p/${aId}`]);
      a = await startNode(homes.a, pa);
      outDir = path.join(work, 'out');
      out = path.join(outDir, 'big.bin');
      await fsp.mkdir(outDir);
      const t0 = Date.now();
      await ok(homes.b, ['fetch', `urn:sha256:${hash}`, '--out', out]);
      fetchMs = Date.now() - t0;
      if ((await sha256(out)) !== hash) throw new Error('reference fetch gave the wrong bytes');
    },
    async trial(_i, rand) {
      for (const e of await fsp.readdir(outDir)) await fsp.rm(path.join(outDir, e), { force: true });
      await semsync(homes.b, ['fetch', `urn:sha256:${hash}`, '--out', out], { killAfterMs: Math.floor(rand() * fetchMs * 1.1) });
      const left = await listFiles(outDir);
      const strange = left.filter((f) => f !== 'big.bin' && f !== 'big.bin.semsync-part');
      if (strange.length) return `unexpected files after the kill: ${strange.join(', ')}`;
      if (left.includes('big.bin') && (await sha256(out)) !== hash) return 'a partial or wrong file under the final name';
      const r = await semsync(homes.b, ['fetch', `urn:sha256:${hash}`, '--out', out]);
      if (r.code !== 0) return `resumed fetch failed (${r.code}): ${r.stderr.slice(-500)}`;
      if ((await sha256(out)) !== hash) return 'resumed fetch gave the wrong bytes';
      const after = await listFiles(outDir);
      return after.length === 1 ? undefined : `left behind: ${after.join(', ')}`;
    },
    async teardown() {
      if (a) await killNode(a, 'SIGTERM');
      await fsp.rm(work, { recursive: true, force: true });
    },
  };
}

/**
 * place: a claimed device (a tmpfs under a media root when mounting works, else a plain media-root folder) filled
 * from the corpus and 320 small photos (so copies are staged on the copy thread) while `place` is killed.
 */
export function placePhase(): Phase {
  let work = '', home = '', dev = '', mounted = false, placeMs = 2000;
  let want = new Map<string, string>();
  return {
    name: 'place',
    async setup() {
      work = await tempDir('place');
      home = path.join(work, 'home');
      const media = path.join(work, 'media');
      dev = path.join(media, 'READER');
      await fsp.mkdir(dev, { recursive: true });
      mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=64m', 'tmpfs', dev]).status === 0;
      if (mounted) mounts.add(dev);
      const share = await mediaShare(work);
      // Enough small photos (distinct bytes after the JPEG's end) that placing stages them on the copy thread.
      const jpeg = await fsp.readFile(path.join(corpus, 'photos', 'noexif.jpg'));
      await fsp.mkdir(path.join(share, 'variants'));
      for (let i = 0; i < 320; i++) await fsp.writeFile(path.join(share, 'variants', `v${String(i).padStart(3, '0')}.jpg`), Buffer.concat([jpeg, Buffer.from(`variant ${i}`)]));
      await ok(home, ['share', 'add', share, '--name', 'Media']);
      await ok(home, ['scan']);
      await ok(home, ['devices', 'roots', 'add', media]);
      const rows = JSON.parse(await ok(home, ['devices', '--json'])) as Array<{ id: string; root: string }>;
      const row = rows.find((r) => r.root === dev) ?? rows.find((r) => r.root === media);
      if (!row) throw new Error(`no device found under ${media}: ${JSON.stringify(rows)}`);
      if (row.root !== dev) dev = row.root;
      await ok(home, ['devices', 'claim', row.id, '--name', 'Dev']);
      await copyTree(home, path.join(work, 'home0'));
      await copyTree(dev, path.join(work, 'dev0'));
      const t0 = Date.now();
      await ok(home, ['place', 'Dev', '--json']);
      placeMs = Date.now() - t0;
      for (const f of await listFiles(dev, '.semsync/')) want.set(f, await sha256(path.join(dev, f)));
      if (want.size < 300) throw new Error(`reference placement placed only ${want.size} files`);
    },
    async trial(_i, rand) {
      // The claim's secret file stays the one written at claim time: a copy of it is a new file, which is how a
      // cloned stick looks (src/devices/binding.ts), so the device would rightly not be the claimed one.
      await refill(dev, path.join(work, 'dev0'), (rel) => /^\.semsync\/claim-[0-9a-f]+$/.test(rel));
      await copyTree(path.join(work, 'home0'), home);
      await semsync(home, ['place', 'Dev', '--json'], { killAfterMs: Math.floor(rand() * placeMs * 1.1) });
      for (const f of await listFiles(dev, '.semsync/')) {
        if (want.has(f) && (await sha256(path.join(dev, f))) !== want.get(f)) return `partial file under its final name: ${f}`;
      }
      const r = await semsync(home, ['place', 'Dev', '--json']);
      if (r.code !== 0) return `next place failed (${r.code}): ${r.stderr.slice(-500)}${r.stdout.slice(-500)}`;
      const got = await listFiles(dev, '.semsync/');
      const d = diff([...want.keys()].sort(), got);
      if (d) return `device after the next place: ${d}`;
      for (const f of got) if ((await sha256(path.join(dev, f))) !== want.get(f)) return `wrong bytes in ${f}`;
      const again = JSON.parse(await ok(home, ['place', 'Dev', '--json'])) as { planned: { copy: number; remove: number } };
      return again.planned.copy + again.planned.remove === 0 ? undefined : `a further place planned ${JSON.stringify(again.planned)}`;
    },
    async teardown() {
      if (mounted) { spawnSync('umount', [dev]); if (spawnSync('mountpoint', ['-q', dev]).status === 0) spawnSync('umount', ['-l', dev]); mounts.delete(dev); }
      await fsp.rm(work, { recursive: true, force: true });
    },
  };
}

/** Exported for the report: the phases in the order they run. */
export const allPhases = () => [scanPhase(), importPhase(), syncPhase(), fetchPhase(), placePhase(), damagePhase()];
