// What a peer node is built from (its init) and what it reports (nearby peers, paired peers' status, its events).
import type { Identity } from './identity.js';
import type { PairState, TrustStore } from './trust.js';
import type { Logger, SyncProgress } from './types.js';
import type { PeerStore } from './store-adapter.js';
import type { Emitter } from '../base/index.js';
import type { StoreEvents } from '../graph/index.js';

export interface PeerNodeInit {
  identity: Identity;
  /** The graph store; its nodeId must be the identity's peer id. Its `commit` events push this node's commits to peers. */
  store: PeerStore & { readonly events: Pick<Emitter<StoreEvents>, 'on'> };
  trust: TrustStore;
  /** libp2p listen multiaddrs, e.g. ['/ip4/0.0.0.0/tcp/0']. */
  listen?: string[];
  /** Discover peers on the LAN by mDNS (they show as nearby). */
  mdns?: boolean | { interval?: number };
  logger?: Logger;
  /** Own graph sources sent to every paired peer subject to the policy (default ['pim/']). */
  pairedSources?: string[];
  /** How often paired peers without a session are dialled (default 10 s). */
  redialMs?: number;
  /** Keep-alive on idle sync streams (default 20 s). */
  keepAliveMs?: number;
  maxFrame?: number;
  /** A folder for full states past 16 MiB while they arrive (temp files; default: held in memory). */
  stateSpillDir?: string;
  /** Most bytes of a full state from a peer (default 1 GiB). */
  maxStateBytes?: number;
  /** For tests only: pause this long between file chunks served (to interrupt a transfer midway). */
  serveDelayMs?: number;
  /**
   * The bulk data channel for file ranges of at least `minBytes` (default 1 MiB): TLS-PSK on an ephemeral port of
   * the libp2p listen address's interface. `false`: files go over libp2p streams only. `advertisePort` and
   * `ttlMs` are for tests.
   */
  bulk?: false | { minBytes?: number; ttlMs?: number; advertisePort?: number };
}

export interface NearbyPeer {
  peerId: string;
  addrs: string[];
  lastSeen: string;
  /** When it last dialled in to sync while not paired here (it was paired with this node there: it asks to pair). */
  asked?: string;
}

export interface PeerStatus {
  peerId: string;
  name?: string;
  addrs: string[];
  pairedAt: string;
  state: PairState;
  /** A sync session is open right now. */
  connected: boolean;
  grants: string[];
}

export interface PeerNodeEvents {
  'peer:nearby': [NearbyPeer];
  'peer:paired': [{ peerId: string; state: PairState }];
  'peer:session': [{ peerId: string; open: boolean }];
  'sync:progress': [SyncProgress];
  'sync:rejected': [{ peerId: string; reason: string }];
}
