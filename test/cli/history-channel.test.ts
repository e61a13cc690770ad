// `semsync history` says through what each change came: an import, a DAV server (account/collection), against Radicale.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli } from '../helpers/cli.js';
import { radicaleMissing, startRadicale, type Radicale } from '../helpers/radicale.js';

const fixtures = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'pim', 'fixtures');
const missing = radicaleMissing();
if (missing) console.log(`skipping the DAV channel test: ${missing}`);

describe.skipIf(!!missing)('history channel of a DAV sync', () => {
  let r: Radicale;
  let home: string;
  let contacts: string;
  const ok = async (...args: string[]) => {
    const res = await cli(home, args);
    if (res.code !== 0) throw new Error(`semsync ${args.join(' ')}: ${res.code} ${res.stderr}`);
    return res.stdout;
  };

  beforeAll(async () => {
    r = await startRadicale();
    contacts = await r.mkcol('contacts', 'addressbook');
    home = await mkdtemp(path.join(os.tmpdir(), 'semsync-hist-dav-'));
    await ok('pim', 'import', path.join(fixtures, 'people.vcf'));
    await ok('dav', 'add', `${r.url}/${r.user}/`, '--name', 'company', '--user', r.user, '--password-file', r.passwordFile, '--policy', 'work');
    await ok('dav', 'sync', 'company');
  }, 60_000);
  afterAll(async () => {
    await r?.stop();
    if (home) await rm(home, { recursive: true, force: true });
  });

  it('an edit on the server comes in as dav (company/contacts); the import before it as import', async () => {
    const auth = 'Basic ' + Buffer.from(`${r.user}:${r.password}`).toString('base64');
    const list = await fetch(contacts, { method: 'PROPFIND', headers: { authorization: auth, depth: '1' } }).then((x) => x.text());
    const bob = new URL(/<[^>]*href>([^<]*work-bob[^<]*)</.exec(list)![1], r.url);
    const cur = await fetch(bob, { headers: { authorization: auth } }).then((x) => x.text());
    const put = await fetch(bob, { method: 'PUT', headers: { authorization: auth, 'content-type': 'text/vcard' }, body: cur.replace(/FN:[^\r\n]*/, 'FN:Bob the Office Builder') });
    expect(put.status).toBeLessThan(300);
    await ok('dav', 'sync', 'company');
    const h = JSON.parse(await ok('history', 'work-bob', '--json')) as { entries: Array<{ channel: string; via?: string; fields: Array<{ predicate: string; to: string[] }> }> };
    expect(h.entries[0]).toMatchObject({ channel: 'import', via: 'import:people.vcf' });
    const last = h.entries.at(-1)!;
    expect(last).toMatchObject({ channel: 'dav', via: 'dav:company/contacts' });
    expect(last.fields).toContainEqual(expect.objectContaining({ predicate: 'http://www.w3.org/2006/vcard/ns#fn', to: ['"Bob the Office Builder"'] }));
    expect(await ok('history', 'work-bob')).toMatch(/by this node, dav \(company\/contacts\)/);
  }, 60_000);
});
