// The PIM side's small JSON files in HOME/pim (policies, accounts, sync states): read with a fallback, written atomically.
import { promises as fs } from 'node:fs';
import { writeFileAtomic } from '../base/index.js';
import { InputError } from '../base/index.js';

export class PimError extends InputError {
}

export async function readJson<T>(file: string, fallback: T): Promise<T> {
  try {
    return JSON.parse(await fs.readFile(file, 'utf8')) as T;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return fallback;
    throw new PimError(`${file}: ${(err as Error).message}`);
  }
}

/**
 * Writes `value` as JSON with the one atomic writer (a temp file of its own, fsync'd, renamed: two writes of one
 * file at once never share a temp name, and a crash leaves the old file or the new one).
 */
export async function writeJson(file: string, value: unknown): Promise<void> {
  await writeFileAtomic(file, JSON.stringify(value, null, 2) + '\n');
}
