// Through `semsync scan`: a share with thousands of nested folders and looping or outside-pointing symbolic links never leaves itself.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { cli } from '../helpers/cli.js';

const work = mkdtempSync(path.join(tmpdir(), 'semsync-links-'));
afterAll(() => { spawnSync('rm', ['-rf', work]); }); // rm copes with paths longer than PATH_MAX

describe('a hostile share through semsync scan', () => {
  it('deep folders and looping/outside links: the scan ends, describes only files inside the share, and a rescan changes nothing', async () => {
    const share = path.join(work, 'share');
    const outside = path.join(work, 'outside');
    mkdirSync(share);
    mkdirSync(outside);
    writeFileSync(path.join(outside, 'secret.txt'), 'outside the share: must never be described\n');
    writeFileSync(path.join(share, 'inside.txt'), 'inside\n');
    symlinkSync(outside, path.join(share, 'to-outside'));
    symlinkSync(path.join(outside, 'secret.txt'), path.join(share, 'secret-link.txt'));
    symlinkSync('..', path.join(share, 'parent-loop'));
    symlinkSync('.', path.join(share, 'self-loop'));
    symlinkSync('/', path.join(share, 'root'));
    symlinkSync('nowhere', path.join(share, 'dangling'));
    // 3,000 nested folders (about 6 KB of path, past PATH_MAX), built relative to each level; a file at depth 50 and at the bottom
    const py = `import os\nos.chdir(${JSON.stringify(share)})\nfor i in range(3000):\n    os.mkdir('d'); os.chdir('d')\n    if i == 49: open('depth50.txt','w').write('fifty')\n    if i == 999: os.symlink('../../..', 'up')\nopen('bottom.txt','w').write('bottom')\n`;
    expect(spawnSync('python3', ['-c', py]).status).toBe(0);
    const home = path.join(work, 'home');
    expect((await cli(home, ['share', 'add', share, '--name', 'Hostile'])).code).toBe(0);
    const scan = await cli(home, ['scan'], { timeoutMs: 120_000 });
    expect([0, 1]).toContain(scan.code); // a path too long to open is a reported error, not a crash
    expect(scan.stderr).not.toMatch(/TypeError|RangeError|Maximum call stack|FATAL|heap/);
    const q = await cli(home, ['query', '--format', 'json', 'SELECT ?f WHERE { ?f a nfo:FileDataObject }']);
    expect(q.code).toBe(0);
    const files = (JSON.parse(q.stdout) as { results: { bindings: Array<{ f: { value: string } }> } }).results.bindings.map((b) => b.f.value);
    const shareUrl = pathToFileURL(share).href + '/';
    for (const f of files) expect(f.startsWith(shareUrl), f).toBe(true);
    expect(files.some((f) => f.includes('secret') || f.includes('outside'))).toBe(false);
    expect(files.some((f) => f.endsWith('/inside.txt'))).toBe(true);
    expect(files.some((f) => f.endsWith('/depth50.txt'))).toBe(true);
    console.log(`[fuzz share] deep/looping share: ${files.length} files described, scan exit ${scan.code}: ${scan.stdout.trim().split('\n').pop()}`);
    const before = (await cli(home, ['export', '--format', 'nquads'])).stdout;
    const again = await cli(home, ['scan'], { timeoutMs: 120_000 });
    expect([0, 1]).toContain(again.code);
    expect((await cli(home, ['export', '--format', 'nquads'])).stdout.split('\n').sort()).toEqual(before.split('\n').sort());
  }, 180_000);
});
