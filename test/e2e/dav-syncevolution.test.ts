// SyncEvolution (Debian's, the seed-era PIM sync engine) against the node's CalDAV/CardDAV server: the work account gets no
// private item, and two-way rounds of creates, edits and deletes on both sides end with nothing duplicated and quiet syncs.
import { mkdtemp, readdir, rm, unlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { json, killAllNodes, ok, startNode, stopNode, type RunningNode } from '../helpers/nodes.js';
import { componentKeys, davRounds, SyncEvolution, syncevolutionMissing, uidsOf } from '../helpers/dav-clients.js';

const fixtures = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'pim', 'fixtures');
const corpus = '/work/shared/corpus/pim';
const missing = syncevolutionMissing();
if (missing) console.log(`skipping the SyncEvolution tests: ${missing}`);

describe.skipIf(!!missing)('SyncEvolution syncs with the node', () => {
  let work: string;
  let node: RunningNode;
  const pw: Record<string, string> = {};

  beforeAll(async () => {
    work = await mkdtemp(path.join(os.tmpdir(), 'semsync-syncevo-'));
    const home = path.join(work, 'laptop');
    await ok(home, 'pim', 'import', path.join(corpus, 'contacts'), path.join(corpus, 'calendars'), path.join(fixtures, 'people.vcf'), path.join(fixtures, 'agenda.ics'));
    for (const [name, policy] of [['phone', 'personal'], ['workphone', 'work']]) pw[name] = (await json<{ password: string }>(home, 'dav', 'serve', 'add', name, '--policy', policy, '--json')).password;
    node = await startNode(home);
  }, 120_000);
  afterAll(async () => {
    if (node) await stopNode(node);
    killAllNodes();
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('gives the work account no private event, no Personal contact and no birthday (on disk)', async () => {
    const se = new SyncEvolution(path.join(work, 'se-work'));
    await se.setup(`${node.url}dav/`, 'workphone', pw.workphone);
    const text = [...(await se.files('calendar')).values(), ...(await se.files('contacts')).values()].join('\n');
    expect(text).toContain('ev-standup');
    expect(text).not.toMatch(/^CLASS:(PRIVATE|CONFIDENTIAL)/m);
    expect(text).not.toMatch(/^(?:[\w-]+\.)?BDAY[;:][^\r\n]*\d/m); // SyncEvolution writes an empty "BDAY:" into every file
    for (const secret of ['ev-doctor', 'personal-mum', 'Secretname']) expect(text).not.toContain(secret);
  }, 120_000);

  it(`syncs both ways for ${davRounds()} rounds with nothing duplicated`, async () => {
    const se = new SyncEvolution(path.join(work, 'se-phone'));
    await se.setup(`${node.url}dav/`, 'phone', pw.phone);
    expect([...(await se.files('contacts')).values()].join('\n')).toContain('Secretname');
    const event = (uid: string, summary: string) => `BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//e2e//se//EN\r\nBEGIN:VEVENT\r\nUID:${uid}\r\nDTSTAMP:20250101T000000Z\r\nDTSTART:20250901T100000Z\r\nSUMMARY:${summary}\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n`;
    const fileOf = async (uid: string) => [...(await se.files('calendar'))].find(([, t]) => uidsOf(t).includes(uid))?.[0];
    for (let i = 1; i <= davRounds(); i++) {
      await writeFile(path.join(se.calendar, `9${i}00`), event(`se-round-${i}`, `SE round ${i}`));
      if (i > 1) await writeFile(path.join(se.calendar, (await fileOf(`se-round-${i - 1}`))!), event(`se-round-${i - 1}`, `SE round ${i - 1} edited`));
      if (i > 2) await unlink(path.join(se.calendar, (await fileOf(`se-round-${i - 2}`))!));
      await se.sync();
      const cal = await ok(node.home, 'pim', 'export', '--calendar');
      expect(cal).toContain(`SUMMARY:SE round ${i}`);
      if (i > 1) expect(cal).toContain(`SUMMARY:SE round ${i - 1} edited`);
      if (i > 2) expect(cal).not.toContain(`UID:se-round-${i - 2}`);
      // The laptop edits an event the client has.
      const edit = path.join(work, `se-edit-${i}.ics`);
      await writeFile(edit, event('se-laptop', `Laptop edit ${i}`));
      await ok(node.home, 'pim', 'import', edit);
      await se.sync();
      const local = await se.files('calendar');
      expect([...local.values()].join('\n')).toContain(`SUMMARY:Laptop edit ${i}`);
      const keys = [...local.values()].flatMap((t) => componentKeys(t));
      expect(keys.filter((k, j) => keys.indexOf(k) !== j)).toEqual([]);
      const quiet = await se.sync();
      expect(quiet.calendar?.every((n) => n === 0)).toBe(true);
    }
    expect((await readdir(se.calendar)).length).toBeGreaterThan(50);
  }, 60_000 + davRounds() * 60_000);
});
