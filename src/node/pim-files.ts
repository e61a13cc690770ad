// The PIM side's small JSON files in HOME/pim (policies, accounts, sync states): read with a fallback, written atomically.
import { promises as fs } from 'node:fs';
import path from 'node:path';

export class PimError extends Error {
  override name = 'UsageError';
}

export async function readJson<T>(file: string, fallback: T): Promise<T> {
  try {
    return JSON.parse(await fs.readFile(file, 'utf8')) as T;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return fallback;
    throw new PimError(`${file}: ${(err as Error).message}`);
  }
}

let writes = 0;

/** Writes `value` as JSON through a temp file of its own (two writes of one file at once must not share a temp name). */
export async function writeJson(file: string, value: unknown): Promise<void> {
  await fs.mkdir(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.${++writes}.tmp`;
  await fs.writeFile(tmp, JSON.stringify(value, null, 2) + '\n', { mode: 0o600 });
  await fs.rename(tmp, file);
}
