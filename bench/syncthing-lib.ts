// Helpers for bench/syncthing.ts: two Syncthing instances on 127.0.0.1 (every discovery, relay, NAT, reporting and
// upgrade feature off), their REST API, the data sets, and watching a folder until it holds every byte.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { randomBytes } from 'node:crypto';
import { link, mkdir, open, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { run } from './lib.js';

/** A data set: files relative to its root, with their sizes. */
export interface DataSet {
  root: string;
  files: Array<{ rel: string; size: number }>;
  bytes: number;
}

/** 10,000 files of 2-20 KB in 100 folders (made once; random bytes, so nothing compresses or dedupes). */
export async function smallFiles(dir: string, count = 10_000, folders = 100): Promise<DataSet> {
  const files: DataSet['files'] = [];
  let seed = 12345;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
  for (let i = 0; i < count; i++) files.push({ rel: `d${String(i % folders).padStart(3, '0')}/f${String(i).padStart(5, '0')}.bin`, size: 2048 + Math.floor(rnd() * 18 * 1024) });
  const done = path.join(dir, '.complete');
  if (!(await stat(done).catch(() => undefined))) {
    await rm(dir, { recursive: true, force: true });
    for (let d = 0; d < folders; d++) await mkdir(path.join(dir, `d${String(d).padStart(3, '0')}`), { recursive: true });
    for (const f of files) await writeFile(path.join(dir, f.rel), randomBytes(f.size));
    await writeFile(done, '');
  }
  return { root: dir, files, bytes: files.reduce((n, f) => n + f.size, 0) };
}

/** One file of `mib` MiB of random bytes (made once). */
export async function bigFile(dir: string, mib = 1024): Promise<DataSet> {
  const rel = 'big/big.bin';
  const file = path.join(dir, rel);
  if ((await stat(file).catch(() => undefined))?.size !== mib << 20) {
    await mkdir(path.dirname(file), { recursive: true });
    const fh = await open(file, 'w');
    for (let i = 0; i < mib; i++) await fh.write(randomBytes(1 << 20));
    await fh.close();
  }
  return { root: dir, files: [{ rel, size: mib << 20 }], bytes: mib << 20 };
}

/** Hard links of the data set's files under `to` (a staging folder on the same disk: moved into a share at once). */
export async function linkSet(set: DataSet, to: string): Promise<void> {
  await rm(to, { recursive: true, force: true });
  const dirs = new Set(set.files.map((f) => path.dirname(f.rel)));
  for (const d of dirs) await mkdir(path.join(to, d), { recursive: true });
  for (const f of set.files) await link(path.join(set.root, f.rel), path.join(to, f.rel));
}

/** How many of the set's files are in `dir` at their final names with their full size (temp names do not count). */
export async function arrived(set: DataSet, dir: string, bigOnly = false): Promise<number> {
  if (bigOnly || set.files.length === 1) {
    const st = await stat(path.join(dir, set.files[0].rel)).catch(() => undefined);
    return st?.size === set.files[0].size ? 1 : 0;
  }
  let n = 0;
  const folders = await readdir(dir).catch(() => [] as string[]);
  for (const d of folders) {
    if (!d.startsWith('d')) continue;
    for (const name of await readdir(path.join(dir, d)).catch(() => [] as string[])) if (name.endsWith('.bin') && name.startsWith('f')) n++;
  }
  return n;
}

/** Every file of the set in `dir`, byte for byte (after the clock stopped). */
export async function verify(set: DataSet, dir: string): Promise<string | undefined> {
  for (const f of set.files) {
    if (f.size > 64 << 20) {
      const [a, b] = await Promise.all([open(path.join(set.root, f.rel)), open(path.join(dir, f.rel))]);
      try {
        const ba = Buffer.alloc(16 << 20);
        const bb = Buffer.alloc(16 << 20);
        for (let pos = 0; pos < f.size; pos += ba.length) {
          const [ra, rb] = await Promise.all([a.read(ba, 0, ba.length, pos), b.read(bb, 0, bb.length, pos)]);
          if (ra.bytesRead !== rb.bytesRead || !ba.subarray(0, ra.bytesRead).equals(bb.subarray(0, rb.bytesRead))) return `${f.rel} differs at ${pos}`;
        }
      } finally {
        await a.close();
        await b.close();
      }
      continue;
    }
    const [x, y] = await Promise.all([readFile(path.join(set.root, f.rel)), readFile(path.join(dir, f.rel)).catch(() => undefined)]);
    if (!y || !x.equals(y)) return `${f.rel} ${y ? 'differs' : 'is missing'}`;
  }
  return undefined;
}

/** One Syncthing instance. */
export interface Syncthing {
  home: string;
  folder: string;
  id: string;
  port: number;
  guiPort: number;
  key: string;
  proc?: ChildProcess;
}

/** Keys and a device id for an instance (config written later by {@link writeConfig}). */
export async function generate(home: string, folder: string, port: number, guiPort: number): Promise<Syncthing> {
  await rm(home, { recursive: true, force: true });
  await mkdir(folder, { recursive: true });
  const g = await run('syncthing', ['generate', `--home=${home}`, '--no-default-folder', '--skip-port-probing']);
  if (g.code !== 0) throw new Error(`syncthing generate: ${g.stderr || g.stdout}`);
  const id = /Device ID: ([A-Z0-9-]+)/.exec(g.stdout + g.stderr)?.[1];
  if (!id) throw new Error(`syncthing generate printed no device id: ${g.stdout} ${g.stderr}`);
  return { home, folder, id, port, guiPort, key: randomBytes(16).toString('hex') };
}

/** config.xml: one folder shared by the two devices at tcp://127.0.0.1 addresses; every outside service off. */
export async function writeConfig(me: Syncthing, other: Syncthing): Promise<void> {
  const dev = (s: Syncthing) => `<device id="${s.id}" name="${s.id.slice(0, 7)}" compression="metadata" introducer="false"><address>tcp://127.0.0.1:${s.port}</address><autoAcceptFolders>false</autoAcceptFolders></device>`;
  const xml = `<configuration version="36">
  <folder id="bench" label="bench" path="${me.folder}" type="sendreceive" rescanIntervalS="3600" fsWatcherEnabled="false" fsWatcherDelayS="1" ignorePerms="false" autoNormalize="true">
    <filesystemType>basic</filesystemType>
    <device id="${me.id}"></device><device id="${other.id}"></device>
    <minDiskFree unit="%">1</minDiskFree>
  </folder>
  ${dev(me)}
  ${dev(other)}
  <gui enabled="true" tls="false" debugging="false"><address>127.0.0.1:${me.guiPort}</address><apikey>${me.key}</apikey></gui>
  <options>
    <listenAddress>tcp://127.0.0.1:${me.port}</listenAddress>
    <globalAnnounceEnabled>false</globalAnnounceEnabled>
    <localAnnounceEnabled>false</localAnnounceEnabled>
    <relaysEnabled>false</relaysEnabled>
    <natEnabled>false</natEnabled>
    <urAccepted>-1</urAccepted>
    <urSeen>3</urSeen>
    <autoUpgradeIntervalH>0</autoUpgradeIntervalH>
    <crashReportingEnabled>false</crashReportingEnabled>
    <startBrowser>false</startBrowser>
    <setLowPriority>false</setLowPriority>
    <reconnectionIntervalS>1</reconnectionIntervalS>
    <stunServer></stunServer>
  </options>
</configuration>
`;
  await writeFile(path.join(me.home, 'config.xml'), xml);
}

export async function startSyncthing(s: Syncthing): Promise<void> {
  s.proc = spawn('syncthing', ['serve', `--home=${s.home}`, '--no-browser', '--no-restart', '--no-upgrade', `--gui-address=http://127.0.0.1:${s.guiPort}`, `--gui-apikey=${s.key}`], {
    env: { ...process.env, STNODEFAULTFOLDER: '1', STNOUPGRADE: '1', STNORESTART: '1' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let err = '';
  s.proc.stderr!.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-4000)));
  s.proc.once('exit', (code) => code && code !== 0 && console.log(`syncthing ${s.home} exited ${code}: ${err}`));
}

export async function stopSyncthing(s: Syncthing): Promise<void> {
  if (!s.proc || s.proc.exitCode !== null) return;
  const exited = once(s.proc, 'exit');
  s.proc.kill('SIGTERM');
  await exited;
}

/** A REST call (GET unless `post`); the parsed JSON, or undefined while the GUI is not up. */
export async function rest<T>(s: Syncthing, p: string, post = false): Promise<T | undefined> {
  try {
    const r = await fetch(`http://127.0.0.1:${s.guiPort}${p}`, { method: post ? 'POST' : 'GET', headers: { 'X-API-Key': s.key } });
    if (!r.ok) return undefined;
    const text = await r.text();
    return (text ? JSON.parse(text) : {}) as T;
  } catch {
    return undefined;
  }
}

export async function until(fn: () => Promise<boolean>, ms: number, what: string, stepMs = 100): Promise<void> {
  const t0 = performance.now();
  while (!(await fn())) {
    if (performance.now() - t0 > ms) throw new Error(`bench: timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, stepMs));
  }
}
