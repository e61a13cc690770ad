// The bulk channel on its own (real TLS-PSK on 127.0.0.1): a ticket's range arrives; a wrong key, a replayed or
// expired ticket, an unknown identity, a request for another hash or offset get no file bytes.
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import type tls from 'node:tls';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BulkServer, connectBulk } from '../../src/peers/bulk.js';
import { bulkRangeSender } from '../../src/peers/files.js';
import { silentLogger } from '../../src/peers/types.js';
import { FrameDecoder } from '../../src/peers/wire/frame.js';
import { decodeFile } from '../../src/peers/wire/messages.js';

let dir: string;
let file: string;
const bytes = randomBytes(3 * 1024 * 1024 + 77);
const hash = createHash('sha256').update(bytes).digest('hex');
const otherHash = createHash('sha256').update('other').digest('hex');
const servers: BulkServer[] = [];

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'semsync-bulk-'));
  file = path.join(dir, 'big.bin');
  await writeFile(file, bytes);
});
afterAll(async () => {
  for (const s of servers) await s.close();
  await rm(dir, { recursive: true, force: true });
});

function server(opts: { ttlMs?: number; idleCloseMs?: number } = {}): BulkServer {
  const s = new BulkServer({ host: '127.0.0.1', send: bulkRangeSender(), log: silentLogger, ...opts });
  servers.push(s);
  return s;
}

/** Everything the socket delivers until it closes: the raw byte count, the chunk data, whether `end` came. */
async function drain(sock: tls.TLSSocket): Promise<{ raw: number; data: Buffer; ended: boolean }> {
  const dec = new FrameDecoder(2 * 1024 * 1024);
  const parts: Uint8Array[] = [];
  let raw = 0;
  let ended = false;
  try {
    for await (const piece of sock as AsyncIterable<Buffer>) {
      raw += piece.length;
      for (const f of dec.push(piece)) {
        const m = decodeFile(f);
        if (m.t === 'chunk') {
          expect(Buffer.from(m.sha256)).toEqual(createHash('sha256').update(m.data).digest());
          parts.push(m.data);
        } else if (m.t === 'end') ended = true;
      }
    }
  } catch {
    // a reset after the server's refusal counts as the end
  }
  return { raw, data: Buffer.concat(parts), ended };
}

describe('bulk channel', () => {
  it('sends exactly the ticket\'s range, verified chunk by chunk, then end; the ticket is then spent', async () => {
    const s = server();
    const t = (await s.issue({ file, hash, offset: 1000, size: bytes.length }))!;
    expect(t.id).toMatch(/^[0-9a-f]{32}$/);
    expect(t.port).toBe(s.port);
    const got = await drain(await connectBulk('127.0.0.1', t, { hash, offset: 1000 }));
    expect(got.ended).toBe(true);
    expect(got.data.equals(bytes.subarray(1000))).toBe(true);
    expect(s.served).toBe(1);
    // Replayed: the same identity and key again are refused in the handshake.
    await expect(connectBulk('127.0.0.1', t, { hash, offset: 1000 }, 3000)).rejects.toThrow();
    expect(s.served).toBe(1);
  });

  it('refuses a wrong key, and the ticket is spent by the attempt', async () => {
    const s = server();
    const t = (await s.issue({ file, hash, offset: 0, size: bytes.length }))!;
    const wrong = { ...t, key: randomBytes(32).toString('hex') };
    await expect(connectBulk('127.0.0.1', wrong, { hash, offset: 0 }, 3000)).rejects.toThrow();
    await expect(connectBulk('127.0.0.1', t, { hash, offset: 0 }, 3000)).rejects.toThrow();
    expect(s.served).toBe(0);
  });

  it('refuses an unknown identity and an expired ticket', async () => {
    const s = server({ ttlMs: 100 });
    const t = (await s.issue({ file, hash, offset: 0, size: bytes.length }))!;
    await expect(connectBulk('127.0.0.1', { ...t, id: randomBytes(16).toString('hex') }, { hash, offset: 0 }, 3000)).rejects.toThrow();
    await new Promise((r) => setTimeout(r, 300));
    await expect(connectBulk('127.0.0.1', t, { hash, offset: 0 }, 3000)).rejects.toThrow();
    expect(s.served).toBe(0);
  });

  it('closes a connection whose request names another hash or offset, with zero bytes sent', async () => {
    const s = server();
    for (const req of [{ hash: otherHash, offset: 0 }, { hash, offset: 5 }]) {
      const t = (await s.issue({ file, hash, offset: 0, size: bytes.length }))!;
      const got = await drain(await connectBulk('127.0.0.1', t, req));
      expect(got).toMatchObject({ raw: 0, ended: false });
      // and the ticket is gone
      await expect(connectBulk('127.0.0.1', t, { hash, offset: 0 }, 3000)).rejects.toThrow();
    }
    expect(s.served).toBe(0);
  });

  it('sends nothing when the peer lost the grant between the ticket and the connection', async () => {
    const s = server();
    let granted = true;
    const t = (await s.issue({ file, hash, offset: 0, size: bytes.length, allowed: async () => granted }))!;
    granted = false;
    const got = await drain(await connectBulk('127.0.0.1', t, { hash, offset: 0 }));
    expect(got).toMatchObject({ raw: 0, ended: false });
    expect(s.served).toBe(0);
  });

  it('listens only while a ticket or a connection needs it', async () => {
    const s = server({ ttlMs: 100, idleCloseMs: 50 });
    expect(s.port).toBeUndefined();
    await s.issue({ file, hash, offset: 0, size: bytes.length });
    expect(s.port).toBeGreaterThan(0);
    await new Promise((r) => setTimeout(r, 400));
    expect(s.port).toBeUndefined();
  });
});
