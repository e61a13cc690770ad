// `semsync repair [--json]`: the explicit recovery of a damaged store (the only command that cuts a damaged log).
import type { Command } from 'commander';
import { globals, homeOf } from './context.js';
import { printJson } from './output.js';

export function registerRepairCommand(program: Command): void {
  program
    .command('repair')
    .description(
      'recover a damaged store (run it when a command reports a damaged change log or snapshot; no node may be running): ' +
        'damaged bytes are kept in HOME/damaged, the log is cut at the damage, a damaged snapshot is set aside, and the store ' +
        'is rebuilt from what is sound; it reports what was lost',
    )
    .option('--json', 'print the report as JSON')
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      const { repairHome, describeRepair } = await import('../node/repair.js');
      const report = await repairHome(homeOf(cmd));
      if (opts.json || globals(cmd).json) printJson(report);
      else for (const line of describeRepair(report)) console.log(line);
    });
}
