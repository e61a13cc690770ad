// A PDF and an ODS in a share are scanned, described as documents and filed into a host target under
// Documents/<Category>/ (the issue: they were described only as generic files and never placed).
import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { devicesOf } from '../../src/node/devices.js';
import { SemsyncNode } from '../../src/node/node.js';

const fixtures = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'extractors', 'fixtures', 'documents');
let base: string | undefined;
let node: SemsyncNode | undefined;

afterAll(async () => {
  await node?.close();
  if (base) await fsp.rm(base, { recursive: true, force: true });
});

describe('documents into a host target', () => {
  it('files a PDF and an ODS from a share under Documents/<Category>/<Title>.<ext> (Documents: the target)', async () => {
    base = await fsp.mkdtemp(path.join(os.tmpdir(), 'semsync-target-docs-'));
    const share = path.join(base, 'tablet');
    await fsp.mkdir(share);
    await fsp.copyFile(path.join(fixtures, 'slides.pdf'), path.join(share, 'talk.pdf'));
    await fsp.copyFile(path.join(fixtures, 'budget.ods'), path.join(share, 'budget.ods'));
    node = await SemsyncNode.open({ home: path.join(base, 'home') });
    await node.addShare(share, 'tablet');
    await node.scan(['tablet']);
    const devices = devicesOf(node);
    const target = path.join(base, 'Documents'); // Ivan's ~/Documents
    await devices.addTarget(target, 'ivan');
    const r = await devices.place(target);
    expect(r.operations.map((o) => o.target).sort()).toEqual([
      'Budget/Household Budget 2024.ods', // subject Finance, keywords Budget, Household
      'Embedded/Rust for Embedded Systems.pdf', // subject Programming, keywords Rust, Embedded: the first by label
    ]);
    expect(await fsp.readFile(path.join(target, 'Embedded/Rust for Embedded Systems.pdf'))).toEqual(await fsp.readFile(path.join(fixtures, 'slides.pdf')));
    expect((await devices.place(target)).operations).toEqual([]);
  });
});
