// `semsync start`: runs the node in the foreground until SIGINT/SIGTERM, then stops cleanly.
import type { Command } from 'commander';
import { LocalApi } from '../node/api.js';
import { NodeDaemon } from '../node/daemon.js';
import { serveControl } from '../server/control.js';
import type { Logger } from '../peers/index.js';
import { withNode } from './context.js';

export function registerStartCommand(program: Command): void {
  program
    .command('start')
    .description('run the node in the foreground: describe and watch the shares, sync with paired peers; other commands talk to it (Ctrl+C stops it cleanly)')
    .option('--listen <multiaddr>', 'libp2p listen address, repeatable (default: the config\'s "listen", /ip4/0.0.0.0/tcp/0)', (v: string, acc: string[] = []) => [...acc, v])
    .option('--no-mdns', 'do not look for (or announce to) peers on the LAN by mDNS')
    .action(async (opts: { listen?: string[]; mdns?: boolean }, cmd: Command) => {
      await withNode(cmd, async (node) => {
        const stopped = new Promise<string>((resolve) => {
          process.once('SIGINT', () => resolve('SIGINT'));
          process.once('SIGTERM', () => resolve('SIGTERM'));
        });
        const daemon = new NodeDaemon(node, {
          onScan: (s) => {
            if (s.added + s.changed + s.removed + s.errors.length === 0) return;
            console.log(`${s.share}: files ${s.files}, added ${s.added}, changed ${s.changed}, removed ${s.removed}, errors ${s.errors.length}`);
          },
          onError: (where, err) => console.error(`semsync: ${where}: ${err.message}`),
          peers: { listen: opts.listen, mdns: opts.mdns !== false, logger: peerLogger() },
          onPeer: (line) => console.log(line),
          onDevice: (line) => console.log(line),
        });
        const control = await serveControl(node.paths.home, new LocalApi(node, true, () => daemon.peers));
        console.log(`node ${node.nodeId} running; home ${node.paths.home}; ${node.config.shares.length} share(s)`);
        try {
          const started = daemon.start().then(() => console.log('ready'));
          const first = await Promise.race([stopped, started.then(() => undefined)]);
          const signal = first ?? (await stopped);
          console.log(`${signal}: stopping`);
        } finally {
          await control.close();
          await daemon.stop();
        }
      });
    });
}

/** Peer warnings on stderr; info and debug too with SEMSYNC_DEBUG. */
function peerLogger(): Logger {
  const line = (level: string) => (o: object, m?: string) => process.stderr.write(`semsync: peers: ${level}: ${m ?? ''} ${JSON.stringify(o)}\n`);
  const debug = Boolean(process.env.SEMSYNC_DEBUG);
  return { debug: debug ? line('debug') : () => {}, info: debug ? line('info') : () => {}, warn: line('warn'), error: line('error') };
}
