// Serial: jobs run one at a time in the order given, and a failing job does not stop the next.
import { expect, it } from 'vitest';
import { Serial } from '../../src/base/serial.js';

it('runs jobs one at a time, in order, past a failure', async () => {
  const serial = new Serial();
  const log: string[] = [];
  let running = 0;
  const job = (name: string, fail = false) => async () => {
    running++;
    expect(running).toBe(1);
    log.push(`start ${name}`);
    await new Promise((r) => setTimeout(r, 5));
    log.push(`end ${name}`);
    running--;
    if (fail) throw new Error(name);
    return name;
  };
  const results = await Promise.allSettled([serial.run(job('a')), serial.run(job('b', true)), serial.run(job('c'))]);
  expect(results.map((r) => (r.status === 'fulfilled' ? r.value : (r.reason as Error).message))).toEqual(['a', 'b', 'c']);
  expect(log).toEqual(['start a', 'end a', 'start b', 'end b', 'start c', 'end c']);
});
