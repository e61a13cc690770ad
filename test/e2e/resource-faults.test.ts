// Resource faults through the CLI: a 1 MB device (DeviceFullError before writing), a full home disk (a clean error, nothing acknowledged lost, the node keeps running), and a query that would take gigabytes (stopped at the limit, the node unharmed).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cli, cliSpawn, stop } from '../helpers/cli.js';
import { until } from '../helpers/nodes.js';
import { corpus, mountTmpfs, type Mounted } from '../devices/mounts-helper.js';

const work = mkdtempSync(path.join(tmpdir(), 'semsync-resource-'));
const mounts: Mounted[] = [];
afterAll(async () => {
  for (const m of mounts.reverse()) await m.unmount();
  spawnSync('rm', ['-rf', work]);
});
const nt = (n: number, tag: string) => Array.from({ length: n }, (_, i) => `<http://ex.org/${tag}/${i}> <http://purl.org/dc/terms/title> "${tag} ${i} ${'x'.repeat(60)}" .\n`).join('');
const titles = async (home: string, tag: string) => {
  const r = await cli(home, ['query', '--format', 'json', `SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s dcterms:title ?o } FILTER(STRSTARTS(STR(?s), "http://ex.org/${tag}/")) }`]);
  expect(r.code, r.stderr).toBe(0);
  return Number(JSON.parse(r.stdout).results.bindings[0].n.value);
};

