// `semsync devices [claim|roots]`, `place`, `explain` and `target`: devices and host folders filed by rules.
import type { Command } from 'commander';
import type { DeviceRow, PlaceSummary } from '../node/index.js';
import { globals, withApi } from './context.js';
import { printJson, table, UsageError } from './output.js';
import { progress } from './progress.js';

/** What the user named or asked wrongly (unknown device, not claimed, foreign, broken profile or rules file): exit 2. */
const INPUT = new Set(['UnknownDeviceError', 'DeviceNotClaimedError', 'DeviceForeignError', 'DeviceProfileError', 'RuleFileError', 'RuleEvaluationError', 'TargetFolderError', 'TrashRestoreError', 'ClaimRequestError']);

async function asUsage<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (INPUT.has((err as Error).name)) throw new UsageError((err as Error).message);
    throw err;
  }
}

const list = (v: string) => v.split(',').map((x) => x.trim()).filter(Boolean);
const json = (opts: { json?: boolean }, cmd: Command) => Boolean(opts.json || globals(cmd).json);

export function bytes(n: number | undefined): string {
  if (n === undefined) return '?';
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let i = 0;
  let v = n;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  return `${i === 0 ? v : v.toFixed(1)} ${units[i]}`;
}

function printDevices(rows: DeviceRow[]): void {
  if (rows.length === 0) {
    console.log('no devices attached; removable media under /media, /run/media, /mnt or a media root (`semsync devices roots add DIR`) show here');
    return;
  }
  const body = rows.map((r) => [r.id, r.name, r.root, r.state + (r.error ? ' (broken profile)' : r.note ? ' (see below)' : ''), r.kind, r.filesystem, bytes(r.free)]);
  console.log(table(['id', 'name', 'mount point', 'state', 'kind', 'names', 'free'], body));
  for (const r of rows) if (r.error) console.log(`${r.root}: ${r.error}`);
  for (const r of rows) if (r.note) console.log(`${r.root}: ${r.note}`);
  const unclaimed = rows.filter((r) => r.state === 'unclaimed');
  if (unclaimed.length) console.log(`unclaimed devices are never written to; claim one with \`semsync devices claim ${unclaimed[0].id}\``);
}

/** How many skipped files each reason names on the terminal (--json lists all). */
const SKIPS_SHOWN = 3;

function printSummary(s: PlaceSummary): void {
  const verb = s.dryRun ? 'would copy' : 'copied';
  for (const op of s.operations) {
    if (s.dryRun) console.log(op.kind === 'copy' ? `copy   ${op.target}` : `remove ${op.target} (${op.reason})`);
  }
  const skipLines = new Map<string, string[]>();
  for (const k of s.skipped) skipLines.set(k.reason, [...(skipLines.get(k.reason) ?? []), k.file ?? k.target ?? k.content ?? '?']);
  for (const [reason, names] of skipLines) {
    console.log(`skipped ${names.length}: ${reason}`);
    for (const n of names.slice(0, SKIPS_SHOWN)) console.log(`  ${n}`);
    if (names.length > SKIPS_SHOWN) console.log(`  … and ${names.length - SKIPS_SHOWN} more (all of them with --json)`);
  }
  for (const e of s.errors) console.log(`error: ${e.target ?? e.content}: ${e.message}`);
  const copies = s.dryRun ? s.planned.copy : s.copied;
  const removes = s.dryRun ? s.planned.remove : s.removed;
  console.log(`${s.name} (${s.root}): ${verb} ${copies}, ${s.dryRun ? 'would remove' : 'removed'} ${removes}, skipped ${s.skipped.length}, errors ${s.errors.length}${s.dryRun ? '' : `, ${bytes(s.bytes)}`}`);
}

