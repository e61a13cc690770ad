// The DAV server's accounts: a name, a privacy policy, a generated password kept as a scrypt hash (HOME/dav-server/accounts.json).
import { randomBytes, scrypt as scryptCb, timingSafeEqual, createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { parsePolicy, type PimPolicy } from '../../pim/index.js';
import { readJsonFile, writeJsonFile } from '../../base/index.js';
import { InputError } from '../../base/index.js';

export class DavAccountError extends InputError {
}

export interface ServedAccount {
  name: string;
  /** Undefined: everything (a personal phone). */
  policy?: PimPolicy;
  /** `scrypt$N$r$p$salt$hash` (base64url). */
  hash: string;
  created: string;
}

const N = 16384;
const R = 8;
const P = 1;

function scrypt(password: string, salt: Buffer, n: number, r: number, p: number): Promise<Buffer> {
  return new Promise((resolve, reject) => scryptCb(password, salt, 32, { N: n, r, p, maxmem: 64 * 1024 * 1024 }, (err, key) => (err ? reject(err) : resolve(key))));
}

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await scrypt(password, salt, N, R, P);
  return `scrypt$${N}$${R}$${P}$${salt.toString('base64url')}$${key.toString('base64url')}`;
}

export async function verifyPassword(hash: string, password: string): Promise<boolean> {
  const [kind, n, r, p, salt, key] = hash.split('$');
  if (kind !== 'scrypt' || !key) return false;
  const want = Buffer.from(key, 'base64url');
  const got = await scrypt(password, Buffer.from(salt, 'base64url'), Number(n), Number(r), Number(p));
  return got.length === want.length && timingSafeEqual(got, want);
}

/** A policy from the CLI: `personal` (everything), `work` (WORK_EXCLUSIONS), or a JSON file's (see docs/pim.md). */
export async function policyFromArg(arg: string, cwd: string): Promise<PimPolicy | undefined> {
  if (arg === 'personal') return undefined;
  if (arg === 'work') return { work: true };
  const file = path.resolve(cwd, arg);
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch {
    throw new DavAccountError(`--policy ${arg}: neither "personal", "work" nor a readable policy file`);
  }
  try {
    return parsePolicy(JSON.parse(text));
  } catch (err) {
    throw new DavAccountError(`${file}: ${(err as Error).message}`);
  }
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/;

/** The accounts file of one home. The running server re-reads it when it changes (`semsync dav serve add` needs no restart). */
export class DavAccounts {
  readonly file: string;
  private cache: { mtimeMs: number; accounts: ServedAccount[] } | undefined;

  constructor(readonly home: string) {
    this.file = path.join(home, 'dav-server', 'accounts.json');
  }

  async list(): Promise<ServedAccount[]> {
    const st = await fs.stat(this.file).catch(() => undefined);
    if (!st) return [];
    if (this.cache?.mtimeMs !== st.mtimeMs) this.cache = { mtimeMs: st.mtimeMs, accounts: await readJsonFile<ServedAccount[]>(this.file, []) };
    return this.cache.accounts;
  }

  async get(name: string): Promise<ServedAccount | undefined> {
    return (await this.list()).find((a) => a.name === name);
  }

  /** A version of the file's content: cached logins are dropped when it changes (a password or policy changed). */
  async version(): Promise<string> {
    const st = await fs.stat(this.file).catch(() => undefined);
    return st ? `${st.mtimeMs}:${st.size}` : 'none';
  }

  /** Adds an account; returns its generated password (shown once, never stored). */
  async add(name: string, policy: PimPolicy | undefined): Promise<{ account: ServedAccount; password: string }> {
    if (!NAME.test(name)) throw new DavAccountError(`account name ${JSON.stringify(name)}: use letters, digits, "_", "." and "-" (it is part of the address)`);
    const accounts = await this.list();
    if (accounts.some((a) => a.name === name)) throw new DavAccountError(`an account named "${name}" exists already (\`semsync dav serve passwd ${name}\` makes a new password)`);
    const password = newPassword();
    const account: ServedAccount = { name, policy, hash: await hashPassword(password), created: new Date().toISOString() };
    await this.save([...accounts, account]);
    return { account, password };
  }

  async remove(name: string): Promise<void> {
    const accounts = await this.list();
    if (!accounts.some((a) => a.name === name)) throw new DavAccountError(`no served account "${name}"; see \`semsync dav serve list\``);
    await this.save(accounts.filter((a) => a.name !== name));
  }

  async passwd(name: string): Promise<string> {
    const accounts = await this.list();
    const a = accounts.find((x) => x.name === name);
    if (!a) throw new DavAccountError(`no served account "${name}"; see \`semsync dav serve list\``);
    const password = newPassword();
    a.hash = await hashPassword(password);
    await this.save(accounts);
    return password;
  }

  private async save(accounts: ServedAccount[]): Promise<void> {
    await writeJsonFile(this.file, accounts, { dirMode: 0o700 });
    this.cache = undefined;
  }
}

/** 20 characters from an unambiguous alphabet, in groups of 5 (easy to type on a phone): about 100 bits. */
function newPassword(): string {
  const alphabet = 'abcdefghijkmnpqrstuvwxyz23456789';
  const bytes = randomBytes(20);
  const chars = [...bytes].map((b) => alphabet[b % alphabet.length]);
  return [0, 5, 10, 15].map((i) => chars.slice(i, i + 5).join('')).join('-');
}

/** Checks Basic credentials, caching a success for a while (scrypt is slow on purpose), with a back-off after failures. */
export class DavAuth {
  private ok = new Map<string, { name: string; until: number; version: string }>();
  private failures = new Map<string, { count: number; until: number }>();

  constructor(private readonly accounts: DavAccounts, private readonly now = () => Date.now()) {}

  /** The account, or a reason: 'none' (no or bad credentials), 'wait' (too many failures; seconds to wait). */
  async check(header: string | undefined, from: string): Promise<{ account: ServedAccount } | { wait: number } | null> {
    const m = /^Basic\s+([A-Za-z0-9+/=]+)$/i.exec(header ?? '');
    if (!m) return null;
    const decoded = Buffer.from(m[1], 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) return null;
    const name = decoded.slice(0, colon);
    const key = `${from}\n${name}`;
    const f = this.failures.get(key);
    if (f && f.until > this.now()) return { wait: Math.ceil((f.until - this.now()) / 1000) };
    const version = await this.accounts.version();
    const digest = createHash('sha256').update(m[1]).digest('base64url');
    const hit = this.ok.get(digest);
    if (hit && hit.until > this.now() && hit.version === version) {
      const account = await this.accounts.get(hit.name);
      if (account) return { account };
    }
    const account = await this.accounts.get(name);
    if (account && (await verifyPassword(account.hash, decoded.slice(colon + 1)))) {
      this.failures.delete(key);
      this.ok.set(digest, { name, until: this.now() + 10 * 60_000, version });
      return { account };
    }
    const count = (f?.count ?? 0) + 1;
    if (this.failures.size >= 10_000 && !f) this.failures.delete(this.failures.keys().next().value!); // bounded: the oldest goes
    // Three tries free, then 1 s, 2 s, 4 s ... up to 5 minutes between tries.
    this.failures.set(key, { count, until: count > 3 ? this.now() + Math.min(300_000, 1000 * 2 ** (count - 4)) : 0 });
    return null;
  }
}
