// Claiming a device: what `semsync devices claim` asks for (a name, kinds, formats, mirroring), checked and turned
// into claim options, and the claim itself (the device's profile written, the claim recorded on this machine).
import { MEDIA_KINDS, claimDevice, type ClaimOptions } from '../devices/index.js';
import type { MediaKind } from '../rules/index.js';
import { FailureError } from '../base/index.js';
import type { DeviceListing, DeviceRow } from './device-rows.js';
import type { NodeHome } from './home.js';

/** A claim request that names an unknown kind or a malformed MIME type: exit 2. */
export class ClaimRequestError extends FailureError {
  override name = 'ClaimRequestError';
}

/** What `semsync devices claim` asks for besides the claim. */
export interface ClaimRequest {
  name?: string;
  owner?: string;
  /** Kinds it takes: ebook, music, photo. */
  accepts?: string[];
  /** MIME types it takes; each goes to its kind (audio/* music, image/* photo, the rest ebook). */
  formats?: string[];
  /** Mirror the library (ss:mirror true) or not (false: copy, the default). */
  mirror?: boolean;
}

/** A MIME list as the profile's formats per kind. */
function formatsByKind(list: string[]): Partial<Record<MediaKind, string[]>> {
  const out: Partial<Record<MediaKind, string[]>> = {};
  for (const raw of list) {
    const m = raw.trim().toLowerCase();
    if (!/^[a-z0-9][\w.+-]*\/[\w.+-]+$/.test(m)) throw new ClaimRequestError(`--formats: "${raw}" is not a MIME type (e.g. application/epub+zip)`);
    const kind: MediaKind = m.startsWith('audio/') ? 'music' : m.startsWith('image/') ? 'photo' : 'ebook';
    (out[kind] ??= []).push(m);
  }
  return out;
}

/** The claim options for a request (kinds checked, formats grouped by kind). Throws ClaimRequestError. */
export function claimOptions(req: ClaimRequest): ClaimOptions {
  const accepts = req.accepts?.map((k) => {
    const kind = k.trim().toLowerCase();
    if (!(MEDIA_KINDS as string[]).includes(kind)) throw new ClaimRequestError(`--accepts: unknown kind "${k}" (one of ${MEDIA_KINDS.join(', ')})`);
    return kind as MediaKind;
  });
  const formats = req.formats ? formatsByKind(req.formats) : undefined;
  return {
    ...(req.name !== undefined ? { name: req.name } : {}), ...(req.owner !== undefined ? { owner: req.owner } : {}),
    ...(accepts ? { accepts } : {}), ...(formats ? { formats } : {}), ...(req.mirror !== undefined ? { mirror: req.mirror } : {}),
  };
}

export interface DeviceClaimsComponents {
  home: NodeHome;
  user: () => string;
  listing: DeviceListing;
  /** Told the root of each device claimed (a running node places it at once). */
  claimed: (root: string) => void;
}

/** `semsync devices claim`: a device (or target) becomes this user's, and its claim is recorded on this machine. */
export class DeviceClaims {
  constructor(private readonly c: DeviceClaimsComponents) {}

  /**
   * Claim a device for this user (writes its .semsync/device.ttl if it has none, or what was asked: a name, kinds,
   * formats, mirroring) and record the claim here.
   */
  async claim(idOrPath: string, opts: ClaimRequest = {}): Promise<DeviceRow> {
    const dev = await this.c.listing.find(idOrPath);
    await claimDevice(this.c.home.paths.claims, dev.root, { ...claimOptions(opts), user: this.c.user() });
    this.c.claimed(dev.root);
    return this.c.listing.find(dev.root);
  }
}
