// CI's short form of the fault runner: `npm run faults -- --quick` (a couple of SIGKILL trials per phase) must report no failures.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

describe('fault runner, quick form', () => {
  it('kills scan, import, sync, fetch and place with SIGKILL and recovers every time; damages stores and sees each damage reported and repaired', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(repoRoot, 'faults', 'run.ts'), '--quick'], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    const timer = setTimeout(() => child.kill("SIGINT"), 420_000);
    const code = await new Promise<number | null>((r) => child.once('close', r));
    clearTimeout(timer);
    if (code !== 0) console.log(out);
    expect(out).toMatch(/total: \d+ trials, 0 failures/);
    expect(code).toBe(0);
    for (const phase of ['scan', 'import', 'sync', 'fetch', 'place', 'damage']) expect(out).toMatch(new RegExp(`^${phase}\\s+\\d+`, 'm'));
  }, 450_000);
});
