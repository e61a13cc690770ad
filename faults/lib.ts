// Fault-runner helpers: run the compiled `semsync` CLI as child processes, kill them with SIGKILL, compare stores.
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
export { freePort } from '../test/helpers/net.js';
export { rng } from '../test/helpers/rng.js'; // --seed replays a failing trial

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const corpus = path.resolve(repoRoot, '..', 'shared', 'corpus');
export const builtCli = path.join(repoRoot, 'dist', 'src', 'cli', 'main.js');
/** The CLI the trials run: a private copy of dist/ (see freezeBuild), so a rebuild during a long run cannot hand a child half-written modules. */
export let cliPath = builtCli;
/** The private copy of dist/, while a run uses it. */
export let frozenDir: string | undefined;

/** Copies dist/ beside it (same depth, so paths relative to the package still resolve) and runs trials from the copy; returns its remover. */
export async function freezeBuild(): Promise<() => Promise<void>> {
  const frozen = path.join(repoRoot, `.faults-dist-${process.pid}`);
  await fsp.cp(path.join(repoRoot, 'dist'), frozen, { recursive: true });
  cliPath = path.join(frozen, 'src', 'cli', 'main.js');
  frozenDir = frozen;
  return () => fsp.rm(frozen, { recursive: true, force: true });
}

export interface Run { code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string; killed: boolean; ms: number }

/** Every child started here, so the runner can always kill what it started (by pid) on the way out. */
export const children = new Set<ChildProcess>();
/** Mount points the runner made and has not unmounted yet (unmounted on an interrupted run too). */
export const mounts = new Set<string>();

/** How many SIGKILLs actually hit a running process (a kill after the process finished does not count). */
export const kills = { n: 0 };

/** Runs `semsync --home HOME ...args`; with `killAfterMs`, sends SIGKILL at that moment if it is still running. */
export function semsync(home: string, args: string[], opts: { killAfterMs?: number; timeoutMs?: number; env?: NodeJS.ProcessEnv } = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const t0 = Date.now();
    const child = spawn(process.execPath, [cliPath, '--home', home, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: opts.env ? { ...process.env, ...opts.env } : process.env });
    children.add(child);
    let stdout = '';
    let stderr = '';
    let killed = false;
    child.stdout!.on('data', (d) => (stdout += d));
    child.stderr!.on('data', (d) => (stderr += d));
    const kill = opts.killAfterMs === undefined ? undefined : setTimeout(() => { killed = child.exitCode === null; child.kill('SIGKILL'); }, opts.killAfterMs);
    const hang = setTimeout(() => { stderr += `\n[faults] timed out after ${opts.timeoutMs ?? 120_000} ms`; child.kill('SIGKILL'); }, opts.timeoutMs ?? 120_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(kill);
      clearTimeout(hang);
      children.delete(child);
      if (killed && signal === 'SIGKILL') kills.n++;
      resolve({ code, signal, stdout, stderr, killed, ms: Date.now() - t0 });
    });
  });
}

export async function ok(home: string, args: string[], timeoutMs = 120_000): Promise<string> {
  const r = await semsync(home, args, { timeoutMs });
  if (r.code !== 0) throw new Error(`semsync ${args.join(' ')} exited ${r.code ?? r.signal}: ${r.stderr.slice(-2000)}`);
  return r.stdout;
}

/** A long-running `semsync start` on 127.0.0.1 (no mDNS), resolved once it prints "ready". */
export interface Daemon { home: string; child: ChildProcess; out: () => string; exited: Promise<void> }
export async function startNode(home: string, port: number): Promise<Daemon> {
  const child = spawn(process.execPath, [cliPath, '--home', home, 'start', '--listen', `/ip4/127.0.0.1/tcp/${port}`, '--no-mdns', '--http-port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<void>((r) => child.once('close', () => { children.delete(child); r(); }));
  await until(async () => /^ready$/m.test(out) || child.exitCode !== null, 45_000, `${home} ready`);
  if (child.exitCode !== null) throw new Error(`node at ${home} exited ${child.exitCode}: ${out.slice(-2000)}`);
  return { home, child, out: () => out, exited };
}

export async function killNode(d: Daemon, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
  if (d.child.exitCode === null && d.child.signalCode === null) {
    d.child.kill(signal);
    if (signal === 'SIGKILL') kills.n++;
  }
  const t = setTimeout(() => d.child.kill('SIGKILL'), 15_000);
  await d.exited;
  clearTimeout(t);
}

export async function until(fn: () => Promise<boolean>, ms: number, what: string): Promise<number> {
  const t0 = Date.now();
  for (;;) {
    if (await fn()) return Date.now() - t0;
    if (Date.now() - t0 > ms) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The whole dataset as sorted N-Quads lines (a canonical form: the data has no blank nodes). */
export async function canonical(home: string, graphPrefix?: string): Promise<string[]> {
  const lines = (await ok(home, ['export', '--format', 'nquads'])).split('\n').filter(Boolean);
  const pick = graphPrefix ? lines.filter((l) => l.includes(`<${graphPrefix}`)) : lines;
  return pick.sort();
}

export async function count(home: string, where: string): Promise<number> {
  const out = await ok(home, ['query', '--format', 'json', `SELECT (COUNT(*) AS ?n) WHERE { ${where} }`]);
  return Number((JSON.parse(out) as { results: { bindings: Array<{ n?: { value: string } }> } }).results.bindings[0]?.n?.value ?? 0);
}


export const tempDir = (name: string) => fsp.mkdtemp(path.join(os.tmpdir(), `semsync-faults-${name}-`));
export const sha256 = async (f: string) => createHash('sha256').update(await fsp.readFile(f)).digest('hex');

/** Every file under `dir` (relative, '/'-separated), sorted; `skip` drops paths starting with it. */
export async function listFiles(dir: string, skip?: string): Promise<string[]> {
  const all = (await fsp.readdir(dir, { recursive: true, withFileTypes: true })).filter((e) => e.isFile());
  return all.map((e) => path.relative(dir, path.join(e.parentPath, e.name)).split(path.sep).join('/')).filter((p) => !skip || !p.startsWith(skip)).sort();
}


export async function copyTree(from: string, to: string): Promise<void> {
  await fsp.rm(to, { recursive: true, force: true });
  await fsp.cp(from, to, { recursive: true, preserveTimestamps: true });
}

/** Empties a folder (a mount point stays mounted) and fills it with a copy of `from`. */
export async function refill(dir: string, from: string, keep: (rel: string) => boolean = () => false): Promise<void> {
  await clearExcept(dir, '', keep);
  await fsp.cp(from, dir, { recursive: true, preserveTimestamps: true, filter: (src) => !keep(path.relative(from, src)) });
}

/** Removes everything under `dir` but the paths `keep` names (relative, '/'-separated) and the folders holding them. */
async function clearExcept(dir: string, rel: string, keep: (rel: string) => boolean): Promise<void> {
  for (const e of await fsp.readdir(path.join(dir, rel), { withFileTypes: true })) {
    const r = rel ? `${rel}/${e.name}` : e.name;
    if (keep(r)) continue;
    if (e.isDirectory() && (await hasKept(dir, r, keep))) await clearExcept(dir, r, keep);
    else await fsp.rm(path.join(dir, r), { recursive: true, force: true });
  }
}

async function hasKept(dir: string, rel: string, keep: (rel: string) => boolean): Promise<boolean> {
  for (const e of await fsp.readdir(path.join(dir, rel), { withFileTypes: true })) {
    const r = `${rel}/${e.name}`;
    if (keep(r) || (e.isDirectory() && (await hasKept(dir, r, keep)))) return true;
  }
  return false;
}
