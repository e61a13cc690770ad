import os from 'node:os';
import path from 'node:path';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    maxWorkers: 2,
    // What semsync removes from host targets goes to the XDG trash: tests (and the CLIs they spawn) use their own.
    env: { XDG_DATA_HOME: path.join(os.tmpdir(), `semsync-test-xdg-${process.pid}`) },
  },
});
