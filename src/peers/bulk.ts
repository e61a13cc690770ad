// The bulk data channel: a granted file range sent over TLS-PSK (OpenSSL's AES-GCM) on a short-lived port,
// after the request was authorised over /semsync/file. One ticket = one connection = one range.
import type net from 'node:net';
import tls from 'node:tls';
import { randomBytes } from 'node:crypto';
import type { Logger } from './types.js';
import { encodeFrame, FrameDecoder, WireError } from './wire/frame.js';
import { decodeFile, encodeFile, WIRE_VERSION } from './wire/messages.js';

/** TLS 1.2 with a pre-shared key (Node 20 offers PSK only there); AES-GCM in OpenSSL, no certificates. */
export const BULK_TLS = { ciphers: 'PSK-AES256-GCM-SHA384', minVersion: 'TLSv1.2', maxVersion: 'TLSv1.2' } as const;
/** How long a ticket may wait for its connection. */
export const TICKET_TTL_MS = 30_000;
const MAX_TICKETS = 64;
/** A connection must finish the handshake and send its request within this. */
const HANDSHAKE_MS = 10_000;
/** The listener closes when no ticket or connection has needed it for this long. */
const IDLE_CLOSE_MS = 5_000;

export interface TicketRange {
  file: string;
  hash: string;
  /** First byte to send. */
  offset: number;
  /** The file's size: bytes offset..size-1 are sent. */
  size: number;
  /** Asked again when the ticket is used: is the peer still paired and granted this file? */
  allowed?: () => Promise<boolean>;
}

export interface Ticket {
  id: string;
  key: string;
  port: number;
}

/** Sends a ticket's range (chunk frames, then `end`) over the authenticated socket; see files.ts. */
export type RangeSender = (range: TicketRange, write: FrameWriter) => Promise<void>;
/** Send a frame (resolves when more may be sent); `reusable` is called once the frame's memory is no longer read. */
export type FrameWriter = (frame: Uint8Array, reusable?: () => void) => Promise<void>;

interface Pending extends TicketRange {
  key: Buffer;
  timer: NodeJS.Timeout;
}

export interface BulkServerOptions {
  /** The interface to listen on (the host of the node's libp2p listen address). */
  host: string;
  send: RangeSender;
  log: Logger;
  ttlMs?: number;
  idleCloseMs?: number;
  /** For tests only: advertise this port instead of the real one (e.g. one nobody listens on). */
  advertisePort?: number;
}

/**
 * Issues single-use tickets and serves them on an ephemeral TLS-PSK listener, opened on the first ticket and
 * closed when idle. A connection whose PSK identity is not a live ticket, or whose key is wrong, fails the
 * handshake; one whose request does not name the ticket's hash and offset is closed. Either way: no file bytes.
 */
export class BulkServer {
  private server: tls.Server | undefined;
  private listening: Promise<number> | undefined;
  private readonly tickets = new Map<string, Pending>();
  private readonly claimed = new WeakMap<tls.TLSSocket, Pending>();
  private readonly sockets = new Set<net.Socket>();
  private idle: NodeJS.Timeout | undefined;
  private stopped = false;
  /** Ranges sent to the end (for tests and logs). */
  served = 0;

  constructor(private readonly o: BulkServerOptions) {}

  /** A ticket for `range`, or undefined when too many are outstanding or the listener cannot open. */
  async issue(range: TicketRange): Promise<Ticket | undefined> {
    if (this.stopped || this.tickets.size >= MAX_TICKETS) return undefined;
    let port: number;
    try {
      port = await this.listen();
    } catch (err) {
      this.o.log.warn({ host: this.o.host, err: String(err) }, 'bulk channel: cannot listen; files go over the libp2p stream');
      return undefined;
    }
    const id = randomBytes(16).toString('hex');
    const key = randomBytes(32);
    const timer = setTimeout(() => this.drop(id), this.o.ttlMs ?? TICKET_TTL_MS);
    timer.unref();
    this.tickets.set(id, { ...range, key, timer });
    return { id, key: key.toString('hex'), port: this.o.advertisePort ?? port };
  }

  /** Forget a ticket (unused, or no longer wanted). */
  drop(id: string): void {
    const t = this.tickets.get(id);
    if (!t) return;
    clearTimeout(t.timer);
    this.tickets.delete(id);
    this.maybeIdle();
  }

  /** The port listened on now (undefined when closed). */
  get port(): number | undefined {
    const a = this.server?.address();
    return a && typeof a === 'object' ? a.port : undefined;
  }

  /** For tests: cut every live bulk connection. */
  destroyConnections(): void {
    for (const s of this.sockets) s.destroy();
  }

  async close(): Promise<void> {
    this.stopped = true;
    for (const id of [...this.tickets.keys()]) this.drop(id);
    await this.shut();
  }

