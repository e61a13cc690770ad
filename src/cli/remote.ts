// The CLI's side of the control socket: a NodeApi whose calls run in the node that holds the home.
import http from 'node:http';
import type { NodeApi } from '../node/index.js';
import { FailureError, type ErrorKind } from '../base/index.js';

/** An error the running node raised, carried over with its name (so exit codes stay right). */
export class RemoteError extends FailureError {
  override readonly kind: ErrorKind;
  constructor(name: string, message: string, kind: ErrorKind = 'failure') {
    super(message);
    this.name = name;
    this.kind = kind;
  }
}

export class NodeUnreachableError extends FailureError {
  override name = 'NodeUnreachableError';
}

function call(socketPath: string, method: string, args: unknown[]): Promise<unknown> {
  const body = JSON.stringify({ method, args });
  return new Promise((resolve, reject) => {
    const req = http.request(
      { socketPath, path: '/rpc', method: 'POST', headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          try {
            const reply = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { ok: boolean; result?: unknown; error?: { name: string; message: string; kind?: ErrorKind } };
            if (reply.ok) resolve(reply.result);
            else reject(new RemoteError(reply.error?.name ?? 'Error', reply.error?.message ?? 'the node failed', reply.error?.kind));
          } catch (err) {
            reject(new NodeUnreachableError(`bad answer from the running node: ${(err as Error).message}`));
          }
        });
      },
    );
    req.on('error', (err) => reject(new NodeUnreachableError(`cannot reach the running node at ${socketPath}: ${err.message}`)));
    req.end(body);
  });
}

/** A NodeApi proxy: every method is a call over the socket. */
export function remoteApi(socketPath: string): NodeApi {
  return new Proxy({} as NodeApi, {
    // Not a thenable: `await remoteApi(...)` must not turn into a call.
    get: (_t, method: string) => (method === 'then' ? undefined : (...args: unknown[]) => call(socketPath, method, args)),
  });
}

/** True when a node answers on the socket. */
export async function reachable(socketPath: string): Promise<boolean> {
  try {
    await call(socketPath, 'status', []);
    return true;
  } catch {
    return false;
  }
}
