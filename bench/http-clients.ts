// The HTTP bench's clients, in their own process (as real clients are): N keep-alive connections, each asking the
// same GET again as soon as it has its answer, for a while; prints each request's latency (ms, sub-millisecond:
// autocannon rounds to whole ms, too coarse for a 2 ms goal). `node http-clients.js URL CLIENTS SECONDS`.
import net from 'node:net';

const [url, clientsArg, secondsArg] = process.argv.slice(2);
const target = new URL(url);
const request = Buffer.from(`GET ${target.pathname}${target.search} HTTP/1.1\r\nhost: ${target.host}\r\naccept: application/sparql-results+json\r\n\r\n`);
const until = performance.now() + Number(secondsArg) * 1000;

/** One client: sends, reads one whole response (content-length or chunked), records the time, sends again. */
function client(): Promise<{ latencies: number[]; non2xx: number; errors: number }> {
  const latencies: number[] = [];
  let non2xx = 0;
  return new Promise((resolve) => {
    const socket = net.connect(Number(target.port), target.hostname);
    socket.setNoDelay(true);
    let buf = Buffer.alloc(0);
    let sent = 0;
    const send = () => {
      if (performance.now() >= until) return void socket.end(() => resolve({ latencies, non2xx, errors: 0 }));
      sent = performance.now();
      socket.write(request);
    };
    socket.on('connect', send);
    socket.on('error', () => resolve({ latencies, non2xx, errors: 1 }));
    socket.on('data', (chunk) => {
      buf = buf.length ? Buffer.concat([buf, chunk]) : chunk;
      for (;;) {
        const end = buf.indexOf('\r\n\r\n');
        if (end < 0) return;
        const head = buf.toString('latin1', 0, end);
        let total: number;
        const length = /\r\ncontent-length:\s*(\d+)/i.exec(head);
        if (length) total = end + 4 + Number(length[1]);
        else {
          const last = buf.indexOf('\r\n0\r\n\r\n', end); // chunked: its last chunk
          if (last < 0) return;
          total = last + 7;
        }
        if (buf.length < total) return;
        if (!/^HTTP\/1\.1 2/.test(head)) non2xx++;
        latencies.push(performance.now() - sent);
        buf = buf.subarray(total);
        send();
      }
    });
  });
}

const all = await Promise.all(Array.from({ length: Number(clientsArg) }, client));
process.stdout.write(JSON.stringify({ latencies: all.flatMap((c) => c.latencies), non2xx: all.reduce((n, c) => n + c.non2xx, 0), errors: all.reduce((n, c) => n + c.errors, 0) }));
