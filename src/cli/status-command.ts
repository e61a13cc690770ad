// `semsync status [--json]`: asks the running node (over its control socket) how it is: uptime, peers, shares, devices, statements, HTTP.
import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import { controlSocketPath } from '../server/control.js';
import { readRunInfo } from '../server/run-info.js';
import { homeOf, globals } from './context.js';
import { printJson } from './output.js';
import { reachable, remoteApi } from './remote.js';

export function registerStatusCommand(program: Command): void {
  program
    .command('status')
    .description('how the running node is: uptime, peers, shares, devices, statements, HTTP address (exit 1 when no node runs)')
    .option('--json', 'print JSON')
    .action(async (_opts: unknown, cmd: Command) => {
      const home = homeOf(cmd);
      const json = Boolean(globals(cmd).json);
      const socket = controlSocketPath(home);
      if (!existsSync(socket) || !(await reachable(socket))) {
        if (json) printJson({ running: false, home });
        else console.log(`no node is running on ${home} (start one with \`semsync start\`)`);
        process.exitCode = 1;
        return;
      }
      const api = remoteApi(socket);
      const [status, peers, devices, run] = await Promise.all([
        api.status(),
        api.peerList().catch(() => []),
        api.deviceList().catch(() => []),
        readRunInfo(home),
      ]);
      const uptimeSeconds = run ? Math.round((Date.now() - Date.parse(run.startedAt)) / 1000) : undefined;
      const out = {
        running: true,
        nodeId: status.nodeId,
        home: status.home,
        pid: status.pid,
        uptimeSeconds,
        statements: status.statements,
        http: run?.http ?? null,
        shares: status.shares,
        pending: status.pending ?? [],
        peers: peers.map((p) => ({ peerId: p.peerId, name: p.name, state: p.state, connected: p.connected, grants: p.grants })),
        devices: devices.map((d) => ({ id: d.id, name: d.name, root: d.root, state: d.state, kind: d.kind })),
        memory: status.memory,
        queries: status.queries ?? null,
      };
      if (json) return printJson(out);
      const count = (n: number, what: string) => `${n} ${what}${n === 1 ? '' : 's'}`;
      const paired = peers.filter((p) => p.state !== 'nearby');
      console.log(`node ${out.nodeId} running (pid ${out.pid}${uptimeSeconds !== undefined ? `, up ${formatUptime(uptimeSeconds)}` : ''})`);
      console.log(`home        ${out.home}`);
      console.log(`http        ${out.http ? `${out.http.url}${out.http.tokenRequired ? ' (token required)' : ''}` : 'off'}`);
      console.log(`statements  ${out.statements}`);
      console.log(`shares      ${out.shares.length ? out.shares.map((s) => s.name).join(', ') : 'none'}`);
      console.log(`peers       ${count(paired.length, 'paired peer')} (${paired.filter((p) => p.connected).length} connected), ${peers.length - paired.length} nearby`);
      for (const p of out.pending) {
        const what = p.kind === 'scan' ? `scan of ${p.share}` : `${count(p.paths ?? 0, 'changed path')} in ${p.share}`;
        console.log(`pending     ${what}: ${p.error}; try ${p.attempts + 1} at ${p.retryAt}`);
      }
      console.log(`devices     ${devices.length ? devices.map((d) => `${d.name} (${d.state})`).join(', ') : 'none attached'}`);
    });
}

function formatUptime(s: number): string {
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${s % 60}s`;
  return `${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m`;
}
