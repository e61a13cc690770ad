// The W3C SPARQL 1.1 Protocol manifest's requests, sent to a running node's /sparql over HTTP. A failure not listed
// in docs/conformance.md fails this test, and so does a listed one that passes.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Term } from '@rdfjs/types';
import { Graph, MF, SUITE } from './manifest.js';
import { RunningNode } from './paths.js';
import { isListed, listed } from './listing.js';
import { fromSrj, fromSrx } from './results.js';
import { tempDir } from '../graph/helpers.js';

const HT = 'http://www.w3.org/2011/http#';
const CNT = 'http://www.w3.org/2011/content#';
const UT = 'http://www.w3.org/2009/sparql/tests/test-update#';
const RDFS = 'http://www.w3.org/2000/01/rdf-schema#';
const MANIFEST = path.join(SUITE, 'sparql11', 'protocol', 'manifest.ttl');

let node: RunningNode;
beforeAll(async () => {
  node = await RunningNode.start(tempDir('conf-protocol'));
});
afterAll(async () => {
  await node?.stop();
});

/** The data the manifest's tests name (ut:graphData), each file in the named graph its label gives. */
function dataset(g: Graph, tmp: string): string {
  const lines = new Set<string>();
  for (const q of g.quads.filter((x) => x.predicate.value === `${UT}graphData`)) {
    const file = g.one(q.object, `${UT}graph`)!;
    const name = g.one(q.object, `${RDFS}label`)!.value;
    for (const line of fs.readFileSync(new URL(file.value), 'utf8').split('\n')) {
      if (line.trim()) lines.add(`${line.trim().replace(/\s*\.$/, '')} <${name}> .`);
    }
  }
  const out = path.join(tmp, 'protocol.nq');
  fs.writeFileSync(out, [...lines].join('\n') + '\n');
  return out;
}

/** What is wrong with the answer to one request, or null. */
async function send(g: Graph, req: Term): Promise<string | null> {
  const method = g.one(req, `${HT}methodName`)!.value;
  const where = g.one(req, `${HT}absolutePath`)!.value.replace(/^\/sparql\/?/, 'sparql');
  const headers: Record<string, string> = {};
  for (const h of g.list(g.one(req, `${HT}headers`))) headers[g.one(h, `${HT}fieldName`)!.value] = g.one(h, `${HT}fieldValue`)!.value;
  const bodyNode = g.one(req, `${HT}body`);
  let body: Buffer | undefined;
  if (bodyNode) {
    const chars = g.one(bodyNode, `${CNT}chars`)!.value;
    const enc = g.one(bodyNode, `${CNT}characterEncoding`)?.value ?? 'UTF-8';
    body = enc === 'UTF-16' ? Buffer.from(`\ufeff${chars}`, 'utf16le') : Buffer.from(chars, 'utf8');
  }
  const res = await fetch(`${node.http.url}${where}`, { method, headers, body });
  const text = await res.text();
  const resp = g.one(req, `${HT}resp`)!;
  const classes = g.all(resp, `${MF}expectedStatus`).map((t) => t.value.replace(/^.*StatusCode(\d)xx$/, '$1'));
  if (!classes.includes(String(res.status)[0])) return `HTTP ${res.status} (${classes.map((c) => `${c}xx`).join(' or ')} expected): ${text.trim().slice(0, 200)}`;
  const type = res.headers.get('content-type') ?? '';
  const want = g.one(resp, `${MF}expectedFormat`)?.value;
  const tabular = /sparql-results|text\/csv|tab-separated/.test(type);
  if ((want === 'boolean' || want === 'tabular') && !tabular) return `${want} results expected, ${type} given`;
  if (want === 'RDF' && !/turtle|n-triples|n-quads|trig|rdf\+xml|ld\+json/.test(type)) return `RDF expected, ${type} given`;
  const bool = g.one(resp, `${MF}expectedBoolean`);
  if (bool) {
    const got = type.includes('json') ? fromSrj(text) : fromSrx(text);
    if (got.kind !== 'boolean' || String(got.value) !== bool.value) return `${bool.value} expected, ${text.trim().slice(0, 100)}`;
  }
  return null;
}

describe('W3C SPARQL 1.1 Protocol', () => {
  it('answers every request as the manifest expects, or the difference is listed', async () => {
    const g = new Graph(MANIFEST);
    await node.api.import(dataset(g, tempDir('conf-protocol-data')));
    const list = listed();
    const unexpected: string[] = [];
    const stale: string[] = [];
    let passed = 0;
    let known = 0;
    const entries = g.entries();
    for (const entry of entries) {
      const id = `protocol/${entry.value.replace(/^.*#/, '')}`;
      let problem: string | null = null;
      for (const req of g.list(g.one(g.one(entry, `${MF}action`)!, `${HT}requests`))) {
        problem = await send(g, req);
        if (problem) break;
      }
      const on = isListed(list, id, 'http');
      if (!problem) {
        passed++;
        if (on) stale.push(`${id}: listed in docs/conformance.md but passes`);
      } else if (on) known++;
      else unexpected.push(`${id}: ${problem}`);
    }
    console.log(`protocol (http): ${passed}/${entries.length} passed, ${known} listed as by design`);
    expect(unexpected, 'failures not listed in docs/conformance.md').toEqual([]);
    expect(stale).toEqual([]);
  });
});
