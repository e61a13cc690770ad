// Hostile input: broken rules files and device profiles (errors name the file), hostile vCard/iCal, EPUB zip bombs, a huge ID3 tag, SPARQL text built to make a scanner backtrack.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DeviceProfileError } from '../../src/devices/errors.js';
import { parseAudioPlayer, parseDeviceTtl, serializeDeviceTtl } from '../../src/devices/profile.js';
import { describeContent } from '../../src/extractors/index.js';
import { serviceUrls } from '../../src/graph/federation.js';
import { contentIri } from '../../src/graph/vocab.js';
import { RuleFileError } from '../../src/rules/errors.js';
import { defaultRulesFile, loadRules } from '../../src/rules/load.js';
import { makeEpub, zip } from '../helpers/make-media.js';
import { corpus, rng } from './mutate.js';

const dir = mkdtempSync(path.join(tmpdir(), 'semsync-hostile-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Line-level damage to a text file: drop, duplicate or cut a line, insert junk, swap characters. */
function damageText(text: string, r: () => number): string {
  const lines = text.split('\n');
  const i = Math.floor(r() * lines.length);
  const junk = ['<', '"', ' ;', ' .', '@prefix', '{', '\u0000', ']]]', '"""', '\\u12', 'ss:', '^^xsd:integer', 'a a a'][Math.floor(r() * 13)];
  switch (Math.floor(r() * 5)) {
    case 0: lines.splice(i, 1); break;
    case 1: lines.splice(i, 0, lines[i] ?? ''); break;
    case 2: lines[i] = (lines[i] ?? '').slice(0, Math.floor(r() * (lines[i]?.length ?? 0))); break;
    case 3: { const l = lines[i] ?? ''; const at = Math.floor(r() * (l.length + 1)); lines[i] = l.slice(0, at) + junk + l.slice(at); break; }
    default: return text.slice(0, Math.floor(r() * text.length));
  }
  return lines.join('\n');
}

async function describeBytes(name: string, data: Buffer | string, hardMs = 20_000) {
  const file = path.join(dir, name);
  writeFileSync(file, data);
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      describeContent(file, contentIri('cd'.repeat(32)), { size: Buffer.byteLength(data), timeoutMs: 10_000 }),
      new Promise<never>((_, rej) => { timer = setTimeout(() => rej(new Error(`${name} hung`)), hardMs); }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

describe('broken rules files and device profiles', () => {
  it('500 damaged rules files: loaded, or a RuleFileError naming the file (and the line for bad Turtle)', () => {
    const text = readFileSync(defaultRulesFile(), 'utf8');
    let rejected = 0, withLine = 0;
    for (let seed = 0; seed < 500; seed++) {
      const file = path.join(dir, `rules-${seed}.ttl`);
      writeFileSync(file, damageText(text, rng(seed)));
      try {
        loadRules([file]);
      } catch (e) {
        expect(e, `seed ${seed}`).toBeInstanceOf(RuleFileError);
        expect((e as Error).message).toContain(file);
        rejected++;
        if ((e as RuleFileError).line !== undefined) withLine++;
        if (/not valid Turtle|syntax|Unexpected|Expected/i.test((e as Error).message)) expect((e as RuleFileError).line, `seed ${seed}: ${(e as Error).message}`).toBeDefined();
      }
    }
    console.log(`[fuzz rules] 500 damaged rules files: ${rejected} rejected (${withLine} with a line), ${500 - rejected} still loaded`);
    expect(rejected).toBeGreaterThan(50);
  });

  it('500 damaged device.ttl and 300 damaged .is_audio_player: parsed, or a DeviceProfileError naming the file', () => {
    const ttl = serializeDeviceTtl({ id: 'abc', name: 'Kobo', owner: 'me', accepts: ['ebook', 'music'], folderDepth: 2 });
    const player = 'name="Sansa Clip"\naudio_folders=MUSIC/,PODCASTS/\noutput_formats=audio/mpeg,audio/x-ms-wma,application/ogg\nfolder_depth=2\n';
    let rejected = 0;
    for (let seed = 0; seed < 800; seed++) {
      const isTtl = seed < 500;
      const file = isTtl ? `/media/x/KOBO/.semsync/device.ttl` : '/media/x/SANSA/.is_audio_player';
      const text = damageText(isTtl ? ttl : player, rng(10_000 + seed));
      try {
        if (isTtl) parseDeviceTtl(text, file);
        else parseAudioPlayer(text, file);
      } catch (e) {
        expect(e, `seed ${seed}: ${(e as Error).message}`).toBeInstanceOf(DeviceProfileError);
        expect((e as Error).message).toContain(file);
        rejected++;
      }
    }
    console.log(`[fuzz profiles] 800 damaged profiles: ${rejected} rejected with DeviceProfileError, ${800 - rejected} parsed`);
  });
});

describe('hostile vCard and iCalendar', () => {
  const long = 'X'.repeat(4 * 1024 * 1024);
  const cases: Array<[string, string]> = [
    ['long-line.vcf', `BEGIN:VCARD\r\nVERSION:3.0\r\nFN:${long}\r\nEND:VCARD\r\n`],
    ['folded-forever.vcf', `BEGIN:VCARD\r\nVERSION:3.0\r\nFN:a${'\r\n b'.repeat(200_000)}\r\nEND:VCARD\r\n`],
    ['unterminated.vcf', `BEGIN:VCARD\r\nVERSION:4.0\r\nFN:Nobody\r\n${'BEGIN:VCARD\r\n'.repeat(5000)}`],
    ['many-cards.vcf', `BEGIN:VCARD\r\nVERSION:3.0\r\nFN:N\r\nEND:VCARD\r\n`.repeat(20_000)],
    ['bad-qp.vcf', `BEGIN:VCARD\r\nVERSION:2.1\r\nN;ENCODING=QUOTED-PRINTABLE;CHARSET=UTF-8:=E2=8=\r\n=\r\n${'=FF'.repeat(10000)}\r\nEND:VCARD\r\n`],
    ['photo-b64.vcf', `BEGIN:VCARD\r\nVERSION:3.0\r\nFN:P\r\nPHOTO;ENCODING=b;TYPE=JPEG:${'!!!!'.repeat(500_000)}\r\nEND:VCARD\r\n`],
    ['nested.ics', `BEGIN:VCALENDAR\r\n${'BEGIN:VEVENT\r\n'.repeat(10_000)}${'END:VEVENT\r\n'.repeat(10_000)}END:VCALENDAR\r\n`],
    ['rrule-forever.ics', `BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:x\r\nDTSTART:19000101T000000Z\r\nRRULE:FREQ=SECONDLY;COUNT=2147483647\r\nSUMMARY:spin\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n`],
    ['bad-tz.ics', `BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VTIMEZONE\r\nTZID:${long.slice(0, 100000)}\r\nEND:VTIMEZONE\r\nBEGIN:VEVENT\r\nUID:y\r\nDTSTART;TZID=nowhere:99999999T999999\r\nGEO:999;abc\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n`],
    ['many-events.ics', `BEGIN:VCALENDAR\r\nVERSION:2.0\r\n${'BEGIN:VEVENT\r\nUID:z\r\nDTSTART:20200101\r\nSUMMARY:s\r\nEND:VEVENT\r\n'.repeat(20_000)}END:VCALENDAR\r\n`],
  ];
  for (const [name, text] of cases) {
    it(`${name}: described within bounds, never a throw`, async () => {
      const d = await describeBytes(name, text);
      expect(d.mime).toBeTruthy();
      expect(d.quads.length + d.errors.length).toBeGreaterThan(0);
    }, 30_000);
  }
});

describe('EPUB zip bombs and huge tags', () => {
  const opf = makeEpub({ title: 'Bomb', creators: ['B'] });
  it('a member that inflates far past its claimed size is cut off (bounded), not inflated whole', async () => {
    const pad = `<!--${' '.repeat(96 * 1024 * 1024)}-->`;
    const real = zip([['mimetype', 'application/epub+zip'], ['META-INF/container.xml', '<container xmlns="urn:oasis:names:tc:opendocument:xmlns:container"><rootfiles><rootfile full-path="c.opf"/></rootfiles></container>'], ['c.opf', `<?xml version="1.0"?>${pad}<package/>`]]);
    expect(real.length).toBeLessThan(1024 * 1024);
    const honest = await describeBytes('honest-bomb.epub', real);
    expect(honest.mime).toBe('application/epub+zip');
    expect(honest.errors.join(' ')).toMatch(/too large|maxOutputLength|range|larger|bound|exceed/i);
    // the same archive lying about the member's size in both headers
    const liar = Buffer.from(real);
    for (let p = liar.indexOf('c.opf') - 46; p >= 0; p = -1) liar.writeUInt32LE(4096, p + 24); // central directory entry
    let lp = 0;
    while ((lp = liar.indexOf(Buffer.from([0x50, 0x4b, 0x03, 0x04]), lp + 1)) >= 0) if (liar.toString('utf8', lp + 30, lp + 35) === 'c.opf') liar.writeUInt32LE(4096, lp + 22);
    const before = process.memoryUsage().rss;
    const lied = await describeBytes('liar-bomb.epub', liar);
    expect(lied.errors.length).toBeGreaterThan(0);
    expect(process.memoryUsage().rss - before).toBeLessThan(80 * 1024 * 1024);
    expect(opf.length).toBeGreaterThan(0);
  }, 60_000);

  it('an MP3 with a 24 MB ID3 frame is described within bounds', async () => {
    const frame = (id: string, body: Buffer) => { const h = Buffer.alloc(10); h.write(id, 0, 'latin1'); h.writeUInt32BE(body.length, 4); return Buffer.concat([h, body]); };
    const frames = Buffer.concat([
      frame('TIT2', Buffer.from('\u0000Huge Tag', 'latin1')),
      frame('TXXX', Buffer.concat([Buffer.from([0]), Buffer.from('junk\u0000', 'latin1'), Buffer.alloc(24 * 1024 * 1024, 0x41)])),
    ]);
    const size = frames.length;
    const head = Buffer.from([0x49, 0x44, 0x33, 3, 0, 0, (size >> 21) & 0x7f, (size >> 14) & 0x7f, (size >> 7) & 0x7f, size & 0x7f]);
    const audio = readFileSync(path.join(corpus, 'audio', 'notags.mp3'));
    const d = await describeBytes('huge-tag.mp3', Buffer.concat([head, frames, audio]), 30_000);
    expect(d.mime).toBe('audio/mpeg');
    expect(d.quads.length).toBeGreaterThan(0);
  }, 60_000);
});

describe('SPARQL text built to make a scanner backtrack', () => {
  it('finding SERVICE in 1 MiB runs of "<", quotes, comments, braces or SERVICE itself ends, federating nothing', () => {
    const run = (s: string) => s.repeat(Math.ceil((1 << 20) / s.length)).slice(0, 1 << 20);
    const units = ['<', '"', "'''", '#', '{', 'SERVICE ', 'SERVICE <', '<http://a/ ', '"\\', 'service<'];
    const hostile = units.map((unit) => `SELECT * WHERE { SERVICE ${run(unit)} }`);
    // a query ending in SERVICE after 55 KB of patterns is still read by the parser (a longer one is never federated)
    const under = `SELECT * WHERE { ${'?s ?p ?o . '.repeat(5_000)} SERVICE <http://found.example/sparql> { ?s ?p ?o } }`;
    hostile.push(under, under.replace('{ ?s', `{ ${'?s ?p ?o . '.repeat(1_000)} ?s`));
    const found = hostile.map((q) => serviceUrls(q));
    expect(found.slice(0, -2).every((x) => x.length === 0)).toBe(true);
    expect(found.at(-2)).toEqual(['http://found.example/sparql']);
    expect(found.at(-1)).toEqual([]);
  }, 60_000);
});
