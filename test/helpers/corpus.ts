// Where the shared corpus is, and its manifest (ground truth from exiftool, ffprobe and pandoc).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const above = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
/** The repository (also when these helpers run compiled, from dist/test/helpers, as the benches use them). */
export const repoRoot = path.basename(above) === 'dist' ? path.dirname(above) : above;
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
