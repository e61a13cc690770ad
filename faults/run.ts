// `npm run faults [-- --quick] [--trials N] [--seed S] [--phase NAME] [--json FILE]`: SIGKILL real semsync processes, restart, verify;
// damage a store and check it is reported, never served, and repaired (damage phase); non-zero exit on any failure.
import { existsSync, promises as fsp } from 'node:fs';
import { allPhases, type Phase } from './phases.js';
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { builtCli, children, freezeBuild, frozenDir, kills, mounts, rng } from './lib.js';

interface Figures { phase: string; trials: number; killed: number; failures: number; messages: string[]; seconds: number }

function args(argv: string[]) {
  const get = (name: string) => { const i = argv.indexOf(name); return i >= 0 ? argv[i + 1] : undefined; };
  const quick = argv.includes('--quick');
  return {
    quick,
    trials: Number(get('--trials') ?? (quick ? 2 : 20)),
    seed: Number(get('--seed') ?? Date.now() % 1_000_000),
    phases: (get('--phase') ?? '').split(',').filter(Boolean),
    json: get('--json'),
  };
}

async function runPhase(p: Phase, trials: number, seed: number): Promise<Figures> {
  const t0 = Date.now();
  const f: Figures = { phase: p.name, trials: 0, killed: 0, failures: 0, messages: [], seconds: 0 };
  try {
    await p.setup();
    // at least `trials` trials, and more (up to twice as many) until `trials` kills have hit a running process
    const want = Math.max(trials, p.minTrials ?? 0);
    for (let i = 0; f.trials < want || (p.kills !== false && f.killed < want && f.trials < 2 * want); i++) {
      const trialSeed = seed + i;
      let msg: string | undefined;
      const before = kills.n;
      try {
        msg = await p.trial(i, rng(trialSeed));
      } catch (e) {
        msg = `trial threw: ${(e as Error).stack ?? e}`;
      }
      f.trials++;
      f.killed += kills.n - before;
      if (msg) {
        f.failures++;
        f.messages.push(`trial ${i} (seed ${trialSeed}): ${msg}`);
        console.log(`  ${p.name} #${i} FAILED: ${msg}`);
      } else console.log(`  ${p.name} #${i} ok`);
    }
  } catch (e) {
    f.failures++;
    f.messages.push(`setup failed: ${(e as Error).stack ?? e}`);
    console.log(`  ${p.name} setup FAILED: ${(e as Error).message}`);
  } finally {
    await p.teardown().catch((e: Error) => console.log(`  ${p.name} teardown: ${e.message}`));
  }
  f.seconds = Math.round((Date.now() - t0) / 1000);
  return f;
}

async function main(): Promise<number> {
  const o = args(process.argv.slice(2));
  if (!existsSync(builtCli)) {
    console.error(`faults: ${builtCli} is missing; build first (npx tsc -p .)`);
    return 2;
  }
  const thaw = await freezeBuild();
  try {
    return await runAll(o);
  } finally {
    await thaw();
  }
}

async function runAll(o: ReturnType<typeof args>): Promise<number> {
  console.log(`faults: ${o.trials} SIGKILL trial(s) per phase, seed ${o.seed} (replay with --seed ${o.seed})`);
  const figures: Figures[] = [];
  for (const p of allPhases()) {
    if (o.phases.length && !o.phases.includes(p.name)) continue;
    console.log(`phase ${p.name}`);
    figures.push(await runPhase(p, o.trials, o.seed));
  }
  console.log('\nphase    trials  killed  failures  seconds');
  for (const f of figures) console.log(`${f.phase.padEnd(8)} ${String(f.trials).padStart(6)}  ${String(f.killed).padStart(6)}  ${String(f.failures).padStart(8)}  ${String(f.seconds).padStart(7)}`);
  const failures = figures.reduce((n, f) => n + f.failures, 0);
  console.log(`total: ${figures.reduce((n, f) => n + f.trials, 0)} trials, ${failures} failures`);
  for (const f of figures) for (const m of f.messages) console.log(`FAIL ${f.phase}: ${m}`);
  if (o.json) await fsp.writeFile(o.json, JSON.stringify({ seed: o.seed, figures }, null, 2));
  return failures > 0 ? 1 : 0;
}

/** On any way out: kill the children this runner started, unmount its mounts, drop its copy of dist/. */
const cleanup = () => {
  for (const c of children) c.kill('SIGKILL');
  for (const m of mounts) spawnSync('umount', ['-l', m]);
  if (frozenDir) rmSync(frozenDir, { recursive: true, force: true });
};
process.on('SIGTERM', () => { cleanup(); process.exit(143); });
process.on('SIGINT', () => { cleanup(); process.exit(130); });
main().then(
  (code) => { cleanup(); process.exit(code); },
  (e: Error) => { console.error(e.stack); cleanup(); process.exit(1); },
);
