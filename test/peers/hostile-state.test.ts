// Issue 14, item 12: a paired peer claiming more of our patches than we wrote is a protocol error (no commit, no full
// state); a full-state transfer is bounded in bytes, and a big one waits in a temp file (removed at its end or cut).
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import n3 from 'n3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { graphIri } from '../../src/graph/vocab.js';
import { ProtocolError, SyncSession, type SessionOptions } from '../../src/peers/wire/session.js';
import { decodeSync, encodeSync, type SyncMsg } from '../../src/peers/wire/messages.js';
import { bumpOwnSeq, patchCodec, stateApplier } from '../../src/peers/store-adapter.js';
import { silentLogger } from '../../src/peers/types.js';
import { canonical, peerIds, SimLab, type SimNode } from './sim.js';

const { namedNode, literal, quad } = n3.DataFactory;
const lab = new SimLab();
let a: SimNode; // the hostile peer (only its id is used: its messages are written by hand)
let b: SimNode; // this node
let spillDir: string;

beforeAll(async () => {
  const [ia, ib] = await peerIds(2);
  a = await lab.node(ia, ['s'], [ib]);
  b = await lab.node(ib, ['s'], [ia]);
  spillDir = await mkdtemp(path.join(os.tmpdir(), 'semsync-spill-'));
  for (let i = 0; i < 3; i++) await b.store.commit([{ op: 'A', quad: quad(namedNode(`urn:b:${i}`), namedNode('http://purl.org/dc/terms/title'), literal(`B ${i}`), graphIri(b.id, 'share/s')) }]);
});
afterAll(async () => {
  await lab.close();
  await rm(spillDir, { recursive: true, force: true });
});

const snapshot = () => JSON.stringify([canonical(b.store.match(null, null, null, null)), b.store.versionVector()]);

/** B's session with A; what B sends is kept (through the real encoder and decoder). */
function session(extra: Partial<SessionOptions> = {}): { s: SyncSession; sent: SyncMsg[]; closed: () => boolean } {
  const sent: SyncMsg[] = [];
  let closed = false;
  const s = new SyncSession({
    self: b.id,
    peer: a.id,
    store: b.store,
    trust: b.trust,
    codec: patchCodec,
    applyState: stateApplier(b.store),
    bump: () => bumpOwnSeq(b.store, b.id),
    send: async (m) => void sent.push(decodeSync(encodeSync(m))),
    close: () => void (closed = true),
    pairedSources: [],
    log: silentLogger,
    ...extra,
  });
  return { s, sent, closed: () => closed };
}

const hello = (have: number): SyncMsg => ({ t: 'hello', v: 2, node: a.id, seq: 50, have, grants: ['s'] });

/** `n` lines of A's state, each about `pad` bytes. */
function stateLines(n: number, pad: number, from = 0): string {
  const g = graphIri(a.id, 'share/s').value;
  return Array.from({ length: n }, (_, i) => `<urn:a:${from + i}> <http://purl.org/dc/terms/title> "${'a'.repeat(pad)}" <${g}> .\n`).join('');
}

describe('a hostile paired peer', () => {
  it('hello with `have` beyond our own seq: ProtocolError, no commit, no full state sent', async () => {
    const before = snapshot();
    const mine = b.store.versionVector()[b.id];
    const { s, sent } = session();
    await s.start();
    await expect(s.handle(hello(mine + 100))).rejects.toThrow(ProtocolError);
    await expect(s.handle(hello(mine + 100))).rejects.toThrow(/claims 103 of our patches; we wrote 3/);
    expect(snapshot()).toBe(before); // the old node committed a bump here, at every connect
    expect(sent.map((m) => m.t)).toEqual(['hello']); // and then sent its whole state
    expect(s.established).toBe(false);
  });

  it('an honest `have` (equal to our seq) still syncs', async () => {
    await b.trust.setDelivered(a.id, ['s']); // it holds all we wrote, with today's grants: nothing to send
    const { s, sent } = session();
    await s.start();
    await s.handle(hello(b.store.versionVector()[b.id]));
    expect(s.established).toBe(true);
    expect(sent.map((m) => m.t)).toEqual(['hello']);
  });

  it('a full state past the byte bound is refused midway and nothing is applied', async () => {
    const before = snapshot();
    const { s } = session({ maxStateBytes: 64 * 1024 });
    await s.start();
    await s.handle(hello(0));
    await s.handle({ t: 'state-begin', seq: 5, hlc: '1.0', quads: 1000 }); // well under the quad limit
    await s.handle({ t: 'state-chunk', text: stateLines(200, 100) }); // ~34 KB
    await expect(s.handle({ t: 'state-chunk', text: stateLines(200, 100, 200) })).rejects.toThrow(/over the limit/);
    expect(snapshot()).toBe(before);
  });

  it('a big state waits in a temp file, is applied whole at its end, and the file goes; a state cut off midway leaves none', async () => {
    const { s } = session({ spill: { dir: spillDir, aboveBytes: 8 * 1024 } });
    await s.start();
    await s.handle(hello(0));
    await s.handle({ t: 'state-begin', seq: 5, hlc: '1.0', quads: 300 });
    await s.handle({ t: 'state-chunk', text: stateLines(100, 100) });
    await s.handle({ t: 'state-chunk', text: stateLines(100, 100, 100) });
    expect((await readdir(spillDir)).filter((f) => f.endsWith('.nq'))).toHaveLength(1);
    await s.handle({ t: 'state-chunk', text: stateLines(100, 100, 200) });
    await s.handle({ t: 'state-end' });
    expect(b.store.versionVector()[a.id]).toBe(5);
    expect(b.store.match(null, null, null, graphIri(a.id, 'share/s'))).toHaveLength(300);
    expect(await readdir(spillDir)).toEqual([]);

    const cut = session({ spill: { dir: spillDir, aboveBytes: 8 * 1024 } });
    await cut.s.start();
    await cut.s.handle(hello(0));
    await cut.s.handle({ t: 'state-begin', seq: 9, hlc: '2.0', quads: 300 });
    await cut.s.handle({ t: 'state-chunk', text: stateLines(150, 100) });
    expect((await readdir(spillDir)).length).toBe(1);
    cut.s.close('connection lost');
    await new Promise((r) => setTimeout(r, 50));
    expect(await readdir(spillDir)).toEqual([]);
    expect(b.store.versionVector()[a.id]).toBe(5);
  });
});
