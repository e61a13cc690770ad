// The file-level description of one file in a share (the query contract's nfo:FileDataObject), and share IRIs.
import { pathToFileURL } from 'node:url';
import path from 'node:path';
import n3 from 'n3';
import type { NamedNode, Quad } from '@rdfjs/types';
import { NFO, NIE, RDF, RDFS, SS, XSD, contentIri, derivedIri, graphIri } from '../graph/vocab.js';
import { quadProblem, termProblem } from '../graph/index.js';

const { literal, quad } = n3.DataFactory;

export interface Share {
  name: string;
  /** Absolute path of the shared folder. */
  root: string;
}

export function shareGraph(nodeId: string, shareName: string): NamedNode {
  return graphIri(nodeId, `share/${shareName}`);
}

export function shareIri(nodeId: string, shareName: string): NamedNode {
  return derivedIri('share', nodeId, shareName);
}

/** A file on this node is the IRI of its file:// URL, as Node's pathToFileURL writes it. */
export function fileIri(absPath: string): NamedNode {
  return n3.DataFactory.namedNode(pathToFileURL(absPath).href);
}

export function shareQuads(nodeId: string, share: Share): Quad[] {
  const g = shareGraph(nodeId, share.name);
  const s = shareIri(nodeId, share.name);
  return [quad(s, RDF('type'), SS('Share'), g), quad(s, RDFS('label'), literal(share.name), g)];
}

export interface FileFacts {
  path: string;
  relPath: string;
  size: number;
  mtimeMs: number;
  mime: string;
  sha256: string;
  errors: string[];
}

export function fileQuads(nodeId: string, share: Share, f: FileFacts): Quad[] {
  const g = shareGraph(nodeId, share.name);
  const s = fileIri(f.path);
  const quads = [
    quad(s, RDF('type'), NFO('FileDataObject'), g),
    quad(s, NFO('fileName'), literal(path.basename(f.path).normalize('NFC')), g),
    quad(s, NFO('fileSize'), literal(String(f.size), XSD('integer')), g),
    quad(s, NFO('fileLastModified'), literal(mtimeLiteral(f.mtimeMs), XSD('dateTime')), g),
    quad(s, NIE('mimeType'), literal(f.mime), g),
    quad(s, NIE('interpretedAs'), contentIri(f.sha256), g),
    quad(s, SS('share'), shareIri(nodeId, share.name), g),
    quad(s, SS('relativePath'), literal(f.relPath), g),
  ];
  for (const e of f.errors) quads.push(quad(s, SS('extractionError'), literal(e.normalize('NFC')), g));
  return quads;
}

/** xsd:dateTime in canonical form (no trailing zeros in the fraction), as the store writes it back. */
export function mtimeLiteral(mtimeMs: number): string {
  return new Date(Math.floor(mtimeMs)).toISOString().replace(/\.?0+Z$/, 'Z');
}

/**
 * One file's extractor output made storable, quad by quad: an object IRI the store refuses (relative, illegal
 * characters) is kept as its text; any other quad the store would refuse (a bad subject, predicate, literal, a blank
 * node) is dropped. Each change is said in `notes`, so the file's description and the scan's report name it: one
 * file's bad value never fails the batch it is committed with.
 */
export function storableQuads(quads: readonly Quad[]): { quads: Quad[]; notes: string[] } {
  const out: Quad[] = [];
  const notes: string[] = [];
  for (const q of quads) {
    let problem = quadProblem(q) ?? blankProblem(q);
    if (!problem) {
      out.push(q);
      continue;
    }
    if (q.object.termType === 'NamedNode' && termProblem(q.object, 'object')) {
      const kept = quad(q.subject, q.predicate, literal(q.object.value), q.graph);
      problem = quadProblem(kept) ?? blankProblem(kept);
      if (!problem) {
        out.push(kept);
        notes.push(`${clip(q.object.value)} (for ${q.predicate.value}) is not an absolute IRI: kept as text`);
        continue;
      }
    }
    notes.push(`a statement was left out: ${problem}`);
  }
  return { quads: out, notes: [...new Set(notes)] };
}

function blankProblem(q: Quad): string | null {
  return [q.subject, q.object, q.graph].some((t) => t.termType === 'BlankNode') ? 'a blank node (nothing with blank nodes is stored)' : null;
}

function clip(s: string): string {
  return JSON.stringify(s.length > 80 ? s.slice(0, 80) + '…' : s);
}
