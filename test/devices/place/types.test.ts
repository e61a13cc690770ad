// Helpers the placement stages share.
import { expect, it } from 'vitest';
import { byTarget, dirOf, hexOf } from '../../../src/devices/place/types.js';

it('reads a content\'s hex, a target\'s folder, and orders copies by target', () => {
  expect(hexOf(`urn:sha256:${'AB'.repeat(32)}`)).toBe('ab'.repeat(32));
  expect(hexOf('urn:md5:00')).toBeUndefined();
  expect(dirOf('a/b/c.txt')).toBe('a/b');
  expect(dirOf('c.txt')).toBe('');
  const op = (target: string) => ({ kind: 'copy' as const, content: '', target, size: 0, rule: '', values: {} });
  expect([op('b'), op('B'), op('a/z')].sort(byTarget).map((o) => o.target)).toEqual(['B', 'a/z', 'b']);
});
