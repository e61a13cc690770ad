// `npm run bench`: every benchmark, printed as ratios against the anchors the issues name, measured in the same run.
// Usage: npm run bench [-- --only scan,query] [--files N]
import { mkdir } from 'node:fs/promises';
import { dataDir, printTable } from './lib.js';

type Bench = () => Promise<void>;

async function load(): Promise<Record<string, Bench>> {
  const benches: Record<string, Bench> = {
    scan: async () => (await import('./scan.js')).benchScan(),
    query: async () => (await import('./query.js')).benchQuery(),
  };
  // Benchmarks of other areas join here when their module exists.
  const optional: Array<[string, string, string]> = [
    ['peers', './peers.js', 'benchPeers'],
    ['devices', './devices.js', 'benchDevices'],
    ['catalog', './catalog-graph.js', 'benchCatalogGraph'],
    ['http', './http.js', 'benchHttp'],
    ['pim', './pim.js', 'benchPim'],
    ['dav-server', './dav-server.js', 'benchDavServer'],
  ];
  for (const [name, file, fn] of optional) {
    benches[name] = async () => {
      const mod = (await import(file).catch(() => undefined)) as Record<string, Bench> | undefined;
      if (!mod?.[fn]) {
        console.log(`${name}: no benchmark yet`);
        return;
      }
      await mod[fn]();
    };
  }
  return benches;
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const onlyAt = args.indexOf('--only');
  const only = onlyAt >= 0 ? args[onlyAt + 1].split(',') : undefined;
  await mkdir(dataDir, { recursive: true });
  const benches = await load();
  for (const [name, bench] of Object.entries(benches)) {
    if (only && !only.includes(name)) continue;
    console.log(`\n== ${name}`);
    try {
      await bench();
    } catch (err) {
      console.log(`${name}: FAILED: ${(err as Error).stack ?? err}`);
      process.exitCode = 1;
    }
  }
  printTable();
}

await main();
// Libraries a benchmark loaded (libp2p, HTTP servers, workers) may keep handles open: the run is over.
process.exit(process.exitCode ?? 0);
