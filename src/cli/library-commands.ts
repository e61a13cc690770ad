// `semsync share ...` and `semsync scan`: which folders are described, and bringing the graph up to date.
import path from 'node:path';
import type { Command } from 'commander';
import type { ScanSummary } from '../library/index.js';
import { globals, withApi } from './context.js';
import { printJson, table } from './output.js';
import { progress } from './progress.js';
import { registerShareGrantCommands } from './peer-commands.js';

export function registerLibraryCommands(program: Command): void {
  const share = program.command('share').description('folders this node describes (and may grant to peers)');

  share
    .command('add <path>')
    .description('share a folder: it is described at the next scan (at once by a running node)')
    .option('--name <name>', 'the share name (default: the folder name)')
    .option('--json', 'print JSON')
    .action(async (folder: string, opts: { name?: string; json?: boolean }, cmd: Command) => {
      await withApi(cmd, async (api, local) => {
        const s = await api.shareAdd(path.resolve(folder), opts.name);
        if (opts.json || globals(cmd).json) printJson(s);
        else console.log(`shared ${s.path} as "${s.name}"${local ? '; run `semsync scan` to describe it' : ''}`);
      });
    });

  share
    .command('list')
    .description('list the shares')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      await withApi(cmd, async (api) => {
        const shares = await api.shareList();
        if (opts.json || globals(cmd).json) printJson(shares);
        else if (shares.length === 0) console.log('no shares; add one with `semsync share add PATH`');
        else console.log(table(['name', 'path'], shares.map((s) => [s.name, s.path])));
      });
    });

  share
    .command('remove <name>')
    .description('stop sharing a folder and forget what it said (the files themselves are not touched)')
    .action(async (name: string, _opts: unknown, cmd: Command) => {
      await withApi(cmd, async (api) => {
        const removed = await api.shareRemove(name);
        console.log(`removed share "${name}" (${removed} statements)`);
      });
    });

  registerShareGrantCommands(share);
  registerScanCommand(program);
}

function registerScanCommand(program: Command): void {
  program
    .command('scan [shares...]')
    .description('describe every shared folder (or the named ones): new and changed files are read, unchanged ones skipped, deleted ones forgotten')
    .option('--watch', 'keep watching after the scan; changes are described as they happen')
    .option('--json', 'print the summary as JSON')
    .action(async (names: string[], opts: { watch?: boolean; json?: boolean }, cmd: Command) => {
      const json = Boolean(opts.json || globals(cmd).json);
      await withApi(cmd, async (api, node) => {
        if (!node) {
          printSummaries(await api.scan(names), json);
          if (opts.watch) console.error('the running node watches its shares already');
          return;
        }
        const bar = progress('scanning');
        const summaries = await node.scan(names, (p) => bar.update(p.read, p.toRead, `${p.share}: ${p.seen} seen`));
        bar.stop();
        printSummaries(summaries, json);
        // Categories follow the graph (a running node does this after every change), so "all SciFi books" answers now.
        const { devicesOf } = await import('../node/devices.js');
        await devicesOf(node)
          .refreshCategories()
          .catch((err: Error) => process.stderr.write(`semsync: categories not refreshed: ${err.message}\n`));
        if (!opts.watch) return;
        const { ShareWatcher } = await import('../library/watch.js');
        const watcher = new ShareWatcher(node.indexer, {
          onUpdate: (s) => {
            if (s.added + s.changed + s.removed + s.errors.length > 0) printSummaries([s], json);
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

export function printSummaries(summaries: ScanSummary[], json: boolean): void {
  if (json) {
    printJson(summaries);
    return;
  }
  const total = { files: 0, added: 0, changed: 0, removed: 0, errors: 0 };
  for (const s of summaries) {
    for (const e of s.skipped ?? []) process.stderr.write(`skipped: ${e.path}: ${e.message}\n`);
    for (const e of s.errors) process.stderr.write(`error: ${e.path}: ${e.message}\n`);
    total.files += s.files;
    total.added += s.added;
    total.changed += s.changed;
    total.removed += s.removed;
    total.errors += s.errors.length;
  }
  console.log(`files ${total.files}, added ${total.added}, changed ${total.changed}, removed ${total.removed}, errors ${total.errors}`);
}
