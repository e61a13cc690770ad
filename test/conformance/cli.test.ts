// A few W3C tests through the real `semsync` binary, as a user runs them with no node: `semsync import`, then a cold
// `semsync query` (reach loading). The in-process run of the same code covers every test (sparql-eval.test.ts).
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { evalTests } from './manifest.js';
import { compare, expected, fromNTriples, fromSrj, orderVariables } from './results.js';
import { prepare } from './paths.js';
import { isListed, listed } from './listing.js';
import { cli } from '../helpers/cli.js';
import { tempDir } from '../graph/helpers.js';

const CHOSEN = ['property-path/pp16', 'sparql11/construct/constructwhere02', 'ask/ask-1', 'sort/dawg-sort-1', 'bnode-coreference/dawg-bnode-coref-001', 'algebra/opt-filter-1'];

describe('W3C tests through the semsync binary (cold query)', () => {
  const tests = evalTests().filter((t) => CHOSEN.includes(t.id));

  it('finds the chosen tests', () => expect(tests.map((t) => t.id).sort()).toEqual([...CHOSEN].sort()));

  for (const test of tests) {
    it(`answers ${test.id} as the suite expects`, async () => {
      const tmp = tempDir('conf-cli');
      const c = prepare(test, tmp);
      const home = path.join(tmp, 'home');
      if (c.file) {
        const imported = await cli(home, ['import', c.file]);
        expect(imported.code, imported.stderr).toBe(0);
      }
      const file = path.join(tmp, 'query.rq');
      fs.writeFileSync(file, c.sparql);
      const r = await cli(home, ['query', '--file', file, '--format', c.graph ? 'ntriples' : 'json']);
      expect(r.code, r.stderr).toBe(0);
      const problem = compare(expected(test.result), c.graph ? fromNTriples(r.stdout) : fromSrj(r.stdout), { orderBy: orderVariables(fs.readFileSync(test.query, 'utf8')), lax: test.lax });
      if (!isListed(listed(), test.id, 'cold')) expect(problem).toBeNull();
    });
  }
});
