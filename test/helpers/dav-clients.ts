// Real CalDAV/CardDAV clients from Debian, run against a node's /dav/: vdirsyncer (two-way sync with a folder) and python3-caldav.
import { execFile, spawnSync } from 'node:child_process';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';

/**
 * Rounds of create/edit/delete in the two-way client tests: the 20 by default (each vdirsyncer or
 * SyncEvolution round costs ~8 s here, so each of those tests takes 2-3 minutes); `SEMSYNC_DAV_ROUNDS=N` for a
 * quicker (or longer) run while working on the DAV server.
 */
export function davRounds(fallback = 20): number {
  const n = Number(process.env.SEMSYNC_DAV_ROUNDS);
  return Number.isInteger(n) && n > 0 ? n : fallback;
}

/** Debian's python3 (the PATH one may be a pyenv without caldav). */
export const SYSTEM_PYTHON = '/usr/bin/python3';

export function vdirsyncerMissing(): string | undefined {
  return spawnSync('sh', ['-c', 'command -v vdirsyncer']).status === 0 ? undefined : 'vdirsyncer is not installed (apt-get install -y vdirsyncer)';
}

export function caldavMissing(): string | undefined {
  return spawnSync(SYSTEM_PYTHON, ['-c', 'import caldav']).status === 0 ? undefined : 'python3-caldav is not installed (apt-get install -y python3-caldav)';
}

function exec(cmd: string, args: string[], opts: { env?: NodeJS.ProcessEnv; input?: string } = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const p = execFile(cmd, args, { env: { ...process.env, ...opts.env }, maxBuffer: 64 << 20, timeout: 120_000 }, (err, stdout, stderr) =>
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
    if (opts.input !== undefined) p.stdin?.end(opts.input);
  });
}

/** A vdirsyncer setup in `dir`: the account's calendar and address book, two-way with `dir/cal/calendar` and `dir/card/contacts`. */
export class Vdirsyncer {
  readonly config: string;
  readonly calendar: string;
  readonly contacts: string;

  constructor(readonly dir: string) {
    this.config = path.join(dir, 'config');
    this.calendar = path.join(dir, 'cal', 'calendar');
    this.contacts = path.join(dir, 'card', 'contacts');
  }

  /** Writes the config (password from a file) and runs `discover`, answering yes to making the local folders. */
  async setup(baseUrl: string, user: string, password: string): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    const pwFile = path.join(this.dir, 'password');
    await writeFile(pwFile, password + '\n', { mode: 0o600 });
    const storage = (name: string, type: string, extra: string) => `[storage ${name}]\ntype = "${type}"\n${extra}\n`;
    const remote = (type: string) => `url = "${baseUrl}"\nusername = "${user}"\npassword.fetch = ["command", "cat", "${pwFile}"]`;
    const text =
      `[general]\nstatus_path = "${path.join(this.dir, 'status')}/"\n\n` +
      `[pair cal]\na = "cal_local"\nb = "cal_remote"\ncollections = ["from b"]\nconflict_resolution = "b wins"\n\n` +
      storage('cal_local', 'filesystem', `path = "${path.join(this.dir, 'cal')}/"\nfileext = ".ics"`) +
      storage('cal_remote', 'caldav', remote('caldav')) +
      `\n[pair card]\na = "card_local"\nb = "card_remote"\ncollections = ["from b"]\nconflict_resolution = "b wins"\n\n` +
      storage('card_local', 'filesystem', `path = "${path.join(this.dir, 'card')}/"\nfileext = ".vcf"`) +
      storage('card_remote', 'carddav', remote('carddav'));
    await writeFile(this.config, text);
    const r = await exec('vdirsyncer', ['discover'], { env: { VDIRSYNCER_CONFIG: this.config }, input: 'y\n'.repeat(8) });
    if (r.code !== 0) throw new Error(`vdirsyncer discover exited ${r.code}: ${r.stderr}${r.stdout}`);
  }

  /** `vdirsyncer sync`; its output (throws on failure). */
  async sync(): Promise<string> {
    const r = await exec('vdirsyncer', ['sync'], { env: { VDIRSYNCER_CONFIG: this.config } });
    if (r.code !== 0) throw new Error(`vdirsyncer sync exited ${r.code}: ${r.stderr}${r.stdout}`);
    return r.stdout + r.stderr;
  }

  /** file name → text, for one local folder. */
  async files(which: 'calendar' | 'contacts'): Promise<Map<string, string>> {
    const dir = which === 'calendar' ? this.calendar : this.contacts;
    const out = new Map<string, string>();
    for (const name of (await readdir(dir).catch(() => [] as string[])).sort()) out.set(name, await readFile(path.join(dir, name), 'utf8'));
    return out;
  }
}

