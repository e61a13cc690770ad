// Small JSON files (settings, accounts, sync states): read with a fallback when missing, written with the one atomic writer.
import { promises as fs } from 'node:fs';
import { writeFileAtomic, type AtomicWriteOptions } from './atomic-file.js';
import { InputError } from './errors.js';

/** A JSON file that cannot be read or is not JSON: it names the file and says what to do. */
export class JsonFileError extends InputError {}

/**
 * The file's value, or `fallback` when it does not exist. Anything else (unreadable, not JSON) throws an error of
 * `ErrorClass` (default JsonFileError) naming the file.
 */
export async function readJsonFile<T>(file: string, fallback: T, ErrorClass: new (message: string) => Error = JsonFileError): Promise<T> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return fallback;
    throw new ErrorClass(`${file}: ${(err as Error).message}`);
  }
  try {
    return JSON.parse(text) as T;
  } catch (err) {
    throw new ErrorClass(`${file}: not JSON (${(err as Error).message}); restore it or remove it`);
  }
}

/** Writes `value` as JSON (indented by `indent` spaces, default none) atomically. */
export async function writeJsonFile(file: string, value: unknown, opts: AtomicWriteOptions & { indent?: number } = {}): Promise<void> {
  const { indent, ...write } = opts;
  await writeFileAtomic(file, JSON.stringify(value, null, indent) + '\n', write);
}
