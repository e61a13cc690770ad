// `semsync unlock`: removes the home's lock files left by a semsync that is gone (a crash, then a renamed machine or a reused pid).
import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import { controlSocketPath } from '../server/control.js';
import { globals, homeOf } from './context.js';
import { printJson } from './output.js';
import { reachable } from './remote.js';

export function registerUnlockCommand(program: Command): void {
  program
    .command('unlock')
    .description(
      'remove the home\'s lock files (HOME/semsync.lock, HOME/store/LOCK, HOME/trust.json.lock) left by a semsync that is not running; ' +
        'refuses while the process that took a lock, or a semsync with its pid, still runs',
    )
    .option('--json', 'print what was removed as JSON')
    .action(async (_opts: unknown, cmd: Command) => {
      const home = homeOf(cmd);
      const { unlockHome } = await import('../node/unlock.js');
      const socket = controlSocketPath(home);
      const nodeAnswers = existsSync(socket) && (await reachable(socket));
      const steps = unlockHome(home, nodeAnswers);
      if (globals(cmd).json) return printJson(steps);
      if (steps.length === 0) console.log(`no lock on ${home}`);
      for (const s of steps) console.log(`${s.removed ? 'removed' : 'kept'} ${s.file}: ${s.reason}`);
      if (steps.some((s) => !s.removed)) process.exitCode = 1;
    });
}
