// With nothing to place, a library still taking in commits lets categories wait (bounded); placing never waits.
import { expect, it } from 'vitest';
import { settleFirst } from '../../src/node/device-watch.js';

const base = { idle: true, rulesChanged: false, moving: true, waitedMs: 1000, settleMs: 5000 };

it('waits only while idle, the rules unchanged, commits still arriving and the wait under its bound', () => {
  expect(settleFirst(base)).toBe(true);
  expect(settleFirst({ ...base, idle: false })).toBe(false); // a host target or device attached: refresh now
  expect(settleFirst({ ...base, rulesChanged: true })).toBe(false); // a new rules file: refresh now
  expect(settleFirst({ ...base, moving: false })).toBe(false); // the library settled since the last check
  expect(settleFirst({ ...base, waitedMs: 5000 })).toBe(false); // waited long enough: categories catch up
});
