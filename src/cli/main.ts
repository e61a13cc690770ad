// The `semsync` command: global options, the command list, and exit codes (0 ok, 1 failure, 2 bad usage or input).
import { Command, CommanderError } from 'commander';
import { exitCodeFor } from './context.js';
import { registerLibraryCommands } from './library-commands.js';
import { registerGraphCommands } from './graph-commands.js';
import { registerStartCommand } from './start-command.js';
import { registerPeerCommands } from './peer-commands.js';
import { registerPimCommands } from './pim-commands.js';
import { registerDeviceCommands } from './device-commands.js';
import { registerStatusCommand } from './status-command.js';
import { registerRepairCommand } from './repair-command.js';
import { registerUnlockCommand } from './unlock-command.js';
import { registerDavServeCommands } from './dav-serve-commands.js';
import { registerHistoryCommands } from './history-command.js';
import { registerConflictsCommands } from './conflicts-command.js';

export function buildProgram(): Command {
  const program = new Command('semsync')
    .description('A personal sync node: describes your files as RDF, syncs with your trusted peers, files media onto your devices.')
    .option('--home <dir>', 'node home folder (default: $SEMSYNC_HOME or ~/.local/share/semsync)')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  registerLibraryCommands(program);
  registerGraphCommands(program);
  registerStartCommand(program);
  registerPeerCommands(program);
  registerPimCommands(program);
  registerDeviceCommands(program);
  registerStatusCommand(program);
  registerRepairCommand(program);
  registerUnlockCommand(program);
  registerDavServeCommands(program);
  registerHistoryCommands(program);
  registerConflictsCommands(program);
  return program;
}

/**
 * A reader that went away (`semsync query … | head`) is not an error: the command finishes its work (a placement,
 * a scan) and what it would have printed is dropped. Node would otherwise crash on the EPIPE.
 */
function dropOutputWhenPipeCloses(): void {
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code !== 'EPIPE') throw e;
    process.stdout.write = (() => true) as typeof process.stdout.write;
  });
}

async function main(argv: string[]): Promise<void> {
  dropOutputWhenPipeCloses();
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version exit 0; commander already printed usage errors.
      process.exitCode = err.exitCode === 0 ? 0 : 2;
      return;
    }
    const e = err as Error;
    process.stderr.write(`semsync: ${e.message}\n`);
    if (process.env.SEMSYNC_DEBUG) process.stderr.write(`${e.stack}\n`);
    process.exitCode = exitCodeFor(err);
  }
}

await main(process.argv);
