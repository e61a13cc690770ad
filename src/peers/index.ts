// Owns: libp2p node, identity, trust, discovery, sync protocol (wire/), file transfer.
// May import: graph, base.
//
// The API (the CLI and the composition root use only this):
//   loadOrCreateIdentity(file) → { privateKey, peerId }          persistent Ed25519 key, file 0600
//   TrustStore.open(file)                                        trust.json: pair/unpair/grant/revoke,
//     .peers() .state(id) ('paired' | 'waiting') .grantsFor(id) .policy = (peerId, quad) => boolean
//   createPeerNode({ identity, store, trust, listen, mdns, logger }) → PeerNode (not started)
//     .start() .stop() .addresses() .peers() .nearby() .pair/.unpair/.grant/.revoke (trust file + react)
//     .notifyCommit() (push local commits now) .connect(peerId) .fetchContent(hash, outPath, { peers })
//     events: 'peer:nearby' NearbyPeer · 'peer:paired' {peerId, state} · 'peer:session' {peerId, open}
//             'sync:progress' SyncProgress · 'sync:rejected' {peerId, reason}
// File fetches of ≥ 1 MiB go over a bulk channel (TLS-PSK on an ephemeral port, one ticket per authorised request,
// see bulk.ts) when the peer speaks /semsync/file/1.1.0 and the port can be reached, else over the libp2p stream.
// A running node re-reads the trust file when it changes, so `semsync pair/grant/...` may edit the file from
// another process (through TrustStore) while the node runs.
import './polyfill.js';

export { loadOrCreateIdentity, IdentityError, type Identity } from './identity.js';
export { TrustStore, TrustError, assertPeerId, assertShareName, type PairedPeer, type PairState, type PolicyHook, type RemoteState, type TrustEvents, type PimHooks } from './trust.js';
export { createPeerNode, PeerNode, type PeerNodeInit, type PeerNodeEvents, type PeerStatus, type NearbyPeer } from './node.js';
export { FetchError, parseContentHash, type FetchProgress } from './files.js';
export { SYNC_PROTOCOL, FILE_PROTOCOL, WIRE_VERSION } from './wire/messages.js';
export { WireError } from './wire/frame.js';
export { ProtocolError } from './wire/session.js';
export type { Logger, SyncProgress } from './types.js';
