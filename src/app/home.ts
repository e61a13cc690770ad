// What an app service needs of the open node home: its id, its store, its paths and its settings (SemsyncNode is one).
import type { GraphStore } from '../graph/index.js';
import type { NodeConfig } from './config.js';

export interface NodeHome {
  readonly nodeId: string;
  readonly store: GraphStore;
  readonly paths: { readonly home: string; readonly claims: string };
  /** The settings as they are now (the node replaces the object at every edit). */
  readonly config: NodeConfig;
  /** Replaces the settings and writes HOME/config.json atomically. */
  saveConfig(next: NodeConfig): Promise<void>;
}
