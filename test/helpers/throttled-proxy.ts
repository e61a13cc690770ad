// A TCP proxy on 127.0.0.1 for e2e tests: forwards both directions, rate-limits the target→client direction.
// Put it between a dialling node (client, "B") and a listening node (target, "A") so that A's data reaches B at a
// known, slow pace: a kill of B then provably lands in the middle of a sync.
import net from 'node:net';
import { once } from 'node:events';

export interface ThrottledProxy {
  /** The port to dial instead of the target's. */
  readonly port: number;
  /** Bytes forwarded target→client (throttled direction) so far, over all connections. */
  readonly down: number;
  /** Bytes forwarded client→target so far. */
  readonly up: number;
  /** Connections accepted so far. */
  readonly connections: number;
  /** Change the target→client rate (bytes per second; Infinity: no limit). */
  setRate(bytesPerSecond: number): void;
  /** Drop every connection and stop listening. */
  close(): Promise<void>;
}

interface Pipe {
  client: net.Socket;
  upstream: net.Socket;
  queue: Buffer[];
  queued: number;
  ended: boolean;
}

const TICK_MS = 20;
/** Bytes held per connection before the target side is paused (back-pressure towards the sender). */
const HIGH_WATER = 64 * 1024;

/**
 * Listen on a free 127.0.0.1 port and forward each connection to 127.0.0.1:`targetPort`. Bytes from the target to
 * the client pass at most `bytesPerSecond` (one budget shared by all connections); the other direction is unlimited.
 * When either side closes or fails, both are closed (a killed client drops its connection to the target at once).
 */
export async function throttledProxy(targetPort: number, bytesPerSecond: number): Promise<ThrottledProxy> {
  let rate = bytesPerSecond;
  let down = 0;
  let up = 0;
  let connections = 0;
  let budget = 0;
  let last = Date.now();
  const pipes = new Set<Pipe>();

  const drop = (p: Pipe) => {
    pipes.delete(p);
    p.client.destroy();
    p.upstream.destroy();
  };

  const pump = () => {
    const now = Date.now();
    // Refill; at most 100 ms worth may be saved up, so bursts stay small (a late timer only slows things down).
    if (rate !== Infinity) budget = Math.min(budget + ((now - last) / 1000) * rate, Math.max(rate / 10, 1));
    last = now;
    for (const p of pipes) {
      while (p.queue.length > 0 && (rate === Infinity || budget >= 1)) {
        const head = p.queue[0];
        const n = rate === Infinity ? head.length : Math.min(head.length, Math.floor(budget));
        if (n === head.length) p.queue.shift();
        else p.queue[0] = head.subarray(n);
        p.queued -= n;
        if (rate !== Infinity) budget -= n;
        down += n;
        p.client.write(n === head.length ? head : head.subarray(0, n));
      }
      if (p.queued < HIGH_WATER && p.upstream.isPaused()) p.upstream.resume();
      if (p.queue.length === 0 && p.ended) {
        pipes.delete(p);
        p.client.end();
      }
    }
  };
  const timer = setInterval(pump, TICK_MS);
  timer.unref();

  const server = net.createServer((client) => {
    connections++;
    const upstream = net.connect(targetPort, '127.0.0.1');
    const p: Pipe = { client, upstream, queue: [], queued: 0, ended: false };
    pipes.add(p);
    client.setNoDelay(true);
    upstream.setNoDelay(true);
    client.on('data', (d: Buffer) => {
      up += d.length;
      if (!upstream.write(d)) client.pause();
    });
    upstream.on('drain', () => client.resume());
    client.on('end', () => upstream.end());
    upstream.on('data', (d: Buffer) => {
      p.queue.push(d);
      p.queued += d.length;
      if (p.queued >= HIGH_WATER) upstream.pause();
      if (rate === Infinity) pump();
    });
    // The target closed: deliver what is queued, then close the client side. The client closed or either failed:
    // drop both at once.
    upstream.on('end', () => {
      p.ended = true;
      pump();
    });
    upstream.on('close', (hadError) => {
      if (hadError || !p.ended) drop(p);
    });
    client.on('close', () => drop(p));
    for (const s of [client, upstream]) s.on('error', () => drop(p));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');

  return {
    port: (server.address() as net.AddressInfo).port,
    get down() {
      return down;
    },
    get up() {
      return up;
    },
    get connections() {
      return connections;
    },
    setRate(bytesPerSecond: number) {
      pump();
      rate = bytesPerSecond;
      pump();
    },
    async close() {
      clearInterval(timer);
      for (const p of pipes) drop(p);
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
