#!/usr/bin/env node
// The semsync command: runs the compiled CLI (npm install builds it; see README).
import { existsSync } from 'node:fs';
const entry = new URL('../dist/src/cli/main.js', import.meta.url);
if (!existsSync(entry)) {
  console.error('semsync: not built yet; run `npm install` (or `npm run build`) in the semsync folder first');
  process.exit(1);
}
await import(entry.href);
