// The incremental index: keeps one share's named graph equal to what its folder holds, reading only what changed.
import n3 from 'n3';
import type { NamedNode, Term } from '@rdfjs/types';
import type { GraphStore } from '../graph/index.js';
import type { Change } from '../graph/types.js';
import { NFO, NIE } from '../graph/vocab.js';
import type { DescribePool } from './pool.js';
import { Batcher, type BatchItem } from './batcher.js';
import type { ScanSummary, ScanProgress } from './summary.js';
import type { DescribeResult } from './describe.js';
import { fileIri, fileQuads, shareGraph, shareQuads, type Share } from './quads.js';
import { contentQuads, diffInto, isDerived, literalValue, pathOfIri, relPathOf } from './index-rows.js';
import { insideHome, walkShare, walkShareFolders, type WalkEntry, type WalkProblem } from './walk.js';
import { stat } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

const { namedNode } = n3.DataFactory;

export type { ScanSummary, ScanProgress } from './summary.js';

export interface IndexerOptions {
  /** Files per commit (each commit is one durable patch). */
  batchFiles?: number;
  /** Longest a described file waits before its batch is committed (the watcher's updates; default 250 ms). */
  batchMs?: number;
  /** The same during a full scan, where bigger batches mean fewer commits (default 2 s). */
  scanBatchMs?: number;
  onError?: (e: { path: string; message: string }) => void;
}

interface Known {
  /** The file's IRI (file:// URL). */
  iri: string;
  size: number;
  /** Milliseconds; compared by value, since the store writes xsd:dateTime in canonical form ('.120Z' → '.12Z'). */
  mtimeMs: number;
}

function unchanged(was: Known | undefined, entry: WalkEntry): boolean {
  return was !== undefined && was.size === entry.size && was.mtimeMs === Math.floor(entry.mtimeMs);
}

export class Indexer {
  private readonly batchFiles: number;
  private readonly batchMs: number;
  /**
   * Per share graph, the files it holds by absolute path: built by one query at the first scan, then kept equal to
   * the graph by every commit of this indexer (the only writer of share graphs), so a rescan only walks and stats.
   */
  private readonly knownByGraph = new Map<string, Map<string, Known>>();
  /** Skipped folders already said (see ScanSummary.skipped). */
  private readonly told = new Set<string>();

  constructor(
    private readonly store: GraphStore,
    private readonly pool: DescribePool,
    private readonly options: IndexerOptions = {},
  ) {
    this.batchFiles = options.batchFiles ?? 1000;
    this.batchMs = options.batchMs ?? 250;
  }

  /**
   * Brings the share's graph up to date with the folder. When `signal` aborts, the files read so far are
   * committed and the scan stops; nothing is removed then (an unfinished walk says nothing about what is gone).
   */
  async scan(share: Share, onProgress: (p: ScanProgress) => void = () => {}, signal?: AbortSignal): Promise<ScanSummary> {
    const g = shareGraph(this.store.nodeId, share.name);
    const summary: ScanSummary = { share: share.name, files: 0, added: 0, changed: 0, removed: 0, unchanged: 0, errors: [] };
    const report = this.reporter(summary);
    await this.store.commit(shareQuads(this.store.nodeId, share).map((quad) => ({ op: 'A' as const, quad })));
    const known = this.knownIndex(g);
    const unseen = new Set(known.keys());
    const batch = new Batcher(this, share, summary, report, this.batchFiles, this.options.scanBatchMs ?? 2000);
    const progress: ScanProgress = { share: share.name, seen: 0, read: 0, toRead: 0, done: false };
    const inFlight = new Set<Promise<void>>();
    const limit = Math.max(8, this.pool.size * 8);

    walk: for await (const folder of walkShareFolders(share.root, report)) for (const entry of folder) {
      if (signal?.aborted) break walk;
      progress.seen++;
      summary.files++;
      const was = known.get(entry.path);
      unseen.delete(entry.path);
      if (unchanged(was, entry)) {
        summary.unchanged++;
        continue;
      }
      progress.toRead++;
      // A full batch is committed while the workers go on reading (add() waits only when commits fall far behind).
      const job = this.read(entry).then(
        (result) => {
          progress.read++;
          onProgress(progress);
          if (result) return batch.add(entry, result, was !== undefined);
          report({ path: entry.path, message: 'could not be read' });
        },
      );
      inFlight.add(job);
      void job.finally(() => inFlight.delete(job));
      if (inFlight.size >= limit) await Promise.race(inFlight);
      if (progress.seen % 256 === 0) onProgress(progress);
    }
    await Promise.all(inFlight);
    await batch.flush();
    if (signal?.aborted) return summary;
    // What the walk did not see is gone.
    const gone = [...unseen].flatMap((p) => known.get(p)?.iri ?? []);
    for (let i = 0; i < gone.length; i += this.batchFiles) {
      await this.removeFiles(g, gone.slice(i, i + this.batchFiles).map((iri) => namedNode(iri)));
    }
    summary.removed = gone.length;
    progress.done = true;
    onProgress(progress);
    return summary;
  }

