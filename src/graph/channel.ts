// Through what a local change came (the `via` header of its patch): set around the work that commits it.
import { AsyncLocalStorage } from 'node:async_hooks';
import { VIA_RE } from './patch.js';

const current = new AsyncLocalStorage<string>();

/**
 * A channel as a `via` header holds it: `kind` (`local`, `import`, `undo`, `scan`, `device`, `dav`) and an optional
 * detail (`dav:<account>/<collection>`, `device:<id>`); characters a header cannot hold become `_`, and it is cut at 512.
 */
export function viaOf(kind: string, detail?: string): string {
  const text = detail ? `${kind}:${detail}` : kind;
  const clean = text.replace(/[^\x20-\x21\x23-\x5b\x5d-\x7e]/g, '_').slice(0, 512);
  return VIA_RE.test(clean) ? clean : 'local';
}

/** Run `fn` with every commit it makes (GraphStore.commit, directly or through any layer) recorded as coming through `via`. */
export function withChannel<T>(via: string, fn: () => T): T {
  return current.run(viaOf(via), fn);
}

/** The channel of the commit being made now: the innermost withChannel around it, else `local`. */
export function currentChannel(): string {
  return current.getStore() ?? 'local';
}

/** The kind of a `via` header (the part before the first `:`), or null for none. */
export function channelKind(via: string | undefined): string | null {
  if (!via) return null;
  const cut = via.indexOf(':');
  return cut < 0 ? via : via.slice(0, cut);
}
