// `semsync id`, `peers`, `pair`, `unpair`, `fetch` and `share grant/revoke`: trust, grants and files between peers.
import type { Command } from 'commander';
import type { NodeApi } from '../node/index.js';
import { globals, homeOf, withApi } from './context.js';
import { printJson, table, UsageError } from './output.js';

/** Base58btc peer ids: Ed25519 (`12D3KooW…`) or RSA/sha256 (`Qm…`). The node checks the multihash itself. */
const PEER_ID_RE = /^(12D3KooW|Qm)[1-9A-HJ-NP-Za-km-z]{44}$/;

/**
 * A peer id the user typed, checked here so a typo is a usage error (exit 2) with a hint. Only the shape: loading
 * libp2p's parser would cost every command half a second, and the node validates it fully anyway.
 */
function checkPeerId(id: string): string {
  if (!PEER_ID_RE.test(id)) {
    throw new UsageError(`not a peer id: ${JSON.stringify(id)} (expected e.g. 12D3KooW...; see \`semsync id\` on the other node)`);
  }
  return id;
}

function checkContentHash(s: string): void {
  const hex = s.startsWith('urn:sha256:') ? s.slice('urn:sha256:'.length) : s;
  if (!/^[0-9a-fA-F]{64}$/.test(hex)) throw new UsageError(`not a content hash: ${JSON.stringify(s)} (expected urn:sha256:<64 hex digits>)`);
}

/** Errors about what the user typed that the node raised (also through the control socket) become usage errors. */
async function asUsage<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if ((err as Error).name === 'TrustError') throw new UsageError((err as Error).message);
    throw err;
  }
}

const json = (opts: { json?: boolean }, cmd: Command) => Boolean(opts.json || globals(cmd).json);

export function registerPeerCommands(program: Command): void {
  program
    .command('id')
    .description("this node's peer id and listen addresses (the running node's, else the configured ones); give them to the other node's `semsync pair`")
    .option('--json', 'print JSON: {peerId, addrs, running, davCertificateSha256?}')
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      await withApi(cmd, async (api) => {
        const id = await api.id();
        const fingerprint = await (await import('../dav/server/certificate.js')).certificateFingerprint(homeOf(cmd));
        if (json(opts, cmd)) return printJson(fingerprint ? { ...id, davCertificateSha256: fingerprint } : id);
        console.log(id.peerId);
        const label = id.running ? 'listening on' : 'configured (not running)';
        for (const a of id.addrs) console.log(`${label} ${a}`);
        if (fingerprint) console.log(`dav certificate SHA-256 ${fingerprint}`);
      });
    });

  program
    .command('peers')
    .description('nearby and paired peers: state (paired: both sides paired; waiting: only this side so far; nearby: discovered, not paired), connected, the shares granted to each')
    .option('--json', 'print JSON: [{peerId, name, state, connected, grants, addrs}]')
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      await withApi(cmd, async (api) => {
        const list = await api.peerList();
        if (json(opts, cmd)) return printJson(list);
        if (list.length === 0) return console.log('no peers yet; on the other node run `semsync id`, then here `semsync pair PEERID --addr MULTIADDR`');
        const rows = list.map((p) => [p.peerId, p.name ?? '', p.state, p.connected ? 'yes' : 'no', p.grants.join(', '), p.addrs[0] ?? '']);
        console.log(table(['peer', 'name', 'state', 'connected', 'grants', 'address'], rows));
      });
    });

  program
    .command('pair <peerid>')
    .description('trust a peer on this side; nothing flows until the other side pairs this node too (until then it shows as waiting)')
    .option('--addr <multiaddr>', 'where to reach it, e.g. /ip4/192.168.1.20/tcp/4001 (repeatable; not needed when it is nearby on the LAN)', (v: string, acc: string[] = []) => [...acc, v])
    .option('--name <name>', 'a name to show for it')
    .option('--work', 'its contacts/calendar policy: a work node (no Personal contacts, no private events, no birthdays)')
    .option('--personal', 'its contacts/calendar policy: the person\'s own node (everything may go)')
    .option('--json', 'print JSON')
    .action(async (peerId: string, opts: { addr?: string[]; name?: string; json?: boolean; work?: boolean; personal?: boolean }, cmd: Command) => {
      checkPeerId(peerId);
      if (opts.work && opts.personal) throw new UsageError('give --work or --personal, not both');
      await withApi(cmd, async (api) => {
        const p = await asUsage(() => api.pair(peerId, { addr: opts.addr, name: opts.name }));
        if (opts.work || opts.personal) await asUsage(() => api.policySet(peerId, { work: !!opts.work }));
        if (json(opts, cmd)) return printJson(p);
        console.log(`paired ${peerId}${p.name ? ` (${p.name})` : ''}: ${p.state}`);
        if (p.state !== 'paired') {
          const me = await api.id();
          console.log(`on the other node run: semsync pair ${me.peerId}${me.addrs[0] ? ` --addr ${me.addrs[0]}` : ''}`);
        }
        if (p.grants.length === 0) console.log(`it gets no shares yet: \`semsync share grant SHARE ${peerId}\``);
        if (opts.work || opts.personal) console.log(`contacts and calendars: policy ${opts.work ? 'work' : 'personal'}`);
        else if (!(await api.policyList()).some((e) => e.target === peerId)) console.log(`it gets no contacts or calendars until you choose its policy: \`semsync policy set ${peerId} --work\` (or --personal)`);
      });
    });

  registerUnpairAndFetch(program);
}

