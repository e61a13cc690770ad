// The resolved view's rule: LWW by HLC with peer-id tiebreak for single values, add-wins union for sets.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compareHlc, resolveValues, type Candidate } from '../../src/peers/resolve.js';

describe('resolveValues', () => {
  it('picks the latest HLC, then the greater peer id', () => {
    const c: Candidate<string>[] = [
      { author: 'peerA', hlc: '1700000000000.0', value: 'Ann' },
      { author: 'peerB', hlc: '1700000000001.0', value: 'Anne' },
      { author: 'peerC', hlc: '1700000000000.5', value: 'Annie' },
    ];
    expect(resolveValues(c, 'single').values).toEqual(['Anne']);
    const tie = [
      { author: 'peerA', hlc: '5.1', value: 'x' },
      { author: 'peerB', hlc: '5.1', value: 'y' },
    ];
    expect(resolveValues(tie, 'single').winner?.author).toBe('peerB');
    expect(compareHlc('10.0', '9.9')).toBeGreaterThan(0);
  });
  it('unions sets (add-wins across authors)', () => {
    const c = [
      { author: 'a', hlc: '1.0', value: 'scifi' },
      { author: 'b', hlc: '2.0', value: 'fantasy' },
      { author: 'c', hlc: '3.0', value: 'scifi' },
    ];
    expect(resolveValues(c, 'set').values).toEqual(['fantasy', 'scifi']);
  });
  it('does not depend on the order of candidates', () => {
    const cand = fc.record({ author: fc.constantFrom('a', 'b', 'c'), hlc: fc.tuple(fc.nat(5), fc.nat(3)).map(([m, c]) => `${m}.${c}`), value: fc.string({ maxLength: 3 }) });
    fc.assert(
      fc.property(fc.array(cand, { maxLength: 12 }), fc.nat(), (cs, seed) => {
        const shuffled = [...cs].sort((x, y) => ((x.value.length * 31 + seed) % 7) - ((y.value.length * 17 + seed) % 5));
        expect(resolveValues(shuffled, 'single').values).toEqual(resolveValues(cs, 'single').values);
        expect(resolveValues(shuffled, 'set').values).toEqual(resolveValues(cs, 'set').values);
      }),
    );
  });
});
