// `semsync dav add/remove/list/sync/status`: CalDAV/CardDAV server accounts, two-way sync, and what failed.
import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { globals, withApi } from './context.js';
import { printJson, table, UsageError } from './output.js';
import { FailureError } from '../base/index.js';

const json = (opts: { json?: boolean }, cmd: Command) => Boolean(opts.json || globals(cmd).json);

/** A sync that left items behind or stopped: exit 1 (the reports were printed). */
export class DavSyncIncompleteError extends FailureError {
  override name = 'DavSyncIncompleteError';
}

async function asUsage<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    const name = (err as Error).name;
    if (name === 'PolicyError' || name === 'PimError') throw new UsageError((err as Error).message);
    throw err;
  }
}

export function registerDavCommands(program: Command): void {
  const dav = program.command('dav').description('CalDAV/CardDAV servers: two-way sync of the contacts and calendar (a running node syncs each periodically)');
  dav
    .command('add <url>')
    .description('add a server account (a server, the user\'s home, or one calendar/address book: found through /.well-known, the principal and its home sets); a running node syncs it at once')
    .option('--name <name>', 'a name for it (default: the host)')
    .option('--user <user>', 'user name (HTTP Basic)')
    .option('--password-file <file>', 'a file holding the password (kept there, read at each sync)')
    .option('--policy <work|file.json>', '"work" (see `semsync policy set --work`) or a policy file')
    .option('--interval <seconds>', 'seconds between syncs in a running node (default 300)')
    .option('--insecure', 'allow sending the password over plain http to another machine')
    .action(async (url: string, opts: { name?: string; user?: string; passwordFile?: string; policy?: string; interval?: string; insecure?: boolean }, cmd: Command) => {
      let pol: unknown;
      if (opts.policy === 'work') pol = 'work';
      else if (opts.policy) pol = JSON.parse(await readFile(opts.policy, 'utf8').catch((err: Error) => { throw new UsageError(`${opts.policy}: ${err.message}`); }));
      const intervalS = opts.interval === undefined ? undefined : Number(opts.interval);
      if (intervalS !== undefined && !(intervalS > 0)) throw new UsageError('--interval wants a number of seconds');
      await withApi(cmd, async (api, local) => {
        const a = await asUsage(() => api.davAdd(url, { name: opts.name, user: opts.user, passwordFile: opts.passwordFile, policy: pol, intervalS, insecure: opts.insecure }, process.cwd()));
        const next = local ? `\`semsync dav sync ${a.name}\` to sync now (a running node syncs it every ${a.intervalS ?? 300} s)` : 'the running node syncs it now';
        console.log(`added ${a.name} (${a.url})${a.policy ? `, policy ${JSON.stringify(a.policy)}` : ''}; ${next}`);
      });
    });
  dav
    .command('remove <name>')
    .description('forget a server account and what its syncs agreed on (nothing is deleted, here or there); a running node stops syncing it at once')
    .action(async (name: string, _opts: unknown, cmd: Command) => {
      await withApi(cmd, async (api) => {
        const a = await asUsage(() => api.davRemove(name));
        console.log(`removed ${a.name} (${a.url})`);
      });
    });
  dav
    .command('list')
    .option('--json', 'print JSON')
    .description('the server accounts')
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      await withApi(cmd, async (api) => {
        const list = await api.davList();
        if (json(opts, cmd)) return printJson(list);
        if (!list.length) return console.log('no servers; `semsync dav add URL --user U --password-file F`');
        console.log(table(['name', 'url', 'user', 'policy'], list.map((a) => [a.name, a.url, a.user ?? '', a.policy ? JSON.stringify(a.policy) : ''])));
      });
    });
  registerDavSyncCommands(dav);
}

function registerDavSyncCommands(dav: Command): void {
  dav
    .command('sync [name]')
    .option('--json', 'print JSON: [{collection, kind, pulled, pushed, deletedHere, deletedThere, conflicts, withheld, retry, failed, stopped, errors}]')
    .option('--allow-mass-delete', 'go ahead when a sync would delete more than 50 items or more than 20% of a collection on either side')
    .description('sync with one server (or all) now; exit 1 when an item could not be sent or a collection stopped')
    .action(async (name: string | undefined, opts: { json?: boolean; allowMassDelete?: boolean }, cmd: Command) => {
      await withApi(cmd, async (api) => {
        const reports = await asUsage(() => api.davSync(name, { allowMassDelete: opts.allowMassDelete }));
        if (json(opts, cmd)) printJson(reports);
        else {
          for (const r of reports) {
            if (r.stopped) {
              console.error(`${r.collection}: ${r.stopped}`);
              continue;
            }
            console.log(`${r.collection}${r.created ? ' (created)' : ''}: pulled ${r.pulled}, pushed ${r.pushed}, deleted here ${r.deletedHere}, deleted there ${r.deletedThere}, conflicts ${r.conflicts}, withheld ${r.withheld}${r.retry ? `, retry ${r.retry}` : ''}${r.failed.length ? `, failed ${r.failed.length}` : ''}`);
            for (const f of r.failed) console.error(`  not sent: ${f.name} (UID ${f.uid}): ${f.reason}${f.nextTry ? `; next try after ${f.nextTry}` : ''}`);
            for (const e of r.errors) console.error(`  ${e}`);
          }
        }
        // Exit 0 only when everything allowed is on both sides.
        const failed = reports.reduce((n, r) => n + r.failed.length, 0);
        const stopped = reports.filter((r) => r.stopped).length;
        const retry = reports.reduce((n, r) => n + r.retry, 0);
        const why = [failed && `${failed} item(s) not on the server`, stopped && `${stopped} collection(s) not synced`, retry && `${retry} item(s) changed on the server during the sync (the next sync settles them)`].filter(Boolean);
        if (why.length) throw new DavSyncIncompleteError(`${why.join(', ')}; see \`semsync dav status\``);
      });
    });
  dav
    .command('status')
    .option('--json', 'print JSON: [{name, url, policy, lastSync, ok, result (ok|failed|stopped), counts, stopped, syncing, summary, failures: [{collection, name, uid, reason, nextTry}]}]')
    .description('each account\'s last sync, its result, and the items the server would not take')
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      await withApi(cmd, async (api) => {
        const list = await api.davStatus();
        if (json(opts, cmd)) return printJson(list);
        if (!list.length) return console.log('no servers; `semsync dav add URL --user U --password-file F`');
        for (const a of list) {
          console.log(`${a.name} (${a.url}): ${a.lastSync ? `last sync ${a.lastSync}, ${a.ok ? 'ok' : 'NOT ok'}` : 'never synced'}`);
          if (a.summary) console.log(`  ${a.summary}`);
          for (const f of a.failures) console.log(`  not sent: ${f.name} (UID ${f.uid}) to ${f.collection}: ${f.reason}; next try after ${f.nextTry}`);
        }
      });
    });
}