  /** Re-reads the given paths (added, changed or removed files or folders) of a share: what the watcher calls. */
  async update(share: Share, paths: string[]): Promise<ScanSummary> {
    const g = shareGraph(this.store.nodeId, share.name);
    const summary: ScanSummary = { share: share.name, files: 0, added: 0, changed: 0, removed: 0, unchanged: 0, errors: [] };
    const report = this.reporter(summary);
    const batch = new Batcher(this, share, summary, report, this.batchFiles, this.batchMs);
    const gone: NamedNode[] = [];
    // The share's described files, read once per update (a folder of 100 moved in was 100 reads of the whole graph).
    let described: string[] | undefined;
    const files = () => (described ??= this.store.match(null, NIE('interpretedAs'), null, g).map((q) => q.subject.value));
    for (const p of new Set(paths)) {
      if (insideHome(share.root, p)) continue; // a semsync home's own files (the walk said so once)
      const st = await stat(p).catch(() => undefined);
      const iri = fileIri(p);
      if (!st) {
        // A removed file, or a removed folder: every file IRI below it.
        const prefix = iri.value.endsWith('/') ? iri.value : iri.value + '/';
        for (const f of files()) if (f === iri.value || f.startsWith(prefix)) gone.push(namedNode(f));
        continue;
      }
      if (st.isDirectory()) {
        const sub = await this.scanFolderInto(share, p, batch, summary, report, files);
        gone.push(...sub);
        continue;
      }
      if (!st.isFile()) continue;
      summary.files++;
      const was = this.knownFile(g, iri);
      const entry: WalkEntry = { path: p, relPath: relPathOf(share, p), size: st.size, mtimeMs: Math.floor(st.mtimeMs) };
      if (unchanged(was, entry)) {
        summary.unchanged++;
        continue;
      }
      const result = await this.read(entry);
      if (result) await batch.add(entry, result, was !== undefined);
    }
    await batch.flush();
    await this.removeFiles(g, gone);
    summary.removed += gone.length;
    return summary;
  }

  /** Where a scan's problems go: errors into the summary (and onError); a skipped folder once per indexer. */
  private reporter(summary: ScanSummary): (e: WalkProblem) => void {
    return (e) => {
      if (!e.skipped) {
        summary.errors.push(e);
        this.options.onError?.(e);
      } else if (!this.told.has(e.path)) {
        this.told.add(e.path);
        (summary.skipped ??= []).push({ path: e.path, message: e.message });
      }
    };
  }

  /** Removes everything a share said (its whole graph). */
  async forget(share: Share): Promise<number> {
    const g = shareGraph(this.store.nodeId, share.name);
    const quads = this.store.match(null, null, null, g);
    this.knownByGraph.delete(g.value);
    await this.store.commit(quads.map((quad) => ({ op: 'D' as const, quad })));
    return quads.length;
  }

  private async scanFolderInto(
    share: Share,
    folder: string,
    batch: Batcher,
    summary: ScanSummary,
    report: (e: WalkProblem) => void,
    files: () => string[],
  ): Promise<NamedNode[]> {
    const g = shareGraph(this.store.nodeId, share.name);
    const seen = new Set<string>();
    // Files are read several at a time, as a scan reads them (one at a time left the worker pool idle).
    const inFlight = new Set<Promise<void>>();
    const limit = Math.max(8, this.pool.size * 8);
    for await (const entry of walkShare(folder, report)) {
      const iri = fileIri(entry.path);
      seen.add(iri.value);
      summary.files++;
      const was = this.knownFile(g, iri);
      if (unchanged(was, entry)) {
        summary.unchanged++;
        continue;
      }
      const full = { ...entry, relPath: relPathOf(share, entry.path) };
      const job = this.read(full).then((result) => (result ? batch.add(full, result, was !== undefined) : undefined));
      inFlight.add(job);
      void job.finally(() => inFlight.delete(job)).catch(() => {});
      if (inFlight.size >= limit) await Promise.race(inFlight);
    }
    await Promise.all(inFlight);
    const prefix = fileIri(folder).value.replace(/\/?$/, '/');
    return files()
      .filter((f) => f.startsWith(prefix) && !seen.has(f))
      .map((f) => namedNode(f));
  }

  private async read(entry: WalkEntry): Promise<DescribeResult | undefined> {
    try {
      return await this.pool.describe({ path: entry.path });
    } catch (err) {
      this.options.onError?.({ path: entry.path, message: (err as Error).message });
      return undefined;
    }
  }

  /** The kept index of the share's files (see knownByGraph), built at the first call. */
  private knownIndex(g: NamedNode): Map<string, Known> {
    let known = this.knownByGraph.get(g.value);
    if (!known) this.knownByGraph.set(g.value, (known = this.knownFiles(g)));
    return known;
  }

