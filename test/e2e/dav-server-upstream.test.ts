// What a phone writes to the node's DAV server is an edit like any other: it goes on to the company's CalDAV server (Radicale,
// policy work) that the node syncs with; a private event the phone writes does not.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, it, expect } from 'vitest';
import { json, killAllNodes, ok, startNode, stopNode, until, type RunningNode } from '../helpers/nodes.js';
import { radicaleMissing, startRadicale, storageText, type Radicale } from '../helpers/radicale.js';
import { Vdirsyncer, vdirsyncerMissing } from '../helpers/dav-clients.js';

const missing = radicaleMissing() ?? vdirsyncerMissing();
if (missing) console.log(`skipping the DAV upstream test: ${missing}`);

describe.skipIf(!!missing)('a phone edit reaches the upstream server', () => {
  let work: string;
  let r: Radicale;
  let node: RunningNode;
  let phone: Vdirsyncer;

  beforeAll(async () => {
    work = await mkdtemp(path.join(os.tmpdir(), 'semsync-dav-upstream-'));
    r = await startRadicale();
    await r.mkcol('calendar', 'calendar');
    const home = path.join(work, 'laptop');
    await ok(home, 'dav', 'add', `${r.url}/${r.user}/`, '--name', 'company', '--user', r.user, '--password-file', r.passwordFile, '--policy', 'work', '--interval', '2');
    const password = (await json<{ password: string }>(home, 'dav', 'serve', 'add', 'phone', '--json')).password;
    node = await startNode(home);
    phone = new Vdirsyncer(path.join(work, 'phone'));
    await phone.setup(node.url, 'phone', password);
  }, 120_000);
  afterAll(async () => {
    if (node) await stopNode(node);
    killAllNodes();
    await r?.stop();
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('carries a public event to the company server and keeps a private one from it', async () => {
    const event = (uid: string, summary: string, cls: string) => `BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//e2e//up//EN\r\nBEGIN:VEVENT\r\nUID:${uid}\r\nDTSTAMP:20250101T000000Z\r\nDTSTART:20251001T100000Z\r\nSUMMARY:${summary}\r\nCLASS:${cls}\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n`;
    await writeFile(path.join(phone.calendar, 'meeting.ics'), event('phone-meeting', 'Meeting from the phone', 'PUBLIC'));
    await writeFile(path.join(phone.calendar, 'secret.ics'), event('phone-secret', 'Secret plugh', 'PRIVATE'));
    await phone.sync();
    await until(async () => (await storageText(r.storage, true)).includes('Meeting from the phone'), 60_000, 'the phone event on the company server');
    // A later event reaching the server proves a sync ran after the private one was in the graph.
    await writeFile(path.join(phone.calendar, 'later.ics'), event('phone-later', 'Later from the phone', 'PUBLIC'));
    await phone.sync();
    await until(async () => (await storageText(r.storage, true)).includes('Later from the phone'), 60_000, 'the later event on the company server');
    expect(await storageText(r.storage)).not.toContain('plugh');
    expect(await ok(node.home, 'pim', 'export', '--calendar')).toContain('Secret plugh');
  }, 180_000);
});
