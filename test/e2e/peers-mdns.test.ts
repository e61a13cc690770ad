// E2E: mDNS discovery between two network namespaces joined by a veth pair (never on the host network).
import { execFileSync } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { Lab } from './fixtures/peer-harness.js';

const tag = `ss${process.pid % 100000}`;
const ns = [`${tag}a`, `${tag}b`];
const veth = [`${tag}va`, `${tag}vb`];
const ips = ['10.233.7.1', '10.233.7.2'];

function ip(...args: string[]): void {
  execFileSync('ip', args, { stdio: 'pipe' });
}

/** Make the namespaces; returns why not when the machine cannot. */
function setup(): string | undefined {
  if (process.platform !== 'linux') return 'network namespaces need Linux';
  if (process.getuid?.() !== 0) return 'making network namespaces needs root';
  try {
    ip('netns', 'add', ns[0]);
    ip('netns', 'add', ns[1]);
    ip('link', 'add', veth[0], 'type', 'veth', 'peer', 'name', veth[1]);
    for (const i of [0, 1]) {
      ip('link', 'set', veth[i], 'netns', ns[i]);
      ip('-n', ns[i], 'addr', 'add', `${ips[i]}/24`, 'dev', veth[i]);
      ip('-n', ns[i], 'link', 'set', veth[i], 'up');
      ip('-n', ns[i], 'link', 'set', 'lo', 'up');
      // multicast needs a route out of the namespace's only interface
      ip('-n', ns[i], 'route', 'add', 'default', 'dev', veth[i]);
    }
    return undefined;
  } catch (err) {
    return `cannot make network namespaces here: ${(err as Error).message.split('\n')[0]}`;
  }
}

function teardown(): void {
  for (const n of ns) {
    try {
      ip('netns', 'del', n);
    } catch {
      // not made
    }
  }
  try {
    ip('link', 'del', veth[0]);
  } catch {
    // gone with its namespace
  }
}

const reason = setup();
if (reason) console.log(`skipping the mDNS test: ${reason}`);
const lab = new Lab();
afterAll(async () => {
  await lab.cleanup();
  teardown();
});

describe.skipIf(reason !== undefined)('mDNS in network namespaces', () => {
  it('two nodes discover each other as nearby (and nothing more)', async () => {
    const [a, b] = await Promise.all(
      [0, 1].map(async (i) => lab.start(await lab.home(), { listen: `/ip4/${ips[i]}/tcp/0`, mdns: true, prefix: ['ip', 'netns', 'exec', ns[i]] })),
    );
    const seenByA = await a.waitEvent((m) => m.event === 'peer:nearby' && m.peerId === b.peerId, 30_000, 'B nearby on A');
    await b.waitEvent((m) => m.event === 'peer:nearby' && m.peerId === a.peerId, 30_000, 'A nearby on B');
    expect((seenByA.addrs as string[]).some((x) => x.includes(ips[1]))).toBe(true);
    const listed = await a.cmd<{ paired: unknown[]; nearby: Array<{ peerId: string }> }>('peers');
    expect(listed.paired).toEqual([]);
    expect(listed.nearby.map((p) => p.peerId)).toContain(b.peerId);
  });
});
