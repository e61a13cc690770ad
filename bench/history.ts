// History (issue 19): `semsync history` of one contact in a store of 100,000 files and 10,000 contacts with a year of
// changes (edits spread over 365 days, a snapshot every month, log segments of 1 MiB (at 10,000 edits; smaller when
// scaled down), so most of the log lives in the retained history, kept 365 days here), against
// the same lookup reading every retained byte (the segments' indexes set aside); and what the retained history costs
// on disk per 1,000 edits, against the edited vCards themselves.
// `npx tsc -p tsconfig.json && node dist/bench/history.js [--files N] [--contacts N] [--edits N]`, or `npm run bench -- --only history`.
import { mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { recordHistory, type HistoryHome } from '../src/app/index.js';
import { viaOf, withChannel } from '../src/graph/index.js';
import { readIndex } from '../src/graph/history-index.js';
import { GraphStore } from '../src/graph/store.js';
import { readPimBytes, writeItems, type PimStore } from '../src/pim/index.js';
import { dataDir, fmt, printTable, record, time } from './lib.js';
import { syntheticLibrary } from './synthetic.js';

const DAY = 86_400_000;
const YEAR_DAYS = 365;
/** The contact whose history is timed: edited about once a month. */
const WATCHED = 7;

const card = (i: number, edit = 0) =>
  `BEGIN:VCARD\r\nVERSION:3.0\r\nUID:bench-c-${i}\r\nFN:Person ${i}\r\nN:Person${i};Given;;;\r\nEMAIL;TYPE=WORK:p${i}${edit ? `.${edit}` : ''}@example.com\r\n` +
  `TEL;TYPE=CELL:+4930${String(i).padStart(7, '0')}${edit ? `-${edit}` : ''}\r\nCATEGORIES:${i % 10 === 0 ? 'Personal' : 'Work'}\r\nEND:VCARD\r\n`;

/** Deterministic pseudo-random numbers (mulberry32). */
function rng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

async function folderBytes(dir: string, ext: string): Promise<number> {
  let n = 0;
  for (const f of await readdir(dir).catch(() => [] as string[])) if (f.endsWith(ext)) n += (await stat(path.join(dir, f))).size;
  return n;
}

const kb = (bytes: number) => (bytes >= 1 << 20 ? `${(bytes / 1024 / 1024).toFixed(1)} MB` : `${(bytes / 1024).toFixed(0)} KB`);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** The store with a year behind it: the library and the contacts imported a year ago, then `edits` edits, one patch each. */
async function buildYear(storeDir: string, files: number, contacts: number, edits: number, clock: { now: number }): Promise<{ store: GraphStore; seqBefore: number; editBytes: number }> {
  const store = await GraphStore.open({ dir: storeDir, nodeId: 'bench', segmentBytes: Math.min(1 << 20, Math.max(16 << 10, edits * 100)), historyDays: YEAR_DAYS, now: () => clock.now });
  const { file, quads } = await syntheticLibrary(files);
  const imported = await time(() => store.importFile(file, { batch: 100_000 }));
  console.log(`history: ${quads} quads of ${files} files imported in ${fmt.ms(imported.ms)}`);
  const all = readPimBytes('contacts', Buffer.from(Array.from({ length: contacts }, (_, i) => card(i)).join('')));
  await withChannel(viaOf('import', 'contacts.vcf'), () => writeItems(store, 'contacts', all.groups));
  await store.snapshot();
  const seqBefore = store.versionVector()[store.nodeId] ?? 0;
  // Each edit is its own commit, at its own time of the year: the clock moves on before each one.
  const start = clock.now;
  let done = 0;
  const timed: PimStore = {
    nodeId: store.nodeId,
    match: (s, p, o, g) => store.match(s, p, o, g),
    clockNow: () => store.clockNow(),
    versionVector: () => store.versionVector(),
    query: (q) => store.query(q),
    commit: (c) => {
      clock.now = start + Math.floor(((done + 1) / (edits + 1)) * (YEAR_DAYS - 1) * DAY);
      done++;
      return store.commit(c);
    },
  };
  const random = rng(19);
  const weeks = 52;
  let editBytes = 0;
  let n = 0;
  for (let w = 0; w < weeks; w++) {
    const count = Math.round(((w + 1) * edits) / weeks) - n;
    const cards: string[] = [];
    for (let k = 0; k < count; k++, n++) {
      const i = n % Math.max(1, Math.round(edits / 12)) === 0 ? WATCHED : Math.floor(random() * contacts);
      cards.push(card(i, n + 1));
    }
    const text = cards.join('');
    editBytes += Buffer.byteLength(text);
    await writeItems(timed, 'contacts', readPimBytes('contacts', Buffer.from(text)).groups, { batch: 1 });
    if (w % 4 === 3) await store.snapshot(); // a compaction a month: what it covers moves into the retained history
  }
  return { store, seqBefore, editBytes };
}

/** A number given on the command line (`--files N`), also when run from bench/run.ts. */
function arg(name: string): number | undefined {
  const at = process.argv.indexOf(name);
  return at >= 0 ? Number(process.argv[at + 1]) : undefined;
}

export async function benchHistory(opts: { files?: number; contacts?: number; edits?: number } = {}): Promise<void> {
  const files = opts.files ?? arg('--files') ?? 100_000;
  const contacts = opts.contacts ?? arg('--contacts') ?? Math.max(100, Math.round(files / 10));
  const edits = opts.edits ?? arg('--edits') ?? contacts;
  const dir = path.join(dataDir, 'history');
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  const storeDir = path.join(dir, 'store');
  const realNow = Date.now;
  const clock = { now: realNow() - (YEAR_DAYS - 1) * DAY };
  Date.now = () => clock.now; // the store's clock (each patch's time) walks through the year
  let store: GraphStore | undefined;
  try {
    const built = await time(() => buildYear(storeDir, files, contacts, edits, clock));
    store = built.value.store;
    console.log(`history: a year of ${edits} edits built in ${fmt.ms(built.ms)}`);
    const home: HistoryHome = { nodeId: 'bench', store, paths: { trust: path.join(dir, 'no-trust.json') } };
    const historyDir = path.join(storeDir, 'history');
    const lookup = () => recordHistory(home, `bench-c-${WATCHED}`, dir);
    const first = await time(lookup);
    const runs: number[] = [];
    for (let i = 0; i < 7; i++) runs.push((await time(lookup)).ms);
    // The anchor: the same lookup with the segments' indexes set aside (every retained byte read, as before the index).
    const aside = path.join(dir, 'indexes-aside');
    await mkdir(aside, { recursive: true });
    const idx = (await readdir(historyDir).catch(() => [] as string[])).filter((f) => f.endsWith('.idx'));
    for (const f of idx) await rename(path.join(historyDir, f), path.join(aside, f));
    const scans: number[] = [];
    for (let i = 0; i < 3; i++) scans.push((await time(lookup)).ms);
    for (const f of idx) await rename(path.join(aside, f), path.join(historyDir, f));
    const ours = median(runs);
    const entries = first.value.entries.length;
    const segments = (await readdir(historyDir).catch(() => [] as string[])).filter((f) => f.endsWith('.log')).length;
    record({
      what: `history of one contact (${entries} changes) in ${files} files + ${contacts} contacts, a year of ${edits} edits (${segments} retained segments, ${fmt.mb(await folderBytes(historyDir, '.log'))})`,
      ours: fmt.ms(ours), anchorName: 'the same lookup reading every retained segment (no index)', anchor: fmt.ms(median(scans)),
      ratio: fmt.x(median(scans) / ours) + ' faster', goal: '< 100 ms', met: ours < 100 && first.value.complete,
    });
    await extraSize(historyDir, built.value.seqBefore, built.value.editBytes, edits);
  } finally {
    Date.now = realNow;
    await store?.close();
  }
}

/**
 * The retained history of the year's edits per 1,000 edits: the retained segments that hold edits only (every record's
 * seq past `seqBefore`, the imports), with their indexes; against the edited vCards' own text.
 */
async function extraSize(historyDir: string, seqBefore: number, editBytes: number, edits: number): Promise<void> {
  let logBytes = 0;
  let idxBytes = 0;
  let records = 0;
  for (const f of (await readdir(historyDir).catch(() => [] as string[])).filter((n) => n.endsWith('.log'))) {
    const file = path.join(historyDir, f);
    const size = (await stat(file)).size;
    const heads = readIndex(file, size)?.records() ?? [];
    if (!heads.length || heads[0].seq <= seqBefore) continue;
    logBytes += size;
    idxBytes += (await stat(`${file}.idx`)).size;
    records += heads.length;
  }
  if (!records) {
    record({ what: 'retained history per 1,000 edits', ours: '-', anchorName: 'no edit was retained yet', anchor: '-', ratio: '-', goal: '(for reference)' });
    return;
  }
  const per = (b: number) => (b / records) * 1000;
  const vcards = (editBytes / edits) * 1000;
  record({
    what: `retained history per 1,000 edits (${records} edits retained): ${kb(per(logBytes))} log + ${kb(per(idxBytes))} index`,
    ours: kb(per(logBytes + idxBytes)), anchorName: 'the edited vCards themselves', anchor: kb(vcards),
    ratio: fmt.x(per(logBytes + idxBytes) / vcards), goal: '(for reference)',
  });
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await benchHistory();
  printTable();
  process.exit(0);
}