export function registerDeviceCommands(program: Command): void {
  const devices = program
    .command('devices')
    .description('attached devices and host targets: id, name, mount point, state (unclaimed, claimed, foreign), free space')
    .option('--json', 'print JSON: [{id, name, root, state, kind, fsType, filesystem, free, total, owner, accepts}]')
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      await withApi(cmd, async (api) => {
        const rows = await asUsage(() => api.deviceList());
        if (json(opts, cmd)) return printJson(rows);
        printDevices(rows);
      });
    });

  devices
    .command('claim <device>')
    .description('let semsync fill a device (by the id `semsync devices` shows, its name, or its mount point): writes its profile .semsync/device.ttl (what was asked, else what it had, else everything)')
    .option('--name <name>', 'a name for it (renames a device claimed before)')
    .option('--owner <user>', 'who owns it (default: you); a device owned by someone else is left alone')
    .option('--accepts <kinds>', 'what it takes: ebook,music,photo (comma-separated)', list)
    .option('--formats <mimes>', 'the formats it reads or plays, e.g. application/epub+zip,audio/mpeg (each to its kind)', list)
    .option('--mirror', 'mirror the library: what semsync placed goes (to its trash) when its source goes away')
    .option('--no-mirror', 'copy, not mirror (the default): what semsync placed stays when its source goes away')
    .option('--json', 'print JSON: the device')
    .action(async (device: string, opts: { name?: string; owner?: string; accepts?: string[]; formats?: string[]; mirror?: boolean; json?: boolean }, cmd: Command) => {
      await withApi(cmd, async (api) => {
        const mirror = cmd.getOptionValueSource('mirror') === 'cli' ? opts.mirror : undefined;
        const req = { name: opts.name, owner: opts.owner, ...(opts.accepts ? { accepts: opts.accepts } : {}), ...(opts.formats ? { formats: opts.formats } : {}), ...(mirror !== undefined ? { mirror } : {}) };
        const row = await asUsage(() => api.deviceClaim(device, req));
        if (json(opts, cmd)) return printJson(row);
        console.log(`claimed ${row.name} (${row.id}) at ${row.root}${row.accepts ? `, takes ${row.accepts.join(', ')}` : ''}; \`semsync place ${row.id}\` fills it (a running node does it on every attach)`);
      });
    });

  registerRootsCommands(devices);
  registerPlaceCommands(program);
  registerTargetCommands(program);
  registerTrashCommands(program);
}

function registerRootsCommands(devices: Command): void {
  const roots = devices
    .command('roots')
    .description('media roots: folders whose mounts, and which themselves, count as devices (besides /media, /run/media, /mnt)')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      await withApi(cmd, async (api) => {
        const list = await api.mediaRootList();
        if (json(opts, cmd)) return printJson(list);
        console.log(list.length ? list.join('\n') : 'no media roots; `semsync devices roots add DIR`');
      });
    });
  roots
    .command('add <dir>')
    .description('watch DIR: volumes mounted below it are devices, and DIR itself is a (plain folder) device')
    .action(async (dir: string, _o: unknown, cmd: Command) => {
      await withApi(cmd, async (api) => console.log((await asUsage(() => api.mediaRootAdd(dir))).join('\n')));
    });
  roots
    .command('remove <dir>')
    .description('stop watching DIR')
    .action(async (dir: string, _o: unknown, cmd: Command) => {
      await withApi(cmd, async (api) => console.log((await asUsage(() => api.mediaRootRemove(dir))).join('\n') || 'no media roots'));
    });
}

