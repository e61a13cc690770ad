// Running `semsync start` nodes as separate processes on 127.0.0.1 (no mDNS, any free ports), for e2e tests.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { cliEntry } from './cli.js';

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** One CLI command against `home` (never throws: the exit code is in the result). */
export function run(home: string, ...args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, [cliEntry, '--home', home, ...args], { maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

/** One CLI command that must succeed; its stdout. */
export async function ok(home: string, ...args: string[]): Promise<string> {
  const r = await run(home, ...args);
  if (r.code !== 0) throw new Error(`semsync ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
  return r.stdout;
}

export const json = async <T>(home: string, ...args: string[]): Promise<T> => JSON.parse(await ok(home, ...args)) as T;

/** Polls `fn` until it holds; the milliseconds it took. Throws naming `what` after `ms`. */
export async function until(fn: () => Promise<boolean>, ms: number, what: string, stepMs = 150): Promise<number> {
  const t0 = Date.now();
  for (;;) {
    if (await fn()) return Date.now() - t0;
    if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, stepMs));
  }
}

export interface RunningNode {
  home: string;
  proc: ChildProcess;
  /** Every line it printed (stdout, and stderr unless echoed). */
  out: string[];
  /** The HTTP server's base URL. */
  url: string;
  peerId: string;
  /** Its first libp2p listen address. */
  addr: string;
  /** Resolves with the exit code when the process ends. */
  exited: Promise<number | null>;
}

const running = new Set<ChildProcess>();

/**
 * `semsync start` on `home`, resolved once it printed `ready`. `echoStderr` copies its stderr to ours, prefixed with
 * the home's name (for tests whose failures are hard to read without the node's log); otherwise stderr joins `out`.
 */
export async function startNode(home: string, opts: { echoStderr?: boolean; args?: string[] } = {}): Promise<RunningNode> {
  const proc = spawn(process.execPath, [cliEntry, '--home', home, 'start', '--listen', '/ip4/127.0.0.1/tcp/0', '--no-mdns', '--http-port', '0', ...(opts.args ?? [])], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(proc);
  const exited = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)));
  void exited.then(() => running.delete(proc));
  const out: string[] = [];
  const lines = (d: Buffer) => d.toString().split('\n').filter(Boolean);
  proc.stdout!.on('data', (d: Buffer) => out.push(...lines(d)));
  proc.stderr!.on('data', (d: Buffer) => (opts.echoStderr ? process.stderr.write(`[${path.basename(home)}] ${d}`) : out.push(...lines(d))));
  let ended: number | null | undefined;
  void exited.then((code) => (ended = code));
  await until(
    async () => {
      if (ended !== undefined) throw new Error(`semsync start on ${home} exited ${ended}:\n${out.join('\n')}`);
      return out.includes('ready');
    },
    60_000,
    `${home} ready`,
    50,
  );
  const url = out.map((l) => /^http (\S+)/.exec(l)?.[1]).find(Boolean) ?? '';
  const id = await json<{ peerId: string; addrs: string[] }>(home, 'id', '--json');
  return { home, proc, out, url, peerId: id.peerId, addr: id.addrs[0], exited };
}

/** Stops a node (SIGTERM, or `signal`); SIGKILL after 10 s. */
export async function stopNode(n: Pick<RunningNode, 'proc' | 'exited'>, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (n.proc.exitCode !== null || n.proc.signalCode !== null) return;
  n.proc.kill(signal);
  const t = setTimeout(() => n.proc.kill('SIGKILL'), 10_000);
  await n.exited;
  clearTimeout(t);
}

/** Every node started here that still runs is killed (for afterAll). */
export function killAllNodes(): void {
  for (const p of running) p.kill('SIGKILL');
}
