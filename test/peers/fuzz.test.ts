// Fuzz: ≥10,000 malformed frames into the sync decoder and session: no crash, no hang, no store change.
import n3 from 'n3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { graphIri } from '../../src/graph/vocab.js';
import { encodeFrame, encodeVarint, FrameDecoder, WireError } from '../../src/peers/wire/frame.js';
import { decodeSync } from '../../src/peers/wire/messages.js';
import { ProtocolError, SyncSession } from '../../src/peers/wire/session.js';
import { bumpOwnSeq, patchCodec, stateApplier } from '../../src/peers/store-adapter.js';
import { silentLogger } from '../../src/peers/types.js';
import { canonical, peerIds, SimLab, SimLink, type SimNode } from './sim.js';
import { rng } from '../helpers/rng.js';

const { namedNode, literal, quad } = n3.DataFactory;
const MAX_FRAME = 64 * 1024;


const lab = new SimLab();
let a: SimNode;
let b: SimNode;
let valid: Uint8Array[] = [];
let hello: Uint8Array;

beforeAll(async () => {
  const [ia, ib] = await peerIds(2);
  a = await lab.node(ia, ['s'], [ib]);
  b = await lab.node(ib, ['s'], [ia]);
  const g = graphIri(a.id, 'share/s');
  for (let i = 0; i < 5; i++) {
    await a.store.commit([{ op: 'A', quad: quad(namedNode(`urn:test:x${i}`), namedNode('http://purl.org/dc/terms/title'), literal(`T ${i} ünï`), g) }]);
  }
  // First sync is a full state; then A sends patches (its grants now count as delivered).
  const first = new SimLink(a, b);
  await first.start();
  valid.push(...first.queue[0]);
  await first.drain();
  for (let i = 5; i < 8; i++) {
    await a.store.commit([{ op: 'A', quad: quad(namedNode(`urn:test:x${i}`), namedNode('http://purl.org/dc/terms/title'), literal(`T ${i}`), g) }]);
  }
  const second = new SimLink(a, b);
  await second.start();
  valid.push(...second.queue[0]);
  await second.drain();
  hello = valid[0].slice();
  valid = valid.map((f) => f.slice());
  expect(b.store.versionVector()[a.id]).toBe(8);
});
afterAll(() => lab.close());

function snapshot(n: SimNode): string {
  return JSON.stringify([canonical(n.store.match(null, null, null, null)), n.store.versionVector()]);
}

describe('wire fuzz', () => {
  it('rejects 12,000 malformed inputs without crashing, hanging or changing the store', async () => {
    const before = snapshot(b);
    const rnd = rng(0xc0ffee);
    const int = (n: number) => Math.floor(rnd() * n);
    const bytes = (n: number) => Uint8Array.from({ length: n }, () => int(256));
    const payloadOf = (f: Uint8Array) => f;
    const counts = { wire: 0, protocol: 0, quiet: 0 };
    for (let i = 0; i < 12_000; i++) {
      const kind = i % 6;
      let input: Uint8Array;
      const base = payloadOf(valid[1 + int(valid.length - 1)]);
      if (kind === 0) input = bytes(int(300));
      else if (kind === 1) input = encodeFrame(base.subarray(0, Math.max(1, int(base.length))));
      else if (kind === 2) {
        const m = base.slice();
        for (let k = 0, n = 1 + int(4); k < n; k++) m[int(m.length)] = int(256);
        input = encodeFrame(m);
      } else if (kind === 3) input = Buffer.concat([encodeVarint(MAX_FRAME + 1 + int(0xfffff000 - MAX_FRAME)), bytes(int(64))]);
      else if (kind === 4) input = encodeFrame(Uint8Array.from([int(12), ...bytes(int(200))]));
      else input = Buffer.concat([valid[1 + int(valid.length - 1)], valid[int(valid.length)]].map((f) => encodeFrame(f.subarray(0, Math.max(1, f.length - int(3))))));
      let closed = false;
      const session = new SyncSession({
        self: b.id,
        peer: a.id,
        store: b.store,
        trust: b.trust,
        codec: patchCodec,
        applyState: stateApplier(b.store),
        bump: () => bumpOwnSeq(b.store, b.id),
        send: async () => {},
        close: () => {
          closed = true;
        },
        pairedSources: [],
        log: silentLogger,
      });
      await session.start();
      await session.handle(decodeSync(payloadOf(hello)));
      try {
        const dec = new FrameDecoder(MAX_FRAME);
        for (const f of dec.push(input)) await session.handle(decodeSync(f));
        counts.quiet++;
      } catch (err) {
        if (err instanceof WireError) counts.wire++;
        else if (err instanceof ProtocolError) counts.protocol++;
        else throw new Error(`case ${i} (kind ${kind}) threw ${String(err)}`);
      }
      session.close('done');
      expect(closed).toBe(true);
      if (i % 2000 === 0) expect(snapshot(b)).toBe(before);
    }
    expect(snapshot(b)).toBe(before);
    expect(counts.wire + counts.protocol).toBeGreaterThan(8_000);
  });
});
