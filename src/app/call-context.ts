// The call being served over the control socket (a module of its own: the CLI loads it without the node's parts).
import { AsyncLocalStorage } from 'node:async_hooks';

/** Its signal is aborted when the CLI that asked went away (Ctrl+C): a query it asked for is dropped. */
export const callContext = new AsyncLocalStorage<{ signal: AbortSignal }>();
