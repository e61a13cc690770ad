// `npm run bench -- --scale [--sizes 1000,10000,100000,1000000]`: the same measures at each library size, written as
// docs/scale.csv and docs/scale.svg (log–log curves), so a person sees how cost grows with the library.
import { readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { SemsyncNode } from '../src/node/node.js';
import { cliPath, dataDir, fmt, record, repoRoot, run, semsync, startedNodeCopy, time } from './lib.js';
import { plotSvg, type Panel } from './plot.js';
import { QUERIES } from './synthetic.js';
import { libraryHome } from './query.js';
import { replicatedCorpus } from './scan.js';
import { benchFirstSync, benchOneChange } from './peers.js';

/** The real-file tree stops at this size (the corpus replicated); larger libraries are synthetic graphs only. */
const MAX_REAL_FILES = 100_000;

export interface ScaleRow {
  files: number;
  quads: number;
  scanMs?: number;
  rescanMs?: number;
  findMs?: number;
  rssOpenMb: number;
  rssQueriedMb: number;
  coldQueryMs: Record<string, number>;
  firstSyncMs: number;
  localLoadMs: number;
  changeBytes: number;
  changeMs: number;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function scanAt(files: number): Promise<Pick<ScaleRow, 'scanMs' | 'rescanMs' | 'findMs'>> {
  const tree = await replicatedCorpus(files);
  const home = path.join(dataDir, `home-scale-scan-${files}`);
  await rm(home, { recursive: true, force: true });
  await semsync(home, 'share', 'add', tree, '--name', 'bench');
  const findArgs = [tree, '-type', 'f', '-printf', '%s %T@\n'];
  await run('find', findArgs); // warm the cache
  const scan = await semsync(home, 'scan');
  if (scan.code !== 0) throw new Error(`semsync scan failed: ${scan.stderr}`);
  // The rescan a running node does (its file index kept between scans), best of three alternated with find.
  const node = await SemsyncNode.open({ home });
  const rescans: number[] = [];
  const finds: number[] = [];
  try {
    await node.scan(undefined);
    for (let i = 0; i < 3; i++) {
      rescans.push((await time(() => node.scan(undefined))).ms);
      finds.push((await run('find', findArgs)).ms);
    }
  } finally {
    await node.close();
  }
  return { scanMs: scan.ms, rescanMs: Math.min(...rescans), findMs: Math.min(...finds) };
}

async function rssMb(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)![1]) / 1024;
}

/** A running node on (a copy of) the library home: resident memory when ready, and after the four queries through it. */
async function memoryAt(home: string): Promise<Pick<ScaleRow, 'rssOpenMb' | 'rssQueriedMb'>> {
  const node = await startedNodeCopy(home, 'scale-running');
  try {
    await new Promise((r) => setTimeout(r, 3000)); // the first category refresh after ready
    const open = await rssMb(node.child.pid!);
    for (const q of Object.values(QUERIES)) await run(process.execPath, [cliPath, '--home', node.home, 'query', q, '--format', 'json']);
    return { rssOpenMb: open, rssQueriedMb: await rssMb(node.child.pid!) };
  } finally {
    await node.stop();
    await rm(node.home, { recursive: true, force: true });
  }
}

async function coldQueries(home: string): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const [name, q] of Object.entries(QUERIES)) {
    const runs: number[] = [];
    for (let i = 0; i < 3; i++) runs.push((await run(process.execPath, [cliPath, '--home', home, 'query', q, '--format', 'json'])).ms);
    out[name] = median(runs);
  }
  return out;
}

async function measure(files: number): Promise<ScaleRow> {
  console.log(`scale: ${files} files`);
  const scan = files <= MAX_REAL_FILES ? await scanAt(files) : {};
  const lib = await libraryHome(files);
  const mem = await memoryAt(lib.home);
  const coldQueryMs = await coldQueries(lib.home);
  const sync = await benchFirstSync(files);
  const change = await benchOneChange(files);
  return { files, quads: lib.quads, ...scan, ...mem, coldQueryMs, firstSyncMs: sync.ms, localLoadMs: sync.loadMs, changeBytes: change.bytes, changeMs: change.ms };
}

export function scaleCsv(rows: ScaleRow[]): string {
  const names = Object.keys(QUERIES);
  const head = ['files', 'quads', 'scan_ms', 'rescan_ms', 'find_ms', 'rss_open_mb', 'rss_queried_mb', ...names.map((n) => `cold_query_ms:${n}`), 'first_sync_ms', 'local_load_ms', 'change_bytes', 'change_ms'];
  const cell = (v: number | undefined) => (v === undefined ? '' : String(Math.round(v * 10) / 10));
  const lines = rows.map((r) => [r.files, r.quads, r.scanMs, r.rescanMs, r.findMs, r.rssOpenMb, r.rssQueriedMb, ...names.map((n) => r.coldQueryMs[n]), r.firstSyncMs, r.localLoadMs, r.changeBytes, r.changeMs].map(cell).join(','));
  return [head.map((h) => (h.includes(' ') ? `"${h}"` : h)).join(','), ...lines].join('\n') + '\n';
}