function registerPlaceCommands(program: Command): void {
  program
    .command('place <device>')
    .description('plan a claimed device (or host target) from the rules, then copy and remove; a second run does nothing (--dry-run works on an unclaimed device too)')
    .option('--dry-run', 'print the plan, change nothing')
    .option('--restore', 'place again the files you deleted from the device by hand (otherwise they are not copied back)')
    .option('--json', 'print JSON: {device, planned, copied, removed, skipped: [{target, content, file, reason}], errors, operations}')
    .action(async (device: string, opts: { dryRun?: boolean; restore?: boolean; json?: boolean }, cmd: Command) => {
      await withApi(cmd, async (api, local) => {
        const bar = progress('placing', !json(opts, cmd) && local !== undefined && process.stderr.isTTY === true);
        let s: PlaceSummary;
        try {
          s = await asUsage(() =>
            local
              ? (api as import('../node/api.js').LocalApi).place(device, { dryRun: opts.dryRun, restore: opts.restore, onProgress: (p) => bar.update(p.done, p.total, p.target ?? '') })
              : api.place(device, { dryRun: opts.dryRun, restore: opts.restore }),
          );
        } finally {
          bar.stop();
        }
        if (json(opts, cmd)) printJson(s);
        else printSummary(s);
        if (s.errors.length > 0) process.exitCode = 1;
      });
    });

  program
    .command('explain <path>')
    .description('why a file is on a device: the rule that placed it and the metadata it used')
    .option('--json', 'print JSON: {path, device, relativePath, content, rule, values, placedAt}')
    .action(async (file: string, opts: { json?: boolean }, cmd: Command) => {
      await withApi(cmd, async (api) => {
        const e = await asUsage(() => api.explain(file));
        if (json(opts, cmd)) return printJson(e);
        console.log(`${e.relativePath} on ${e.device} (${e.root})`);
        console.log(`placed by rule ${e.rule}${e.values.categoryRule ? `, category ${e.values.category} from rule ${e.values.categoryRule}` : ''}`);
        console.log(`content ${e.content}, placed ${e.placedAt}`);
        console.log('template values:');
        for (const [k, v] of Object.entries(e.values)) if (k !== 'categoryRule') console.log(`  ${k}: ${v}`);
        if (e.metadata) {
          console.log('metadata now:');
          for (const [k, v] of Object.entries(e.metadata)) console.log(`  ${k}: ${v.join('; ')}`);
        }
      });
    });

}

function registerTargetCommands(program: Command): void {
  const target = program
    .command('target')
    .description('host folders filed by rules like a device (e.g. ~/Documents gets eBooks/<Category>/...), placed by the running node after every scan or sync');
  target
    .command('add <dir>')
    .description('make DIR a placement target (created if missing; claimed for you; every kind, POSIX names)')
    .option('--name <name>', 'a name for it (default: the folder name)')
    .option('--mirror', 'mirror the library: what semsync filed goes (to the trash) when its source goes away (default: it stays)')
    .option('--peer <id>', 'with --share: make DIR a copy of that paired peer\'s share, in its own layout (the same folder on both machines)')
    .option('--share <name>', 'the peer\'s share to copy (it must grant it to this node)')
    .option('--json', 'print JSON')
    .action(async (dir: string, opts: { name?: string; mirror?: boolean; json?: boolean; peer?: string; share?: string }, cmd: Command) => {
      await withApi(cmd, async (api) => {
        if (opts.peer || opts.share) {
          if (!opts.peer || !opts.share || opts.mirror) throw new UsageError('a copy target takes both --peer and --share (and no --mirror: what the peer removes goes to the trash)');
          const c = await asUsage(() => api.copyAdd(dir, opts.peer!, opts.share!, opts.name));
          if (json(opts, cmd)) return printJson(c);
          return console.log(`copy target ${c.name} at ${c.path}: ${c.peer}'s share ${c.share}; a running node fetches it and follows every change`);
        }
        const row = await asUsage(() => api.targetAdd(dir, opts.name, opts.mirror ? { mirror: true } : {}));
        if (json(opts, cmd)) return printJson(row);
        console.log(`target ${row.name} (${row.id}) at ${row.root}; \`semsync place ${row.name}\` fills it now (a running node does it after every change)`);
      });
    });
  target
    .command('list')
    .description('the host targets')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      await withApi(cmd, async (api) => {
        const list = [...(await api.targetList()), ...(await api.copyList())];
        if (json(opts, cmd)) return printJson(list);
        const of = (t: { name: string; peer?: string; share?: string }) => (t.peer ? `copy of ${t.share} on ${t.peer}` : 'filed by rules');
        console.log(list.length ? table(['name', 'path', 'kind'], list.map((t) => [t.name, t.path, of(t)])) : 'no targets; `semsync target add DIR`');
      });
    });
  target
    .command('remove <name>')
    .description('stop placing into a target (its files stay)')
    .action(async (name: string, _o: unknown, cmd: Command) => {
      await withApi(cmd, async (api) => {
        if (!(await api.targetRemove(name)) && !(await api.copyRemove(name))) throw new UsageError(`no target named "${name}"; see \`semsync target list\``);
        console.log(`removed target ${name}; its files stay`);
      });
    });
  target
    .command('restore <name> [ids...]')
    .description('a copy target: put back files semsync moved to the trash because the peer removed or replaced them (list them without ids; --all: every one)')
    .option('--all', 'restore every one')
    .action(async (name: string, ids: string[], opts: { all?: boolean }, cmd: Command) => {
      await withApi(cmd, async (api) => {
        if (!opts.all && ids.length === 0) {
          const list = await api.copyTrash(name);
          return console.log(list.length ? table(['id', 'path', 'trashed', 'why'], list.map((e) => [e.id, e.path, e.trashedAt, e.reason])) : 'nothing in its trash');
        }
        const r = await api.copyRestore(name, opts.all ? 'all' : ids);
        for (const e of r.restored) console.log(`restored ${e.path}`);
        for (const e of r.errors) console.log(`error: ${e}`);
        if (r.errors.length) process.exitCode = 1;
      });
    });
}

