// `npm run bench`: every benchmark, printed as ratios against the anchors the issues name, measured in the same run.
// Usage: npm run bench [-- --only scan,query] [--files N]
//        npm run bench -- --scale [--sizes 1000,10000,100000,1000000]   (curves: docs/scale.csv, docs/scale.svg)
//        npm run bench -- --scale --replot   (docs/scale.svg again from docs/scale.csv)
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
    ['history', './history.js', 'benchHistory'],
    ['syncthing', './syncthing.js', 'benchSyncthing'],
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
  if (args.includes('--scale')) {
    if (args.includes('--replot')) return void (await (await import('./scale.js')).replotScale());
    const at = args.indexOf('--sizes');
    const sizes = at >= 0 ? args[at + 1].split(',').map(Number) : [1_000, 10_000, 100_000, 1_000_000];
    await (await import('./scale.js')).benchScale(sizes);
    printTable();
    return;
  }
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
