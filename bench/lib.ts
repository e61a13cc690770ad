// Shared bench helpers: timing, child processes, RSS, a results table with ratios against anchors.
import { spawn, spawnSync, type ChildProcess, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { once } from 'node:events';
import { cp, rm } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const corpusDir = path.resolve(repoRoot, '..', 'shared', 'corpus');
export const dataDir = path.join(repoRoot, '.bench-data');
export const cliPath = path.join(repoRoot, 'dist', 'src', 'cli', 'main.js');

export interface Row {
  what: string;
  ours: string;
  anchor: string;
  anchorName: string;
  ratio: string;
  goal: string;
  met?: boolean;
}

export const rows: Row[] = [];

export function record(row: Row): void {
  rows.push(row);
  const mark = row.met === undefined ? ' ' : row.met ? '✓' : '✗';
  console.log(`${mark} ${row.what}: ours ${row.ours}; ${row.anchorName} ${row.anchor}; ratio ${row.ratio} (goal ${row.goal})`);
}

export function printTable(): void {
  console.log('\n| | measure | semsync | anchor | anchor value | ratio | goal |');
  console.log('|---|---|---|---|---|---|---|');
  for (const r of rows) {
    const mark = r.met === undefined ? '' : r.met ? 'met' : 'NOT met';
    console.log(`| ${mark} | ${r.what} | ${r.ours} | ${r.anchorName} | ${r.anchor} | ${r.ratio} | ${r.goal} |`);
  }
}

export async function time<T>(fn: () => Promise<T> | T): Promise<{ ms: number; value: T }> {
  const t0 = performance.now();
  const value = await fn();
  return { ms: performance.now() - t0, value };
}

/** Runs a command to completion; returns elapsed ms, stdout, and the peak RSS (KiB) GNU time reports if available. */
export async function run(cmd: string, args: string[], opts: { env?: NodeJS.ProcessEnv; cwd?: string } = {}): Promise<{ ms: number; stdout: string; stderr: string; code: number }> {
  const t0 = performance.now();
  return await new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env: { ...process.env, ...opts.env }, cwd: opts.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ ms: performance.now() - t0, stdout, stderr, code: code ?? -1 }));
  });
}

export function have(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
}

export function semsync(home: string, ...args: string[]): Promise<{ ms: number; stdout: string; stderr: string; code: number }> {
  return run(process.execPath, [cliPath, '--home', home, ...args]);
}

export const fmt = {
  ms: (ms: number) => (ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : ms >= 1 ? `${ms.toFixed(1)} ms` : `${(ms * 1000).toFixed(0)} µs`),
  rate: (n: number, unit: string) => `${n.toFixed(0)} ${unit}`,
  x: (r: number) => `${r.toFixed(2)}x`,
  mb: (bytes: number) => `${(bytes / 1024 / 1024).toFixed(0)} MB`,
};

/** A copy of `home` with `semsync start` running on it (no mDNS, no HTTP), resolved once it printed "ready". */
export async function startedNodeCopy(home: string, suffix: string): Promise<{ home: string; child: ChildProcessWithoutNullStreams | ChildProcess; stop: () => Promise<void> }> {
  const nodeHome = `${home}-${suffix}`;
  await rm(nodeHome, { recursive: true, force: true });
  await cp(home, nodeHome, { recursive: true });
  const child = spawn(process.execPath, [cliPath, '--home', nodeHome, 'start', '--no-mdns', '--no-http', '--listen', '/ip4/127.0.0.1/tcp/0'], { stdio: ['ignore', 'pipe', 'pipe'] });
  const stop = async () => {
    child.kill('SIGTERM');
    await once(child, 'exit').catch(() => {});
  };
  try {
    await new Promise<void>((resolve, reject) => {
      let out = '';
      child.stdout!.on('data', (d) => {
        out += d;
        if (/ready/.test(out)) resolve();
      });
      child.once('exit', (code) => reject(new Error(`semsync start exited ${code}: ${out}`)));
    });
  } catch (err) {
    await stop();
    throw err;
  }
  return { home: nodeHome, child, stop };
}
