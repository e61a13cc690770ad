// Federation with real processes: node A joins its own data with node B's over SERVICE <B/sparql>, from the CLI and over HTTP.
import { execFile } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startNode, type RunningNode } from '../helpers/nodes.js';
import { loadEngine } from '../../src/graph/federation.js';

const run = promisify(execFile);
const repo = path.resolve(import.meta.dirname, '..', '..');
const cli = path.join(repo, 'dist', 'src', 'cli', 'main.js');
const semsync = (home: string, ...args: string[]) => run(process.execPath, [cli, '--home', home, ...args]);
/** The exit code, stdout and stderr of a run that may fail. */
const attempt = (home: string, ...args: string[]) =>
  semsync(home, ...args).then(
    (r) => ({ code: 0, ...r }),
    (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }),
  );

const DC = 'http://purl.org/dc/terms/';
const A_DATA = `<urn:sha256:aaa> <${DC}title> "Dune (my copy)" <https://w3id.org/semsync/graph/a-import> .
<urn:sha256:ccc> <${DC}title> "Only on A" <https://w3id.org/semsync/graph/a-import> .
`;
const B_DATA = `<urn:sha256:aaa> <${DC}subject> "Science fiction" <https://w3id.org/semsync/graph/b-import> .
<urn:sha256:bbb> <${DC}subject> "Cooking" <https://w3id.org/semsync/graph/b-import> .
`;

const start = (home: string) => startNode(home);

let tmp: string;
let homeA: string;
let homeB: string;
let a: RunningNode | undefined;
let b: RunningNode | undefined;
let endpointB: string;
let silent: http.Server;
let silentUrl: string;

const joinQuery = (endpoint: string) => `SELECT ?c ?title ?subject WHERE { ?c dcterms:title ?title . SERVICE <${endpoint}> { ?c dcterms:subject ?subject } }`;

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'semsync-fed-'));
  homeA = path.join(tmp, 'a');
  homeB = path.join(tmp, 'b');
  await writeFile(path.join(tmp, 'a.nq'), A_DATA);
  await writeFile(path.join(tmp, 'b.nq'), B_DATA);
  await semsync(homeA, 'import', path.join(tmp, 'a.nq'));
  await semsync(homeB, 'import', path.join(tmp, 'b.nq'));
  b = await start(homeB);
  const status = JSON.parse((await semsync(homeB, 'status', '--json')).stdout) as { http: { port: number } };
  endpointB = `http://127.0.0.1:${status.http.port}/sparql`;
  // an endpoint that accepts connections and never answers
  silent = http.createServer(() => {});
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  silentUrl = `http://127.0.0.1:${(silent.address() as AddressInfo).port}/sparql`;
}, 120_000);

afterAll(async () => {
  for (const s of [a, b]) if (s && s.proc.exitCode === null) s.proc.kill('SIGKILL');
  silent?.closeAllConnections();
  silent?.close();
  await rm(tmp, { recursive: true, force: true });
});

describe('SERVICE from the CLI', () => {
  it('joins the home’s own data with node B’s (no node running on A)', async () => {
    const { stdout } = await semsync(homeA, 'query', '--format', 'csv', joinQuery(endpointB));
    expect(stdout.trim().split('\r\n')).toEqual(['c,title,subject', 'urn:sha256:aaa,Dune (my copy),Science fiction']);
    const table = await semsync(homeA, 'query', joinQuery(endpointB));
    expect(table.stdout).toMatch(/Science fiction/);
    expect(table.stdout).toMatch(/1 row\n$/);
  }, 60_000);

  it('keeps plain queries on oxigraph (the same answers, no SERVICE)', async () => {
    const { stdout } = await semsync(homeA, 'query', '--format', 'csv', 'SELECT ?t WHERE { ?c dcterms:title ?t } ORDER BY ?t');
    expect(stdout.trim().split('\r\n')).toEqual(['t', 'Dune (my copy)', 'Only on A']);
  });

  it('fails with exit 1 naming the endpoint when it is down', async () => {
    const down = 'http://127.0.0.1:9/sparql';
    const r = await attempt(homeA, 'query', joinQuery(down));
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`SERVICE <${down}>`);
  }, 60_000);

  it('gives up on a silent endpoint at the time limit (exit 1, no hang)', async () => {
    const t0 = Date.now();
    const r = await attempt(homeA, 'query', '--timeout', '1500', joinQuery(silentUrl));
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`SERVICE <${silentUrl}>`);
    expect(r.stderr).toMatch(/no answer within 1500 ms/);
    expect(Date.now() - t0).toBeLessThan(30_000);
  }, 60_000);
});

describe('SERVICE through a running node', () => {
  beforeAll(async () => {
    a = await start(homeA);
  }, 90_000);

  it('answers `semsync query` (forwarded to the node) and its own /sparql', async () => {
    const { stdout } = await semsync(homeA, 'query', '--format', 'tsv', joinQuery(endpointB));
    expect(stdout).toContain('"Science fiction"');
    const res = await fetch(`${a!.url}sparql?query=${encodeURIComponent(joinQuery(endpointB))}`, { headers: { accept: 'application/sparql-results+json' } });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { head: { vars: string[] }; results: { bindings: Array<Record<string, { value: string }>> } };
    expect(body.head.vars.sort()).toEqual(['c', 'subject', 'title']);
    expect(body.results.bindings.map((x) => [x.c.value, x.subject.value])).toEqual([['urn:sha256:aaa', 'Science fiction']]);
  }, 60_000);

  it('answers 502 naming the endpoint when it is down, and refuses SERVICE from another site', async () => {
    const down = 'http://127.0.0.1:9/sparql';
    const res = await fetch(`${a!.url}sparql?query=${encodeURIComponent(joinQuery(down))}`);
    expect(res.status).toBe(502);
    expect(await res.text()).toContain(`SERVICE <${down}>`);
    const cross = await fetch(`${a!.url}sparql?query=${encodeURIComponent(joinQuery(endpointB))}`, { headers: { 'sec-fetch-site': 'cross-site' } });
    expect(cross.status).toBe(403);
  }, 60_000);
});

describe('an independent comunica client', () => {
  it('queries node B’s /sparql as a remote sparql source', async () => {
    const engine = (await loadEngine()) as unknown as {
      queryBindings(q: string, ctx: unknown): Promise<{ toArray(): Promise<Array<{ get(v: string): { value: string } | undefined }>> }>;
    };
    const stream = await engine.queryBindings(`SELECT ?c ?s WHERE { ?c <${DC}subject> ?s } ORDER BY ?s`, { sources: [{ type: 'sparql', value: endpointB }] });
    const rows = (await stream.toArray()).map((x) => [x.get('c')?.value, x.get('s')?.value]);
    expect(rows).toEqual([
      ['urn:sha256:bbb', 'Cooking'],
      ['urn:sha256:aaa', 'Science fiction'],
    ]);
  }, 60_000);
});
