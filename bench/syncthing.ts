// Syncthing side by side, on its own game (issue 20, item 3): the same data moved A → B by two Syncthing instances
// and by two `semsync start` nodes (B keeping a copy target of A's share), alternating, in the same run:
// (a) 10,000 files of 2-20 KB in 100 folders, (b) one 1 GiB file. Timed from the moment A has them (the files are
// moved into A's folder) to the moment B's
// folder holds every file under its final name with its full size; then every byte is compared (untimed).
// Syncthing's folder watcher is off and its scan is asked for at once; semsync's running node notices the new folders
// through its watcher (the path a person relies on), settle time included.
// As root, everything runs inside a private network namespace (`unshare -n`, loopback up): nothing reaches the host's
// network, and no discovery could. Syncthing: ports 22001/22002 (sync) and 22101/22102 (REST); semsync 47001/47002.
// SEMSYNC_BENCH_ROUNDS (default 3) rounds per data set, the order of the two alternating.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdir, readdir, rename, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { cliPath, dataDir, fmt, have, record, semsync } from './lib.js';
import { arrived, bigFile, generate, linkSet, rest, smallFiles, startSyncthing, stopSyncthing, until, verify, writeConfig, type DataSet } from './syncthing-lib.js';

interface Timing {
  set: 'small' | 'big';
  syncthing: number[];
  semsync: number[];
  files: number;
  bytes: number;
  loads: string[];
}

const load = () => os.loadavg().map((l) => l.toFixed(1)).join(' ');
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** Move the staged set's top folders into `dir` (one rename each: the files are "there" at once). */
async function moveIn(stage: string, dir: string): Promise<void> {
  for (const e of await readdir(stage)) await rename(path.join(stage, e), path.join(dir, e));
}

async function syncthingRound(set: DataSet): Promise<number> {
  const root = path.join(dataDir, 'st-run');
  await rm(root, { recursive: true, force: true });
  const a = await generate(path.join(root, 'A-home'), path.join(root, 'A-data'), 22001, 22101);
  const b = await generate(path.join(root, 'B-home'), path.join(root, 'B-data'), 22002, 22102);
  await writeConfig(a, b);
  await writeConfig(b, a);
  try {
    await startSyncthing(a);
    await startSyncthing(b);
    type Conns = { connections: Record<string, { connected: boolean }> };
    await until(async () => !!(await rest<Conns>(a, '/rest/system/connections'))?.connections[b.id]?.connected, 120_000, 'the two Syncthing instances to connect');
    for (const s of [a, b]) await until(async () => (await rest<{ state: string }>(s, '/rest/db/status?folder=bench'))?.state === 'idle', 60_000, 'the folder to be idle');
    const stage = path.join(root, 'stage');
    await linkSet(set, stage);
    const t0 = performance.now();
    await moveIn(stage, a.folder);
    await rest(a, '/rest/db/scan?folder=bench', true);
    await until(async () => (await arrived(set, b.folder)) === set.files.length, 30 * 60_000, 'Syncthing B to hold every file', 50);
    const ms = performance.now() - t0;
    type Status = { needFiles: number; globalFiles: number; state: string };
    await until(async () => { const s = await rest<Status>(b, '/rest/db/status?folder=bench'); return !!s && s.needFiles === 0 && s.globalFiles >= set.files.length; }, 120_000, 'Syncthing B\'s REST status to say it needs nothing');
    const bad = await verify(set, b.folder);
    if (bad) throw new Error(`Syncthing B: ${bad}`);
    return ms;
  } finally {
    await stopSyncthing(a);
    await stopSyncthing(b);
    await rm(root, { recursive: true, force: true });
  }
}

