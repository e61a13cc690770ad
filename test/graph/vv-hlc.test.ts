import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import * as vv from '../../src/graph/vv.js';
import * as hlc from '../../src/graph/hlc.js';

const vvArb = fc.dictionary(fc.constantFrom('a', 'b', 'c', 'd'), fc.nat({ max: 20 }));
const hlcArb = fc.record({ ms: fc.nat({ max: 1e6 }), counter: fc.nat({ max: 5 }) });

describe('version vectors', () => {
  it('merge is a commutative, associative, idempotent upper bound', () => {
    fc.assert(
      fc.property(vvArb, vvArb, vvArb, (a, b, c) => {
        expect(vv.equals(vv.merge(a, b), vv.merge(b, a))).toBe(true);
        expect(vv.equals(vv.merge(vv.merge(a, b), c), vv.merge(a, vv.merge(b, c)))).toBe(true);
        expect(vv.equals(vv.merge(a, a), a)).toBe(true);
        const m = vv.merge(a, b);
        expect(vv.dominates(m, a) && vv.dominates(m, b)).toBe(true);
      }),
    );
  });

  it('compare agrees with dominates, and missing ranges are exactly what merging adds', () => {
    fc.assert(
      fc.property(vvArb, vvArb, (a, b) => {
        const o = vv.compare(a, b);
        expect(o === 'equal' || o === 'after').toBe(vv.dominates(a, b));
        expect(o === 'equal' || o === 'before').toBe(vv.dominates(b, a));
        let filled = { ...a };
        for (const r of vv.missing(a, b)) {
          expect(r.from).toBe(vv.get(a, r.author) + 1);
          expect(r.to).toBeGreaterThanOrEqual(r.from);
          filled = vv.advance(filled, r.author, r.to);
        }
        expect(vv.dominates(filled, b)).toBe(true);
        expect(vv.equals(filled, vv.merge(a, b))).toBe(true);
        expect(vv.missing(vv.merge(a, b), b)).toEqual([]);
      }),
    );
  });

  it('treats absent authors as 0 and validates shape', () => {
    expect(vv.compare({}, { a: 0 })).toBe('equal');
    expect(vv.compare({ a: 1 }, { b: 1 })).toBe('concurrent');
    expect(vv.missing({ a: 2 }, { a: 5, b: 1 })).toEqual([
      { author: 'a', from: 3, to: 5 },
      { author: 'b', from: 1, to: 1 },
    ]);
    expect(vv.isVersionVector({ a: 1 })).toBe(true);
    expect(vv.isVersionVector({ a: -1 })).toBe(false);
    expect(vv.isVersionVector({ a: 1.5 })).toBe(false);
    expect(vv.isVersionVector([])).toBe(false);
    expect(vv.get({}, 'constructor')).toBe(0);
  });
});

describe('hybrid logical clock', () => {
  it('tick is strictly increasing and never behind physical time', () => {
    fc.assert(
      fc.property(hlcArb, fc.array(fc.nat({ max: 1e6 }), { maxLength: 20 }), (start, times) => {
        let h = start;
        for (const t of times) {
          const n = hlc.tick(h, t);
          expect(hlc.compareHlc(n, h)).toBeGreaterThan(0);
          expect(n.ms).toBeGreaterThanOrEqual(t);
          h = n;
        }
      }),
    );
  });

  it('receive is after both the local and the remote stamp', () => {
    fc.assert(
      fc.property(hlcArb, hlcArb, fc.nat({ max: 1e6 }), (local, remote, now) => {
        const n = hlc.receive(local, remote, now, 1e9);
        expect(hlc.compareHlc(n, local)).toBeGreaterThan(0);
        expect(hlc.compareHlc(n, remote)).toBeGreaterThan(0);
        expect(n.ms).toBeGreaterThanOrEqual(now);
      }),
    );
  });

  it('does not adopt a remote stamp far in the future', () => {
    const n = hlc.receive({ ms: 10, counter: 0 }, { ms: 1e12, counter: 0 }, 20, 1000);
    expect(n).toEqual({ ms: 20, counter: 0 });
  });

  it('formats and parses "<ms>.<counter>"', () => {
    fc.assert(fc.property(hlcArb, (h) => { expect(hlc.parseHlc(hlc.formatHlc(h))).toEqual(h); }));
    expect(hlc.parseHlc('1.2.3')).toBeNull();
    expect(hlc.parseHlc('-1.0')).toBeNull();
    expect(hlc.compareHlc(hlc.parseHlc('10.2')!, hlc.parseHlc('9.100')!)).toBeGreaterThan(0);
  });
});
