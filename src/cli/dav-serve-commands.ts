// `semsync dav serve add|list|remove|passwd`: the accounts phones and desktop apps use to sync with this node over CalDAV/CardDAV.
import type { Command } from 'commander';
import { globals, homeOf } from './context.js';
import { printJson, table } from './output.js';

const json = (opts: { json?: boolean }, cmd: Command) => Boolean(opts.json || globals(cmd).json);

async function accounts(cmd: Command) {
  const { DavAccounts } = await import('../dav/server/index.js');
  return new DavAccounts(homeOf(cmd));
}

async function address(cmd: Command, name: string): Promise<string> {
  const { readRunInfo } = await import('../server/run-info.js');
  const url = (await readRunInfo(homeOf(cmd)))?.http?.url;
  return url ? `${url}dav/${encodeURIComponent(name)}/` : `http://127.0.0.1:<http port>/dav/${encodeURIComponent(name)}/ (once \`semsync start\` runs)`;
}

export function registerDavServeCommands(program: Command): void {
  const dav = program.commands.find((c) => c.name() === 'dav') ?? program.command('dav').description('CalDAV/CardDAV');
  const serve = dav.command('serve').description('accounts for phones and desktop apps that sync with this node (the node is their CalDAV/CardDAV server, at /dav/ on its HTTP address)');
  serve
    .command('add <name>')
    .description('make an account; its password is printed once (only a scrypt hash is kept)')
    .option('--policy <policy>', 'what it may see and change: personal (everything), work (no private/confidential events, no Personal contacts, no birthdays) or a policy JSON file', 'personal')
    .option('--json', 'print JSON: {name, password, url, policy}')
    .action(async (name: string, opts: { policy: string; json?: boolean }, cmd: Command) => {
      const { policyFromArg } = await import('../dav/server/index.js');
      const policy = await policyFromArg(opts.policy, process.cwd());
      const { account, password } = await (await accounts(cmd)).add(name, policy);
      const url = await address(cmd, account.name);
      if (json(opts, cmd)) return printJson({ name: account.name, password, url, policy: account.policy ?? null });
      console.log(`account ${account.name} (${opts.policy})`);
      console.log(`user:     ${account.name}`);
      console.log(`password: ${password}`);
      console.log(`address:  ${url}`);
      console.log('The password is shown only this once; `semsync dav serve passwd NAME` makes a new one.');
    });
  serve
    .command('list')
    .description('the accounts, their policies, and when a device last synced with each (and its User-Agent)')
    .option('--json', 'print JSON: [{name, policy, created, lastSeen, device}]')
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      const { lastSeenOf } = await import('../dav/server/index.js');
      const list = [];
      for (const a of await (await accounts(cmd)).list()) list.push({ name: a.name, policy: a.policy ?? null, created: a.created, ...(await lastSeenOf(homeOf(cmd), a.name)) });
      if (json(opts, cmd)) return printJson(list);
      if (!list.length) return console.log('no accounts; `semsync dav serve add NAME --policy personal|work|FILE` makes one');
      const rows = list.map((a) => [a.name, a.policy ? JSON.stringify(a.policy) : 'personal', a.created, a.lastSeen ?? 'never', a.device ?? '']);
      console.log(table(['NAME', 'POLICY', 'CREATED', 'LAST SYNC', 'DEVICE'], rows));
    });
  serve
    .command('remove <name>')
    .description('delete an account: its devices can no longer sign in (the data they synced stays in the graph)')
    .action(async (name: string, _opts: object, cmd: Command) => {
      await (await accounts(cmd)).remove(name);
      console.log(`account ${name} removed`);
    });
  serve
    .command('passwd <name>')
    .description('give an account a new generated password (printed once); the old one stops working')
    .action(async (name: string, _opts: object, cmd: Command) => {
      const password = await (await accounts(cmd)).passwd(name);
      console.log(`password: ${password}`);
    });
}
