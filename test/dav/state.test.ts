// The per-account change log behind ctags and sync tokens: moves only when the visible listing moves; bounded, refusing tokens it forgot.
import { describe, expect, it } from 'vitest';
import { newState, observe, syncToken, tokenCounter } from '../../src/dav/server/state.js';

describe('collection log', () => {
  it('moves the counter once per change of the listing, never for the same listing', () => {
    const s = newState();
    const log = s.collections.calendar;
    expect(observe(log, new Map([['a.ics', '"1"'], ['b.ics', '"2"']]))).toBe(true);
    expect(log.counter).toBe(1);
    expect(observe(log, new Map([['a.ics', '"1"'], ['b.ics', '"2"']]))).toBe(false);
    expect(observe(log, new Map([['a.ics', '"1b"']]))).toBe(true);
    expect(log.counter).toBe(2);
    expect(log.items['a.ics'].at).toBe(2);
    expect(log.removed['b.ics']).toBe(2);
    expect(tokenCounter(s, log, syncToken(s, log))).toBe(2);
    expect(tokenCounter(s, log, syncToken(s, log).replace(s.epoch, 'ffffffffffff'))).toBeUndefined();
    expect(tokenCounter(s, log, `${s.epoch}-9`)).toBeUndefined();
  });

  it('forgets the older half of its removals past the bound, and refuses the tokens from before', () => {
    const s = newState();
    const log = s.collections.contacts;
    const tokens: string[] = [];
    for (let i = 0; i < 10; i++) {
      observe(log, new Map([[`${i}.vcf`, '"x"']]), 6); // each round removes the previous one
      tokens.push(syncToken(s, log));
    }
    expect(Object.keys(log.removed).length).toBeLessThanOrEqual(6);
    expect(log.floor).toBeGreaterThan(0);
    expect(tokenCounter(s, log, tokens[0])).toBeUndefined();
    expect(tokenCounter(s, log, tokens[9])).toBe(10);
    const kept = tokens.filter((t) => tokenCounter(s, log, t) !== undefined).map((t) => tokenCounter(s, log, t)!);
    // Every removal after a kept token is still known.
    for (const n of kept) for (let i = Math.max(0, n - 1); i < 9; i++) expect(log.removed[`${i}.vcf`]).toBe(i + 2);
  });
});
