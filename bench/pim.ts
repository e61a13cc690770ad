// PIM: importing 10,000 contacts and 10,000 events (vs ical.js parsing alone); the first CardDAV upload vs vdirsyncer's;
// two-way CalDAV/CardDAV sync with 1% changed vs a slow sync (everything sent).
import { execFile } from 'node:child_process';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import ICAL from 'ical.js';
import { readFile } from 'node:fs/promises';
import { SemsyncNode } from '../src/node/node.js';
import { NodePim } from '../src/node/pim.js';
import { DavClient, hrefKey, objectName } from '../src/dav/index.js';
import { exportItems, mergedView } from '../src/pim/store.js';
import { dataDir, fmt, have, record, semsync, time } from './lib.js';
import { startRadicale } from '../test/helpers/radicale.js';

function contacts(n: number, tag = ''): string {
  let s = '';
  for (let i = 0; i < n; i++) {
    s += `BEGIN:VCARD\r\nVERSION:3.0\r\nUID:bench-c-${i}\r\nFN:Person ${i}${tag}\r\nN:Person${i};Given;;;\r\nEMAIL;TYPE=WORK:p${i}@example.com\r\nTEL;TYPE=CELL:+4930${String(i).padStart(7, '0')}\r\nCATEGORIES:${i % 10 === 0 ? 'Personal' : 'Work'}\r\nEND:VCARD\r\n`;
  }
  return s;
}

function events(n: number): string {
  let s = 'BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//bench//EN\r\n';
  for (let i = 0; i < n; i++) {
    const d = new Date(Date.UTC(2024, 0, 1) + i * 3_600_000).toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
    s += `BEGIN:VEVENT\r\nUID:bench-e-${i}\r\nDTSTAMP:20240101T000000Z\r\nDTSTART:${d}\r\nDURATION:PT1H\r\nSUMMARY:Meeting ${i}\r\nCLASS:${i % 10 === 0 ? 'PRIVATE' : 'PUBLIC'}\r\n${i % 50 === 0 ? 'RRULE:FREQ=WEEKLY;COUNT=10\r\n' : ''}END:VEVENT\r\n`;
  }
  return s + 'END:VCALENDAR\r\n';
}

/** ms vdirsyncer takes to upload `cards` (one .vcf each) into the empty address book `url`. */
async function vdirsyncerUpload(dir: string, url: string, r: { user: string; password: string }, cards: string): Promise<number> {
  const base = path.join(dir, 'vdirsyncer');
  const local = path.join(base, 'local');
  await rm(base, { recursive: true, force: true });
  await mkdir(local, { recursive: true });
  for (const card of cards.split(/(?<=END:VCARD\r\n)/).filter(Boolean)) await writeFile(path.join(local, `${/UID:([^\r\n]*)/.exec(card)![1]}.vcf`), card);
  const q = (x: string) => JSON.stringify(x);
  const config = path.join(base, 'config');
  await writeFile(config, `[general]\nstatus_path = ${q(path.join(base, 'status') + '/')}\n\n[pair p]\na = "local"\nb = "remote"\ncollections = null\n\n` +
    `[storage local]\ntype = "filesystem"\npath = ${q(local + '/')}\nfileext = ".vcf"\n\n[storage remote]\ntype = "carddav"\nurl = ${q(url)}\nusername = ${q(r.user)}\npassword = ${q(r.password)}\n`);
  const run = (...args: string[]) => new Promise<void>((ok, fail) => execFile('vdirsyncer', ['-c', config, ...args], { timeout: 600_000 }, (err) => (err ? fail(err) : ok())));
  await run('discover', 'p');
  return (await time(() => run('sync'))).ms;
}