  /** Every file the graph holds for the share, by path, with its size and mtime: one query, read as TSV (no term objects). */
  private knownFiles(g: NamedNode): Map<string, Known> {
    const known = new Map<string, Known>();
    const out = this.store.query(
      `SELECT ?f ?size ?mtime WHERE { GRAPH <${g.value}> { ?f <${NFO('fileSize').value}> ?size ; <${NFO('fileLastModified').value}> ?mtime } }`,
      { format: 'tsv' },
    );
    const text = out.serialized ?? '';
    let pos = text.indexOf('\n') + 1; // header line
    while (pos > 0 && pos < text.length) {
      let end = text.indexOf('\n', pos);
      if (end < 0) end = text.length;
      const line = text.slice(pos, end);
      pos = end + 1;
      const [f, size, mtime] = line.split('\t');
      if (!f || !size || !mtime) continue;
      const iri = f.slice(1, -1);
      known.set(pathOfIri(iri), { iri, size: Number(literalValue(size)), mtimeMs: Date.parse(literalValue(mtime)) });
    }
    return known;
  }

  private knownFile(g: NamedNode, iri: NamedNode): Known | undefined {
    const size = this.store.match(iri, NFO('fileSize'), null, g)[0];
    const mtime = this.store.match(iri, NFO('fileLastModified'), null, g)[0];
    if (!size || !mtime) return undefined;
    return { iri: iri.value, size: Number(size.object.value), mtimeMs: Date.parse(mtime.object.value) };
  }

  /**
   * Commits the described files of one batch: new file quads, the old ones' difference, new contents; then collects
   * garbage. The store is asked once per batch which contents it holds, and only files that existed for their old quads.
   * Each file's content quads are read and checked on their own: a file whose description the store would refuse is
   * described without them (its error says why, and `report` names it), and the rest of the batch is committed.
   */
  async commitBatch(share: Share, items: BatchItem[], report?: (e: { path: string; message: string }) => void): Promise<void> {
    const g = shareGraph(this.store.nodeId, share.name);
    const changes: Change[] = [];
    const dropped: Term[] = [];
    const contentsAdded = this.presentContents(g, items.map((i) => `urn:sha256:${i.result.sha256}`));
    for (const { entry, result, existed } of items) {
      const iri = fileIri(entry.path);
      const content = `urn:sha256:${result.sha256}`;
      const fresh = !contentsAdded.has(content);
      contentsAdded.add(content);
      const described = fresh ? contentQuads(g, result) : { quads: [], problem: undefined };
      if (described.problem) report?.({ path: entry.path, message: described.problem });
      const errors = described.problem ? [...result.errors, described.problem] : result.errors;
      const next = fileQuads(this.store.nodeId, share, { ...entry, size: result.size, mime: result.mime, sha256: result.sha256, errors });
      const old = existed === false ? [] : this.store.match(iri, null, null, g);
      diffInto(changes, old, next);
      for (const q of old) if (q.predicate.equals(NIE('interpretedAs')) && !next.some((n) => n.object.equals(q.object))) dropped.push(q.object);
      for (const quad of described.quads) changes.push({ op: 'A', quad });
    }
    await this.store.commit(changes);
    const known = this.knownByGraph.get(g.value);
    if (known) for (const { entry, result } of items) known.set(entry.path, { iri: fileIri(entry.path).value, size: result.size, mtimeMs: Math.floor(entry.mtimeMs) });
    await this.collect(g, dropped);
  }

  /** Which of these content IRIs the share's graph already describes: one query. */
  private presentContents(g: NamedNode, contents: string[]): Set<string> {
    const distinct = [...new Set(contents)];
    const found = new Set<string>();
    if (distinct.length === 0) return found;
    const out = this.store.query(
      `SELECT ?c WHERE { VALUES ?c { ${distinct.map((c) => `<${c}>`).join(' ')} } FILTER EXISTS { GRAPH <${g.value}> { ?c ?p ?o } } }`,
      { format: 'tsv' },
    );
    for (const line of (out.serialized ?? '').split('\n').slice(1)) if (line.startsWith('<')) found.add(line.slice(1, line.indexOf('>')));
    return found;
  }

  private async removeFiles(g: NamedNode, files: NamedNode[]): Promise<void> {
    if (files.length === 0) return;
    const known = this.knownByGraph.get(g.value);
    const changes: Change[] = [];
    const dropped: Term[] = [];
    for (const f of files) {
      for (const q of this.store.match(f, null, null, g)) {
        changes.push({ op: 'D', quad: q });
        if (q.predicate.equals(NIE('interpretedAs'))) dropped.push(q.object);
      }
    }
    await this.store.commit(changes);
    if (known) for (const f of files) known.delete(fileURLToPath(f.value));
    await this.collect(g, dropped);
  }

  /** Deletes contents no file points to any more, then the derived resources (people, albums) nothing names any more. */
  private async collect(g: NamedNode, candidates: Term[]): Promise<void> {
    let pending = candidates;
    const seen = new Set<string>();
    while (pending.length > 0) {
      const changes: Change[] = [];
      const next: Term[] = [];
      for (const c of pending) {
        if (seen.has(c.value) || c.termType !== 'NamedNode') continue;
        seen.add(c.value);
        if (this.store.match(null, null, c, g).length > 0) continue;
        for (const q of this.store.match(c, null, null, g)) {
          changes.push({ op: 'D', quad: q });
          if (isDerived(q.object)) next.push(q.object);
        }
      }
      if (changes.length > 0) await this.store.commit(changes);
      pending = next;
    }
  }
}
