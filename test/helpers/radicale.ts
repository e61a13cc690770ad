// Starts Debian's Radicale (CalDAV/CardDAV) on 127.0.0.1 with a temp storage folder and a plain htpasswd user, for tests and benches.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { freePort } from './net.js';

export interface Radicale {
  url: string;
  user: string;
  password: string;
  passwordFile: string;
  /** Radicale's storage folder (collection-root/<user>/<collection>/*.ics|*.vcf). */
  storage: string;
  dir: string;
  /** Creates a calendar or address book collection for the user; returns its URL. */
  mkcol(name: string, kind: 'calendar' | 'addressbook'): Promise<string>;
  stop(): Promise<void>;
}

/** Why Radicale cannot run here, or undefined when it can. */
export function radicaleMissing(): string | undefined {
  return spawnSync('sh', ['-c', 'command -v radicale']).status === 0 ? undefined : 'radicale is not installed (apt-get install -y radicale)';
}


export async function startRadicale(): Promise<Radicale> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'semsync-radicale-'));
  const storage = path.join(dir, 'storage');
  const user = 'alice';
  const password = 'company-secret';
  const passwordFile = path.join(dir, 'password');
  await writeFile(path.join(dir, 'users'), `${user}:${password}\n`);
  await writeFile(passwordFile, `${password}\n`, { mode: 0o600 });
  const port = await freePort();
  const config = path.join(dir, 'config');
  await writeFile(
    config,
    `[server]\nhosts = 127.0.0.1:${port}\n[auth]\ntype = htpasswd\nhtpasswd_filename = ${path.join(dir, 'users')}\nhtpasswd_encryption = plain\ndelay = 0\n` +
      `[storage]\nfilesystem_folder = ${storage}\n[rights]\ntype = owner_only\n[logging]\nlevel = warning\n`,
  );
  const child: ChildProcess = spawn('radicale', ['--config', config], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr!.on('data', (d) => (err += d));
  const url = `http://127.0.0.1:${port}`;
  const auth = 'Basic ' + Buffer.from(`${user}:${password}`).toString('base64');
  for (let i = 0; ; i++) {
    if (child.exitCode !== null) throw new Error(`radicale exited: ${err}`);
    const ok = await fetch(`${url}/.web/`).then(() => true, () => false);
    if (ok) break;
    if (i > 200) throw new Error(`radicale did not start: ${err}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    url,
    user,
    password,
    passwordFile,
    storage,
    dir,
    async mkcol(name, kind) {
      const target = `${url}/${user}/${name}/`;
      const rt = kind === 'calendar' ? '<C:calendar/>' : '<CR:addressbook/>';
      const body = `<?xml version="1.0"?><D:mkcol xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav" xmlns:CR="urn:ietf:params:xml:ns:carddav"><D:set><D:prop><D:resourcetype><D:collection/>${rt}</D:resourcetype><D:displayname>${name}</D:displayname></D:prop></D:set></D:mkcol>`;
      const r = await fetch(target, { method: 'MKCOL', headers: { authorization: auth, 'content-type': 'application/xml' }, body });
      if (r.status !== 201) throw new Error(`MKCOL ${target}: ${r.status} ${await r.text()}`);
      return target;
    },
    async stop() {
      if (child.exitCode === null) {
        const done = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await done;
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Every file Radicale stores, as one text (`itemsOnly`: the items, not Radicale's caches and history of past versions). */
export async function storageText(storage: string, itemsOnly = false): Promise<string> {
  let all = '';
  for (const e of await readdir(storage, { withFileTypes: true, recursive: true }).catch(() => [])) {
    if (itemsOnly && path.join(e.parentPath, e.name).includes('.Radicale')) continue;
    if (e.isFile()) all += await readFile(path.join(e.parentPath, e.name), 'utf8').catch(() => '');
  }
  return all;
}
