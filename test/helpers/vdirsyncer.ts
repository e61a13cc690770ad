// Reads a CalDAV/CardDAV collection back with Debian's vdirsyncer (a client nobody here wrote): one text per object.
import { execFile, spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export function vdirsyncerMissing(): string | undefined {
  return spawnSync('sh', ['-c', 'command -v vdirsyncer']).status === 0 ? undefined : 'vdirsyncer is not installed (apt-get install -y vdirsyncer)';
}

/** Every object of the collection at `url`, as vdirsyncer downloads it (read-only on the server side). */
export async function readBack(url: string, kind: 'contacts' | 'calendar', auth?: { user: string; password: string }): Promise<string[]> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'semsync-vdirsyncer-'));
  try {
    const ext = kind === 'contacts' ? '.vcf' : '.ics';
    await mkdir(path.join(dir, 'local'));
    const q = (s: string) => JSON.stringify(s);
    await writeFile(
      path.join(dir, 'config'),
      `[general]\nstatus_path = ${q(path.join(dir, 'status') + '/')}\n\n[pair p]\na = "local"\nb = "remote"\ncollections = null\nconflict_resolution = "b wins"\n\n` +
        `[storage local]\ntype = "filesystem"\npath = ${q(path.join(dir, 'local') + '/')}\nfileext = ${q(ext)}\n\n` +
        `[storage remote]\ntype = ${q(kind === 'contacts' ? 'carddav' : 'caldav')}\nurl = ${q(url)}\nread_only = true\n` +
        (auth ? `username = ${q(auth.user)}\npassword = ${q(auth.password)}\n` : ''),
    );
    const cfg = ['-c', path.join(dir, 'config')];
    await run('vdirsyncer', [...cfg, 'discover', 'p'], { timeout: 60_000 });
    await run('vdirsyncer', [...cfg, 'sync'], { timeout: 120_000 });
    const files = (await readdir(path.join(dir, 'local'))).filter((f) => f.endsWith(ext)).sort();
    return Promise.all(files.map((f) => readFile(path.join(dir, 'local', f), 'utf8')));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
