// One comparator for hybrid logical clocks (hlc.ts): compareHlc, and compareHlcText over stamps as text, which
// orders by time and counter where comparing the strings would not.
import { describe, expect, it } from 'vitest';
import { compareHlc, compareHlcText, parseHlc } from '../../src/graph/hlc.js';

describe('compareHlcText', () => {
  it('orders stamps by milliseconds, then counter, not as strings', () => {
    expect(compareHlcText('10.0', '9.0')).toBeGreaterThan(0); // "10.0" < "9.0" as strings
    expect(compareHlcText('5.10', '5.9')).toBeGreaterThan(0);
    expect(compareHlcText('5.1', '5.1')).toBe(0);
    expect(compareHlcText('1700000000000.0', '1700000000001.0')).toBeLessThan(0);
  });

  it('agrees with compareHlc on parsed stamps, and counts a malformed one as zero', () => {
    const stamps = ['0.0', '1.5', '12.0', '12.3', '9.9'];
    for (const a of stamps) for (const b of stamps) expect(Math.sign(compareHlcText(a, b))).toBe(Math.sign(compareHlc(parseHlc(a)!, parseHlc(b)!)));
    expect(compareHlcText('garbage', '0.0')).toBe(0);
    expect(compareHlcText('garbage', '0.1')).toBeLessThan(0);
  });
});
