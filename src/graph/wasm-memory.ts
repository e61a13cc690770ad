// Growing oxigraph's WebAssembly memory once, ahead of a load, instead of in hundreds of small steps.
// V8 runs a full garbage collection on each growth of a wasm memory: loading 100,000 statements grew it ~200
// times and spent about half the load in those collections (measured: 0.9–1.5 s without, 0.4–0.5 s with a
// reservation of 3–4x the text's bytes). The memory is reserved by handing oxigraph a buffer of that size that fails
// to parse at its first byte: its glue copies the buffer into wasm memory (growing it once), the parser stops at
// once, and the freed space serves the load that follows. Only an optimisation: if a later oxigraph skips the copy,
// loads are as before.
import oxigraph from 'oxigraph';

export function reserveWasmMemory(bytes: number): void {
  if (bytes < 1 << 20) return;
  const buf = Buffer.allocUnsafe(bytes);
  buf[0] = 0x40; // '@': not the start of any N-Quads line
  try {
    new oxigraph.Store().load(buf, { format: 'application/n-quads' });
  } catch {
    // expected: the parse error at the first byte
  }
}

/** Frees a store's wasm memory now rather than at a later garbage collection (oxigraph's glue has free(); its types do not say so). */
export function freeStore(store: oxigraph.Store): void {
  (store as unknown as { free(): void }).free();
}
