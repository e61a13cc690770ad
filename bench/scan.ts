// Scan throughput (corpus replicated to 10,000+ files) against exiftool -json -r; rescan against a plain stat walk.
import { link, mkdir, readdir, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { SemsyncNode } from '../src/node/node.js';
import { corpusDir, dataDir, fmt, have, record, run, semsync, time } from './lib.js';

async function listFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (e.isFile()) out.push(path.join(e.parentPath, e.name));
  }
  return out;
}

/** The corpus's media (not pim/, not tools/) hard-linked into copy-NNNN folders until there are at least `count` files. */
export async function replicatedCorpus(count: number): Promise<string> {
  const root = path.join(dataDir, `corpus-${count}`);
  const media = (await listFiles(corpusDir)).filter((f) => /\/(audio|photos|epub|generated)\//.test(f) && !f.endsWith('.json'));
  const copies = Math.ceil(count / media.length);
  const marker = path.join(root, `.complete-${copies}`);
  if (await stat(marker).catch(() => undefined)) return root;
  await rm(root, { recursive: true, force: true });
  for (let c = 0; c < copies; c++) {
    const dir = path.join(root, `copy-${String(c).padStart(4, '0')}`);
    for (const f of media) {
      const target = path.join(dir, path.relative(corpusDir, f));
      await mkdir(path.dirname(target), { recursive: true });
      await link(f, target);
    }
  }
  await mkdir(marker);
  return root;
}

export async function benchScan(count = 10_000): Promise<void> {
  const tree = await replicatedCorpus(count);
  const files = (await listFiles(tree)).length;
  console.log(`scan: ${files} files in ${tree}`);
  await run('find', [tree, '-type', 'f', '-printf', '%s %T@\n']); // warm the cache for everyone

  const home = path.join(dataDir, 'home-scan');
  await rm(home, { recursive: true, force: true });
  await semsync(home, 'share', 'add', tree, '--name', 'bench');
  const ours = await semsync(home, 'scan');
  if (ours.code !== 0) throw new Error(`semsync scan failed: ${ours.stderr}`);
  const oursRate = files / (ours.ms / 1000);

  if (have('exiftool')) {
    const ex = await run('exiftool', ['-json', '-r', '-q', '-q', tree]);
    const exRate = files / (ex.ms / 1000);
    const ratio = oursRate / exRate;
    record({ what: `scan ${files} files (metadata + SHA-256)`, ours: fmt.rate(oursRate, 'files/s'), anchorName: 'exiftool -json -r', anchor: fmt.rate(exRate, 'files/s'), ratio: fmt.x(ratio), goal: '≥ 3x', met: ratio >= 3 });
  } else {
    record({ what: `scan ${files} files`, ours: fmt.rate(oursRate, 'files/s'), anchorName: 'exiftool (not installed: apt-get install libimage-exiftool-perl)', anchor: '-', ratio: '-', goal: '≥ 3x' });
  }

  // The rescan itself, in an open node: the walk, the stat and the comparison with the graph. The first scan after
  // open also reads the share's files from the graph (one query); a running node keeps that index between scans.
  // Both sides are the best of three runs, alternated, so a loaded machine's hiccup does not decide the ratio.
  const node = await SemsyncNode.open({ home });
  const first = await time(() => node.scan(undefined));
  const rescans: number[] = [];
  const finds: number[] = [];
  for (let i = 0; i < 3; i++) {
    rescans.push((await time(() => node.scan(undefined))).ms);
    finds.push((await run('find', [tree, '-type', 'f', '-printf', '%s %T@\n'])).ms);
  }
  await node.close();
  const rescan = { ms: Math.min(...rescans) };
  const find = { ms: Math.min(...finds) };
  const ratio = rescan.ms / find.ms;
  record({ what: `rescan ${files} unchanged files (in a running node, its file index kept)`, ours: fmt.ms(rescan.ms), anchorName: "find -printf '%s %T@'", anchor: fmt.ms(find.ms), ratio: fmt.x(ratio), goal: '≤ 3x', met: ratio <= 3 });
  record({ what: `first rescan ${files} unchanged files after open (file index read from the graph)`, ours: fmt.ms(first.ms), anchorName: "find -printf '%s %T@'", anchor: fmt.ms(find.ms), ratio: fmt.x(first.ms / find.ms), goal: '(for reference)' });
  const cold = await semsync(home, 'scan');
  record({ what: `rescan ${files} unchanged files (whole \`semsync scan\` command, store load included)`, ours: fmt.ms(cold.ms), anchorName: "find -printf '%s %T@'", anchor: fmt.ms(find.ms), ratio: fmt.x(cold.ms / find.ms), goal: '(for reference)' });
}
