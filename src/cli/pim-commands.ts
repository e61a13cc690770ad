// `semsync pim import/export`, `policy list/show/set`, `dav add/list/sync`: contacts and calendars, privacy policies, CalDAV/CardDAV servers.
import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { globals, withApi } from './context.js';
import { printJson, table, UsageError } from './output.js';
import { registerDavCommands } from './dav-commands.js';

const json = (opts: { json?: boolean }, cmd: Command) => Boolean(opts.json || globals(cmd).json);

/** Policy mistakes the node raised (also through the control socket) are usage errors (exit 2). */
async function asUsage<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    const name = (err as Error).name;
    if (name === 'PolicyError' || name === 'TrustError' || name === 'PimError') throw new UsageError((err as Error).message);
    throw err;
  }
}

function excludesText(e: object): string {
  const parts = Object.entries(e)
    .filter(([, v]) => (Array.isArray(v) ? v.length > 0 : v === true))
    .map(([k, v]) => (Array.isArray(v) ? `${k}: ${v.join(', ')}` : k));
  return parts.length ? parts.join('; ') : 'nothing (everything may go)';
}

export function registerPimCommands(program: Command): void {
  const pim = program.command('pim').description("contacts and calendars as this node's own data: synced to paired peers (policy permitting) and CalDAV/CardDAV servers");
  pim
    .command('import <paths...>')
    .description('read .vcf/.ics files (or folders of them) into this node\'s contacts/calendar; an item already there is updated, a broken item is kept as far as it reads and reported')
    .option('--json', 'print JSON: [{file, kind, items, added, changed, unchanged, errors}]')
    .action(async (paths: string[], opts: { json?: boolean }, cmd: Command) => {
      await withApi(cmd, async (api) => {
        const reports = await asUsage(() => api.pimImport(paths, process.cwd()));
        if (json(opts, cmd)) return printJson(reports);
        for (const r of reports) {
          console.log(`${r.file}: ${r.kind}, ${r.items} item(s): added ${r.added}, changed ${r.changed}, unchanged ${r.unchanged}${r.errors.length ? `, ${r.errors.length} problem(s)` : ''}`);
          for (const e of r.errors) console.error(`  ${r.file}: ${e}`);
        }
      });
    });
  pim
    .command('export')
    .description('write the contacts (.vcf) or the calendar (.ics): every node\'s edits merged, the latest edit of each item winning')
    .option('--contacts', 'the contacts, as vCard')
    .option('--calendar', 'the calendar, as iCalendar')
    .option('--out <file>', 'write to this file (default: standard output)')
    .action(async (opts: { contacts?: boolean; calendar?: boolean; out?: string }, cmd: Command) => {
      if (!!opts.contacts === !!opts.calendar) throw new UsageError('say which: --contacts or --calendar');
      await withApi(cmd, async (api) => {
        const r = await api.pimExport(opts.contacts ? 'contacts' : 'calendar', opts.out, process.cwd());
        if (r.out) console.error(`${r.out}: ${r.items} item(s)`);
        else process.stdout.write(r.text ?? '');
      });
    });

  pim
    .command('remove <uids...>')
    .description('delete contacts or events by UID; the deletion travels to peers and servers like an edit')
    .option('--contacts', 'contacts')
    .option('--calendar', 'calendar items')
    .action(async (uids: string[], opts: { contacts?: boolean; calendar?: boolean }, cmd: Command) => {
      if (!!opts.contacts === !!opts.calendar) throw new UsageError('say which: --contacts or --calendar');
      await withApi(cmd, async (api) => {
        const r = await api.pimRemove(opts.contacts ? 'contacts' : 'calendar', uids);
        console.log(`removed ${r.removed.length}`);
        if (r.unknown.length) throw new UsageError(`no such item: ${r.unknown.join(', ')}`);
      });
    });

  registerPolicyCommands(program);
  registerDavCommands(program);
}

function registerPolicyCommands(program: Command): void {
  const policy = program.command('policy').description('privacy policies: what contacts and events may leave for a peer (by peer id) or a server (dav:NAME); enforced before sending');
  policy
    .command('list')
    .option('--json', 'print JSON: [{target, policy, excludes}]')
    .description('every peer and server with a policy, and what it keeps back')
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      await withApi(cmd, async (api) => {
        const list = await api.policyList();
        if (json(opts, cmd)) return printJson(list);
        if (!list.length) return console.log('no policies: paired peers get no contacts or events until their policy is chosen (`semsync policy set PEER --work|--personal`)');
        console.log(table(['target', 'work', 'keeps back'], list.map((e) => [e.target, e.policy?.work ? 'yes' : 'no', excludesText(e.excludes)])));
      });
    });
  policy
    .command('show <target>')
    .option('--json', 'print JSON: {target, policy, excludes}')
    .description('the policy of a peer id or dav:NAME')
    .action(async (target: string, opts: { json?: boolean }, cmd: Command) => {
      await withApi(cmd, async (api) => {
        const e = await asUsage(() => api.policyShow(target));
        if (json(opts, cmd)) return printJson(e);
        console.log(`${e.target}: ${e.policy ? JSON.stringify(e.policy) : 'no policy'}\nkeeps back: ${excludesText(e.excludes)}`);
      });
    });
  policy
    .command('set <target>')
    .description('set the policy of a peer id or dav:NAME; a peer then gets a fresh full state under it (what it may no longer see is deleted there)')
    .option('--work', 'a work node or server: no Personal contacts, no PRIVATE/CONFIDENTIAL events or contacts, no birthdays')
    .option('--personal', 'everything may go ({"work": false})')
    .option('--file <policy.json>', 'a policy file: {"work": true, "exclude": {"contactCategories": [...], "eventClasses": [...], "birthdays": true}}')
    .option('--clear', 'remove the policy')
    .action(async (target: string, opts: { work?: boolean; personal?: boolean; file?: string; clear?: boolean }, cmd: Command) => {
      const chosen = [opts.work, opts.personal, opts.file, opts.clear].filter(Boolean).length;
      if (chosen !== 1) throw new UsageError('give one of --work, --personal, --file FILE, --clear');
      let value: unknown = opts.clear ? null : opts.work ? { work: true } : { work: false };
      if (opts.file) {
        const text = await readFile(opts.file, 'utf8').catch((err: Error) => { throw new UsageError(`${opts.file}: ${err.message}`); });
        try {
          value = JSON.parse(text);
        } catch (err) {
          throw new UsageError(`${opts.file}: not JSON (${(err as Error).message})`);
        }
      }
      await withApi(cmd, async (api) => {
        const e = await asUsage(() => api.policySet(target, value));
        console.log(`${e.target}: keeps back ${excludesText(e.excludes)}`);
      });
    });

}
