// Small JSON files in the node's home, written atomically (temp in the same folder, fsync, rename).
import { promises as fs } from 'node:fs';
import { writeFileAtomic } from '../../base/index.js';

export async function readJsonFile<T>(file: string, fallback: T): Promise<T> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return fallback;
    throw err;
  }
  try {
    return JSON.parse(text) as T;
  } catch (err) {
    throw new Error(`${file}: not JSON (${(err as Error).message}); restore it or remove it`);
  }
}

export async function writeJsonFile(file: string, value: unknown): Promise<void> {
  await writeFileAtomic(file, JSON.stringify(value) + '\n', { dirMode: 0o700 });
}
