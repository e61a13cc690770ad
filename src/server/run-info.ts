// HOME/run/node.json: what a running node tells other commands (pid, start time, HTTP address), beside its control socket.
import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { writeFileAtomic } from '../base/index.js';

export interface RunInfo {
  pid: number;
  startedAt: string;
  http?: { url: string; host: string; port: number; tokenRequired: boolean };
}

const file = (home: string) => path.join(home, 'run', 'node.json');

export async function writeRunInfo(home: string, info: RunInfo): Promise<void> {
  await writeFileAtomic(file(home), JSON.stringify(info, null, 2) + '\n', { mode: 0o600 });
}

export async function readRunInfo(home: string): Promise<RunInfo | undefined> {
  try {
    return JSON.parse(await readFile(file(home), 'utf8')) as RunInfo;
  } catch {
    return undefined;
  }
}

export async function removeRunInfo(home: string): Promise<void> {
  await rm(file(home), { force: true });
}