/** Rows back from scaleCsv's text (empty cells stay undefined). */
export function readScaleCsv(text: string): ScaleRow[] {
  const [head, ...lines] = text.trim().split('\n');
  const cols = head.split(/,(?=(?:[^"]*"[^"]*")*[^"]*$)/).map((h) => h.replace(/^"|"$/g, ''));
  return lines.map((line) => {
    const cells = line.split(',');
    const v = (name: string) => (cells[cols.indexOf(name)] === '' ? undefined : Number(cells[cols.indexOf(name)]));
    const coldQueryMs = Object.fromEntries(Object.keys(QUERIES).map((n) => [n, v(`cold_query_ms:${n}`)!]));
    return {
      files: v('files')!, quads: v('quads')!, scanMs: v('scan_ms'), rescanMs: v('rescan_ms'), findMs: v('find_ms'), rssOpenMb: v('rss_open_mb')!,
      rssQueriedMb: v('rss_queried_mb')!, coldQueryMs, firstSyncMs: v('first_sync_ms')!, localLoadMs: v('local_load_ms')!, changeBytes: v('change_bytes')!, changeMs: v('change_ms')!,
    };
  });
}

/** `--scale --replot`: docs/scale.svg again from docs/scale.csv (after a cell was measured again on its own). */
export async function replotScale(): Promise<void> {
  const rows = readScaleCsv(await readFile(path.join(repoRoot, 'docs', 'scale.csv'), 'utf8'));
  await writeFile(path.join(repoRoot, 'docs', 'scale.svg'), plotSvg(scalePanels(rows)));
  console.log(`scale: wrote docs/scale.svg from docs/scale.csv (${rows.length} sizes)`);
}

export function scalePanels(rows: ScaleRow[]): Panel[] {
  const pts = (f: (r: ScaleRow) => number | undefined) => rows.flatMap((r) => (f(r) === undefined ? [] : [[r.files, f(r)!] as [number, number]]));
  return [
    { title: 'Scan and sync time', yUnit: 'ms', series: [
      { name: 'scan (real files)', points: pts((r) => r.scanMs) },
      { name: 'rescan, unchanged', points: pts((r) => r.rescanMs) },
      { name: 'find (anchor)', points: pts((r) => r.findMs) },
      { name: 'first sync to a peer', points: pts((r) => r.firstSyncMs) },
      { name: 'local load (anchor)', points: pts((r) => r.localLoadMs) },
    ] },
    { title: 'Cold `semsync query`', yUnit: 'ms', series: Object.keys(QUERIES).map((n) => ({ name: n, points: pts((r) => r.coldQueryMs[n]) })) },
    { title: 'Memory and one change', yUnit: 'MB resident / bytes / ms', series: [
      { name: 'resident, node ready (MB)', points: pts((r) => r.rssOpenMb) },
      { name: 'resident, after queries (MB)', points: pts((r) => r.rssQueriedMb) },
      { name: 'one change on the wire (bytes)', points: pts((r) => r.changeBytes) },
      { name: 'one change to queryable (ms)', points: pts((r) => r.changeMs) },
    ] },
  ];
}

export async function benchScale(sizes: number[]): Promise<void> {
  const rows: ScaleRow[] = [];
  for (const files of sizes) {
    rows.push(await measure(files));
    // written after every size, so a long run that is stopped still leaves its curves so far
    await writeFile(path.join(repoRoot, 'docs', 'scale.csv'), scaleCsv(rows));
    await writeFile(path.join(repoRoot, 'docs', 'scale.svg'), plotSvg(scalePanels(rows)));
  }
  const top = rows[rows.length - 1];
  const at = `${top.files} files`;
  record({ what: `resident memory of a running node, ${at}, after the four queries`, ours: `${top.rssQueriedMb.toFixed(0)} MB`, anchorName: 'goal', anchor: '512 MB', ratio: fmt.x(top.rssQueriedMb / 512), goal: '≤ 512 MB', met: top.rssQueriedMb <= 512 });
  const lookup = top.coldQueryMs['lookup by title'];
  if (lookup !== undefined) record({ what: `cold \`semsync query\` lookup by title, ${at}`, ours: fmt.ms(lookup), anchorName: 'goal', anchor: '1 s', ratio: fmt.x(lookup / 1000), goal: '< 1 s', met: lookup < 1000 });
  const real = [...rows].reverse().find((r) => r.rescanMs !== undefined);
  if (real) record({ what: `rescan of ${real.files} unchanged real files (in a running node)`, ours: fmt.ms(real.rescanMs!), anchorName: 'find', anchor: fmt.ms(real.findMs!), ratio: fmt.x(real.rescanMs! / real.findMs!), goal: '≤ 3x', met: real.rescanMs! <= 3 * real.findMs! });
  record({ what: `first sync, ${at}`, ours: fmt.ms(top.firstSyncMs), anchorName: 'local load', anchor: fmt.ms(top.localLoadMs), ratio: fmt.x(top.firstSyncMs / top.localLoadMs), goal: '≤ 2x', met: top.firstSyncMs <= 2 * top.localLoadMs });
  record({ what: `one change with ${at} on both nodes: bytes on the wire`, ours: `${top.changeBytes} B`, anchorName: 'goal', anchor: '2 KB', ratio: fmt.x(top.changeBytes / 2048), goal: '< 2 KB', met: top.changeBytes < 2048 });
  record({ what: `one change with ${at} on both nodes: to queryable`, ours: fmt.ms(top.changeMs), anchorName: 'goal', anchor: '1 s', ratio: fmt.x(top.changeMs / 1000), goal: '< 1 s', met: top.changeMs < 1000 });
  console.log('scale: wrote docs/scale.csv and docs/scale.svg');
}
