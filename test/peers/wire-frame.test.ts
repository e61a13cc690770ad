// Framing and message codec: round trips, bounds, strictness.
import { describe, expect, it } from 'vitest';
import { DEFAULT_MAX_FRAME, encodeFrame, encodeVarint, FrameDecoder, WireError } from '../../src/peers/wire/frame.js';
import { decodeFile, decodeSync, encodeFile, encodeSync, type SyncMsg } from '../../src/peers/wire/messages.js';

const PEER = '12D3KooWGzxzKZYveHXtpG6AsrUJBcWxHBFS2HsEoGTxrMLvKXtf';

describe('frames', () => {
  it('round-trips frames split at every byte boundary', () => {
    const payloads = [Uint8Array.of(1), new Uint8Array(200).fill(7), new Uint8Array(70000).fill(3)];
    const wire = Buffer.concat(payloads.map((p) => encodeFrame(p)));
    for (const step of [1, 2, 127, 128, 4096, wire.length]) {
      const d = new FrameDecoder();
      const out: Uint8Array[] = [];
      for (let i = 0; i < wire.length; i += step) out.push(...d.push(wire.subarray(i, i + step)));
      expect(out.map((f) => f.length)).toEqual([1, 200, 70000]);
      expect(d.pending).toBe(0);
    }
  });

  it('rejects an oversize length before buffering the body', () => {
    const d = new FrameDecoder(1000);
    expect(() => d.push(encodeVarint(1001))).toThrow(WireError);
    expect(() => d.push(Uint8Array.of(1))).toThrow(/already failed/);
  });

  it('rejects zero, non-minimal and over-long length prefixes', () => {
    expect(() => new FrameDecoder().push(Uint8Array.of(0))).toThrow(WireError);
    expect(() => new FrameDecoder().push(Uint8Array.of(0x81, 0x00))).toThrow(/minimal/);
    expect(() => new FrameDecoder().push(Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0xff, 0x01))).toThrow(WireError);
  });
});

