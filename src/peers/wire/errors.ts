// The wire's error for a peer that broke the protocol.
import { FailureError } from '../../base/index.js';

/** A protocol violation by the peer: logged with its id, the session closed, nothing applied. */
export class ProtocolError extends FailureError {
  override name = 'ProtocolError';
}
