// What the placing thread and the copy thread (copy-worker.ts) say to each other, and the catalog record lines both
// build. Imports nothing of ours, so the copy thread starts without loading the rest of the devices layer.

/** Error codes that concern one file's name or content, not the device as a whole: the run goes on. */
export const PER_FILE_CODES: ReadonlySet<string> = new Set(['EINVAL', 'ENAMETOOLONG', 'EILSEQ', 'EPERM', 'EEXIST', 'EISDIR', 'ENOTDIR', 'EFBIG']);

/**
 * One file to put on the device. `tmp` is written from `source` (checked against `size`) and synced, then renamed
 * onto `target`; without `target` it stays staged under `tmp` (see stage.ts).
 */
export interface ThreadItem {
  source: string;
  tmp: string;
  size: number;
  target?: string;
}

/** An error as it crosses threads (name, code and message kept). */
export interface RawError {
  name: string;
  code?: string;
  message: string;
}

export type RawOutcome =
  | { ok: true; size: number }
  | { ok: false; notStaged: true }
  | { ok: false; error: RawError; retryAsync?: 'no-source' }
  | { ok: false; notTried: true };

/** The terms a catalog record's quads use, in N-Quads form. */
export interface CatalogTerms {
  rp: string;
  interp: string;
  size: string;
  placedBy: string;
  placedAt: string;
  tv: string;
  int: string;
  dt: string;
  json: string;
}

/** How the copy thread builds catalog quads: the terms, the device's graph, a blank node prefix unique to the run. */
export interface CatalogShape {
  terms: CatalogTerms;
  g: string;
  label: string;
}

/** Rename staged files (columns joined by NUL: strings cross threads as a copy, objects do not). */
export interface TakeRequest {
  t: 'take';
  id: number;
  flags: SharedArrayBuffer;
  catalog: CatalogShape;
  /** Item count at the end of each batch. */
  ends: Int32Array;
  placedAt: string;
  tmp: string;
  target: string;
  path: string;
  content: string;
  rule: string;
  values: string;
  sizes: Float64Array;
}

/** Stage files (columns joined by NUL; see {@link ThreadItem} without `target`); answered with one flag per file. */
export interface StageRequest {
  t: 'stage';
  id: number;
  sources: string;
  tmps: string;
  sizes: Float64Array;
  fsync: boolean;
}

export type CopyRequest = { t: 'batch'; id: number; items: ThreadItem[]; fsync: boolean } | StageRequest | TakeRequest;

export type CopyReply =
  | { id: number; out: RawOutcome[] }
  /** Per staged file: 1 if written and synced. */
  | { id: number; staged: Uint8Array }
  | { id: number; batch: number; out: RawOutcome[]; bytes: ArrayBuffer; ends: number[] };

/** A placed file's quads: a blank node `f` in the device's graph `g`, found by its ss:relativePath. */
export function recordLines(
  t: CatalogTerms, g: string, f: string,
  path: string, contentIri: string, size: number, ruleIri: string, placedAt: string, valuesJson: string,
): string {
  const content = contentIri.replace(IRI_ESCAPES, encodeURIComponent); // urn:sha256:…: nothing to escape, no copy
  const rule = ruleIri.replace(IRI_ESCAPES, encodeURIComponent);
  return (
    `${f} ${t.rp} ${JSON.stringify(path)} ${g} .\n${f} ${t.interp} <${content}> ${g} .\n${f} ${t.size} "${size}"${t.int} ${g} .\n` +
    `${f} ${t.placedBy} <${rule}> ${g} .\n${f} ${t.placedAt} "${placedAt}"${t.dt} ${g} .\n` +
    `${f} ${t.tv} ${JSON.stringify(valuesJson)}${t.json} ${g} .\n`
  );
}

const IRI_ESCAPES = /[\x00-\x20<>"{}|^`\\]/g;
