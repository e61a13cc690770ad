// Debian's litmus (the WebDAV conformance suite) run against a URL; each test's result per suite.
import { execFile, spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

export const LITMUS_SUITES = ['basic', 'copymove', 'props', 'locks', 'http'];

export function litmusMissing(): string | undefined {
  return spawnSync('sh', ['-c', 'command -v litmus']).status === 0 ? undefined : 'litmus is not installed (apt-get install -y litmus)';
}

/** `suite/test` → pass | FAIL | SKIPPED | WARNING (a pass with a warning), and litmus's whole output. */
export interface LitmusRun {
  results: Map<string, string>;
  output: string;
}

/** Reads litmus's output (its progress lines repeat each test's name; the last word of the line is the result). */
export function parseLitmus(output: string): Map<string, string> {
  const results = new Map<string, string>();
  let suite = '';
  for (const line of output.split('\n')) {
    const s = /^-> running `(\w+)'/.exec(line);
    if (s) suite = s[1];
    for (const m of line.matchAll(/\b\d+\.\s(\w+)\.*\s+(pass|FAIL|SKIPPED|WARNING)\b/g)) results.set(`${suite}/${m[1]}`, m[2]);
  }
  return results;
}

/** Runs litmus's suites against `url` (with credentials when given) in a temp folder (it writes its logs there). */
export async function runLitmus(url: string, user?: string, password?: string, suites = LITMUS_SUITES): Promise<LitmusRun> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'semsync-litmus-'));
  try {
    const args = ['-k', url, ...(user ? [user, password ?? ''] : [])];
    const output = await new Promise<string>((resolve) =>
      execFile('litmus', args, { cwd: dir, env: { ...process.env, TESTS: suites.join(' ') }, timeout: 180_000, maxBuffer: 16 << 20 }, (_err, stdout, stderr) => resolve(stdout + stderr)),
    );
    return { results: parseLitmus(output), output };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** The tests that passed (with or without a warning). */
export const passed = (r: LitmusRun) => [...r.results].filter(([, v]) => v === 'pass' || v === 'WARNING').map(([k]) => k).sort();
