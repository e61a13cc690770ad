// Progress on long work: a bar on a terminal (stderr), nothing otherwise (the summary line always follows).
import cliProgress from 'cli-progress';

export interface Progress {
  update(value: number, total: number, label?: string): void;
  stop(): void;
}

export function progress(title: string, enabled = process.stderr.isTTY === true): Progress {
  if (!enabled) return { update() {}, stop() {} };
  const bar = new cliProgress.SingleBar(
    {
      stream: process.stderr,
      format: `${title} [{bar}] {value}/{total} {label}`,
      hideCursor: true,
      clearOnComplete: true,
      etaBuffer: 50,
    },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  return {
    update(value, total, label = '') {
      if (!started) {
        bar.start(Math.max(total, 1), value, { label });
        started = true;
      }
      bar.setTotal(Math.max(total, 1));
      bar.update(value, { label });
    },
    stop() {
      if (started) bar.stop();
    },
  };
}
