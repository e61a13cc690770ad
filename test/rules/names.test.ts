// Names and safety: legal FAT/exFAT/posix names, length limits, reserved names, paths that stay inside the root.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import sanitize from 'sanitize-filename';
import { posix } from 'node:path';
import { legalSegment, pathKey, safeRelativePath, suffixedSegment } from '../../src/rules/index.js';

const FAT_BAD = /[<>:"/\\|?*\u0000-\u001f\u007f-\u009f]/u;
const RESERVED = /^(con|prn|aux|nul|com[1-9]|lpt[1-9])$/iu;
const LONE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/u;

function assertLegalFat(seg: string): void {
  expect(seg).not.toBe('');
  expect(seg).not.toBe('.');
  expect(seg).not.toBe('..');
  expect(seg).not.toMatch(FAT_BAD);
  expect(seg).not.toMatch(/[. ]$/u);
  expect(seg).not.toMatch(/^ /u);
  expect(seg.length).toBeLessThanOrEqual(255);
  expect(RESERVED.test(seg.split('.')[0].trimEnd())).toBe(false);
  expect(seg).toBe(seg.normalize('NFC'));
  expect(LONE.test(seg)).toBe(false);
}

function assertInside(path: string, fs = 'vfat'): void {
  expect(path.startsWith('/')).toBe(false);
  // A drive letter means something only to FAT's Windows readers; on posix "C:x" is a plain relative name.
  if (fs !== 'posix') expect(/^[A-Za-z]:/u.test(path)).toBe(false);
  expect(path.includes('\\')).toBe(false);
  const norm = posix.normalize(path);
  expect(norm === '..' || norm.startsWith('../')).toBe(false);
  expect(posix.resolve('/root', path).startsWith('/root/')).toBe(true);
  for (const seg of path.split('/')) expect(['', '.', '..']).not.toContain(seg);
}

describe('legalSegment', () => {
  it('replaces FAT-illegal and control characters', () => {
    expect(legalSegment('a:b?', 'vfat')).toBe('a_b_');
    expect(legalSegment('x<y>z"w|v*u', 'exfat')).toBe('x_y_z_w_v_u');
    expect(legalSegment('tab\there\nnew', 'vfat')).toBe('tab_here_new');
    expect(legalSegment('a/b\\c', 'vfat')).toBe('a_b_c');
  });
  it('keeps ":" and "?" on posix but never "/" or NUL', () => {
    expect(legalSegment('a:b?', 'posix')).toBe('a:b?');
    expect(legalSegment('a/b\u0000c', 'posix')).toBe('a_b_c');
  });
  it('drops trailing dots and spaces, leading spaces', () => {
    expect(legalSegment('Title...', 'vfat')).toBe('Title');
    expect(legalSegment('  Title . . ', 'vfat')).toBe('Title');
    expect(legalSegment('Mr. Smith Goes.', 'vfat')).toBe('Mr. Smith Goes');
  });
  it('alters reserved DOS names with or without extension, any case', () => {
    expect(legalSegment('CON', 'vfat')).toBe('CON_');
    expect(legalSegment('con.txt', 'vfat')).toBe('con_.txt');
    expect(legalSegment('Lpt9.mp3', 'exfat')).toBe('Lpt9_.mp3');
    expect(legalSegment('AUX.tar.gz', 'vfat')).toBe('AUX_.tar.gz');
    expect(legalSegment('NUL ', 'vfat')).toBe('NUL_');
    expect(legalSegment('CONSOLE', 'vfat')).toBe('CONSOLE');
    expect(legalSegment('COM10', 'vfat')).toBe('COM10');
  });
  it('never yields empty, "." or ".."', () => {
    for (const s of ['', '.', '..', '...', '   ', ' . ']) expect(legalSegment(s, 'vfat')).toBe('_');
    for (const s of ['', '.', '..']) expect(legalSegment(s, 'posix')).toBe('_');
  });
  it('shortens to 255 UTF-16 units on FAT keeping the extension', () => {
    const name = 'T'.repeat(300) + '.epub';
    const out = legalSegment(name, 'vfat');
    expect(out.length).toBe(255);
    expect(out.endsWith('.epub')).toBe(true);
  });
  it('shortens to 255 UTF-8 bytes on posix, never splitting an emoji', () => {
    const name = '🎵'.repeat(100) + '.mp3';
    const out = legalSegment(name, 'posix');
    expect(Buffer.byteLength(out)).toBeLessThanOrEqual(255);
    expect(out.endsWith('.mp3')).toBe(true);
    expect(out.replace('.mp3', '')).toMatch(/^(🎵)+$/u);
  });
  it('keeps emoji and writes NFC', () => {
    expect(legalSegment('Café 🎉', 'vfat')).toBe('Café 🎉');
    expect(legalSegment('Cafe\u0301', 'vfat')).toBe('Caf\u00e9');
  });
  it('suffixes stay within the limit', () => {
    const long = 'x'.repeat(260) + '.flac';
    const s = suffixedSegment(legalSegment(long, 'vfat'), 12, 'vfat');
    expect(s.length).toBeLessThanOrEqual(255);
    expect(s.endsWith(' (12).flac')).toBe(true);
  });
});

describe('safeRelativePath', () => {
  it('keeps hostile metadata inside the root', () => {
    for (const hostile of ['../../x', '/etc/passwd', 'C:\\x', '..', '.', '\\\\server\\share', '~/x', 'a/../../b']) {
      for (const fs of ['vfat', 'exfat', 'posix'] as const) {
        const p = safeRelativePath(['Music', hostile, hostile + '.mp3'], fs);
        assertInside(p, fs);
        expect(p.split('/')).toHaveLength(3);
      }
    }
    expect(safeRelativePath(['../../x'], 'vfat')).toBe('.._.._x');
    expect(safeRelativePath(['/etc/passwd'], 'vfat')).toBe('_etc_passwd');
    expect(safeRelativePath(['C:\\x'], 'vfat')).toBe('C__x');
    expect(safeRelativePath([], 'vfat')).toBe('_');
  });
  it('limits the whole path to about 1000 units', () => {
    const p = safeRelativePath(Array.from({ length: 8 }, (_, i) => `${i}`.repeat(250)).concat(['t'.repeat(250) + '.mp3']), 'vfat');
    expect(p.length).toBeLessThanOrEqual(1000);
    expect(p.endsWith('.mp3')).toBe(true);
    const deep = safeRelativePath(Array.from({ length: 200 }, () => 'folder-name-long'), 'vfat');
    expect(deep.length).toBeLessThanOrEqual(1000);
  });
  it('property: for any strings, only legal segments and a path that stays inside', () => {
    const anyString = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 300 }),
      fc.string({ unit: 'grapheme', maxLength: 300 }),
      fc.constantFrom('..', '.', '/', '\\', 'CON', 'con.txt', 'a:b?', 'x. ', '../../etc/passwd', 'C:\\Windows', '🎵🎶'),
      fc.array(fc.constantFrom('.', ' ', '/', '\\', 'a', 'CON', ':', '\u0000', '\ud800', 'é', 'e\u0301'), { maxLength: 40 }).map((a) => a.join('')),
    );
    fc.assert(
      fc.property(fc.array(anyString, { minLength: 1, maxLength: 12 }), fc.constantFrom('vfat', 'exfat', 'posix'), (segs, fs) => {
        const p = safeRelativePath(segs, fs as 'vfat');
        assertInside(p, fs);
        expect(p.length).toBeLessThanOrEqual(1000);
        expect(p.split('/').length).toBeLessThanOrEqual(segs.length);
        for (const seg of p.split('/')) {
          if (fs === 'posix') {
            expect(Buffer.byteLength(seg)).toBeLessThanOrEqual(255);
            expect(seg).not.toMatch(/[\u0000/]/u);
          } else {
            assertLegalFat(seg);
            // An independent oracle: sanitize-filename leaves a legal name alone (when within its byte limit).
            if (Buffer.byteLength(seg) <= 255) expect(sanitize(seg)).toBe(seg);
          }
        }
      }),
      { numRuns: 2000 },
    );
  });
  it('legalSegment is idempotent', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 400 }), fc.constantFrom('vfat', 'posix'), (s, fs) => {
        const once = legalSegment(s, fs as 'vfat');
        expect(legalSegment(once, fs as 'vfat')).toBe(once);
      }),
      { numRuns: 1000 },
    );
  });
});

describe('pathKey', () => {
  it('is case-insensitive on FAT and exFAT only', () => {
    expect(pathKey('Music/ABBA/x.mp3', 'vfat')).toBe(pathKey('music/abba/X.MP3', 'vfat'));
    expect(pathKey('Music/ABBA/x.mp3', 'exfat')).toBe(pathKey('music/abba/X.MP3', 'exfat'));
    expect(pathKey('Music/ABBA/x.mp3', 'posix')).not.toBe(pathKey('music/abba/X.MP3', 'posix'));
  });
});
