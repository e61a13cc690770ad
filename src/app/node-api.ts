// The calls the CLI and the control socket make of a node (every argument and result is JSON), and what they answer.
import type { ResultFormat } from '../graph/types.js';
import type { ScanSummary } from '../library/index.js';
import type { PendingWork } from '../library/index.js';
import type { DavSyncReport } from '../dav/index.js';
import type { PimKindName } from '../pim/index.js';
import { InputError } from '../base/index.js';
import type { ShareConfig } from './config.js';
import type { FetchResult, IdInfo, PeerEntry } from './peers.js';
import type { ClaimRequest, DeviceRow, ExplainAnswer, PlaceSummary } from './devices.js';
import type { TrashRow } from './device-trash.js';
import type { ShareCopyConfig } from './share-copy-plan.js';
import type { TrashEntry } from '../devices/index.js';
import type { DavAccount, DavAccountStatus, DavAddOptions, PimImportReport, PolicyEntry } from './pim.js';
import type { HistoryAnswer } from './history.js';
import type { UndoReport } from './undo.js';
import type { ConflictEntry, ConflictResolution } from './conflicts.js';
import type { FileEditResult } from './file-conflicts.js';

export class NotDescribedError extends InputError {
  override name = 'NotDescribedError';
}

/** A query's answer, ready to print: a table of strings for SELECT in `table` form, else the serialised text. */
export type QueryAnswer = { kind: 'table'; vars: string[]; rows: string[][] } | { kind: 'text'; text: string };

export interface NodeStatus {
  nodeId: string;
  home: string;
  running: boolean;
  pid: number;
  shares: ShareConfig[];
  statements: number;
  versionVector: Record<string, number>;
  /** The node process's memory (process.memoryUsage(): rss, heapUsed, external, in bytes). */
  memory: { rss: number; heapUsed: number; external: number };
  /** The query worker's counters (queued, workers started and replaced...), when the node runs one. */
  queries?: Record<string, unknown>;
  /** Scans and changes waiting for a retry after a full disk. */
  pending?: PendingWork[];
}

/**
 * Where a running node sends queries: a worker with time, memory and result limits (src/server's WorkerRunner), so
 * no query of any size runs on the thread that holds the store.
 */
export interface QueryService {
  /** `services`: not run, the query has SERVICE clauses (these endpoints) to be federated by the caller. */
  run(sparql: string, format: ResultFormat, opts?: { timeoutMs?: number; signal?: AbortSignal; federate?: boolean }): Promise<{ text: string; services?: string[] }>;
  stats?(): object;
}

