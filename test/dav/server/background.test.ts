// When the DAV server's background pass runs: once after start, once per burst of commits (250 ms after by default,
// so a phone syncing right after a change finds its listings made), and less often while slow passes keep coming.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { BackgroundPass } from '../../../src/dav/server/background.js';

/** Commit events as the store gives them. */
function commits() {
  const fns = new Set<() => void>();
  return {
    events: { on: (_e: 'commit', fn: () => void) => (fns.add(fn), () => fns.delete(fn)) },
    commit: () => fns.forEach((f) => f()),
    get listeners() {
      return fns.size;
    },
  };
}

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
});
afterEach(() => {
  vi.useRealTimers();
});

describe('the background pass', () => {
  it('runs after start and once per burst of commits', async () => {
    const c = commits();
    let runs = 0;
    const bg = new BackgroundPass(async () => void runs++, { startMs: 1000, afterCommitMs: 250, events: c.events });
    await vi.advanceTimersByTimeAsync(999);
    expect(runs).toBe(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(runs).toBe(1);
    c.commit();
    await vi.advanceTimersByTimeAsync(100);
    c.commit();
    c.commit();
    await vi.advanceTimersByTimeAsync(149);
    expect(runs).toBe(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(runs).toBe(2);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(runs).toBe(2);
    bg.close();
    expect(c.listeners).toBe(0);
    c.commit();
    await vi.advanceTimersByTimeAsync(10_000);
    expect(runs).toBe(2);
  });

  it('after a slow pass the next one waits four times as long (at most 5 s), and a failing pass is logged', async () => {
    const c = commits();
    const logged: string[] = [];
    let runs = 0;
    let ms = 1000;
    const bg = new BackgroundPass(
      async () => {
        runs++;
        await new Promise((r) => setTimeout(r, ms));
        if (runs === 3) throw new Error('store closed');
      },
      { startMs: 0, afterCommitMs: 250, events: c.events, log: (m, f) => logged.push(`${m}: ${String(f?.err)}`) },
    );
    await vi.advanceTimersByTimeAsync(1000); // the first pass runs and takes 1 s
    expect(runs).toBe(1);
    ms = 10;
    c.commit();
    await vi.advanceTimersByTimeAsync(3999);
    expect(runs).toBe(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(runs).toBe(2);
    await vi.advanceTimersByTimeAsync(10); // that one took 10 ms: back to 250 ms after a commit
    c.commit();
    await vi.advanceTimersByTimeAsync(250);
    expect(runs).toBe(3);
    await vi.advanceTimersByTimeAsync(10);
    expect(logged).toEqual(['dav: background listing failed: store closed']);
    ms = 60_000;
    c.commit();
    await vi.advanceTimersByTimeAsync(250 + 60_000); // a pass of a minute
    c.commit();
    await vi.advanceTimersByTimeAsync(4999);
    expect(runs).toBe(4);
    await vi.advanceTimersByTimeAsync(1);
    expect(runs).toBe(5);
    bg.close();
  });

  it('never runs when told not to (negative start), not even after commits', async () => {
    const c = commits();
    let runs = 0;
    new BackgroundPass(async () => void runs++, { startMs: -1, afterCommitMs: 250, events: c.events });
    c.commit();
    await vi.advanceTimersByTimeAsync(10_000);
    expect([runs, c.listeners]).toEqual([0, 0]);
  });
});