function registerTrashCommands(program: Command): void {
  const trash = program
    .command('trash')
    .description(`what semsync removed from devices (their .semsync/trash/) and host targets (your XDG trash), kept 30 days`);
  trash
    .command('list')
    .description('the trashed files of attached devices and host targets (or of one)')
    .option('--device <device>', 'only this device or target')
    .option('--json', 'print JSON: [{id, device, deviceName, path, content, size, trashedAt, reason, file}]')
    .action(async (opts: { device?: string; json?: boolean }, cmd: Command) => {
      await withApi(cmd, async (api) => {
        const rows = await asUsage(() => api.trashList(opts.device));
        if (json(opts, cmd)) return printJson(rows);
        if (rows.length === 0) return console.log('the trash is empty');
        console.log(table(['id', 'device', 'path', 'removed', 'why'], rows.map((r) => [r.id, r.deviceName, r.path, r.trashedAt, r.reason])));
      });
    });
  trash
    .command('restore [ids...]')
    .description('put trashed files back where they were (and into the catalog): by id, or --all')
    .option('--all', 'every trashed file')
    .option('--device <device>', 'only this device or target')
    .option('--json', 'print JSON: {restored, errors}')
    .action(async (ids: string[], opts: { all?: boolean; device?: string; json?: boolean }, cmd: Command) => {
      await withApi(cmd, async (api) => {
        if (!opts.all && ids.length === 0) throw new UsageError('name the ids to restore (see `semsync trash list`), or --all');
        const r = await asUsage(() => api.trashRestore(opts.all ? 'all' : ids, opts.device));
        if (json(opts, cmd)) printJson(r);
        else {
          for (const x of r.restored) console.log(`restored ${x.path} on ${x.deviceName}`);
          for (const e of r.errors) console.log(`error: ${e}`);
        }
        if (r.errors.length) process.exitCode = 1;
      });
    });
  trash
    .command('empty')
    .description('delete trashed files for good (all, or older than --older-than DAYS)')
    .option('--older-than <days>', 'only those trashed more than DAYS days ago', Number)
    .option('--device <device>', 'only this device or target')
    .option('--json', 'print JSON: the deleted entries')
    .action(async (opts: { olderThan?: number; device?: string; json?: boolean }, cmd: Command) => {
      await withApi(cmd, async (api) => {
        if (opts.olderThan !== undefined && !(opts.olderThan >= 0)) throw new UsageError('--older-than takes a number of days');
        const rows = await asUsage(() => api.trashEmpty({ device: opts.device, ...(opts.olderThan !== undefined ? { olderThanDays: opts.olderThan } : {}) }));
        if (json(opts, cmd)) return printJson(rows);
        console.log(`deleted ${rows.length} trashed file(s)`);
      });
    });
}
