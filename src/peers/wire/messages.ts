// The sync and file protocols' messages: one type byte, then JSON (control) or UTF-8 text/bytes (data).
import { encodeVarint, WireError } from './frame.js';
import { deflatePatch, inflatePatch } from './compress.js';

export const SYNC_PROTOCOL = '/semsync/sync/1.0.0';
export const FILE_PROTOCOL = '/semsync/file/1.0.0';
/** The file protocol plus the bulk data channel (`bulk` offers, `bulk-no` answers); 1.0.0 never sends either. */
export const FILE_PROTOCOL_BULK = '/semsync/file/1.1.0';
/** Many small files on one stream: one `reqs` naming up to MAX_BATCH hashes, answered in order (meta, chunks, end, or deny each). */
export const FILES_PROTOCOL = '/semsync/files/1.0.0';
/** Hashes one `reqs` may name. */
export const MAX_BATCH = 256;
/**
 * The version carried in hello and file requests; a peer speaking one outside MIN_WIRE_VERSION..WIRE_VERSION is
 * refused. 2: patches may come as `zpatch` (raw DEFLATE with the dictionary in compress.ts), sent only to a peer
 * whose hello said 2 or more. File requests are the same in both.
 */
export const WIRE_VERSION = 2;
export const MIN_WIRE_VERSION = 1;

export const MAX_CONTROL_BYTES = 64 * 1024;
export const MAX_GRANTS = 1000;
export const MAX_SHARE_NAME = 200;
export const MAX_CHUNK = 1024 * 1024;

export type RefuseReason = 'not-paired' | 'version' | 'protocol' | 'bad-patch' | 'busy';
export type DenyReason = 'not-paired' | 'not-found' | 'bad-request' | 'version';

export type SyncMsg =
  /**
   * First message each side sends: our version, our id, our own latest seq, the highest seq of YOUR patches we
   * hold, and the shares we grant you.
   */
  | { t: 'hello'; v: number; node: string; seq: number; have: number; grants: string[] }
  /** Sent instead of (or after) hello when the other side may not sync with us; then the stream closes. */
  | { t: 'refuse'; reason: RefuseReason }
  /** One of the sender's own patches, filtered for the receiver, as RDF Patch text (UTF-8 bytes). */
  | { t: 'patch'; bytes: Uint8Array }
  /** The first pieces of a patch too big for one frame; the concatenation with the final `patch` is the text. */
  | { t: 'patch-part'; bytes: Uint8Array }
  /** A whole patch (its RDF Patch text here), sent compressed; it decodes as a `patch` (wire version 2). */
  | { t: 'zpatch'; bytes: Uint8Array }
  /** The receiver holds the sender's patches up to `seq`. */
  | { t: 'ack'; seq: number }
  /** A full state of the sender's graphs visible to the receiver follows, as of `seq`; replaces all it had. */
  | { t: 'state-begin'; seq: number; hlc: string; quads: number }
  | { t: 'state-chunk'; text: string }
  | { t: 'state-end' }
  | { t: 'ping' };

export type FileMsg =
  | { t: 'req'; v: number; hash: string; offset: number }
  /** FILES_PROTOCOL only: whole files, answered one after the other in this order. */
  | { t: 'reqs'; v: number; hashes: string[] }
  | { t: 'meta'; size: number; offset: number }
  | { t: 'deny'; reason: DenyReason }
  /** `sha256` is the hash of `data` (this chunk). */
  | { t: 'chunk'; sha256: Uint8Array; data: Uint8Array }
  | { t: 'end' }
  /**
   * Server → client after meta (1.1.0 only): fetch the range over TLS-PSK at this port on the host of this
   * connection, as PSK identity `id` (32 hex) with `key` (64 hex); single use, short-lived.
   */
  | { t: 'bulk'; id: string; key: string; port: number }
  /** Client → server: the bulk channel failed or was not used; send the rest over this stream from `offset`. */
  | { t: 'bulk-no'; offset: number };

const SYNC_CODES = { hello: 1, refuse: 2, patch: 3, ack: 4, 'state-begin': 5, 'state-chunk': 6, 'state-end': 7, ping: 8, 'patch-part': 9, zpatch: 10 } as const;
const FILE_CODES = { req: 0x21, meta: 0x22, deny: 0x23, chunk: 0x24, end: 0x25, bulk: 0x26, 'bulk-no': 0x27, reqs: 0x28 } as const;

const enc = new TextEncoder();
const dec = new TextDecoder('utf-8', { fatal: true });

function withType(code: number, body: Uint8Array): Uint8Array {
  const out = new Uint8Array(1 + body.length);
  out[0] = code;
  out.set(body, 1);
  return out;
}

function json(code: number, obj: object): Uint8Array {
  return withType(code, enc.encode(JSON.stringify(obj)));
}

