// The PIM side's small JSON files in HOME/pim (policies, accounts, sync states): read with a fallback, written atomically.
import { InputError, readJsonFile, writeJsonFile } from '../base/index.js';

export class PimError extends InputError {
}

export async function readJson<T>(file: string, fallback: T): Promise<T> {
  return readJsonFile(file, fallback, PimError);
}

/** Writes `value` as indented JSON with the one atomic writer (a crash leaves the old file or the new one). */
export async function writeJson(file: string, value: unknown): Promise<void> {
  await writeJsonFile(file, value, { indent: 2 });
}
