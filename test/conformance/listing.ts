// The differences written down in docs/conformance.md: its tables' rows `| \`test id\` | paths | reason |`.
import fs from 'node:fs';
import path from 'node:path';
import { repoRoot } from '../helpers/corpus.js';

export const LISTING = path.join(repoRoot, 'docs', 'conformance.md');

/** test id → the paths it is listed for ('all' for every one) → the reason. */
export function listed(file = LISTING): Map<string, Map<string, string>> {
  const out = new Map<string, Map<string, string>>();
  for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
    const m = /^\|\s*`([^`]+)`\s*\|\s*([^|]+?)\s*\|\s*(.+?)\s*\|\s*$/.exec(line);
    if (!m) continue;
    const byPath = out.get(m[1]) ?? new Map<string, string>();
    for (const p of m[2].split(/\s*,\s*/)) byPath.set(p, m[3]);
    out.set(m[1], byPath);
  }
  return out;
}

/** Whether `id` is listed for `path` (or for all paths). */
export function isListed(list: Map<string, Map<string, string>>, id: string, p: string): boolean {
  const byPath = list.get(id);
  return !!byPath && (byPath.has(p) || (byPath.has('all') && p !== 'differential'));
}
