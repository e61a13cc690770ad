// The error base: every error semsync raises on purpose says whether the input was bad (exit 2) or the work
// failed (exit 1), and keeps that through the control socket.
export type ErrorKind = 'input' | 'failure';

export abstract class SemsyncError extends Error {
  /** Bad input or usage (exit 2), or a failure of the work (exit 1). */
  abstract readonly kind: ErrorKind;
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** A base for errors caused by what the person or a peer gave us: exit code 2. */
export class InputError extends SemsyncError {
  readonly kind: ErrorKind = 'input';
}

/** A base for errors of the work itself (a disk, a peer, a server failed): exit code 1. */
export class FailureError extends SemsyncError {
  readonly kind: ErrorKind = 'failure';
}

/** How an error travels over the control socket (and back into an exception on the CLI's side). */
export interface ErrorWire {
  name: string;
  message: string;
  kind: ErrorKind;
}

export function errorKind(err: unknown): ErrorKind {
  if (err instanceof SemsyncError) return err.kind;
  const k = (err as { kind?: unknown } | null)?.kind;
  return k === 'input' ? 'input' : 'failure';
}

export function toWire(err: unknown): ErrorWire {
  const e = err instanceof Error ? err : new Error(String(err));
  return { name: e.name, message: e.message, kind: errorKind(err) };
}

/** The process exit code for an error: 2 for bad input, 1 otherwise. */
export function exitCodeOf(err: unknown): 1 | 2 {
  return errorKind(err) === 'input' ? 2 : 1;
}
