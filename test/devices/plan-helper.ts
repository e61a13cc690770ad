// Test helpers: a placement plan of real corpus audio files, with names that have spaces and non-ASCII letters.
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import type { Operation } from '../../src/rules/types.js';
import { corpus, sha256Urn } from './mounts-helper.js';

export const RULE = 'https://w3id.org/semsync/rules#music-by-artist';

/** One copy op per corpus audio file (mp3 only, or all), placed under Music/<Artist>/<name>. */
export function corpusPlan(opts: { all?: boolean; ascii?: boolean } = {}): Extract<Operation, { kind: 'copy' }>[] {
  const dir = path.join(corpus, 'audio');
  const names = readdirSync(dir).filter((n) => opts.all || n.endsWith('.mp3')).sort();
  return names.map((n, i) => {
    const artist = i % 2 ? 'Beth Hart' : opts.ascii ? 'Yasmin Levy' : 'Yasmin Lévy – Ñandú';
    const title = opts.ascii ? n.replace(/[^\x20-\x7e]/g, '_') : n;
    const source = path.join(dir, n);
    return {
      kind: 'copy',
      content: sha256Urn(source),
      source,
      target: `Music/${artist}/${String(i + 1).padStart(2, '0')} - ${title}`,
      size: statSync(source).size,
      rule: RULE,
      values: { artist, title: n, track: String(i + 1) },
    };
  });
}
