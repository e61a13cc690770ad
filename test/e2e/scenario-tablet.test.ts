// The visiting tablet, end to end with the real CLI: A shares a sci-fi EPUB with B; B files it under Documents/eBooks/SciFi/ (fetched from A by hash); B's reader, plugged in later, gets it; A revokes the grant and B's copies stay.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { isMountPoint, mountTmpfs, repoRoot, tempDir, type Mounted } from '../devices/mounts-helper.js';
import { makeEpub } from '../helpers/make-media.js';
import { execFile } from 'node:child_process';

const cliPath = path.join(repoRoot, 'dist', 'src', 'cli', 'main.js');
const procs: ChildProcess[] = [];
function ok(home: string, ...args: string[]): Promise<string> {
  return new Promise((resolve, reject) =>
    execFile(process.execPath, [cliPath, '--home', home, ...args], (err, stdout, stderr) => (err ? reject(new Error(`semsync ${args.join(' ')}: ${stderr}`)) : resolve(stdout))));
}
const mounts: Mounted[] = [];
let work: string | undefined;

afterAll(async () => {
  for (const p of procs) if (p.exitCode === null) p.kill('SIGKILL');
  for (const m of mounts) await m.unmount().catch(() => undefined);
  if (work && !mounts.some((m) => isMountPoint(m.root))) await rm(work, { recursive: true, force: true });
});

function start(home: string): { proc: ChildProcess; out: () => string } {
  const proc = spawn(process.execPath, [cliPath, '--home', home, 'start', '--listen', '/ip4/127.0.0.1/tcp/0', '--no-mdns', '--http-port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
  procs.push(proc);
  let out = '';
  proc.stdout!.on('data', (d) => (out += d));
  proc.stderr!.on('data', (d) => (out += d));
  return { proc, out: () => out };
}
async function until(done: () => boolean, what: string, log: () => string, ms = 45_000): Promise<void> {
  for (const t = Date.now(); !done(); await new Promise((r) => setTimeout(r, 150))) if (Date.now() - t > ms) throw new Error(`timed out: ${what}\n${log()}`);
}
const sha = async (f: string) => createHash('sha256').update(await readFile(f)).digest('hex');

describe('the visiting tablet', () => {
  it('B files the visitor\'s sci-fi ebook by category, on its Documents and later on its reader', async () => {
    work = await tempDir('semsync-tablet-');
    const tablet = path.join(work, 'tablet');
    await mkdir(tablet);
    // Made by hand (our zip + OPF, dc:subject "Science Fiction"): the corpus has no sci-fi EPUB.
    await writeFile(path.join(tablet, 'star-road.epub'), makeEpub({ title: 'The Star Road', creators: ['Ann Author'], subjects: ['Science Fiction'] }));
    const [ha, hb] = [path.join(work, 'A'), path.join(work, 'B')];
    await ok(ha, 'share', 'add', tablet, '--name', 'Tablet');
    await ok(hb, 'target', 'add', path.join(work, 'B-home', 'Documents'));
    await mkdir(path.join(work, 'media'));
    await ok(hb, 'devices', 'roots', 'add', path.join(work, 'media'));
    const a = start(ha);
    const b = start(hb);
    const log = () => `--- A\n${a.out()}\n--- B\n${b.out()}`;
    await until(() => a.out().includes('ready') && b.out().includes('ready'), 'both ready', log);
    const idA = JSON.parse(await ok(ha, 'id', '--json')) as { peerId: string; addrs: string[] };
    const idB = JSON.parse(await ok(hb, 'id', '--json')) as { peerId: string; addrs: string[] };
    await ok(ha, 'pair', idB.peerId, '--addr', idB.addrs[0]);
    await ok(hb, 'pair', idA.peerId, '--addr', idA.addrs[0]);
    await ok(ha, 'share', 'grant', 'Tablet', idB.peerId);

    // B never had the file: it is fetched from A by hash and filed by its subject.
    const filed = path.join(work, 'B-home', 'Documents', 'eBooks', 'SciFi', 'Ann Author - The Star Road.epub');
    await until(() => existsSync(filed), 'B files the book under Documents/eBooks/SciFi', log);
    expect(await sha(filed)).toBe(await sha(path.join(tablet, 'star-road.epub')));

    // B's reader, plugged in later, gets it once claimed (an unclaimed reader is announced and left alone).
    const reader = await mountTmpfs(path.join(work, 'media', 'reader'), '16m');
    mounts.push(reader);
    if (reader.kind !== 'tmpfs') console.warn('[scenario-tablet] no tmpfs here: the reader is a media-root folder');
    await until(() => /new device attached at .*reader/.test(b.out()), 'B announces the reader', log);
    await ok(hb, 'devices', 'claim', reader.root, '--name', 'Reader');
    const onReader = path.join(reader.root, 'eBooks', 'SciFi', 'Ann Author - The Star Road.epub');
    await until(() => existsSync(onReader), 'the reader gets the book under SciFi', log);
    expect(await sha(onReader)).toBe(await sha(path.join(tablet, 'star-road.epub')));

    // The visitor leaves: A revokes the grant, B drops A's descriptions, and what B filed stays B's (copy, not mirror).
    await ok(ha, 'share', 'revoke', 'Tablet', idB.peerId);
    const titles = async () => {
      // A's share graph (B keeps describing its own copies in their catalog graphs: adoption).
      const out = await ok(hb, 'query', `SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?c dcterms:title "The Star Road" } FILTER(CONTAINS(STR(?g), "${idA.peerId}/share/")) }`, '--format', 'csv');
      return Number(out.trim().split('\n')[1]);
    };
    let n = await titles();
    for (const t = Date.now(); n > 0 && Date.now() - t < 45_000; n = await titles()) await new Promise((r) => setTimeout(r, 300));
    expect(n, log()).toBe(0);
    // B re-plans its targets and attached devices after every change: give it several rounds (it removed them in 1-6 s).
    await new Promise((r) => setTimeout(r, 10_000));
    expect(existsSync(filed), log()).toBe(true);
    expect(existsSync(onReader), log()).toBe(true);
    const adopted = await ok(hb, 'query', 'SELECT DISTINCT ?t WHERE { ?f ss:onDevice ?d ; nie:interpretedAs ?c . ?c dcterms:title ?t }', '--format', 'csv');
    expect(adopted.trim().split('\n').slice(1)).toEqual(['The Star Road']); // B still describes the copies it kept
    for (const p of procs) p.kill('SIGTERM');
  }, 180_000);
});
