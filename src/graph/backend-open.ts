// Choosing a store's backend once, when it opens (backend.ts): reach-only when opened for one query's reach, paged
// when its newest snapshot is indexed and holds more than `pagedAbove` statements, else whole.
import path from 'node:path';
import type { OpenedBackend } from './backend.js';
import { PagedBackend } from './backend-paged.js';
import { ReachBackend } from './backend-reach.js';
import { WholeBackend } from './backend-whole.js';
import { replayLog } from './replay.js';
import { latestSnapshot } from './snapshot.js';
import { pagedAbove, type OpenOptions } from './store-options.js';

/** Open the backend for the store in `dir` (an absolute path), replaying its log after the snapshot it stands on. */
export async function openBackend(dir: string, opts: OpenOptions): Promise<OpenedBackend> {
  const readOnly = opts.reach !== undefined || opts.readOnly === true;
  const replay = (head: Parameters<typeof replayLog>[1], apply: (text: string) => void) =>
    replayLog(dir, head, apply, { segmentBytes: opts.segmentBytes, readOnly, damagedDir: opts.damagedDir ?? path.join(dir, 'damaged') });
  if (opts.reach) return ReachBackend.open(dir, opts.reach, replay);
  const latest = await latestSnapshot(dir);
  if (latest?.parts && latest.meta.quads > pagedAbove(opts)) return PagedBackend.open({ file: latest.file, parts: latest.parts, meta: latest.meta }, opts, replay);
  return WholeBackend.open(dir, latest?.meta ?? null, replay);
}
