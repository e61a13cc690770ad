// The running node's control socket (HOME/run/control.sock, owner-only): the CLI's calls, as JSON over HTTP.
import { toWire } from '../base/index.js';
import http from 'node:http';
import { chmod, mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import type { NodeApi } from '../node/index.js';
import { callContext } from '../app/index.js';

const MAX_BODY = 16 * 1024 * 1024;

export function controlSocketPath(home: string): string {
  return path.join(home, 'run', 'control.sock');
}

export interface ControlServer {
  close(): Promise<void>;
}

/** Serves `api` on the home's control socket. Only the home's owner can reach it (the folder is 0700). */
export async function serveControl(home: string, api: NodeApi): Promise<ControlServer> {
  const socket = controlSocketPath(home);
  await mkdir(path.dirname(socket), { recursive: true, mode: 0o700 });
  await chmod(path.dirname(socket), 0o700);
  await rm(socket, { force: true }); // a leftover from a crash; the home lock says we are the only node here
  const server = http.createServer((req, res) => void handle(api, req, res));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(socket, () => resolve());
  });
  await chmod(socket, 0o600);
  return {
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
        void rm(socket, { force: true });
      }),
  };
}

async function handle(api: NodeApi, req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
  const reply = (status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };
  if (req.method !== 'POST' || req.url !== '/rpc') return reply(404, { ok: false, error: { name: 'UsageError', kind: 'input', message: 'POST /rpc only' } });
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY) return reply(413, { ok: false, error: { name: 'UsageError', kind: 'input', message: 'request too large' } });
    chunks.push(chunk as Buffer);
  }
  let call: { method: string; args: unknown[] };
  try {
    call = JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    return reply(400, { ok: false, error: { name: 'UsageError', kind: 'input', message: 'request is not JSON' } });
  }
  const fn = (api as unknown as Record<string, unknown>)[call.method];
  if (typeof fn !== 'function' || call.method.startsWith('_') || !Array.isArray(call.args)) {
    return reply(400, { ok: false, error: { name: 'UsageError', kind: 'input', message: `no such call: ${String(call.method)}` } });
  }
  // the caller (a CLI process) going away before its answer aborts the call's signal (a query is dropped)
  const left = new AbortController();
  res.on('close', () => {
    if (!res.writableFinished) left.abort();
  });
  try {
    const result = await callContext.run({ signal: left.signal }, () => (fn as (...a: unknown[]) => Promise<unknown>).apply(api, call.args));
    reply(200, { ok: true, result });
  } catch (err) {
    reply(200, { ok: false, error: toWire(err) });
  }
}