function registerUnpairAndFetch(program: Command): void {
  program
    .command('unpair <peerid>')
    .description('stop trusting a peer: its session is closed and its grants removed (what it sent stays in the graph)')
    .action(async (peerId: string, _opts: unknown, cmd: Command) => {
      checkPeerId(peerId);
      await withApi(cmd, async (api) => {
        const was = await asUsage(() => api.unpair(peerId));
        console.log(was ? `unpaired ${peerId}` : `${peerId} was not paired; nothing changed`);
      });
    });

  program
    .command('fetch <hash>')
    .description('fetch a file by content hash (urn:sha256:HEX) from a paired peer that shares it with this node: chunked, verified, resumable')
    .option('--out <path>', 'the file to write, or a folder to write it in (default: this folder, under the name the peer gave it)')
    .option('--json', 'print JSON: {hash, out, bytes, peerId}')
    .action(async (hash: string, opts: { out?: string; json?: boolean }, cmd: Command) => {
      checkContentHash(hash);
      await withApi(cmd, async (api) => {
        const r = await api.fetch(hash, opts.out, process.cwd());
        if (json(opts, cmd)) return printJson(r);
        console.log(`fetched ${r.hash} (${r.bytes} bytes) from ${r.peerId} into ${r.out}`);
      });
    });
}

/** `semsync share grant|revoke SHARE PEERID`, added to the `share` group. */
export function registerShareGrantCommands(share: Command): void {
  const change = async (api: NodeApi, what: 'grant' | 'revoke', name: string, peerId: string) =>
    asUsage(() => (what === 'grant' ? api.shareGrant(name, peerId) : api.shareRevoke(name, peerId)));

  share
    .command('grant <share> <peerid>')
    .description("let a paired peer receive this share's descriptions (and fetch its files); sent at once when connected")
    .option('--json', 'print JSON: the shares now granted to the peer')
    .action(async (name: string, peerId: string, opts: { json?: boolean }, cmd: Command) => {
      checkPeerId(peerId);
      await withApi(cmd, async (api) => {
        const grants = await change(api, 'grant', name, peerId);
        if (json(opts, cmd)) return printJson(grants);
        console.log(`granted "${name}" to ${peerId}; it now gets: ${grants.join(', ')}`);
        const p = (await api.peerList()).find((x) => x.peerId === peerId && x.state !== 'nearby');
        if (!p) console.log(`note: ${peerId} is not paired; nothing flows until both sides pair (\`semsync pair ${peerId}\`)`);
      });
    });

  share
    .command('revoke <share> <peerid>')
    .description('stop sending a share to a peer; the peer drops what it holds of it at the next sync')
    .option('--json', 'print JSON: the shares still granted to the peer')
    .action(async (name: string, peerId: string, opts: { json?: boolean }, cmd: Command) => {
      checkPeerId(peerId);
      await withApi(cmd, async (api) => {
        const grants = await change(api, 'revoke', name, peerId);
        if (json(opts, cmd)) return printJson(grants);
        console.log(`revoked "${name}" from ${peerId}; it now gets: ${grants.length ? grants.join(', ') : 'no shares'}`);
      });
    });
}
