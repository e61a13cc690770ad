// A node home for app services without a node: a bare store, a config kept in memory, a claims file in a temp folder.
import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { GraphStore } from '../../src/graph/store.js';
import { defaultConfig, type NodeConfig } from '../../src/app/config.js';
import type { NodeHome } from '../../src/app/home.js';

export interface TestHome extends NodeHome {
  base: string;
  saved: NodeConfig[];
  close(): Promise<void>;
}

export async function testHome(nodeId = 'node-a'): Promise<TestHome> {
  const base = await fsp.mkdtemp(path.join(os.tmpdir(), 'semsync-app-'));
  const store = await GraphStore.open({ dir: path.join(base, 'home', 'store'), nodeId });
  let config = defaultConfig(nodeId);
  const saved: NodeConfig[] = [];
  return {
    base, saved, nodeId, store,
    paths: { home: path.join(base, 'home'), claims: path.join(base, 'home', 'devices.json') },
    get config() {
      return config;
    },
    async saveConfig(next) {
      config = next;
      saved.push(next);
    },
    async close() {
      await store.close();
      await fsp.rm(base, { recursive: true, force: true });
    },
  };
}
