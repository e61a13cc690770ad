// Fuzz: mutated corpus files (seeds 0..2500) through describeContent and into a store: no throw, no hang, always a MIME type and a result, always stored.
import { describe, expect, it } from 'vitest';
import { fuzzExtractors } from './extractors-run.js';

describe('extractors under mutated input (part a)', () => {
  it('describes 2,500 seeded mutations of every family without a throw or a hang, and stores every description', async () => {
    const r = await fuzzExtractors(0, 2500);
    console.log(`[fuzz extractors a] ${r.cases} cases (${r.mended} mended before storing); by family ${JSON.stringify(r.byFamily)}; by mutation ${JSON.stringify(r.byMutation)}`);
    expect(r.failures).toEqual([]);
    expect(r.cases).toBe(2500);
  }, 170_000);
});
