// No store change from a rejected input: an RDF file broken past its first batch, and damaged copies of a good one, through `semsync import`.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cli } from '../helpers/cli.js';
import { rng } from './mutate.js';

const work = mkdtempSync(path.join(tmpdir(), 'semsync-rejected-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const lines = (n: number) => Array.from({ length: n }, (_, i) => `<http://ex.org/r/${i}> <http://purl.org/dc/terms/title> "t ${i}" .`);

describe('a rejected import changes nothing', () => {
  it('syntax errors anywhere in the file (even after 10,000 good statements): exit 2, the store exactly as before', async () => {
    const home = path.join(work, 'home');
    writeFileSync(path.join(work, 'good.nt'), lines(50).join('\n') + '\n');
    expect((await cli(home, ['import', path.join(work, 'good.nt')])).code).toBe(0);
    const before = (await cli(home, ['export', '--format', 'nquads'])).stdout;
    let tried = 0;
    for (let seed = 0; seed < 6; seed++) {
      const r = rng(seed);
      const body = lines(seed < 2 ? 15_000 : 300);
      const at = seed < 2 ? 12_000 + Math.floor(r() * 2000) : Math.floor(r() * body.length);
      body.splice(at, 0, ['<http://ex.org/bad> <oops', '"unterminated', '<a> <b> <c> <d> <e> .', '@prefix : .', '\u0000\u0001'][seed % 5]);
      const file = path.join(work, `bad-${seed}.nt`);
      writeFileSync(file, body.join('\n') + '\n');
      const res = await cli(home, ['import', file]);
      expect(res.code, res.stderr).toBe(2);
      expect(res.stderr).toContain(file);
      expect(res.stderr).toMatch(/line \d+/);
      tried++;
    }
    expect((await cli(home, ['export', '--format', 'nquads'])).stdout).toBe(before);
    console.log(`[fuzz import] ${tried} broken RDF files rejected, store unchanged`);
  }, 120_000);
});
