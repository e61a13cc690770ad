// With nothing to place, a library still taking in commits lets categories wait (bounded); placing never waits.
import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import n3 from 'n3';
import { expect, it } from 'vitest';
import { DCTERMS, NFO, RDF, SS, XSD, graphIri } from '../../src/graph/vocab.js';
import { DeviceWatch, settleFirst } from '../../src/node/device-watch.js';
import { SemsyncNode } from '../../src/node/node.js';

const { quad, namedNode, literal } = n3.DataFactory;

const base = { idle: true, rulesChanged: false, moving: true, waitedMs: 1000, settleMs: 5000 };

it('waits only while idle, the rules unchanged, commits still arriving and the wait under its bound', () => {
  expect(settleFirst(base)).toBe(true);
  expect(settleFirst({ ...base, idle: false })).toBe(false); // a host target or device attached: refresh now
  expect(settleFirst({ ...base, rulesChanged: true })).toBe(false); // a new rules file: refresh now
  expect(settleFirst({ ...base, moving: false })).toBe(false); // the library settled since the last check
  expect(settleFirst({ ...base, waitedMs: 5000 })).toBe(false); // waited long enough: categories catch up
});

it('with nothing to place, categories still land in the rules graph for every content once commits stop', async () => {
  const base = await fsp.mkdtemp(path.join(os.tmpdir(), 'semsync-watch-settle-'));
  const node = await SemsyncNode.open({ home: path.join(base, 'home') });
  const watch = new DeviceWatch(node, { intervalMs: 50, settleMs: 300 });
  await watch.start();
  try {
    const g = graphIri(node.nodeId, 'share/pics');
    const contents: string[] = [];
    for (let b = 0; b < 8; b++) {
      const batch = Array.from({ length: 5 }, (_, i) => namedNode(`urn:sha256:${String(b * 5 + i).padStart(64, '0')}`));
      contents.push(...batch.map((c) => c.value));
      await node.store.commit(batch.flatMap((c) => [quad(c, RDF('type'), NFO('Image'), g), quad(c, DCTERMS('date'), literal('2020-05-01T00:00:00', XSD('dateTime')), g)])
        .map((q) => ({ op: 'A' as const, quad: q })));
      await new Promise((r) => setTimeout(r, 30));
    }
    const rules = graphIri(node.nodeId, 'rules');
    const categorised = () => new Set(node.store.match(null, SS('category'), null, rules).map((q) => q.subject.value));
    for (const t0 = Date.now(); contents.some((c) => !categorised().has(c)); await new Promise((r) => setTimeout(r, 50))) {
      if (Date.now() - t0 > 30_000) throw new Error(`categories never caught up: ${categorised().size} of ${contents.length}`);
    }
    expect([...categorised()].sort()).toEqual(contents.sort());
  } finally {
    await watch.stop();
    await node.close();
    await fsp.rm(base, { recursive: true, force: true });
  }
}, 60_000);
