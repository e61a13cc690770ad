// Files by hash between real peer nodes on 127.0.0.1: over the bulk channel when it can be reached, over the
// libp2p stream when it cannot or drops midway, resumed after the server stops; nothing for an unpaired peer.
import '../../src/peers/polyfill.js';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import n3 from 'n3';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { GraphStore } from '../../src/graph/store.js';
import { NIE, contentIri, graphIri } from '../../src/graph/vocab.js';
import { createPeerNode, loadOrCreateIdentity, TrustStore, type Identity, type Logger, type PeerNode, type PeerNodeInit } from '../../src/peers/index.js';
import { freePort } from '../helpers/net.js';

const { namedNode, quad } = n3.DataFactory;

interface P {
  dir: string;
  identity: Identity;
  store: GraphStore;
  trust: TrustStore;
  node: PeerNode;
  port: number;
  logs: string[];
}

let root: string;
const live: P[] = [];
beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'semsync-files-'));
});
afterEach(async () => {
  for (const p of live.splice(0)) {
    await p.node.stop().catch(() => {});
    await p.store.close().catch(() => {});
  }
});
afterAll(() => rm(root, { recursive: true, force: true, maxRetries: 10, retryDelay: 50 }));


function capture(logs: string[]): Logger {
  const put = (o: object, m?: string) => void logs.push(`${m ?? ''} ${JSON.stringify(o)}`);
  return { debug: put, info: put, warn: put, error: put };
}

async function peer(name: string, extra: Partial<PeerNodeInit> = {}): Promise<P> {
  const dir = path.join(root, name);
  const identity = await loadOrCreateIdentity(path.join(dir, 'identity.key'));
  const store = await GraphStore.open({ dir: path.join(dir, 'store'), nodeId: identity.peerId });
  const trust = await TrustStore.open(path.join(dir, 'trust.json'));
  const port = await freePort();
  const logs: string[] = [];
  const p: P = { dir, identity, store, trust, port, logs, node: undefined as unknown as PeerNode };
  p.node = createPeerNode({ identity, store, trust, listen: [`/ip4/127.0.0.1/tcp/${port}`], mdns: false, redialMs: 60_000, logger: capture(logs), ...extra });
  await p.node.start();
  live.push(p);
  return p;
}

/** Restart `p`'s node on the same port with other options (same identity, store, trust). */
async function restart(p: P, extra: Partial<PeerNodeInit> = {}): Promise<void> {
  await p.node.stop();
  p.node = createPeerNode({ identity: p.identity, store: p.store, trust: p.trust, listen: [`/ip4/127.0.0.1/tcp/${p.port}`], mdns: false, redialMs: 60_000, logger: capture(p.logs), ...extra });
  await p.node.start();
}

/** A file of `n` random bytes in `a`'s share `share`, described in its graph; returns [bytes, hash]. */
async function shared(a: P, n: number, share = 'Books'): Promise<[Buffer, string]> {
  const bytes = randomBytes(n);
  const hash = createHash('sha256').update(bytes).digest('hex');
  const file = path.join(a.dir, `${hash.slice(0, 8)}.bin`);
  await writeFile(file, bytes);
  await a.store.commit([{ op: 'A', quad: quad(namedNode(pathToFileURL(file).href), NIE('interpretedAs'), contentIri(hash), graphIri(a.identity.peerId, `share/${share}`)) }]);
  return [bytes, hash];
}

/** `a` pairs `b` and grants it `share`; `b` pairs `a` at its address. */
async function link(a: P, b: P, share = 'Books'): Promise<void> {
  await a.node.pair(b.identity.peerId, { addrs: [`/ip4/127.0.0.1/tcp/${b.port}/p2p/${b.identity.peerId}`] });
  await a.node.grant(share, b.identity.peerId);
  await b.node.pair(a.identity.peerId, { addrs: [`/ip4/127.0.0.1/tcp/${a.port}/p2p/${a.identity.peerId}`] });
}

