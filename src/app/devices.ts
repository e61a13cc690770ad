// The devices use cases of one node, built once from their components: listing (device-rows.ts), claims
// (device-claims.ts), placement (placement.ts, over plan-inputs.ts), explain (explain.ts), host targets and media
// roots (targets.ts), each device's catalog as a graph (device-graph.ts). The faces call this facade.
import { EventEmitter } from 'node:events';
import type { Quad } from '@rdfjs/types';
import { currentUser } from '../devices/index.js';
import type { ContentFacts, DeviceProfile, RuleGraph, Rules } from '../rules/index.js';
import { DeviceClaims, type ClaimRequest } from './device-claims.js';
import { DeviceGraphs } from './device-graph.js';
import { DeviceListing, type DeviceRow } from './device-rows.js';
import { Explain, type ExplainAnswer } from './explain.js';
import type { NodeHome } from './home.js';
import { PlanInputs } from './plan-inputs.js';
import { Placement, type PlaceOptions, type PlaceSummary } from './placement.js';
import { Targets } from './targets.js';

export type { ClaimRequest } from './device-claims.js';
export { UnknownDeviceError, type DeviceRow } from './device-rows.js';
export type { ExplainAnswer } from './explain.js';
export type { ContentFetcher, PlaceOptions, PlaceSummary } from './placement.js';

export interface DevicesComponents {
  home: NodeHome;
  /** The user this node places for (default: the account running it). */
  user?: string;
}

/** Emits 'log' (a line worth printing), 'claimed' (a root) and 'targets-changed' / 'roots-changed'. */
export class Devices extends EventEmitter {
  /** The user this node places for; read at each call. */
  user: string;
  /** Each device's and target's catalog as a graph in the store (see device-graph.ts). */
  readonly graphs: DeviceGraphs;
  readonly inputs: PlanInputs;
  readonly listing: DeviceListing;
  readonly claims: DeviceClaims;
  readonly placement: Placement;
  readonly targets: Targets;
  private readonly explainer: Explain;

  constructor(c: DevicesComponents) {
    super();
    const home = c.home;
    this.user = c.user ?? currentUser();
    const user = () => this.user;
    this.inputs = new PlanInputs({ home });
    this.graphs = new DeviceGraphs(home, (changes) => this.inputs.commitBesideLibrary(changes));
    this.listing = new DeviceListing({ home, user });
    this.claims = new DeviceClaims({ home, user, listing: this.listing, claimed: (root) => this.emit('claimed', root) });
    this.placement = new Placement({ home, user, inputs: this.inputs, graphs: this.graphs, log: (line) => this.emit('log', line) });
    this.targets = new Targets({ home, user, listing: this.listing, graphs: this.graphs, changed: (what) => this.emit(what) });
    this.explainer = new Explain({ listing: this.listing, facts: () => this.inputs.currentFacts() });
  }

  get graph(): RuleGraph {
    return this.inputs.graph;
  }

  rules(): Rules {
    return this.inputs.rules();
  }

  rulesStamp(): string {
    return this.inputs.rulesStamp();
  }

  libraryKey(): string {
    return this.inputs.libraryKey();
  }

  commitBesideLibrary(changes: Array<{ op: 'A' | 'D'; quad: Quad }>): Promise<void> {
    return this.inputs.commitBesideLibrary(changes);
  }

  currentFacts(): Map<string, ContentFacts> {
    return this.inputs.currentFacts();
  }

  refreshCategories(opts: { prepare?: boolean } = {}): Promise<{ added: number; removed: number }> {
    return this.inputs.refreshCategories(opts);
  }

  list(): Promise<DeviceRow[]> {
    return this.listing.list();
  }

  find(idOrPath: string): Promise<DeviceRow> {
    return this.listing.find(idOrPath);
  }

  claim(idOrPath: string, opts: ClaimRequest = {}): Promise<DeviceRow> {
    return this.claims.claim(idOrPath, opts);
  }

  /** Plan a device and (unless dryRun) carry the plan out, fetching with this call's `fetcher`. One placement per device at a time. */
  async place(idOrPath: string, opts: PlaceOptions = {}): Promise<PlaceSummary> {
    return this.placement.place(await this.find(idOrPath), opts);
  }

  graphsSettled(): Promise<void> {
    return this.placement.graphsSettled();
  }

  loadGraph(dev: DeviceRow, profile?: DeviceProfile): Promise<void> {
    return this.placement.loadGraph(dev, profile);
  }

  explain(file: string): Promise<ExplainAnswer> {
    return this.explainer.explain(file);
  }

  addTarget(dir: string, name?: string, opts: { mirror?: boolean } = {}): Promise<DeviceRow> {
    return this.targets.addTarget(dir, name, opts);
  }

  removeTarget(name: string): Promise<boolean> {
    return this.targets.removeTarget(name);
  }

  addRoot(dir: string): Promise<string[]> {
    return this.targets.addRoot(dir);
  }

  removeRoot(dir: string): Promise<string[]> {
    return this.targets.removeRoot(dir);
  }
}