/** Runs a python3-caldav script (given as text) with argv; its stdout parsed as JSON. */
export async function runCaldavScript(dir: string, script: string, args: string[]): Promise<unknown> {
  const file = path.join(dir, 'client.py');
  await writeFile(file, script);
  const r = await exec(SYSTEM_PYTHON, [file, ...args]);
  if (r.code !== 0) throw new Error(`python3-caldav script exited ${r.code}: ${r.stderr}${r.stdout}`);
  return JSON.parse(r.stdout.trim().split('\n').pop() ?? 'null');
}

/** The UIDs of a text (vCard or iCalendar), main components only. */
export function uidsOf(text: string): string[] {
  return [...text.matchAll(/^UID(?:;[^:\r\n]*)?:([^\r\n]*)/gm)].map((m) => m[1]);
}

export function syncevolutionMissing(): string | undefined {
  return spawnSync('sh', ['-c', 'command -v syncevolution']).status === 0 ? undefined : 'syncevolution is not installed (apt-get install -y syncevolution)';
}

/**
 * SyncEvolution (the SyncML engine's CalDAV/CardDAV side) syncing a node's account with two local folders of files, one
 * item per file (its `file` backend), in its own HOME/XDG folders under `dir` (no keyring: the password is in its config).
 */
export class SyncEvolution {
  readonly calendar: string;
  readonly contacts: string;
  private readonly env: NodeJS.ProcessEnv;

  constructor(readonly dir: string) {
    this.calendar = path.join(dir, 'cal');
    this.contacts = path.join(dir, 'card');
    this.env = { HOME: dir, XDG_CONFIG_HOME: path.join(dir, 'cfg'), XDG_DATA_HOME: path.join(dir, 'data'), XDG_CACHE_HOME: path.join(dir, 'cache'), DBUS_SESSION_BUS_ADDRESS: 'disabled:' };
  }

  private async run(...args: string[]): Promise<string> {
    const r = await exec('syncevolution', args, { env: this.env });
    const out = r.stdout + r.stderr;
    if (r.code !== 0 || /\[ERROR\]/.test(out)) throw new Error(`syncevolution ${args.filter((a) => !a.startsWith('password=')).join(' ')} exited ${r.code}: ${out}`);
    return out;
  }

  async setup(davUrl: string, user: string, password: string): Promise<void> {
    await mkdir(this.calendar, { recursive: true });
    await mkdir(this.contacts, { recursive: true });
    await this.run('--configure', '--keyring=no', '--template', 'webdav', `username=${user}`, `password=${password}`, `syncURL=${davUrl}`, 'target-config@semsync', 'calendar', 'addressbook');
    await this.run('--configure', '--keyring=no', '--template', 'SyncEvolution_Client', 'sync=none', 'syncURL=local://@semsync', 'username=', 'password=', 'semsync');
    await this.run('--configure', '--keyring=no', 'sync=two-way', 'backend=file', `database=file://${this.calendar}`, 'databaseFormat=text/calendar', 'semsync', 'calendar');
    await this.run('--configure', '--keyring=no', 'sync=two-way', 'backend=file', `database=file://${this.contacts}`, 'databaseFormat=text/vcard', 'semsync', 'addressbook');
    await this.run('--sync', 'refresh-from-remote', 'semsync', 'calendar', 'addressbook');
  }

  /** A two-way sync; the rows of its change table for calendar and address book (local NEW/MOD/DEL, remote NEW/MOD/DEL). */
  async sync(): Promise<Record<string, number[]>> {
    const out = await this.run('semsync', 'calendar', 'addressbook');
    const rows: Record<string, number[]> = {};
    for (const m of out.matchAll(/^\|\s+(calendar|addressbook)\s+\|([\d\s|]+)\|\s*$/gm)) rows[m[1]] = m[2].split('|').map((x) => Number(x.trim()));
    return rows;
  }

  async files(which: 'calendar' | 'contacts'): Promise<Map<string, string>> {
    const dir = which === 'calendar' ? this.calendar : this.contacts;
    const out = new Map<string, string>();
    for (const name of (await readdir(dir)).sort()) out.set(name, await readFile(path.join(dir, name), 'utf8'));
    return out;
  }
}

/** UID plus RECURRENCE-ID of each event/task/journal in a text (SyncEvolution keeps each override in a file of its own). */
export function componentKeys(text: string): string[] {
  return [...text.matchAll(/^BEGIN:(VEVENT|VTODO|VJOURNAL)\r?\n([\s\S]*?)^END:\1/gm)].map((m) => {
    const uid = /^UID(?:;[^:\r\n]*)?:([^\r\n]*)/m.exec(m[2])?.[1] ?? '';
    const rid = /^RECURRENCE-ID(?:;[^:\r\n]*)?:([^\r\n]*)/m.exec(m[2])?.[1] ?? '';
    return `${uid} ${rid}`;
  });
}
