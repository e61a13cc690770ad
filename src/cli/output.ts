// Printing for the CLI: tables, JSON, summary lines, and the exit-code mapping of errors.
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

/** A term as a person reads it: IRIs bare, literals as their text (graph/terms.ts, the one of this meaning). */
export { termLabel as termText } from '../graph/index.js';

export function printJson(value: unknown): void {
  process.stdout.write(JSON.stringify(value, null, 2) + '\n');
}