export function encodeSync(m: SyncMsg): Uint8Array {
  switch (m.t) {
    case 'patch':
    case 'patch-part':
      return withType(SYNC_CODES[m.t], m.bytes);
    case 'zpatch':
      return withType(SYNC_CODES.zpatch, deflatePatch(m.bytes));
    case 'state-chunk':
      return withType(SYNC_CODES[m.t], enc.encode(m.text));
    case 'state-end':
    case 'ping':
      return Uint8Array.of(SYNC_CODES[m.t]);
    default: {
      const { t, ...rest } = m;
      return json(SYNC_CODES[t], rest);
    }
  }
}

export function encodeFile(m: FileMsg): Uint8Array {
  switch (m.t) {
    case 'chunk': {
      if (m.sha256.length !== 32) throw new WireError('chunk hash must be 32 bytes');
      const out = new Uint8Array(1 + 32 + m.data.length);
      out[0] = FILE_CODES.chunk;
      out.set(m.sha256, 1);
      out.set(m.data, 33);
      return out;
    }
    case 'end':
      return Uint8Array.of(FILE_CODES.end);
    default: {
      const { t, ...rest } = m;
      return json(FILE_CODES[t], rest);
    }
  }
}

/**
 * A whole `chunk` frame (length prefix included) for `size` data bytes, to be filled in place: the data at
 * `dataAt`, its SHA-256 at `hashAt`. Saves the copies of encodeFile + encodeFrame for bulk file data. `reuse`: a
 * frame of the same size that is no longer read (it is overwritten).
 */
export function allocChunkFrame(size: number, reuse?: Buffer): { frame: Buffer; hashAt: number; dataAt: number } {
  if (size <= 0 || size > MAX_CHUNK) throw new WireError(`chunk of ${size} bytes`);
  const len = encodeVarint(1 + 32 + size);
  const frame = reuse?.length === len.length + 1 + 32 + size ? reuse : Buffer.allocUnsafe(len.length + 1 + 32 + size);
  frame.set(len, 0);
  frame[len.length] = FILE_CODES.chunk;
  return { frame, hashAt: len.length + 1, dataAt: len.length + 33 };
}

function text(body: Uint8Array, what: string): string {
  try {
    return dec.decode(body);
  } catch {
    throw new WireError(`${what}: not valid UTF-8`);
  }
}

function control(body: Uint8Array, what: string, keys: string[] | null): Record<string, unknown> {
  if (body.length > MAX_CONTROL_BYTES) throw new WireError(`${what}: ${body.length} bytes, over ${MAX_CONTROL_BYTES}`);
  let v: unknown;
  try {
    v = JSON.parse(text(body, what));
  } catch (err) {
    if (err instanceof WireError) throw err;
    throw new WireError(`${what}: not JSON`);
  }
  if (!v || typeof v !== 'object' || Array.isArray(v)) throw new WireError(`${what}: not an object`);
  const o = v as Record<string, unknown>;
  if (keys) onlyKeys(o, what, keys);
  return o;
}

function onlyKeys(o: Record<string, unknown>, what: string, keys: string[]): void {
  for (const k of Object.keys(o)) if (!keys.includes(k)) throw new WireError(`${what}: unexpected field ${JSON.stringify(k.slice(0, 40))}`);
}

function uint(o: Record<string, unknown>, k: string, what: string): number {
  const n = o[k];
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0) throw new WireError(`${what}: ${k} must be a non-negative integer`);
  return n;
}

function str(o: Record<string, unknown>, k: string, what: string, re: RegExp): string {
  const s = o[k];
  if (typeof s !== 'string' || !re.test(s)) throw new WireError(`${what}: bad ${k}`);
  return s;
}

const PEER_ID_RE = /^[1-9A-HJ-NP-Za-km-z]{32,128}$/;
const HLC_RE = /^\d{1,16}\.\d{1,10}$/;
const SHARE_RE = /^[^\u0000-\u001f\u007f/]{1,200}$/u;
const HASH_RE = /^[0-9a-f]{64}$/;
const TICKET_ID_RE = /^[0-9a-f]{32}$/;
const REFUSE: readonly string[] = ['not-paired', 'version', 'protocol', 'bad-patch', 'busy'];
const DENY: readonly string[] = ['not-paired', 'not-found', 'bad-request', 'version'];

