// Helpers for bench/peers.ts: in-process peer nodes over loopback, a byte-counting TCP proxy, waiting.
import '../src/peers/polyfill.js';
import net from 'node:net';
import { spawnSync } from 'node:child_process';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { once } from 'node:events';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { GraphStore } from '../src/graph/store.js';
import { createPeerNode, loadOrCreateIdentity, TrustStore, type Identity, type PeerNode } from '../src/peers/index.js';

export interface BenchPeer {
  dir: string;
  identity: Identity;
  store: GraphStore;
  trust: TrustStore;
  node: PeerNode;
  port: number;
}

/** A fresh peer (new identity, empty store) in `dir`, not started unless `start`. */
export async function makePeer(dir: string, opts: { start?: boolean; store?: GraphStore } = {}): Promise<BenchPeer> {
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  const identity = await loadOrCreateIdentity(path.join(dir, 'identity.key'));
  const store = opts.store ?? (await GraphStore.open({ dir: path.join(dir, 'store'), nodeId: identity.peerId }));
  const trust = await TrustStore.open(path.join(dir, 'trust.json'));
  const node = createPeerNode({ identity, store, trust, listen: ['/ip4/127.0.0.1/tcp/0'], mdns: false, redialMs: 500 });
  const peer: BenchPeer = { dir, identity, store, trust, node, port: 0 };
  if (opts.start !== false) await startPeer(peer);
  return peer;
}

export async function startPeer(p: BenchPeer): Promise<void> {
  await p.node.start();
  p.port = Number(/\/tcp\/(\d+)/.exec(p.node.addresses()[0])![1]);
}

export async function closePeer(p: BenchPeer): Promise<void> {
  await p.node.stop().catch(() => {});
  await p.store.close().catch(() => {});
}

/** A TCP proxy to 127.0.0.1:`target` that counts the bytes it carries both ways. */
export async function countingProxy(target: number): Promise<{ port: number; bytes: () => number; close: () => Promise<void> }> {
  let bytes = 0;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const up = net.connect(target, '127.0.0.1');
    for (const s of [client, up]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => {
        client.destroy();
        up.destroy();
      });
    }
    client.on('data', (d: Buffer) => (bytes += d.length));
    up.on('data', (d: Buffer) => (bytes += d.length));
    client.pipe(up);
    up.pipe(client);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    port: (server.address() as net.AddressInfo).port,
    bytes: () => bytes,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

/** `a` pairs `b` (reaching it at `port`, default b's own) and grants it `shares`. */
export async function pairOneWay(a: BenchPeer, b: BenchPeer, shares: string[], port = b.port): Promise<void> {
  await a.node.pair(b.identity.peerId, { addrs: port ? [`/ip4/127.0.0.1/tcp/${port}/p2p/${b.identity.peerId}`] : [] });
  for (const s of shares) await a.node.grant(s, b.identity.peerId);
}

export async function waitFor(fn: () => boolean, timeoutMs: number, what: string, everyMs = 10): Promise<number> {
  const t0 = performance.now();
  while (!fn()) {
    if (performance.now() - t0 > timeoutMs) throw new Error(`bench: timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
  return performance.now() - t0;
}

/** Copy an N-Quads file, renaming one graph IRI (the synthetic library is written for graph/bench/...). */
export async function regraph(src: string, dst: string, from: string, to: string): Promise<void> {
  const out = createWriteStream(dst);
  const a = `<${from}>`;
  const b = `<${to}>`;
  for await (const line of createInterface({ input: createReadStream(src), crlfDelay: Infinity })) {
    if (!out.write(line.replaceAll(a, b) + '\n')) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
}

/** Send `file` over one plain TCP connection on loopback into `dst`; ms from connect to the last byte written. */
export async function plainTcpCopy(file: string, dst: string): Promise<number> {
  const server = net.createServer((s) => createReadStream(file, { highWaterMark: 1 << 20 }).pipe(s));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const t0 = performance.now();
  const sock = net.connect((server.address() as net.AddressInfo).port, '127.0.0.1');
  const out = createWriteStream(dst);
  sock.pipe(out);
  await once(out, 'finish');
  const ms = performance.now() - t0;
  server.close();
  return ms;
}

/**
 * Bytes carried so far (both ways) by each established TCP connection accepted on one of `ports`, by connection, from
 * `ss -ti` (the kernel's counters): every byte between two nodes is counted once, on the side that accepted.
 */
export function loopbackBytes(ports: number[]): Map<string, number> {
  const filter = `( ${ports.map((p) => `sport = :${p}`).join(' or ')} )`;
  const out = spawnSync('ss', ['-tinH', 'state', 'established', filter], { encoding: 'utf8' }).stdout ?? '';
  const counts = new Map<string, number>();
  let conn = '';
  for (const line of out.split('\n')) {
    if (!/^\s/.test(line)) {
      conn = line.trim().split(/\s+/).slice(2, 4).join(' ');
      continue;
    }
    const n = (k: string) => Number(new RegExp(`${k}:(\\d+)`).exec(line)?.[1] ?? 0);
    if (conn) counts.set(conn, (counts.get(conn) ?? 0) + n('bytes_sent') + n('bytes_received'));
  }
  return counts;
}

/** The bytes carried between two loopbackBytes readings (a connection opened since counts whole). */
export function bytesSince(before: Map<string, number>, after: Map<string, number>): number {
  let total = 0;
  for (const [conn, n] of after) total += n - (before.get(conn) ?? 0);
  return total;
}
