// The peer node pushes this node's commits on the store's `commit` event (node.ts): no polling interval, commits
// made before it started reach a peer too, and its listener goes with stop() (none left over across restarts).
import '../../src/peers/polyfill.js';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { GraphStore } from '../../src/graph/store.js';
import { graphIri } from '../../src/graph/vocab.js';
import { createPeerNode, loadOrCreateIdentity, TrustStore, type Identity, type PeerNode } from '../../src/peers/index.js';
import { freePort } from '../helpers/net.js';
import { q } from '../graph/helpers.js';

interface P {
  identity: Identity;
  store: GraphStore;
  trust: TrustStore;
  node: PeerNode;
  port: number;
}

let root: string;
const live: P[] = [];
beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'semsync-peernode-'));
});
afterEach(async () => {
  for (const p of live.splice(0)) {
    await p.node.stop().catch(() => {});
    await p.store.close().catch(() => {});
  }
});
afterAll(() => rm(root, { recursive: true, force: true, maxRetries: 10, retryDelay: 50 }));

/** `redialMs`: how soon a peer without a session is dialled again (pairing both ways may need one more dial). */
async function peer(name: string, start = true, redialMs = 60_000): Promise<P> {
  const dir = path.join(root, name);
  const identity = await loadOrCreateIdentity(path.join(dir, 'identity.key'));
  const store = await GraphStore.open({ dir: path.join(dir, 'store'), nodeId: identity.peerId });
  const trust = await TrustStore.open(path.join(dir, 'trust.json'));
  const port = await freePort();
  const node = createPeerNode({ identity, store, trust, listen: [`/ip4/127.0.0.1/tcp/${port}`], mdns: false, redialMs, keepAliveMs: 30_000 });
  const p = { identity, store, trust, node, port };
  live.push(p);
  if (start) await node.start();
  return p;
}

/** Pair both ways (each one's own graph shared by default: `pim/`). */
async function link(a: P, b: P): Promise<void> {
  await a.node.pair(b.identity.peerId, { addrs: [`/ip4/127.0.0.1/tcp/${b.port}/p2p/${b.identity.peerId}`] });
  await b.node.pair(a.identity.peerId, { addrs: [`/ip4/127.0.0.1/tcp/${a.port}/p2p/${a.identity.peerId}`] });
}

/** Resolves when `p`'s store commits a patch of `author` at `seq` or later (already held: at once). */
function held(p: P, author: string, seq: number): Promise<void> {
  return new Promise((resolve) => {
    if ((p.store.versionVector()[author] ?? 0) >= seq) return resolve();
    const off = p.store.events.on('commit', (c) => {
      if (c.author === author && c.seq >= seq) {
        off();
        resolve();
      }
    });
  });
}

const pim = (p: P, i: number) => ({ op: 'A' as const, quad: q(i, graphIri(p.identity.peerId, 'pim/contacts')) });

describe('the peer node and the store\'s commits', () => {
  it('starts no polling timer: only the redial and keep-alive intervals', async () => {
    const real = globalThis.setInterval;
    const ours: unknown[] = []; // the periods of the intervals node.ts starts (libp2p's own are not counted)
    const spy = vi.spyOn(globalThis, 'setInterval').mockImplementation(((fn: () => void, ms?: number) => {
      if (/src[\\/]peers[\\/]node\.ts/.test(new Error().stack ?? '')) ours.push(ms);
      return real(fn, ms);
    }) as typeof setInterval);
    try {
      await peer('timers');
    } finally {
      spy.mockRestore();
    }
    expect(ours.sort()).toEqual([30_000, 60_000]); // keep-alive and redial; no 250 ms commit poller
  });

  it('pushes commits made before it started and each commit after, on the commit event', async () => {
    const a = await peer('push-a', false, 300);
    await a.store.commit([pim(a, 1)]); // before the node runs
    await a.node.start();
    const b = await peer('push-b', true, 300);
    await link(a, b);
    const id = a.identity.peerId;
    await held(b, id, 1);
    for (let seq = 2; seq <= 4; seq++) {
      const got = held(b, id, seq);
      await a.store.commit([pim(a, seq)]);
      await got;
    }
    expect(b.store.versionVector()[id]).toBe(4);
    expect(b.store.match(null, null, null, graphIri(id, 'pim/contacts'))).toHaveLength(4);
  });

  it('stops listening on stop, and listens once again after a restart', async () => {
    const a = await peer('listen');
    const n = a.store.events.listenerCount('commit');
    await a.node.stop();
    expect(a.store.events.listenerCount('commit')).toBe(n - 1);
    await a.node.start();
    await a.node.start(); // already started: nothing more
    expect(a.store.events.listenerCount('commit')).toBe(n);
    await a.node.stop();
    await a.node.stop();
    expect(a.store.events.listenerCount('commit')).toBe(n - 1);
  });
});