async function startSemsync(home: string, port: number): Promise<ChildProcess> {
  const prof = process.env.SEMSYNC_BENCH_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.SEMSYNC_BENCH_PROF}`] : [];
  const child = spawn(process.execPath, [...prof, cliPath, '--home', home, 'start', '--no-mdns', '--no-http', '--listen', `/ip4/127.0.0.1/tcp/${port}`], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out = (out + d.toString()).slice(-8000)));
  await until(async () => {
    if (child.exitCode !== null) throw new Error(`semsync start on ${home} exited ${child.exitCode}: ${out}`);
    return out.includes('ready');
  }, 120_000, `semsync on ${home} to start`, 50);
  return child;
}

async function ok(home: string, ...args: string[]): Promise<string> {
  const r = await semsync(home, ...args);
  if (r.code !== 0) throw new Error(`semsync ${args.join(' ')}: ${r.stderr.trim()}`);
  return r.stdout;
}

async function semsyncRound(set: DataSet): Promise<number> {
  const root = path.join(dataDir, 'ss-run');
  await rm(root, { recursive: true, force: true });
  const [ha, hb, share, copy] = ['A-home', 'B-home', 'A-data', 'B-data'].map((d) => path.join(root, d));
  await mkdir(share, { recursive: true });
  const procs: ChildProcess[] = [];
  try {
    await ok(ha, 'share', 'add', share, '--name', 'bench');
    procs.push(await startSemsync(ha, 47001), await startSemsync(hb, 47002));
    const [ia, ib] = await Promise.all([ha, hb].map(async (h) => (JSON.parse(await ok(h, 'id', '--json')) as { peerId: string }).peerId));
    await ok(ha, 'pair', ib, '--addr', '/ip4/127.0.0.1/tcp/47002');
    await ok(ha, 'share', 'grant', 'bench', ib);
    await ok(hb, 'pair', ia, '--addr', '/ip4/127.0.0.1/tcp/47001');
    await ok(hb, 'target', 'add', copy, '--peer', ia, '--share', 'bench');
    type Peer = { peerId: string; connected: boolean };
    await until(async () => !!(JSON.parse(await ok(hb, 'peers', '--json')) as Peer[]).find((p) => p.peerId === ia)?.connected, 120_000, 'the two semsync nodes to connect', 200);
    const stage = path.join(root, 'stage');
    await linkSet(set, stage);
    const t0 = performance.now();
    await moveIn(stage, share);
    // A's running node sees the new folders (its watcher: what a person relies on); nothing else is asked of it.
    await until(async () => (await arrived(set, copy)) === set.files.length, 30 * 60_000, 'semsync B to hold every file', 50);
    const ms = performance.now() - t0;
    const bad = await verify(set, copy);
    if (bad) throw new Error(`semsync B: ${bad}`);
    return ms;
  } finally {
    for (const p of procs) {
      if (p.exitCode !== null) continue;
      const exited = once(p, 'exit');
      p.kill('SIGTERM');
      await exited;
    }
    await rm(root, { recursive: true, force: true });
  }
}

/** Both, alternating first, `rounds` times per data set; one line per round with the load average. */
export async function measure(rounds: number, only?: 'small' | 'big'): Promise<Timing[]> {
  const out: Timing[] = [];
  const sets: Array<['small' | 'big', () => Promise<DataSet>]> = [
    ['small', () => smallFiles(path.join(dataDir, 'st-small'))],
    ['big', () => bigFile(path.join(dataDir, 'st-big'))],
  ];
  for (const [name, make] of sets) {
    if (only && only !== name) continue;
    const set = await make();
    const t: Timing = { set: name, syncthing: [], semsync: [], files: set.files.length, bytes: set.bytes, loads: [] };
    for (let r = 0; r < rounds; r++) {
      const order: Array<'syncthing' | 'semsync'> = r % 2 === 0 ? ['syncthing', 'semsync'] : ['semsync', 'syncthing'];
      const line: string[] = [];
      for (const who of order.filter((w) => !process.env.SEMSYNC_BENCH_SIDES || process.env.SEMSYNC_BENCH_SIDES === w)) {
        const before = load();
        const ms = who === 'syncthing' ? await syncthingRound(set) : await semsyncRound(set);
        t[who].push(ms);
        line.push(`${who} ${fmt.ms(ms)} (load ${before})`);
      }
      t.loads.push(load());
      console.log(`${name} round ${r + 1}: ${line.join(', ')}`);
    }
    out.push(t);
  }
  return out;
}

function report(ts: Timing[], where: string): void {
  for (const t of ts) {
    const st = median(t.syncthing);
    const ss = median(t.semsync);
    const per = (ms: number) => (t.set === 'small' ? fmt.rate((t.files / ms) * 1000, 'files/s') : fmt.rate((t.bytes / 1e6 / ms) * 1000, 'MB/s'));
    const each = (xs: number[]) => xs.map((x) => per(x)).join(', ');
    console.log(`${t.set}: semsync ${each(t.semsync)}; syncthing ${each(t.syncthing)} (${where})`);
    const what = t.set === 'small'
      ? `${t.files} files of 2-20 KB in 100 folders A → B (${fmt.mb(t.bytes)}), median of ${t.semsync.length}: semsync ${fmt.ms(ss)}, Syncthing ${fmt.ms(st)}`
      : `one ${fmt.mb(t.bytes)} file A → B, median of ${t.semsync.length}: semsync ${fmt.ms(ss)}, Syncthing ${fmt.ms(st)}`;
    record({ what: `${what} (${where})`, ours: per(ss), anchorName: 'Syncthing 1.19 (Debian), same run', anchor: per(st), ratio: fmt.x(st / ss), goal: '≥ 1x', met: st / ss >= 1 });
  }
}

/** As root: the measure in a private network namespace (a child process); otherwise on the host's loopback. */
export async function benchSyncthing(): Promise<void> {
  if (!have('syncthing')) {
    console.log('syncthing: skipped: no `syncthing` on PATH (Debian: apt-get install syncthing)');
    return;
  }
  const rounds = Number(process.env.SEMSYNC_BENCH_ROUNDS ?? 3);
  const only = process.env.SEMSYNC_BENCH_SET as 'small' | 'big' | undefined;
  const self = fileURLToPath(import.meta.url);
  if (process.getuid?.() === 0 && have('unshare') && have('ip') && spawnSync('unshare', ['-n', 'true']).status === 0) {
    const child = spawn('unshare', ['-n', 'sh', '-c', 'ip link set lo up && exec "$0" "$@"', process.execPath, self, '--inner', String(rounds), only ?? ''], { stdio: ['ignore', 'pipe', 'inherit'] });
    let last = '';
    child.stdout!.on('data', (d: Buffer) => {
      const text = d.toString();
      for (const l of text.split('\n')) if (l.startsWith('RESULT ')) last = l.slice(7);
      process.stdout.write(text.split('\n').filter((l) => !l.startsWith('RESULT ')).join('\n'));
    });
    const [code] = (await once(child, 'exit')) as [number];
    if (code !== 0 || !last) throw new Error(`the bench in its network namespace exited ${code}`);
    report(JSON.parse(last) as Timing[], 'private network namespace');
    return;
  }
  console.log('syncthing: not root (or no unshare): on the host\'s 127.0.0.1, every discovery off');
  report(await measure(rounds, only), 'host loopback');
}

if (process.argv[2] === '--inner') {
  const ts = await measure(Number(process.argv[3]), (process.argv[4] || undefined) as 'small' | 'big' | undefined);
  console.log(`RESULT ${JSON.stringify(ts)}`);
  process.exit(0);
}
