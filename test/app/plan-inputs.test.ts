// What plans read, cached on the library key: catalog-only commits do not move the key; categories land in the rules graph.
import n3 from 'n3';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { DCTERMS, NFO, RDF, XSD, graphIri } from '../../src/graph/vocab.js';
import { PlanInputs } from '../../src/app/plan-inputs.js';
import { testHome, type TestHome } from './fixture.js';

const { quad, namedNode, literal } = n3.DataFactory;
let home: TestHome;
beforeEach(async () => {
  home = await testHome();
});
afterEach(async () => home.close());

const photo = (n: number) => {
  const g = graphIri(home.nodeId, 'share/pics');
  const c = namedNode(`urn:sha256:${String(n).padStart(64, '0')}`);
  return [quad(c, RDF('type'), NFO('Image'), g), quad(c, DCTERMS('date'), literal(`20${10 + n}-01-01T00:00:00`, XSD('dateTime')), g)].map((q) => ({ op: 'A' as const, quad: q }));
};

it('keeps the library key (and the facts) across catalog-only commits, and moves it for library commits', async () => {
  const inputs = new PlanInputs({ home });
  await home.store.commit(photo(1));
  const key = inputs.libraryKey();
  const facts = inputs.currentFacts();
  expect(facts.size).toBe(1);
  const catalog = graphIri(home.nodeId, 'device/card');
  await inputs.commitBesideLibrary([{ op: 'A', quad: quad(namedNode('urn:x:copy'), RDF('type'), NFO('FileDataObject'), catalog) }]);
  expect(inputs.libraryKey()).toBe(key);
  expect(inputs.currentFacts()).toBe(facts); // the same map: not read again
  await home.store.commit(photo(2));
  expect(inputs.libraryKey()).not.toBe(key);
  expect(inputs.currentFacts().size).toBe(2);
});

it('writes categories into the rules graph once; a second refresh changes nothing', async () => {
  const inputs = new PlanInputs({ home });
  await home.store.commit(photo(1));
  const first = await inputs.refreshCategories();
  expect(first.added).toBeGreaterThan(0);
  const again = await inputs.refreshCategories();
  expect(again).toEqual({ added: 0, removed: 0 });
  expect(home.store.match(null, null, null, graphIri(home.nodeId, 'rules')).length).toBe(first.added);
});

it('without preparing plans (nothing to place) writes the same category statements as with', async () => {
  const inputs = new PlanInputs({ home });
  await home.store.commit([...photo(1), ...photo(2)]);
  const lean = await inputs.refreshCategories({ prepare: false });
  expect(lean.added).toBeGreaterThan(0);
  expect(await inputs.refreshCategories({ prepare: true })).toEqual({ added: 0, removed: 0 });
  await home.store.commit(photo(3));
  const full = await inputs.refreshCategories({ prepare: true });
  expect(full.added).toBeGreaterThan(0);
  expect(await inputs.refreshCategories({ prepare: false })).toEqual({ added: 0, removed: 0 });
});