export async function benchPim(count = 10_000, davCount = 2_000): Promise<void> {
  const dir = path.join(dataDir, 'pim');
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  const vcf = path.join(dir, 'contacts.vcf');
  const ics = path.join(dir, 'events.ics');
  await writeFile(vcf, contacts(count));
  await writeFile(ics, events(count));

  // Import through the CLI (read, map to RDF, store durably) vs ical.js parsing the same text alone.
  for (const [what, file] of [['contacts', vcf], ['events', ics]] as const) {
    const home = path.join(dir, `home-${what}`);
    const ours = await semsync(home, 'pim', 'import', file);
    if (ours.code !== 0) throw new Error(ours.stderr);
    const text = await readFile(file, 'utf8');
    const parse = await time(() => (what === 'contacts' ? text.split(/(?<=END:VCARD\r\n)/).filter(Boolean).map((c) => ICAL.parse(c)) : ICAL.parse(text)));
    record({ what: `pim import ${count} ${what} (whole CLI command)`, ours: fmt.ms(ours.ms), anchorName: 'ical.js parse only', anchor: fmt.ms(parse.ms), ratio: fmt.x(ours.ms / parse.ms), goal: '(for reference)' });
  }

  if (!have('radicale')) {
    record({ what: 'CalDAV/CardDAV sync', ours: '-', anchorName: 'radicale not installed (apt-get install radicale)', anchor: '-', ratio: '-', goal: '-' });
    return;
  }
  const r = await startRadicale();
  const node = await SemsyncNode.open({ home: path.join(dir, 'home-dav') });
  try {
    const coll = await r.mkcol('contacts', 'addressbook');
    await writeFile(path.join(dir, 'dav.vcf'), contacts(davCount));
    const pim = NodePim.for(node);
    await pim.import([path.join(dir, 'dav.vcf')], dir);
    await pim.dav.add(coll, { name: 'bench', user: r.user, passwordFile: r.passwordFile }, dir);
    const first = await time(() => pim.dav.sync('bench'));
    // The anchor: vdirsyncer uploading the same cards (one file each) to another address book of the same server.
    const anchor = have('vdirsyncer') ? await vdirsyncerUpload(dir, await r.mkcol('contacts-vdirsyncer', 'addressbook'), r, contacts(davCount)) : undefined;
    record({
      what: `first dav sync: ${davCount} contacts up`,
      ours: fmt.ms(first.ms),
      anchorName: anchor === undefined ? 'vdirsyncer not installed' : 'vdirsyncer uploading the same cards',
      anchor: anchor === undefined ? '-' : fmt.ms(anchor),
      ratio: anchor === undefined ? '-' : fmt.x(anchor / first.ms),
      goal: 'no slower than vdirsyncer',
      met: anchor === undefined ? undefined : first.ms <= anchor,
    });
    // 1% changed: half here, half on the server.
    const n = Math.max(2, Math.round(davCount / 100));
    const local = Array.from({ length: n / 2 }, (_, i) => i * 7);
    await writeFile(path.join(dir, 'edit.vcf'), local.map((i) => contacts(i + 1, ' (edited here)').split(/(?<=END:VCARD\r\n)/).at(-1)!).join(''));
    await pim.import([path.join(dir, 'edit.vcf')], dir);
    const client = new DavClient(`${r.url}/${r.user}/`, { user: r.user, password: r.password, timeoutMs: 60_000 });
    for (let i = 0; i < n / 2; i++) {
      const k = 1 + i * 11;
      await fetch(`${coll}bench-c-${k}.vcf`, { method: 'PUT', headers: { authorization: 'Basic ' + Buffer.from(`${r.user}:${r.password}`).toString('base64'), 'content-type': 'text/vcard' }, body: contacts(k + 1, ' (edited there)').split(/(?<=END:VCARD\r\n)/).at(-1)! });
    }
    const inc = await time(() => pim.dav.sync('bench'));
    const moved = inc.value.reduce((s, x) => s + x.pulled + x.pushed, 0);
    // SyncEvolution-style slow sync: every object fetched, compared and every item sent again.
    const slow = await time(async () => {
      const listing = await client.list(coll);
      await client.multiget(coll, 'contacts', [...listing.items.values()].map((l) => l.href));
      const view = mergedView(node.store, 'contacts');
      for (const item of view.items.values()) {
        const url = `${coll}${objectName(item.master, 'contacts')}`;
        await client.put(url, exportItems(view, [item.master]), 'contacts', listing.items.get(hrefKey(url))?.etag);
      }
    });
    record({ what: `two-way dav sync, ${davCount} contacts, 1% changed (${moved} moved)`, ours: fmt.ms(inc.ms), anchorName: 'slow sync (all fetched, all sent)', anchor: fmt.ms(slow.ms), ratio: fmt.x(slow.ms / inc.ms) + ' faster', goal: '≥ 10x', met: slow.ms / inc.ms >= 10 });
  } finally {
    await node.close();
    await r.stop();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await benchPim(Number(process.argv[2] ?? 10_000), Number(process.argv[3] ?? 2_000));
