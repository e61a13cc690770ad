// The dashboard's prompts for a newcomer: a new device ("what is it?": an ebook reader, a music player...) claimed
// with the kinds it takes, and a new peer ("personal or work?") paired with that privacy policy. Each is what the
// CLI does in one or two commands (`devices claim ID --accepts …`, `pair ID --name N` then `policy set ID --work`).
import type { NodeApi } from '../node/index.js';
import { DashboardInputError } from './dashboard-views.js';

/** What a new device can be, and the kinds of media each takes (`--accepts`). */
export const DEVICE_KINDS: Record<string, { label: string; accepts: string[] }> = {
  ebook: { label: 'Ebook reader', accepts: ['ebook'] },
  player: { label: 'Music player', accepts: ['music'] },
  phone: { label: 'Phone', accepts: ['music', 'photo'] },
  photos: { label: 'Camera card / photos', accepts: ['photo'] },
  other: { label: 'Something else (everything)', accepts: ['ebook', 'music', 'photo'] },
};

/** What a new peer can be: the privacy policy it is paired with (`policy set ID --work|--personal`). */
const PEER_KINDS: Record<string, { work: boolean }> = { personal: { work: false }, work: { work: true } };

/** A name typed into a prompt: trimmed, at most 100 characters, no control characters; none when blank. */
function promptName(name: unknown): string | undefined {
  if (name === undefined || name === null) return undefined;
  if (typeof name !== 'string') throw new DashboardInputError('a name is text');
  const n = name.trim();
  if (!n) return undefined;
  if (n.length > 100 || /[\u0000-\u001f\u007f]/u.test(n)) throw new DashboardInputError(`${JSON.stringify(n.slice(0, 40))}: a name is at most 100 characters, without control characters`);
  return n;
}

export class DashboardPrompts {
  constructor(private readonly api: NodeApi) {}

  /** Claims an unclaimed device as what the person said it is (`devices claim ID --accepts … [--name N]`). */
  async claimAs(deviceId: unknown, what: unknown, name: unknown) {
    if (typeof deviceId !== 'string' || !deviceId) throw new DashboardInputError('say which device (its id)');
    const kind = typeof what === 'string' ? DEVICE_KINDS[what] : undefined;
    if (!kind) throw new DashboardInputError(`say what the device is: ${Object.keys(DEVICE_KINDS).join(', ')}, not ${JSON.stringify(what)}`);
    const row = (await this.api.deviceList()).find((d) => d.id === deviceId);
    if (!row) throw new DashboardInputError(`no device ${deviceId} is attached (unplugged since?)`);
    if (row.state !== 'unclaimed') throw new DashboardInputError(`${row.name} (${row.root}) is ${row.state} already: change what it takes with semsync devices claim ${row.id} --accepts …`);
    return this.api.deviceClaim(deviceId, { accepts: kind.accepts, name: promptName(name) });
  }

  /**
   * Pairs a peer that asked (or is nearby) with the policy the person chose: personal (everything may go) or work
   * (no Personal contacts, no private events, no birthdays). The policy is set first, so nothing leaves before it.
   */
  async pairAs(peerId: unknown, what: unknown, name: unknown) {
    if (typeof peerId !== 'string' || !peerId) throw new DashboardInputError('say which peer (its id)');
    const policy = typeof what === 'string' ? PEER_KINDS[what] : undefined;
    if (!policy) throw new DashboardInputError(`say whether the peer is personal or work, not ${JSON.stringify(what)}`);
    const n = promptName(name);
    const set = await this.api.policySet(peerId, policy);
    const peer = await this.api.pair(peerId, { name: n });
    return { peer, policy: set };
  }
}
