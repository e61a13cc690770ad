// Starts Debian's Xandikos (CalDAV/CardDAV, git-backed) on 127.0.0.1 with a temp folder, for tests: no auth, one principal
// `/user/` with a calendar and an address book (`--defaults`).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { freePort } from './net.js';

export interface Xandikos {
  /** The server's root (discovery goes through /.well-known and the principal from here). */
  url: string;
  calendar: string;
  contacts: string;
  /** Xandikos's storage folder (git repositories of .ics/.vcf files). */
  storage: string;
  stop(): Promise<void>;
}

export function xandikosMissing(): string | undefined {
  return spawnSync('sh', ['-c', 'command -v xandikos']).status === 0 ? undefined : 'xandikos is not installed (apt-get install -y xandikos)';
}

export async function startXandikos(): Promise<Xandikos> {
  const storage = await mkdtemp(path.join(os.tmpdir(), 'semsync-xandikos-'));
  const port = await freePort();
  const child: ChildProcess = spawn('xandikos', ['--defaults', '-d', storage, '-l', '127.0.0.1', '-p', String(port)], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr!.on('data', (d) => (err += d));
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    if (child.exitCode !== null) throw new Error(`xandikos exited: ${err}`);
    const ok = await fetch(`${url}/user/`, { method: 'PROPFIND', headers: { depth: '0' } }).then((r) => r.status === 207, () => false);
    if (ok) break;
    if (i > 300) throw new Error(`xandikos did not start: ${err}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    url: `${url}/`,
    calendar: `${url}/user/calendars/calendar/`,
    contacts: `${url}/user/contacts/addressbook/`,
    storage,
    async stop() {
      if (child.exitCode === null) {
        const done = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await done;
      }
      await rm(storage, { recursive: true, force: true });
    },
  };
}
