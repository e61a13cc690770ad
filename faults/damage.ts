// The damage phase (issue 14): a damaged store, opened by real `semsync` processes. Each trial copies a prepared home
// and damages it one way (by turns): a byte flipped in the last acknowledged log record, an append torn off, a letter
// flipped in a snapshot's literal, one line of a paged store's part broken, the snapshot deleted under a compacted log.
// Checked: every damage is reported with its file; a read truncates nothing; nothing wrong is served or exported;
// `semsync repair` then gives back everything that was not in the damaged bytes, and says what it lost.
import { promises as fsp, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import n3 from 'n3';
import { GraphStore } from '../src/graph/store.js';
import type { Change } from '../src/graph/types.js';
import { canonical, copyTree, ok, semsync, tempDir } from './lib.js';
import type { Phase } from './phases.js';

const { namedNode, literal, quad } = n3.DataFactory;
const DC = 'http://purl.org/dc/terms/';
const KINDS = ['log-last', 'torn-append', 'snapshot-literal', 'paged-part', 'snapshot-deleted'] as const;
type Kind = (typeof KINDS)[number];

/** Patch k (1-based) adds items 20(k-1)..20k-1: a title and a creator each. */
function patch(nodeId: string, k: number): Change[] {
  const g = namedNode(`https://w3id.org/semsync/id/graph/${nodeId}/test`);
  const out: Change[] = [];
  for (let i = 20 * (k - 1); i < 20 * k; i++) {
    out.push({ op: 'A', quad: quad(namedNode(`http://ex.org/item/${i}`), namedNode(`${DC}title`), literal(`Title ${i}`), g) });
    out.push({ op: 'A', quad: quad(namedNode(`http://ex.org/item/${i}`), namedNode(`${DC}creator`), literal(`Author ${i % 7}`), g) });
  }
  return out;
}

/** A home holding patches 1..10 with a snapshot after patch 6; `compacted`: small segments, those the snapshot covers deleted. */
async function makeHome(home: string, compacted: boolean): Promise<string> {
  await ok(home, ['query', 'ASK { ?s ?p ?o }']); // creates the home
  const nodeId = (JSON.parse(await fsp.readFile(path.join(home, 'config.json'), 'utf8')) as { nodeId: string }).nodeId;
  const s = await GraphStore.open({ dir: path.join(home, 'store'), nodeId, ...(compacted ? { segmentBytes: 4096, keepSegments: 0 } : {}) });
  for (let k = 1; k <= 6; k++) await s.commit(patch(nodeId, k));
  await s.snapshot();
  for (let k = 7; k <= 10; k++) await s.commit(patch(nodeId, k));
  await s.close();
  return nodeId;
}

const storeDir = (home: string) => path.join(home, 'store');
const segments = (home: string) => readdirSync(path.join(storeDir(home), 'log')).filter((n) => n.endsWith('.log')).sort().map((n) => path.join(storeDir(home), 'log', n));
const snapshotOf = (home: string) => path.join(storeDir(home), readdirSync(storeDir(home)).find((n) => /^snapshot-\d+\.nq$/.test(n))!);

/** Lines of `got` that `want` lacks (wrong values served) and lines of `want` that `got` lacks beyond `mayLack`. */
function compare(want: string[], got: string[], mayLack: (line: string) => boolean): string | undefined {
  const w = new Set(want);
  const g = new Set(got);
  const wrong = got.filter((l) => !w.has(l));
  const lost = want.filter((l) => !g.has(l) && !mayLack(l));
  if (wrong.length) return `${wrong.length} statements served that were never stored (e.g. ${wrong[0]})`;
  if (lost.length) return `${lost.length} statements silently lost (e.g. ${lost[0]})`;
  return undefined;
}

/** Whether a line belongs to one of patches `from`..`to`. */
const inPatches = (from: number, to: number) => (line: string) => {
  const i = Number(/item\/(\d+)>/.exec(line)?.[1] ?? -1);
  return i >= 20 * (from - 1) && i < 20 * to;
};

interface Ctx { home: string; work: string; reference: string[] }

/** A read must fail naming `file` (and `also`), and change no byte of the store. */
async function refusedRead(c: Ctx, file: string, also: RegExp, env?: NodeJS.ProcessEnv): Promise<string | undefined> {
  const before = await snapshotBytes(c.home);
  for (const args of [['query', 'SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }'], ['export', '--format', 'nquads']]) {
    const r = await semsync(c.home, args, { env });
    if (r.code === 0) return `\`semsync ${args[0]}\` exited 0 on a damaged store`;
    if (!r.stderr.includes(file) || !also.test(r.stderr)) return `\`semsync ${args[0]}\` did not name ${file} (${also}): ${r.stderr.slice(-400)}`;
    if (args[0] === 'export' && /item\//.test(r.stdout)) return '`semsync export` wrote statements from a damaged store';
  }
  const after = await snapshotBytes(c.home);
  return before === after ? undefined : 'a read changed the store folder';
}

async function snapshotBytes(home: string): Promise<string> {
  const out: string[] = [];
  for (const e of await fsp.readdir(storeDir(home), { recursive: true, withFileTypes: true })) {
    if (e.isFile() && e.name !== 'LOCK') out.push(`${e.name}:${readFileSync(path.join(e.parentPath, e.name)).toString('base64')}`);
  }
  return out.sort().join('\n');
}

/** `semsync repair --json`, then the store must hold the reference but for the lines `mayLack` allows. */
async function repaired(c: Ctx, mayLack: (line: string) => boolean, expectLost: boolean): Promise<string | undefined> {
  const r = await semsync(c.home, ['repair', '--json']);
  if (r.code !== 0) return `repair exited ${r.code}: ${r.stderr.slice(-400)}`;
  const report = JSON.parse(r.stdout) as { changed: boolean; lost: unknown[] };
  if (!report.changed) return 'repair found nothing to repair';
  if (expectLost !== report.lost.length > 0) return `repair reported ${report.lost.length} lost patch runs, expected ${expectLost ? 'some' : 'none'}`;
  return compare(c.reference, await canonical(c.home), mayLack);
}

async function trial(kind: Kind, c: Ctx, rand: () => number): Promise<string | undefined> {
  switch (kind) {
    case 'log-last': {
      const seg = segments(c.home).at(-1)!;
      const buf = await fsp.readFile(seg);
      const last = buf.lastIndexOf('SSP2');
      buf[last + 16 + Math.floor(rand() * (buf.length - last - 20))] ^= 1 << Math.floor(rand() * 8);
      await fsp.writeFile(seg, buf);
      const bad = await refusedRead(c, seg, new RegExp(`damaged at byte ${last}`));
      if (bad) return bad;
      const kept = path.join(c.home, 'damaged', `${path.basename(seg)}.${last}`);
      if (!(await fsp.readFile(kept).catch(() => Buffer.alloc(0))).equals(buf.subarray(last))) return `the damaged bytes are not kept in ${kept}`;
      return repaired(c, inPatches(10, 10), true);
    }
    case 'torn-append': {
      const seg = segments(c.home).at(-1)!;
      const buf = await fsp.readFile(seg);
      const last = buf.lastIndexOf('SSP2');
      const cut = last + 1 + Math.floor(rand() * (buf.length - last - 2));
      await fsp.truncate(seg, cut);
      const r = await semsync(c.home, ['query', '--format', 'nquads', 'CONSTRUCT { ?s ?p ?o } WHERE { GRAPH ?g { ?s ?p ?o } }']);
      if (r.code !== 0) return `query after a torn append exited ${r.code}: ${r.stderr.slice(-300)}`;
      if (!/never finished/.test(r.stderr) || !r.stderr.includes(seg)) return `the torn append was not reported: ${r.stderr.slice(-300)}`;
      if ((await fsp.stat(seg)).size !== cut) return 'a query truncated the log';
      return compare(c.reference, await canonical(c.home), inPatches(10, 10)); // only the unacknowledged patch 10 may be missing
    }
    case 'snapshot-literal': {
      const file = snapshotOf(c.home);
      const text = await fsp.readFile(file, 'utf8');
      const titles = [...text.matchAll(/"Title (\d+)"/g)];
      const m = titles[Math.floor(rand() * titles.length)];
      const at = m.index! + m[0].length - 2; // the last digit: another digit, same length
      await fsp.writeFile(file, text.slice(0, at) + String((Number(text[at]) + 1) % 10) + text.slice(at + 1));
      return (await refusedRead(c, file, /damaged: its \d+ statements of <http:\/\/purl\.org\/dc\/terms\/title>/)) ?? repaired(c, () => false, false);
    }
    case 'paged-part': {
      const file = snapshotOf(c.home);
      const text = await fsp.readFile(file, 'utf8');
      const ends = [...text.matchAll(/> \.\n/g)];
      const m = ends[Math.floor(rand() * ends.length)];
      await fsp.writeFile(file, `${text.slice(0, m.index! + 2)},${text.slice(m.index! + 3)}`); // one line broken, same length
      const env = { SEMSYNC_PAGED_ABOVE: '0' };
      const bad = await refusedRead(c, file, /damaged: its \d+ statements/, env);
      if (bad) return bad;
      const before = segments(c.home);
      const nodeId = (JSON.parse(await fsp.readFile(path.join(c.home, 'config.json'), 'utf8')) as { nodeId: string }).nodeId;
      // A writer opening it paged (replaying patches that touch the part) or snapshotting it is refused: no compaction.
      const snap = await GraphStore.open({ dir: storeDir(c.home), nodeId, pagedAbove: 0 }).then(
        (s) => s.snapshot().then(() => 'written', (e: Error) => e.name).finally(() => s.close()),
        (e: Error) => e.name,
      );
      if (snap !== 'CorruptSnapshotError') return `a snapshot over a damaged part was ${snap}`;
      if (before.join() !== segments(c.home).join()) return 'log segments were deleted with a damaged snapshot';
      return repaired(c, () => false, false);
    }
    case 'snapshot-deleted': {
      await fsp.rm(snapshotOf(c.home));
      const r = await semsync(c.home, ['query', 'ASK { ?s ?p ?o }']);
      if (r.code === 0 || !/has no snapshot, but its change log was compacted.*semsync repair/.test(r.stderr)) return `a deleted snapshot was not reported: ${r.stderr.slice(-300)}`;
      return repaired(c, inPatches(1, 6), true); // patches 1..6 were only in the snapshot
    }
  }
}

export function damagePhase(): Phase {
  let work = '';
  const bases: Record<'full' | 'compacted', { home: string; reference: string[] }> = { full: { home: '', reference: [] }, compacted: { home: '', reference: [] } };
  return {
    name: 'damage',
    minTrials: KINDS.length, // every kind of damage, in the quick form too
    kills: false,
    async setup() {
      work = await tempDir('damage');
      for (const which of ['full', 'compacted'] as const) {
        const home = path.join(work, `base-${which}`);
        await makeHome(home, which === 'compacted');
        bases[which] = { home, reference: await canonical(home) };
        if (bases[which].reference.length !== 400) throw new Error(`the ${which} base home holds ${bases[which].reference.length} statements, not 400`);
      }
    },
    async trial(i, rand) {
      const kind = KINDS[i % KINDS.length];
      const base = bases[kind === 'snapshot-deleted' ? 'compacted' : 'full'];
      const home = path.join(work, `trial-${i}`);
      await copyTree(base.home, home);
      try {
        const msg = await trial(kind, { home, work, reference: base.reference }, rand);
        return msg && `${kind}: ${msg}`;
      } finally {
        await fsp.rm(home, { recursive: true, force: true });
      }
    },
    async teardown() {
      await fsp.rm(work, { recursive: true, force: true });
    },
  };
}