  private listen(): Promise<number> {
    if (this.idle) clearTimeout(this.idle);
    this.idle = undefined;
    if (this.listening) return this.listening;
    const server = tls.createServer({
      ...BULK_TLS,
      pskCallback: (socket, identity) => {
        // Single use: the ticket is gone once named, whether or not the handshake then succeeds.
        const t = this.tickets.get(identity);
        if (!t) {
          this.o.log.info({ remote: socket.remoteAddress }, 'bulk channel: unknown or expired ticket refused');
          return null;
        }
        clearTimeout(t.timer);
        this.tickets.delete(identity);
        this.claimed.set(socket, t);
        return t.key;
      },
      handshakeTimeout: HANDSHAKE_MS,
    });
    this.server = server;
    server.on('connection', (s: net.Socket) => {
      this.sockets.add(s);
      s.on('close', () => {
        this.sockets.delete(s);
        this.maybeIdle();
      });
    });
    server.on('tlsClientError', (err, s) => {
      this.o.log.info({ remote: s.remoteAddress, err: err.message }, 'bulk channel: handshake failed');
      s.destroy();
    });
    server.on('secureConnection', (s) => void this.serve(s));
    this.listening = new Promise<number>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, this.o.host, () => {
        server.off('error', reject);
        server.on('error', (err) => this.o.log.warn({ err: String(err) }, 'bulk channel listener error'));
        resolve((server.address() as net.AddressInfo).port);
      });
    });
    this.listening.catch(() => {
      this.server = undefined;
      this.listening = undefined;
    });
    return this.listening;
  }

  private maybeIdle(): void {
    if (this.stopped || this.tickets.size > 0 || this.sockets.size > 0 || !this.server || this.idle) return;
    this.idle = setTimeout(() => void this.shut(), this.o.idleCloseMs ?? IDLE_CLOSE_MS);
    this.idle.unref();
  }

  private async shut(): Promise<void> {
    if (this.idle) clearTimeout(this.idle);
    this.idle = undefined;
    const server = this.server;
    this.server = undefined;
    this.listening = undefined;
    if (!server) return;
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((r) => server.close(() => r()));
  }

  private async serve(s: tls.TLSSocket): Promise<void> {
    const t = this.claimed.get(s);
    this.claimed.delete(s);
    try {
      if (!t) throw new WireError('no ticket');
      const first = await readOneFrame(s, 1024, HANDSHAKE_MS);
      const req = decodeFile(first);
      if (req.t !== 'req' || req.hash !== t.hash || req.offset !== t.offset) throw new WireError('the request does not match the ticket');
      if (t.allowed && !(await t.allowed())) throw new Error('the peer was unpaired or lost the grant since the ticket was issued');
      await this.o.send(t, (frame, reusable) => writeTo(s, frame, reusable));
      await writeTo(s, encodeFrame(encodeFile({ t: 'end' })));
      this.served++;
      s.end();
    } catch (err) {
      this.o.log.info({ remote: s.remoteAddress, err: String(err) }, 'bulk channel: connection closed');
      s.destroy();
    }
  }
}

/** Write with back-pressure; rejects when the socket closes first. `written` runs when the data has been flushed. */
export function writeTo(s: net.Socket, data: Uint8Array, written?: () => void): Promise<void> {
  if (s.destroyed) return Promise.reject(new Error('bulk connection closed'));
  if (s.write(data, written && ((err) => void (err || written())))) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const done = (err?: Error) => {
      s.off('drain', ok);
      s.off('close', closed);
      s.off('error', done);
      if (err) reject(err);
      else resolve();
    };
    const ok = () => done();
    const closed = () => done(new Error('bulk connection closed'));
    s.on('drain', ok);
    s.on('close', closed);
    s.on('error', done);
  });
}

/** The first frame a socket sends, within `ms`. */
function readOneFrame(s: net.Socket, maxFrame: number, ms: number): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const dec = new FrameDecoder(maxFrame);
    const timer = setTimeout(() => done(new Error('no request in time')), ms);
    const onData = (d: Buffer) => {
      try {
        const f = dec.push(d);
        if (f.length > 1 || dec.pending > 0) return done(new WireError('more than one request'));
        if (f.length === 1) done(undefined, f[0]);
      } catch (err) {
        done(err as Error);
      }
    };
    const onEnd = () => done(new Error('closed before a request'));
    function done(err?: Error, f?: Uint8Array) {
      clearTimeout(timer);
      s.off('data', onData);
      s.off('end', onEnd);
      s.off('error', onEnd);
      s.off('close', onEnd);
      s.pause();
      if (err) reject(err);
      else resolve(f!);
    }
    s.on('data', onData);
    s.on('end', onEnd);
    s.on('error', onEnd);
    s.on('close', onEnd);
  });
}

/**
 * Connect to a bulk ticket and send the request it is bound to; resolves once the handshake (which proves both
 * sides hold the key) is done. Rejects on refusal, a failed handshake, or `timeoutMs`. With `onread`, received
 * bytes go to its callback in its one buffer instead of 'data' events (no allocation per TLS record).
 */
export function connectBulk(
  host: string,
  ticket: { id: string; key: string; port: number },
  req: { hash: string; offset: number },
  timeoutMs = 5_000,
  onread?: { buffer: Buffer; callback: (n: number, buf: Buffer) => boolean },
): Promise<tls.TLSSocket> {
  return new Promise((resolve, reject) => {
    // `onread` is a documented tls.connect option that @types/node does not list.
    const options: tls.ConnectionOptions & { onread?: typeof onread } = {
      host,
      onread,
      port: ticket.port,
      ...BULK_TLS,
      pskCallback: () => ({ psk: Buffer.from(ticket.key, 'hex'), identity: ticket.id }),
      checkServerIdentity: () => undefined,
    };
    const s = tls.connect(options);
    const timer = setTimeout(() => fail(new Error(`bulk channel: no handshake within ${timeoutMs} ms`)), timeoutMs);
    const fail = (err: Error) => {
      clearTimeout(timer);
      s.destroy();
      reject(err);
    };
    s.once('error', fail);
    s.once('secureConnect', () => {
      clearTimeout(timer);
      s.off('error', fail);
      s.write(encodeFrame(encodeFile({ t: 'req', v: WIRE_VERSION, hash: req.hash, offset: req.offset })));
      resolve(s);
    });
  });
}
