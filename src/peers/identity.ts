// The node's persistent Ed25519 identity: a libp2p private key in a file (0600, written atomically).
import { promises as fs } from 'node:fs';
import { generateKeyPair, privateKeyFromProtobuf, privateKeyToProtobuf } from '@libp2p/crypto/keys';
import { peerIdFromPrivateKey } from '@libp2p/peer-id';
import type { PrivateKey } from '@libp2p/interface';
import { writeFileAtomic } from '../base/index.js';
import { FailureError } from '../base/index.js';

export interface Identity {
  privateKey: PrivateKey;
  /** The peer id as a string (base58btc multihash, `12D3KooW...`). */
  peerId: string;
}

export class IdentityError extends FailureError {
  override name = 'IdentityError';
}

/** Load the identity in `file`, or create a new Ed25519 one there if the file does not exist. */
export async function loadOrCreateIdentity(file: string): Promise<Identity> {
  let bytes: Buffer | undefined;
  try {
    bytes = await fs.readFile(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  if (bytes) {
    let privateKey: PrivateKey;
    try {
      privateKey = privateKeyFromProtobuf(new Uint8Array(bytes));
    } catch (err) {
      throw new IdentityError(`${file}: not a libp2p private key (${(err as Error).message}); move it away to make a new identity`);
    }
    if (privateKey.type !== 'Ed25519') throw new IdentityError(`${file}: key type ${privateKey.type}, expected Ed25519`);
    return { privateKey, peerId: peerIdFromPrivateKey(privateKey).toString() };
  }
  const privateKey = await generateKeyPair('Ed25519');
  await writeFileAtomic(file, privateKeyToProtobuf(privateKey), { mode: 0o600 });
  return { privateKey, peerId: peerIdFromPrivateKey(privateKey).toString() };
}
