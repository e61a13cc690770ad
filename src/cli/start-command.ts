// `semsync start`: runs the node in the foreground until SIGINT/SIGTERM, then stops cleanly.
import type { Command } from 'commander';
import { NodeDaemon } from '../node/daemon.js';
import { withNode } from './context.js';

export function registerStartCommand(program: Command): void {
  program
    .command('start')
    .description('run the node in the foreground: describe and watch the shares (Ctrl+C stops it cleanly)')
    .action(async (_opts: unknown, cmd: Command) => {
      await withNode(cmd, async (node) => {
        const daemon = new NodeDaemon(node, {
          onScan: (s) => {
            if (s.added + s.changed + s.removed + s.errors.length === 0) return;
            console.log(`${s.share}: files ${s.files}, added ${s.added}, changed ${s.changed}, removed ${s.removed}, errors ${s.errors.length}`);
          },
          onError: (where, err) => console.error(`semsync: ${where}: ${err.message}`),
        });
        const stopped = new Promise<string>((resolve) => {
          process.once('SIGINT', () => resolve('SIGINT'));
          process.once('SIGTERM', () => resolve('SIGTERM'));
        });
        console.log(`node ${node.nodeId} running; home ${node.paths.home}; ${node.config.shares.length} share(s)`);
        await daemon.start();
        console.log('ready');
        const signal = await stopped;
        console.log(`${signal}: stopping`);
        await daemon.stop();
      });
    });
}
