// Network helpers for tests that start real servers on 127.0.0.1.
import { readFileSync } from 'node:fs';
import net from 'node:net';

/** The first port the kernel hands to outgoing connections (Linux; 32768 elsewhere). */
function ephemeralLow(): number {
  try {
    const low = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
    return Number.isInteger(low) && low > 2000 ? low : 32768;
  } catch {
    return 32768;
  }
}

function tryListen(port: number): Promise<number | null> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once('error', () => resolve(null));
    srv.listen(port, '127.0.0.1', () => {
      const got = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(got));
    });
  });
}

/**
 * A TCP port free on 127.0.0.1 right now, below the kernel's range for outgoing connections: a node restarted on
 * it later cannot find it taken by some connection's local end (a fault run once failed with EADDRINUSE so).
 */
export async function freePort(): Promise<number> {
  const high = ephemeralLow() - 1;
  const low = Math.min(20000, high - 1000);
  for (let i = 0; i < 50; i++) {
    const port = await tryListen(low + Math.floor(Math.random() * (high - low)));
    if (port !== null) return port;
  }
  const any = await tryListen(0);
  if (any === null) throw new Error('no free TCP port on 127.0.0.1');
  return any;
}
