// `semsync share ...` and `semsync scan`: which folders are described, and bringing the graph up to date.
import type { Command } from 'commander';
import type { ScanSummary } from '../library/index.js';
import { ShareWatcher } from '../library/index.js';
import { globals, withNode } from './context.js';
import { printJson, table } from './output.js';
import { progress } from './progress.js';

export function registerLibraryCommands(program: Command): void {
  const share = program.command('share').description('folders this node describes (and may grant to peers)');

  share
    .command('add <path>')
    .description('share a folder: it is described at the next scan')
    .option('--name <name>', 'the share name (default: the folder name)')
    .action(async (folder: string, opts: { name?: string }, cmd: Command) => {
      await withNode(cmd, async (node) => {
        const s = await node.addShare(folder, opts.name);
        if (globals(cmd).json) printJson(s);
        else console.log(`shared ${s.path} as "${s.name}"; run \`semsync scan\` to describe it`);
      });
    });

  share
    .command('list')
    .description('list the shares')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      await withNode(cmd, async (node) => {
        const shares = node.config.shares;
        if (opts.json || globals(cmd).json) printJson(shares);
        else if (shares.length === 0) console.log('no shares; add one with `semsync share add PATH`');
        else console.log(table(['name', 'path'], shares.map((s) => [s.name, s.path])));
      });
    });

  share
    .command('remove <name>')
    .description('stop sharing a folder and forget what it said (the files themselves are not touched)')
    .action(async (name: string, _opts: unknown, cmd: Command) => {
      await withNode(cmd, async (node) => {
        const removed = await node.removeShare(name);
        console.log(`removed share "${name}" (${removed} statements)`);
      });
    });

  program
    .command('scan [shares...]')
    .description('describe every shared folder (or the named ones): new and changed files are read, unchanged ones skipped, deleted ones forgotten')
    .option('--watch', 'keep watching after the scan; changes are described as they happen')
    .option('--workers <n>', 'worker threads (default: one per core)', (v) => Number.parseInt(v, 10))
    .option('--json', 'print the summary as JSON')
    .action(async (names: string[], opts: { watch?: boolean; json?: boolean; workers?: number }, cmd: Command) => {
      await withNode(cmd, async (node) => {
        const bar = progress('scanning');
        const summaries = await node.scan(names, (p) => bar.update(p.read, p.toRead, `${p.share}: ${p.seen} seen`));
        bar.stop();
        printSummaries(summaries, Boolean(opts.json || globals(cmd).json));
        if (!opts.watch) return;
        const watcher = new ShareWatcher(node.indexer, {
          onUpdate: (s) => {
            if (s.added + s.changed + s.removed + s.errors.length > 0) printSummaries([s], Boolean(opts.json));
          },
          onError: (err) => process.stderr.write(`semsync: watch: ${err.message}\n`),
        });
        for (const s of node.shares()) await watcher.add(s);
        console.error('watching for changes; press Ctrl+C to stop');
        await new Promise<void>((resolve) => {
          process.once('SIGINT', resolve);
          process.once('SIGTERM', resolve);
        });
        await watcher.close();
      });
    });
}

function printSummaries(summaries: ScanSummary[], json: boolean): void {
  if (json) {
    printJson(summaries);
    return;
  }
  const total = { files: 0, added: 0, changed: 0, removed: 0, errors: 0 };
  for (const s of summaries) {
    for (const e of s.errors) process.stderr.write(`error: ${e.path}: ${e.message}\n`);
    total.files += s.files;
    total.added += s.added;
    total.changed += s.changed;
    total.removed += s.removed;
    total.errors += s.errors.length;
  }
  console.log(`files ${total.files}, added ${total.added}, changed ${total.changed}, removed ${total.removed}, errors ${total.errors}`);
}
