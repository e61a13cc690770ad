// Issue 14, item 7: vCards whose values make no IRI (the corpus's `URL:homepage`, crafted ones) never stop a scan or a
// start: every file is described, the bad values are kept as text and named with their file, exit 0.
import { cpSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import n3 from 'n3';
import { afterAll, describe, expect, it } from 'vitest';
import { cli, cliSpawn, stop } from '../helpers/cli.js';
import { corpusDir } from '../helpers/corpus.js';

const work = mkdtempSync(path.join(tmpdir(), 'semsync-badvcard-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const crafted = [
  'BEGIN:VCARD', 'VERSION:3.0', 'UID:crafted-1', 'FN:Crafted Card',
  'URL:homepage', // relative: no store takes it as an IRI
  'URL:http://example.org/a#b#c', // a second #
  'EMAIL:bad\u0085control@example.org', // a C1 control
  'TEL:[+47] 555', // brackets
  'END:VCARD',
].join('\r\n');

describe('a share with unusable vCard values', () => {
  it('semsync scan describes every file, names the files with kept-as-text values, and exits 0; a node starts on it', async () => {
    const share = path.join(work, 'contacts');
    mkdirSync(share);
    cpSync(path.join(corpusDir, 'pim', 'contacts'), share, { recursive: true });
    writeFileSync(path.join(share, 'crafted.vcf'), crafted);
    const files = readdirSync(share).length;
    const home = path.join(work, 'home');
    expect((await cli(home, ['share', 'add', share, '--name', 'contacts'])).code).toBe(0);
    const scan = await cli(home, ['scan']);
    expect(scan.code, scan.stderr).toBe(0);
    expect(scan.stdout).toMatch(new RegExp(`files ${files}, added ${files}`));
    expect(scan.stderr).not.toMatch(/Invalid IRI/);
    for (const f of ['crafted.vcf', 'evolution2-3.0-umlauts.vcf', 'kaddressbook-2.1-8bit-geo.vcf', 'android-2.1-multi-qp.vcf']) {
      expect(scan.stderr).toMatch(new RegExp(`error: ${path.join(share, f).replace(/[.]/g, '\\.')}: .*URL "(homepage|www\\.company\\.com)" is not an absolute IRI: kept as text`));
    }
    const q = await cli(home, ['query', '--format', 'json', 'SELECT (COUNT(DISTINCT ?f) AS ?n) WHERE { ?f a nfo:FileDataObject ; nie:interpretedAs ?c . ?c ss:contains ?item }']);
    expect(Number(JSON.parse(q.stdout).results.bindings[0].n.value)).toBe(files); // every file, its contacts included
    const urls = await cli(home, ['query', '--format', 'json', 'SELECT ?u WHERE { ?c vcard:uid "crafted-1" ; vcard:url ?u }']);
    const values = (JSON.parse(urls.stdout) as { results: { bindings: Array<{ u: { type: string; value: string } }> } }).results.bindings.map((b) => `${b.u.type} ${b.u.value}`);
    expect(values.sort()).toEqual(['literal homepage', 'uri http://example.org/a#b%23c']);
    // every IRI the store holds can be asked for again (the old check let in IRIs every later query refused)
    const all = await cli(home, ['export', '--format', 'nquads']);
    expect(all.code).toBe(0);
    const iris = new Set(new n3.Parser({ format: 'N-Quads' }).parse(all.stdout).flatMap((q) => [q.subject, q.object]).filter((t) => t.termType === 'NamedNode').map((t) => t.value));
    const ask = path.join(work, 'every-iri.rq');
    writeFileSync(ask, `ASK { VALUES ?x { ${[...iris].map((i) => `<${i}>`).join(' ')} } ?x ?p ?o }`);
    const asked = await cli(home, ['query', '--file', ask]);
    expect(asked.code, asked.stderr).toBe(0);

    const node = cliSpawn(home, ['start', '--no-mdns', '--listen', '/ip4/127.0.0.1/tcp/0', '--no-http']);
    try {
      await node.waitFor(/^ready$/m, 45_000);
      expect(node.child.exitCode).toBeNull();
    } finally {
      expect(await stop(node.child)).toBe(0);
    }
  }, 180_000);
});
