// Where the shared corpus is, and its manifest (ground truth from exiftool, ffprobe and pandoc).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const corpusDir = path.resolve(repoRoot, '..', 'shared', 'corpus');

export interface ManifestEntry {
  path: string;
  size: number;
  sha256: string;
  summary: Record<string, unknown> & { type: string; mimeType: string };
}

export function manifest(): ManifestEntry[] {
  return (JSON.parse(readFileSync(path.join(corpusDir, 'manifest.json'), 'utf8')) as { files: ManifestEntry[] }).files;
}
