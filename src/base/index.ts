// Owns: primitives with no domain: the one atomic file writer, the pid lock, worker threads, the error base (exit-code kind), a typed event emitter, the one MIME table, a one-at-a-time job runner.
// May import: nothing of ours.
export { writeFileAtomic, writeFileAtomicSync, tempNameFor, isAtomicTemp, type AtomicWriteOptions } from './atomic-file.js';
export { acquirePidLock, breakLock, lockHolder, readOwner, LockWriteError, type LockOwner, type PidLock, type LockHolder } from './lock.js';
export { startWorker } from './threads.js';
export { SemsyncError, InputError, FailureError, errorKind, exitCodeOf, toWire, type ErrorKind, type ErrorWire } from './errors.js';
export { Emitter, type Listener } from './events.js';
export { canonicalMime, mimeFromExtension, extensionMime, extensionFor } from './mime.js';
export { readBoundedBody } from './body.js';
export { readJsonFile, writeJsonFile, JsonFileError } from './json-file.js';
export { Serial } from './serial.js';
