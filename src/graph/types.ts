// The shapes the graph layer trades in: changes, patches (one transaction of one author), version vectors.
import type { Quad } from '@rdfjs/types';

export type Op = 'A' | 'D';

/** One row of an RDF Patch: add or delete one quad. */
export interface Change {
  op: Op;
  quad: Quad;
}

/**
 * One transaction by one author (a node id), the unit the change log stores and peers exchange.
 * `seq` counts that author's patches from 1 with no gaps; `hlc` is the hybrid logical clock at commit
 * (milliseconds since the epoch and a counter, as `"<ms>.<counter>"`), used for last-writer-wins.
 */
export interface Patch {
  author: string;
  seq: number;
  hlc: string;
  changes: Change[];
  /**
   * Through what the change came at its author (`H via`, optional): `local`, `import`, `undo`, `scan`,
   * `device:<id>`, `dav:<account>/<collection>`… (channel.ts). Travels with the patch; older patches have none.
   */
  via?: string;
}

/** Highest contiguous sequence number seen per author. */
export type VersionVector = Record<string, number>;

export type ResultFormat = 'json' | 'xml' | 'csv' | 'tsv' | 'turtle' | 'ntriples' | 'nquads' | 'trig' | 'jsonld';

/**
 * Where a query runs. `dataset`: as the SPARQL Protocol's `default-graph-uri` and `named-graph-uri` give it (IRIs),
 * the default graph is the merge of `defaultGraphs` and GRAPH sees only `namedGraphs` (either empty when not
 * given); without one, the default graph is the union of all graphs and GRAPH sees every graph. `base`: the IRI
 * relative IRIs resolve against when the query has no BASE (an endpoint's URL).
 */
export interface QueryContext {
  dataset?: { defaultGraphs: string[]; namedGraphs: string[] };
  base?: string;
}
