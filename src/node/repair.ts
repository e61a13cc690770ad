// `semsync repair` below the command: takes the home (no node may run on it), then repairs its store (graph/repair.ts).
import { existsSync } from 'node:fs';
import { readConfig } from '../app/index.js';
import { lockHome } from './home.js';
import { homePaths } from './node.js';
import { repairStore, type RepairReport } from '../graph/index.js';
import { StoreError } from '../graph/index.js';

export type { RepairReport } from '../graph/index.js';
export { describeRepair } from '../graph/index.js';

/** Repairs the store of the home at `home`; damaged bytes go to `HOME/damaged`. */
export async function repairHome(home: string): Promise<RepairReport> {
  const paths = homePaths(home);
  if (!existsSync(paths.config)) throw new StoreError(`${home} is not a semsync home (no config.json): nothing to repair.`);
  const lock = await lockHome(home);
  try {
    const config = await readConfig(paths.config);
    if (!config) throw new StoreError(`${paths.config} is unreadable: repair needs the node's id from it.`);
    return await repairStore({ dir: paths.store, nodeId: config.nodeId, damagedDir: paths.damaged });
  } finally {
    lock.release();
  }
}
