// base/events: the typed emitter.
import { expect, it } from 'vitest';
import { Emitter } from '../../src/base/events.js';

it('delivers payloads to listeners until they stop listening', () => {
  const e = new Emitter<{ commit: number }>();
  const got: number[] = [];
  const off = e.on('commit', (n) => got.push(n));
  e.emit('commit', 1);
  off();
  e.emit('commit', 2);
  expect(got).toEqual([1]);
  expect(e.listenerCount('commit')).toBe(0);
});

it('a throwing listener is reported and does not stop the others', () => {
  const errors: string[] = [];
  const e = new Emitter<{ x: string }>((err, ev) => errors.push(`${ev}: ${(err as Error).message}`));
  const got: string[] = [];
  e.on('x', () => {
    throw new Error('listener broke');
  });
  e.on('x', (s) => got.push(s));
  e.emit('x', 'hello');
  expect(got).toEqual(['hello']);
  expect(errors).toEqual(['x: listener broke']);
});
