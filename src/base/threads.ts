// Worker threads that run our own modules: the compiled .js when installed, the TypeScript source (through tsx)
// when the tests run the sources.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker, type WorkerOptions } from 'node:worker_threads';

/**
 * A worker thread running `module`, named as the compiled file next to the caller:
 * `startWorker(new URL('./writer.js', import.meta.url), { workerData })`.
 */
export function startWorker(module: URL, options: WorkerOptions = {}): Worker {
  if (existsSync(fileURLToPath(module))) return new Worker(module, options);
  const source = new URL(module.href.replace(/\.js$/, '.ts'));
  if (!existsSync(fileURLToPath(source))) throw new Error(`no worker module at ${fileURLToPath(module)}`);
  const tsx = createRequire(import.meta.url).resolve('tsx/esm/api').replace(/\.cjs$/, '.mjs');
  const boot = `import(${JSON.stringify(pathToFileURL(tsx).href)}).then((m) => { m.register(); return import(${JSON.stringify(source.href)}); });`;
  return new Worker(boot, { ...options, eval: true });
}