/** Decode one sync frame's payload; throws {@link WireError} on anything malformed. */
export function decodeSync(frame: Uint8Array): SyncMsg {
  if (frame.length === 0) throw new WireError('empty message');
  const code = frame[0];
  const body = frame.subarray(1);
  switch (code) {
    case SYNC_CODES.hello: {
      // The version is read first, so a peer speaking another version can be told so (refuse 'version').
      const o = control(body, 'hello', null);
      const v = uint(o, 'v', 'hello');
      if (v < MIN_WIRE_VERSION || v > WIRE_VERSION) return { t: 'hello', v, node: '', seq: 0, have: 0, grants: [] };
      onlyKeys(o, 'hello', ['v', 'node', 'seq', 'have', 'grants']);
      const node = str(o, 'node', 'hello', PEER_ID_RE);
      const seq = uint(o, 'seq', 'hello');
      const have = uint(o, 'have', 'hello');
      const g = o.grants;
      if (!Array.isArray(g) || g.length > MAX_GRANTS || !g.every((s) => typeof s === 'string' && SHARE_RE.test(s))) {
        throw new WireError('hello: bad grants');
      }
      return { t: 'hello', v, node, seq, have, grants: g as string[] };
    }
    case SYNC_CODES.refuse: {
      const o = control(body, 'refuse', ['reason']);
      const reason = o.reason;
      if (typeof reason !== 'string' || !REFUSE.includes(reason)) throw new WireError('refuse: unknown reason');
      return { t: 'refuse', reason: reason as RefuseReason };
    }
    case SYNC_CODES.patch:
    case SYNC_CODES['patch-part']:
      if (body.length === 0) throw new WireError('empty patch');
      return { t: code === SYNC_CODES.patch ? 'patch' : 'patch-part', bytes: body };
    case SYNC_CODES.zpatch: {
      if (body.length === 0) throw new WireError('empty patch');
      const bytes = inflatePatch(body);
      if (bytes.length === 0) throw new WireError('empty patch');
      return { t: 'patch', bytes };
    }
    case SYNC_CODES.ack:
      return { t: 'ack', seq: uint(control(body, 'ack', ['seq']), 'seq', 'ack') };
    case SYNC_CODES['state-begin']: {
      const o = control(body, 'state-begin', ['seq', 'hlc', 'quads']);
      return { t: 'state-begin', seq: uint(o, 'seq', 'state-begin'), hlc: str(o, 'hlc', 'state-begin', HLC_RE), quads: uint(o, 'quads', 'state-begin') };
    }
    case SYNC_CODES['state-chunk']:
      return { t: 'state-chunk', text: text(body, 'state-chunk') };
    case SYNC_CODES['state-end']:
    case SYNC_CODES.ping:
      if (body.length !== 0) throw new WireError('unexpected body');
      return { t: code === SYNC_CODES.ping ? 'ping' : 'state-end' };
    default:
      throw new WireError(`unknown sync message type ${code}`);
  }
}

/** Decode one file-protocol frame's payload; throws {@link WireError} on anything malformed. */
export function decodeFile(frame: Uint8Array): FileMsg {
  if (frame.length === 0) throw new WireError('empty message');
  const code = frame[0];
  const body = frame.subarray(1);
  switch (code) {
    case FILE_CODES.req: {
      const o = control(body, 'req', ['v', 'hash', 'offset']);
      return { t: 'req', v: uint(o, 'v', 'req'), hash: str(o, 'hash', 'req', HASH_RE), offset: uint(o, 'offset', 'req') };
    }
    case FILE_CODES.meta: {
      const o = control(body, 'meta', ['size', 'offset']);
      const size = uint(o, 'size', 'meta');
      const offset = uint(o, 'offset', 'meta');
      if (offset > size) throw new WireError('meta: offset past the end');
      return { t: 'meta', size, offset };
    }
    case FILE_CODES.deny: {
      const reason = control(body, 'deny', ['reason']).reason;
      if (typeof reason !== 'string' || !DENY.includes(reason)) throw new WireError('deny: unknown reason');
      return { t: 'deny', reason: reason as DenyReason };
    }
    case FILE_CODES.chunk: {
      if (body.length <= 32) throw new WireError('chunk: too short');
      if (body.length - 32 > MAX_CHUNK) throw new WireError('chunk: too long');
      return { t: 'chunk', sha256: body.subarray(0, 32), data: body.subarray(32) };
    }
    case FILE_CODES.end:
      if (body.length !== 0) throw new WireError('unexpected body');
      return { t: 'end' };
    case FILE_CODES.bulk: {
      const o = control(body, 'bulk', ['id', 'key', 'port']);
      const port = uint(o, 'port', 'bulk');
      if (port < 1 || port > 65535) throw new WireError('bulk: port out of range');
      return { t: 'bulk', id: str(o, 'id', 'bulk', TICKET_ID_RE), key: str(o, 'key', 'bulk', HASH_RE), port };
    }
    case FILE_CODES.reqs: {
      const o = control(body, 'reqs', ['v', 'hashes']);
      const hashes = o.hashes;
      if (!Array.isArray(hashes) || hashes.length === 0 || hashes.length > MAX_BATCH) throw new WireError(`reqs: 1 to ${MAX_BATCH} hashes`);
      for (const h of hashes) if (typeof h !== 'string' || !HASH_RE.test(h)) throw new WireError('reqs: bad hash');
      return { t: 'reqs', v: uint(o, 'v', 'reqs'), hashes: hashes as string[] };
    }
    case FILE_CODES['bulk-no']:
      return { t: 'bulk-no', offset: uint(control(body, 'bulk-no', ['offset']), 'offset', 'bulk-no') };
    default:
      throw new WireError(`unknown file message type ${code}`);
  }
}
