// E2E, a real node and a raw libp2p peer writing sync frames by hand (issue 14, item 12): a hello claiming more of
// the node's patches than it wrote is rejected and the connection closed, with no commit and no full state sent.
import '../../src/peers/polyfill.js';
import { createLibp2p, type Libp2p } from 'libp2p';
import { tcp } from '@libp2p/tcp';
import { noise } from '@chainsafe/libp2p-noise';
import { yamux } from '@chainsafe/libp2p-yamux';
import { identify } from '@libp2p/identify';
import { generateKeyPair } from '@libp2p/crypto/keys';
import { multiaddr } from '@multiformats/multiaddr';
import { afterAll, describe, expect, it } from 'vitest';
import { decodeSync, encodeSync, SYNC_PROTOCOL, WIRE_VERSION, type SyncMsg } from '../../src/peers/wire/messages.js';
import { readFrames, sendFrame } from '../../src/peers/wire/stream.js';
import { bookQuads, Lab } from './fixtures/peer-harness.js';

const lab = new Lab();
let raw: Libp2p | undefined;
afterAll(async () => {
  await raw?.stop();
  await lab.cleanup();
});

describe('a raw libp2p peer lying in its hello', () => {
  it('have beyond the node\'s own seq: rejected, connection closed, nothing committed, no state sent', async () => {
    const a = await lab.start(await lab.home());
    raw = await createLibp2p({
      privateKey: await generateKeyPair('Ed25519'),
      addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] },
      transports: [tcp()],
      connectionEncrypters: [noise()],
      streamMuxers: [yamux()],
      services: { identify: identify() },
    });
    const rawId = raw.peerId.toString();
    await a.cmd('pair', { peer: rawId, addr: `${raw.getMultiaddrs()[0]}` });
    await a.cmd('commit', { add: bookQuads(await a.cmd<string>('graph', { source: 'share/Books' }), 'b1', 2) });
    const before = await a.cmd<Record<string, number>>('vv');
    const own = before[a.peerId];
    expect(own).toBe(1);

    const stream = await raw.dialProtocol(multiaddr(`${a.addrs[0].split('/p2p/')[0]}/p2p/${a.peerId}`), SYNC_PROTOCOL);
    const got: SyncMsg[] = [];
    const reading = (async () => {
      try {
        for await (const frames of readFrames(stream)) for (const f of frames) got.push(decodeSync(f));
      } catch {
        // the node aborts the stream: that is the point
      }
    })();
    await sendFrame(stream, encodeSync({ t: 'hello', v: WIRE_VERSION, node: rawId, seq: 0, have: own + 1000, grants: [] }));
    const rejected = await a.waitEvent((m) => m.event === 'sync:rejected' && m.peerId === rawId, 20_000, 'sync:rejected');
    expect(String(rejected.reason)).toMatch(/claims 1001 of our patches; we wrote 1/);
    await Promise.race([reading, new Promise((r) => setTimeout(r, 10_000))]);
    expect(got.map((m) => m.t)).not.toContain('state-begin'); // the old node bumped its seq and sent its whole state
    expect(await a.cmd<Record<string, number>>('vv')).toEqual(before);
  }, 90_000);
});
