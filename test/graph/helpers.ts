// Shared helpers for graph tests: temp folders and quick quads.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import n3 from 'n3';
import type { Quad } from '@rdfjs/types';
import type { Change } from '../../src/graph/types.js';

const { namedNode, literal, quad } = n3.DataFactory;

export function tempDir(name: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `semsync-${name}-`));
}

export const G = namedNode('https://w3id.org/semsync/id/graph/nodeA/test');

export function q(i: number, graph = G): Quad {
  return quad(namedNode(`http://ex.org/thing/${i}`), namedNode('http://purl.org/dc/terms/title'), literal(`Title ${i}`), graph);
}

export function adds(from: number, to: number): Change[] {
  const out: Change[] = [];
  for (let i = from; i < to; i++) out.push({ op: 'A', quad: q(i) });
  return out;
}
