// The one zip reader (yauzl underneath): members by name, lazily, within bounds that hostile archives cannot pass.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { memoryHandle } from '../../src/extractors/bytes.js';
import { MAX_RATIO, RATIO_FLOOR, ZipArchive, ZipReadError, type ZipLimits } from '../../src/extractors/zip.js';
import { zip } from '../helpers/make-media.js';
import { CONTAINER, bombOpf, book, crowded, cutInCentralDirectory, epub, lieAboutSize, misplacedCentralDirectory, opf } from './hostile.js';

const LIMITS: ZipLimits = { maxMemberBytes: 16 << 20, maxEntries: 1000 };
const RECOVER: ZipLimits = { ...LIMITS, recover: true };
const tmp = mkdtempSync(path.join(tmpdir(), 'semsync-zip-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const inMemory = (b: Buffer, limits = LIMITS) => ZipArchive.open(memoryHandle(b), b.length, limits);

async function failure(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected a failure');
}

describe('ZipArchive', () => {
  it('reads members by name, the same from a file handle and from memory', async () => {
    const b = book(opf('Same'));
    const file = path.join(tmp, 'same.epub');
    writeFileSync(file, b);
    const fh = await open(file, 'r');
    try {
      const fromFile = await ZipArchive.open(fh, b.length, LIMITS);
      const fromMemory = await inMemory(b);
      for (const z of [fromFile, fromMemory]) {
        expect((await z.read('META-INF/container.xml'))?.toString()).toBe(CONTAINER);
        expect((await z.read('OEBPS/content.opf'))?.toString()).toContain('<dc:title>Same</dc:title>');
        expect(await z.read('absent.xml')).toBeUndefined();
        expect((await z.find((n) => n.endsWith('.opf')))?.name).toBe('OEBPS/content.opf');
        expect(z.partial).toBe(false);
        expect(z.problems).toEqual([]);
      }
    } finally {
      await fh.close();
    }
  });

  it('walks the central directory only as far as it must: an early member is found in an archive too crowded to list', async () => {
    const b = epub([['META-INF/container.xml', CONTAINER], ...Array.from({ length: 60 }, (_, i): [string, string] => [`f/${i}`, ''])]);
    const z = await inMemory(b, { ...LIMITS, maxEntries: 50 });
    expect(await z.read('META-INF/container.xml')).toBeDefined();
    const e = await failure(z.read('not/there'));
    expect(e).toBeInstanceOf(ZipReadError);
    expect(e.message).toBe('more than 50 members: stopped looking');
  });

  it('refuses a member that would inflate more than 100 times its size past 1 MiB (a zip bomb), naming it', async () => {
    const z = await inMemory(book(bombOpf(3 << 20)));
    const e = await failure(z.read('OEBPS/content.opf'));
    expect(e).toBeInstanceOf(ZipReadError);
    expect(e.message).toMatch(new RegExp(`^OEBPS/content\\.opf would inflate \\d+ bytes to \\d+ \\(more than ${MAX_RATIO}×\\): refused \\(a zip bomb\\?\\)$`));
    // Small members are never refused for their ratio: a 1 MiB page of one letter is fine.
    const fine = await inMemory(book(bombOpf(RATIO_FLOOR - 2000)));
    expect((await fine.read('OEBPS/content.opf'))?.length).toBeLessThanOrEqual(RATIO_FLOOR);
  });

  it('stops a member whose header lies about its size while inflating it', async () => {
    const z = await inMemory(lieAboutSize(book(bombOpf(3 << 20)), 'OEBPS/content.opf', 100));
    const e = await failure(z.read('OEBPS/content.opf'));
    expect(e.message).toBe(`OEBPS/content.opf inflates past ${RATIO_FLOOR} bytes: refused (a zip bomb?)`);
    const small = await inMemory(lieAboutSize(book(opf('Liar')), 'OEBPS/content.opf', 10));
    expect((await failure(small.read('OEBPS/content.opf'))).message).toMatch(/^OEBPS\/content\.opf inflates to \d+ bytes, not the 10 its header declares$/);
  });

  it('refuses a member larger than the limit by its declared size before reading it', async () => {
    const z = await inMemory(book(opf('x'.repeat(5000))), { ...LIMITS, maxMemberBytes: 4096 });
    expect((await failure(z.read('OEBPS/content.opf'))).message).toMatch(/^OEBPS\/content\.opf is \d+ bytes \(more than 4096\): refused as too large$/);
  });

  it('skips members named with an absolute path, `..` or a backslash, reporting each, and reads the rest', async () => {
    const b = epub([['../../evil.opf', opf('Evil')], ['/etc/passwd', 'root'], ['a\\b.txt', 'x'], ['META-INF/container.xml', CONTAINER], ['OEBPS/content.opf', opf('Good')]]);
    const z = await inMemory(b);
    expect((await z.read('OEBPS/content.opf'))?.toString()).toContain('Good');
    expect(await z.read('../../evil.opf')).toBeUndefined();
    expect((await z.find((n) => n.endsWith('.opf')))?.name).toBe('OEBPS/content.opf');
    expect(z.problems).toEqual([
      'skipped the member named "../../evil.opf": invalid relative path: ../../evil.opf',
      'skipped the member named "/etc/passwd": absolute path: /etc/passwd',
      'skipped the member named "a\\\\b.txt": invalid characters in fileName: a\\b.txt',
    ]);
  });

  it('walks the local headers of an archive cut inside its central directory, when asked to recover', async () => {
    const cut = cutInCentralDirectory(book(opf('Cut')));
    const z = await inMemory(cut, RECOVER);
    expect(z.partial).toBe(true);
    expect((await z.read('OEBPS/content.opf'))?.toString()).toContain('Cut');
    const e = await failure(inMemory(cut));
    expect(e).toBeInstanceOf(ZipReadError);
    expect(e.message).toMatch(/^not a readable zip: End of central directory record signature not found/);
  });

  it('treats a central directory that yields nothing as missing when recovering, and fails on it otherwise', async () => {
    const bad = misplacedCentralDirectory(book(opf('Misplaced')));
    const z = await inMemory(bad, RECOVER);
    expect(z.partial).toBe(true);
    expect((await z.read('OEBPS/content.opf'))?.toString()).toContain('Misplaced');
    expect((await failure(inMemory(bad))).message).toMatch(/^damaged zip: /);
  });

  it('reads member names as UTF-8 even without the UTF-8 flag (as EPUB, ODF and OOXML require)', async () => {
    const b = Buffer.from(zip([['mimetype', 'x'], ['OEBPS/café.opf', opf('Café')]]));
    for (let at = b.indexOf('PK\x03\x04'); at >= 0; at = b.indexOf('PK\x03\x04', at + 4)) b.writeUInt16LE(0, at + 6);
    for (let at = b.indexOf('PK\x01\x02'); at >= 0; at = b.indexOf('PK\x01\x02', at + 4)) b.writeUInt16LE(0, at + 8);
    const z = await inMemory(b);
    expect((await z.read('OEBPS/café.opf'))?.toString()).toContain('Café');
  });

  it('refuses an encrypted member and an unknown compression method, naming the member', async () => {
    const b = Buffer.from(book(opf('Locked')));
    const central = b.lastIndexOf('OEBPS/content.opf') - 46;
    b.writeUInt16LE(b.readUInt16LE(central + 8) | 1, central + 8);
    expect((await failure((await inMemory(b)).read('OEBPS/content.opf'))).message).toBe('OEBPS/content.opf is encrypted');
    const c = Buffer.from(book(opf('Odd')));
    c.writeUInt16LE(12, c.lastIndexOf('OEBPS/content.opf') - 46 + 10);
    expect((await failure((await inMemory(c)).read('OEBPS/content.opf'))).message).toBe('OEBPS/content.opf: unsupported compression method 12');
  });

  it('finds a member after thousands of others, within the entry limit', async () => {
    const b = crowded(2000, [['META-INF/container.xml', CONTAINER]]);
    const z = await inMemory(b, { ...LIMITS, maxEntries: 10_000 });
    expect((await z.read('META-INF/container.xml'))?.toString()).toBe(CONTAINER);
  });
});