const partSize = async (out: string) => (await stat(`${out}.semsync-part`).catch(() => undefined))?.size ?? 0;
async function until(fn: () => Promise<boolean>, ms: number, what: string): Promise<void> {
  const t0 = Date.now();
  while (!(await fn())) {
    if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('fetching files between nodes', () => {
  it('fetches over the bulk channel and verifies the content', async () => {
    const a = await peer('bulk-a');
    const b = await peer('bulk-b');
    await link(a, b);
    const [bytes, hash] = await shared(a, 5 * 1024 * 1024 + 3);
    const out = path.join(b.dir, 'got.bin');
    const r = await b.node.fetchContent(hash, out, { peers: [a.identity.peerId] });
    expect(r.bytes).toBe(bytes.length);
    expect((await readFile(out)).equals(bytes)).toBe(true);
    expect(a.node.bulk?.served).toBe(1);
    expect(b.logs.join('\n')).not.toMatch(/bulk channel failed/);
    await expect(stat(`${out}.semsync-part`)).rejects.toThrow();
  });

  it('fetches over the stream from a node without the bulk channel (protocol 1.0.0 only)', async () => {
    const a = await peer('v1-a', { bulk: false });
    const b = await peer('v1-b');
    await link(a, b);
    const [bytes, hash] = await shared(a, 3 * 1024 * 1024);
    const out = path.join(b.dir, 'got.bin');
    expect((await b.node.fetchContent(hash, out, { peers: [a.identity.peerId] })).bytes).toBe(bytes.length);
    expect((await readFile(out)).equals(bytes)).toBe(true);
    expect(a.node.bulk).toBeUndefined();
  });

  it('falls back to the libp2p stream when the bulk port cannot be reached', async () => {
    const closed = await freePort();
    const a = await peer('closed-a', { bulk: { advertisePort: closed } });
    const b = await peer('closed-b');
    await link(a, b);
    const [bytes, hash] = await shared(a, 3 * 1024 * 1024);
    const out = path.join(b.dir, 'got.bin');
    const r = await b.node.fetchContent(hash, out, { peers: [a.identity.peerId] });
    expect(r.bytes).toBe(bytes.length);
    expect((await readFile(out)).equals(bytes)).toBe(true);
    expect(a.node.bulk?.served).toBe(0);
    expect(b.logs.join('\n')).toMatch(/bulk channel failed; going on over the libp2p stream.*ECONNREFUSED/);
  });

  it('goes on over the stream when the bulk connection drops midway, in the same fetch', async () => {
    const a = await peer('drop-a', { serveDelayMs: 30 });
    const b = await peer('drop-b');
    await link(a, b);
    const [bytes, hash] = await shared(a, 8 * 1024 * 1024);
    const out = path.join(b.dir, 'got.bin');
    const fetching = b.node.fetchContent(hash, out, { peers: [a.identity.peerId] });
    await until(async () => (await partSize(out)) >= 2 * 1024 * 1024, 20_000, 'part of the file');
    a.node.bulk!.destroyConnections();
    const r = await fetching;
    expect(r.bytes).toBe(bytes.length);
    expect((await readFile(out)).equals(bytes)).toBe(true);
    expect(a.node.bulk?.served).toBe(0);
    expect(b.logs.join('\n')).toMatch(/bulk channel failed; going on over the libp2p stream/);
  });

  it('resumes over the bulk channel after the server stopped midway', async () => {
    const a = await peer('resume-a', { serveDelayMs: 30 });
    const b = await peer('resume-b');
    await link(a, b);
    const [bytes, hash] = await shared(a, 8 * 1024 * 1024 + 11);
    const out = path.join(b.dir, 'got.bin');
    const first = b.node.fetchContent(hash, out, { peers: [a.identity.peerId] }).then(() => 'finished', (e: Error) => e.message);
    await until(async () => (await partSize(out)) >= 2 * 1024 * 1024, 20_000, 'part of the file');
    await a.node.stop();
    expect(await first).toMatch(/interrupted|could not fetch/);
    const partial = await partSize(out);
    expect(partial).toBeGreaterThan(0);
    expect(partial).toBeLessThan(bytes.length);
    await expect(stat(out)).rejects.toThrow();
    await restart(a);
    const r = await b.node.fetchContent(hash, out, { peers: [a.identity.peerId] });
    expect(r.bytes).toBe(bytes.length - partial);
    expect(a.node.bulk?.served).toBe(1);
    expect((await readFile(out)).equals(bytes)).toBe(true);
  });

  it('gives an unpaired peer and a peer without the grant nothing, and issues them no ticket', async () => {
    const a = await peer('deny-a');
    const b = await peer('deny-b');
    const c = await peer('deny-c');
    await link(a, b);
    await c.node.pair(a.identity.peerId, { addrs: [`/ip4/127.0.0.1/tcp/${a.port}/p2p/${a.identity.peerId}`] });
    const [, hash] = await shared(a, 2 * 1024 * 1024);
    const [, secret] = await shared(a, 2 * 1024 * 1024, 'Private');
    const outC = path.join(c.dir, 'got.bin');
    await expect(c.node.fetchContent(hash, outC, { peers: [a.identity.peerId] })).rejects.toThrow(/not-paired/);
    expect(await partSize(outC)).toBe(0);
    const outB = path.join(b.dir, 'secret.bin');
    const e1 = await b.node.fetchContent(secret, outB, { peers: [a.identity.peerId] }).catch((e: Error) => e.message);
    expect(e1).toMatch(/not-found/);
    expect(await partSize(outB)).toBe(0);
    await a.node.revoke('Books', b.identity.peerId);
    const e2 = await b.node.fetchContent(hash, path.join(b.dir, 'revoked.bin'), { peers: [a.identity.peerId] }).catch((e: Error) => e.message);
    expect(e2).toMatch(/not-found/);
    expect(a.node.bulk?.port).toBeUndefined(); // no ticket was ever issued, so the listener never opened
  });

  it('logs, and does not throw, when remembering a discovered peer\'s addresses fails (the home is going away)', async () => {
    const a = await peer('addrs-a');
    const b = await peer('addrs-b');
    await a.trust.pair(b.identity.peerId);
    a.trust.addAddrs = () => Promise.reject(new Error('the trust file cannot be written'));
    (a.node as unknown as { discovered(id: string, addrs: string[]): void }).discovered(b.identity.peerId, [`/ip4/127.0.0.1/tcp/${b.port}`]);
    for (let i = 0; i < 50 && !a.logs.some((l) => l.includes('could not remember')); i++) await new Promise((r) => setTimeout(r, 10));
    expect(a.logs.some((l) => l.includes("could not remember the peer's addresses") && l.includes('cannot be written'))).toBe(true);
  });

  it('stops a bulk transfer from starting once the grant is revoked', async () => {
    const a = await peer('late-a');
    const b = await peer('late-b');
    await link(a, b);
    const [, hash] = await shared(a, 4 * 1024 * 1024);
    // The ticket is taken, then the grant goes before the connection: the bulk channel sends nothing, and the
    // stream (asked to go on) refuses too, since the file is served only while granted.
    const issue = a.node.bulk!.issue.bind(a.node.bulk!);
    a.node.bulk!.issue = async (range) => {
      const t = await issue(range);
      await a.node.revoke('Books', b.identity.peerId);
      return t;
    };
    const out = path.join(b.dir, 'late.bin');
    await expect(b.node.fetchContent(hash, out, { peers: [a.identity.peerId] })).rejects.toThrow(/not-found/);
    expect(await partSize(out)).toBe(0);
    expect(a.node.bulk!.served).toBe(0);
  });

  it('fetches many small files on one stream; a file not granted is denied alone and the others arrive; a stale part file starts again', async () => {
    const a = await peer('batch-a');
    const b = await peer('batch-b');
    await link(a, b);
    const files = [];
    for (let i = 0; i < 40; i++) files.push(await shared(a, 1 + i * 997));
    files.push(await shared(a, 0));
    const [, secret] = await shared(a, 500, 'Private'); // in a share b was not granted
    const items = [...files.map(([, hash], i) => ({ hash, out: path.join(b.dir, `f${i}.bin`), error: undefined as string | undefined }))];
    items.splice(7, 0, { hash: secret, out: path.join(b.dir, 'secret.bin'), error: undefined });
    await writeFile(`${items[0].out}.semsync-part`, 'stale bytes from an earlier attempt');
    await b.node.fetchBatch(a.identity.peerId, items);
    expect(items[7].error).toMatch(/denied .*not-found/);
    await expect(stat(items[7].out)).rejects.toThrow();
    const got = items.filter((_, i) => i !== 7);
    for (const [i, it] of got.entries()) {
      expect(it.error).toBeUndefined();
      expect((await readFile(it.out)).equals(files[i][0])).toBe(true);
      await expect(stat(`${it.out}.semsync-part`)).rejects.toThrow();
    }
  });

  it('refuses a batch from an unpaired peer', async () => {
    const a = await peer('batch-unpaired-a');
    const b = await peer('batch-unpaired-b');
    const [, hash] = await shared(a, 100);
    await b.node.pair(a.identity.peerId, { addrs: [`/ip4/127.0.0.1/tcp/${a.port}/p2p/${a.identity.peerId}`] });
    const items = [{ hash, out: path.join(b.dir, 'x.bin'), error: undefined as string | undefined }];
    await b.node.fetchBatch(a.identity.peerId, items).catch(() => undefined);
    expect(items[0].error).toMatch(/denied|not-paired/);
    await expect(stat(items[0].out)).rejects.toThrow();
  });
});
