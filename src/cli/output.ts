// Printing for the CLI: tables, JSON, summary lines, and the exit-code mapping of errors.
import type { Term } from '@rdfjs/types';
import { InputError } from '../base/index.js';

export class UsageError extends InputError {
  override name = 'UsageError';
}

/** Plain-text table with a header row; columns padded to their widest cell. */
export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => (c ?? '').padEnd(widths[i])).join('  ').trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

/** A term as a person reads it: IRIs bare, literals as their text. */
export function termText(t: Term | undefined): string {
  if (!t) return '';
  if (t.termType === 'Literal') return t.value;
  if (t.termType === 'BlankNode') return `_:${t.value}`;
  return t.value;
}

export function printJson(value: unknown): void {
  process.stdout.write(JSON.stringify(value, null, 2) + '\n');
}