/** The calls the CLI (and the control socket) make. Every argument and result is JSON. */
export interface NodeApi {
  status(): Promise<NodeStatus>;
  shareAdd(folder: string, name?: string): Promise<ShareConfig>;
  shareList(): Promise<ShareConfig[]>;
  shareRemove(name: string): Promise<number>;
  scan(names?: string[]): Promise<ScanSummary[]>;
  /** A query with SERVICE <http://…> is federated (comunica, within `timeoutMs`, default 30 s); any other runs on oxigraph. */
  query(sparql: string, format: 'table' | ResultFormat, opts?: { timeoutMs?: number }): Promise<QueryAnswer>;
  describe(file: string, format: 'turtle' | 'ntriples' | 'nquads'): Promise<string>;
  export(format: ResultFormat): Promise<string>;
  import(file: string, format?: string): Promise<{ quads: number; patches: number }>;
  /** Peers (see src/app/peers.ts): our id and addresses; nearby and paired peers; trust and grants; fetch by hash. */
  id(): Promise<IdInfo>;
  peerList(): Promise<PeerEntry[]>;
  pair(peerId: string, opts?: { addr?: string[]; name?: string }): Promise<PeerEntry>;
  unpair(peerId: string): Promise<boolean>;
  shareGrant(share: string, peerId: string): Promise<string[]>;
  shareRevoke(share: string, peerId: string): Promise<string[]>;
  /** `out` is resolved against `cwd` (the caller's folder). */
  fetch(hash: string, out: string | undefined, cwd: string): Promise<FetchResult>;
  /** Devices (see src/app/devices.ts): attached devices and host targets; claim; place; explain; targets; media roots. */
  deviceList(): Promise<DeviceRow[]>;
  deviceClaim(idOrPath: string, opts?: ClaimRequest): Promise<DeviceRow>;
  place(device: string, opts?: { dryRun?: boolean; restore?: boolean }): Promise<PlaceSummary>;
  explain(file: string): Promise<ExplainAnswer>;
  targetAdd(dir: string, name?: string, opts?: { mirror?: boolean }): Promise<DeviceRow>;
  /** The trash of attached devices and host targets (what semsync removed, kept 30 days). */
  trashList(device?: string): Promise<TrashRow[]>;
  trashRestore(ids: string[] | 'all', device?: string): Promise<{ restored: TrashRow[]; errors: string[] }>;
  trashEmpty(opts?: { device?: string; olderThanDays?: number }): Promise<TrashRow[]>;
  targetList(): Promise<Array<{ name: string; path: string }>>;
  targetRemove(name: string): Promise<boolean>;
  /** Copy targets (src/app/share-copy.ts): a folder kept as a copy of a paired peer's share, in its layout. */
  copyAdd(dir: string, peer: string, share: string, name?: string): Promise<ShareCopyConfig>;
  copyList(): Promise<ShareCopyConfig[]>;
  copyRemove(name: string): Promise<boolean>;
  copyTrash(name: string): Promise<TrashEntry[]>;
  copyRestore(name: string, ids: string[] | 'all'): Promise<{ restored: TrashEntry[]; errors: string[] }>;
  mediaRootAdd(dir: string): Promise<string[]>;
  mediaRootRemove(dir: string): Promise<string[]>;
  mediaRootList(): Promise<string[]>;
  /** PIM (see src/app/pim.ts, docs/pim.md): import into this node's pim graphs, export the merged view, policies, CalDAV/CardDAV. */
  pimImport(paths: string[], cwd: string): Promise<PimImportReport[]>;
  pimExport(kind: PimKindName, out: string | undefined, cwd: string): Promise<{ items: number; out?: string; text?: string }>;
  /** Delete contacts/events by UID (or item IRI). */
  pimRemove(kind: PimKindName, ids: string[]): Promise<{ removed: string[]; unknown: string[] }>;
  policyList(): Promise<PolicyEntry[]>;
  policyShow(target: string): Promise<PolicyEntry>;
  /** `policy`: a policy object (see src/pim/policy.ts), or null to clear. */
  policySet(target: string, policy: unknown): Promise<PolicyEntry>;
  davAdd(url: string, opts: DavAddOptions, cwd: string): Promise<DavAccount>;
  davRemove(name: string): Promise<DavAccount>;
  davList(): Promise<DavAccount[]>;
  davSync(name?: string, opts?: { allowMassDelete?: boolean }): Promise<DavSyncReport[]>;
  /** Each account's last sync, its result and the items that failed. */
  davStatus(): Promise<DavAccountStatus[]>;
  /** History and undo (see src/app/history.ts, undo.ts): one record's changes; revert one change or one node's since a time. */
  history(what: string, cwd: string, limit?: number): Promise<HistoryAnswer>;
  undo(change: string, opts?: { dryRun?: boolean }): Promise<UndoReport>;
  undoPeer(peer: string, since: string, opts?: { dryRun?: boolean }): Promise<UndoReport>;
  /** Open PIM conflicts, and settling one (src/app/conflicts.ts). */
  conflicts(): Promise<ConflictEntry[]>;
  conflictResolve(id: string, keep: string): Promise<ConflictResolution>;
  /** A person's edit of a file description's field (src/app/file-conflicts.ts): `file` absolute, or a content IRI. */
  describeEdit(file: string, field: string, value: string): Promise<FileEditResult>;
}
