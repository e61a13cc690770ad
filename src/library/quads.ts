// The file-level description of one file in a share (the query contract's nfo:FileDataObject), and share IRIs.
import { pathToFileURL } from 'node:url';
import path from 'node:path';
import n3 from 'n3';
import type { NamedNode, Quad } from '@rdfjs/types';
import { NFO, NIE, RDF, RDFS, SS, XSD, contentIri, derivedIri, graphIri } from '../graph/vocab.js';

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