describe('resource faults', () => {
  it('a full device (tmpfs size=1m): place fails with DeviceFullError and writes nothing', async () => {
    const media = path.join(work, 'media');
    const dev = await mountTmpfs(path.join(media, 'TINY'), '1m');
    mounts.push(dev);
    if (dev.kind !== 'tmpfs') return console.warn('cannot mount a tmpfs here: skipped');
    const home = path.join(work, 'home-dev');
    const share = path.join(work, 'share');
    spawnSync('mkdir', ['-p', share]);
    spawnSync('cp', ['-r', path.join(corpus, 'epub'), path.join(corpus, 'audio'), share + '/']);
    expect((await cli(home, ['share', 'add', share])).code).toBe(0);
    expect((await cli(home, ['scan'])).code).toBe(0);
    expect((await cli(home, ['devices', 'roots', 'add', media])).code).toBe(0);
    const rows = JSON.parse((await cli(home, ['devices', '--json'])).stdout) as Array<{ id: string; root: string }>;
    const row = rows.find((r) => r.root === dev.root)!;
    expect((await cli(home, ['devices', 'claim', row.id, '--name', 'Tiny'])).code).toBe(0);
    const before = (await readdir(dev.root, { recursive: true })).sort();
    const r = await cli(home, ['place', 'Tiny']);
    expect(r.code).toBe(1);
    expect(r.stderr + r.stdout).toMatch(/full|free|space|does not fit/i);
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
    expect((await readdir(dev.root, { recursive: true })).sort()).toEqual(before);
  }, 120_000);

  it('a full home disk: a clean error, every acknowledged change kept, the running node keeps working once space is back', async () => {
    const m = await mountTmpfs(path.join(work, 'home-disk'), '6m');
    mounts.push(m);
    if (m.kind !== 'tmpfs') return console.warn('cannot mount a tmpfs here: skipped');
    const home = m.root;
    writeFileSync(path.join(work, 'small.nt'), nt(500, 'small'));
    writeFileSync(path.join(work, 'big.nt'), nt(120_000, 'big')); // ~13 MB of log: cannot fit
    expect((await cli(home, ['import', path.join(work, 'small.nt')])).code).toBe(0);
    const big = await cli(home, ['import', path.join(work, 'big.nt')], { timeoutMs: 120_000 });
    expect(big.code).not.toBe(0);
    expect(big.code).not.toBeNull();
    expect(big.stderr).toMatch(/ENOSPC|no space|full/i);
    expect(big.stderr).not.toMatch(/\n\s+at /);
    expect(await titles(home, 'small')).toBe(500);
    expect((await titles(home, 'big')) % 10_000).toBe(0); // whole transactions only

    // The same through a running node: the filled disk refuses the import, the node stays up, and recovers when space returns.
    const node = cliSpawn(home, ['start', '--listen', '/ip4/127.0.0.1/tcp/0', '--no-mdns', '--http-port', '0']);
    try {
      await node.waitFor(/^ready$/m, 45_000);
      const filler = path.join(home, 'filler');
      const st = spawnSync('df', ['--output=avail', '-B1', home], { encoding: 'utf8' });
      await writeFile(filler, Buffer.alloc(Math.max(0, Number(st.stdout.trim().split('\n').pop()) - 4096))).catch(() => undefined);
      writeFileSync(path.join(work, 'mid.nt'), nt(20_000, 'mid'));
      const refused = await cli(home, ['import', path.join(work, 'mid.nt')], { timeoutMs: 60_000 });
      expect(refused.code).not.toBe(0);
      expect(node.child.exitCode === null || node.child.exitCode === 1).toBe(true);
      await rm(filler, { force: true });
      if (node.child.exitCode === null) {
        expect(await titles(home, 'small')).toBe(500);
        const again = await cli(home, ['import', path.join(work, 'small.nt')]);
        expect(again.code, again.stderr).toBe(0);
      }
    } finally {
      await stop(node.child);
    }
    expect(await titles(home, 'small')).toBe(500); // and after a restart from disk
  }, 180_000);

  it('a cartesian CONCAT through a running node (HTTP and `semsync query`): stopped at the memory limit, the worker replaced, the node unharmed', async () => {
    const home = path.join(work, 'home-query');
    writeFileSync(path.join(work, 'cart.nt'), nt(3500, 'cart'));
    expect((await cli(home, ['import', path.join(work, 'cart.nt')])).code).toBe(0);
    // --token on loopback too (issue 14, item 14): the token file is made and named at start
    const node = cliSpawn(home, ['start', '--listen', '/ip4/127.0.0.1/tcp/0', '--no-mdns', '--http-port', '0', '--token', '--query-memory', '96']);
    try {
      await node.waitFor(/^ready$/m, 60_000);
      const tokenFile = path.join(home, 'run', 'http-token');
      expect(node.output()).toContain(`http token in ${tokenFile}`);
      expect(statSync(tokenFile).mode & 0o777).toBe(0o600);
      const token = readFileSync(tokenFile, 'utf8').trim();
      const url = /^http (http:\/\/127\.0\.0\.1:\d+\/)/m.exec(node.output())![1];
      const auth = { authorization: `Bearer ${token}` };
      const huge = 'SELECT (GROUP_CONCAT(?x) AS ?all) WHERE { ?a ?p ?b . ?c ?q ?d . BIND(CONCAT(STR(?b), STR(?d), STR(?a)) AS ?x) }';
      expect((await fetch(`${url}sparql?query=${encodeURIComponent('ASK {}')}`)).status).toBe(401);
      const overHttp = await fetch(`${url}sparql`, { method: 'POST', body: new URLSearchParams({ query: huge }), headers: auth });
      expect(overHttp.status).toBe(503);
      expect(await overHttp.text()).toMatch(/memory limit of 96 MB/);
      const overCli = await cli(home, ['query', '--format', 'json', huge], { timeoutMs: 120_000 });
      expect(overCli.code).not.toBe(0);
      expect(overCli.stderr).toMatch(/memory limit of 96 MB/);
      // the node answers afterwards, over both ways in
      expect(await titles(home, 'cart')).toBe(3500);
      expect((await fetch(`${url}api/state`, { headers: auth })).status).toBe(200);
      const status = JSON.parse((await cli(home, ['status', '--json'])).stdout) as { memory: { rss: number; heapUsed: number }; queries: { replaced: { memory: number }; workersStarted: number } };
      expect(status.queries.replaced.memory).toBe(2); // one worker stopped per blown query, each replaced
      expect(status.queries.workersStarted).toBe(3);
      expect(status.memory.heapUsed).toBeLessThan(400 << 20); // nothing of the blown queries is left on the node's heap
      expect(status.memory.rss).toBeLessThan(1 << 30);

      // a `semsync query` whose CLI is killed: its query is stopped in the worker, not run to its limit
      const queries = async () => (JSON.parse((await cli(home, ['status', '--json'])).stdout) as { queries: { running: number; replaced: { aborted: number } } }).queries;
      const slow = cliSpawn(home, ['query', '--timeout', '600000', 'SELECT (COUNT(*) AS ?n) { ?a ?p1 ?b . ?c ?p2 ?d . ?e ?p3 ?f . ?g ?p4 ?h }']);
      await until(async () => (await queries()).running === 1, 60_000, 'the slow query running');
      slow.child.kill('SIGKILL');
      await until(async () => (await queries()).replaced.aborted === 1, 60_000, 'the abandoned query stopped');
      expect((await queries()).running).toBe(0);
    } finally {
      await stop(node.child);
    }
  }, 240_000);
});