describe('messages', () => {
  const msgs: SyncMsg[] = [
    { t: 'hello', v: 1, node: PEER, seq: 4, have: 2, grants: ['Books', 'Music'] },
    { t: 'refuse', reason: 'not-paired' },
    { t: 'patch', bytes: new TextEncoder().encode('H id <x> .\nTX .\nTC .\n') },
    { t: 'patch-part', bytes: Uint8Array.of(1, 2) },
    { t: 'ack', seq: 9 },
    { t: 'state-begin', seq: 3, hlc: '1700000000000.2', quads: 10 },
    { t: 'state-chunk', text: '<a> <b> <c> <g> .\n' },
    { t: 'state-end' },
    { t: 'ping' },
  ];
  it('round-trips every sync message', () => {
    for (const m of msgs) expect(decodeSync(encodeSync(m))).toEqual(m);
  });
  it('round-trips file messages', () => {
    const req = { t: 'req', v: 1, hash: 'a'.repeat(64), offset: 5 } as const;
    expect(decodeFile(encodeFile(req))).toEqual(req);
    const chunk = decodeFile(encodeFile({ t: 'chunk', sha256: new Uint8Array(32).fill(1), data: Uint8Array.of(1, 2, 3) }));
    expect(chunk.t === 'chunk' && [...chunk.data]).toEqual([1, 2, 3]);
    const offer = { t: 'bulk', id: 'b'.repeat(32), key: 'c'.repeat(64), port: 40000 } as const;
    expect(decodeFile(encodeFile(offer))).toEqual(offer);
    expect(decodeFile(encodeFile({ t: 'bulk-no', offset: 7 }))).toEqual({ t: 'bulk-no', offset: 7 });
  });
  it('rejects a malformed bulk offer or answer', () => {
    const bad = (code: number, o: object) => () => decodeFile(Uint8Array.of(code, ...new TextEncoder().encode(JSON.stringify(o))));
    expect(bad(0x26, { id: 'b'.repeat(32), key: 'c'.repeat(64), port: 0 })).toThrow(WireError);
    expect(bad(0x26, { id: 'b'.repeat(32), key: 'c'.repeat(64), port: 70000 })).toThrow(WireError);
    expect(bad(0x26, { id: 'B'.repeat(32), key: 'c'.repeat(64), port: 1 })).toThrow(WireError);
    expect(bad(0x26, { id: 'b'.repeat(32), key: 'c'.repeat(63), port: 1 })).toThrow(WireError);
    expect(bad(0x26, { id: 'b'.repeat(32), key: 'c'.repeat(64), port: 1, host: 'evil' })).toThrow(/unexpected field/);
    expect(bad(0x27, { offset: -1 })).toThrow(WireError);
  });
  it('keeps no reference to pushed buffers when told they are reused', () => {
    const payloads = [Uint8Array.of(5), new Uint8Array(300).fill(6), new Uint8Array(100_000).fill(7), Uint8Array.of(8, 9)];
    const wire = Buffer.concat(payloads.map((p) => encodeFrame(p)));
    for (const step of [1, 7, 250, 16384]) {
      const d = new FrameDecoder(DEFAULT_MAX_FRAME, Buffer.allocUnsafe, true);
      const reused = Buffer.alloc(step);
      const out: Uint8Array[] = [];
      for (let i = 0; i < wire.length; i += step) {
        const n = wire.copy(reused, 0, i, i + step);
        out.push(...d.push(reused.subarray(0, n)));
        reused.fill(0xee); // the socket's buffer is overwritten by the next read
      }
      expect(out.map((f) => Buffer.from(f).toString('hex'))).toEqual(payloads.map((p) => Buffer.from(p).toString('hex')));
    }
  });
  it('assembles a big frame in pieces of every size, with the next frame in the same piece', () => {
    const big = new Uint8Array(1 << 20).map((_, i) => i & 0xff);
    const wire = Buffer.concat([encodeFrame(big, 2 << 20), encodeFrame(Uint8Array.of(9)), encodeFrame(big, 2 << 20)]);
    for (const step of [1, 3, 16384, 65536, 100_000, wire.length]) {
      const d = new FrameDecoder(2 << 20);
      const out: Uint8Array[] = [];
      for (let i = 0; i < wire.length; i += step) out.push(...d.push(wire.subarray(i, i + step)));
      expect(out.map((f) => f.length)).toEqual([1 << 20, 1, 1 << 20]);
      expect(Buffer.from(out[2]).equals(Buffer.from(big))).toBe(true);
      expect(d.pending).toBe(0);
    }
  });
  it('reads the version of a hello from another version without validating the rest', () => {
    const raw = new TextEncoder().encode(JSON.stringify({ v: 3, whatever: true }));
    const m = decodeSync(Uint8Array.from([1, ...raw]));
    expect(m).toMatchObject({ t: 'hello', v: 3 });
  });
  it('compresses patches (wire version 2) and refuses a decompression bomb', () => {
    const text = new TextEncoder().encode(`H id <urn:semsync:patch:${PEER}:2> .\nTX .\nA <urn:sha256:${'ab'.repeat(32)}> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <https://w3id.org/semsync/ns#EBook> <https://w3id.org/semsync/id/graph/${PEER}/share/books> .\nTC .\n`);
    const wire = encodeSync({ t: 'zpatch', bytes: text });
    expect(wire.length).toBeLessThan(text.length / 2);
    const m = decodeSync(wire);
    expect(m.t === 'patch' && Buffer.from(m.bytes).equals(Buffer.from(text))).toBe(true);
    const bomb = encodeSync({ t: 'zpatch', bytes: new Uint8Array(8 << 20) }); // 8 MiB of zeros: a few KB on the wire
    expect(bomb.length).toBeLessThan(64 << 10);
    expect(() => decodeSync(bomb)).toThrow(WireError);
    expect(() => decodeSync(Uint8Array.of(10, 1, 2, 3))).toThrow(WireError);
    expect(() => decodeSync(Uint8Array.of(10))).toThrow(WireError);
  });
  it('rejects malformed control messages', () => {
    const bad = [
      Uint8Array.of(99),
      Uint8Array.from([1, ...new TextEncoder().encode('{"v":1,"node":"x","seq":0,"have":0,"grants":[]}')]),
      Uint8Array.from([1, ...new TextEncoder().encode(`{"v":1,"node":"${PEER}","seq":-1,"have":0,"grants":[]}`)]),
      Uint8Array.from([1, ...new TextEncoder().encode(`{"v":1,"node":"${PEER}","seq":0,"have":0,"grants":["a/b"]}`)]),
      Uint8Array.from([1, ...new TextEncoder().encode(`{"v":1,"node":"${PEER}","seq":0,"have":0,"grants":[],"x":1}`)]),
      Uint8Array.from([4, ...new TextEncoder().encode('{"seq":1.5}')]),
      Uint8Array.of(3),
      Uint8Array.of(7, 1),
      Uint8Array.from([2, ...new TextEncoder().encode('{"reason":"nope"}')]),
    ];
    for (const b of bad) expect(() => decodeSync(b), String(b)).toThrow(WireError);
  });
});
