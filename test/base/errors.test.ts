// base/errors: the error base and its exit-code kind.
import { expect, it } from 'vitest';
import { exitCodeOf, FailureError, InputError, toWire } from '../../src/base/errors.js';
import { UsageError } from '../../src/cli/output.js';
import { StoreLockedError, ImportError } from '../../src/graph/errors.js';

class OddInput extends InputError {}
class OddFailure extends FailureError {}

it('names each error after its class and maps input to exit 2, failure to 1', () => {
  const a = new OddInput('bad flag');
  expect(a.name).toBe('OddInput');
  expect(exitCodeOf(a)).toBe(2);
  expect(exitCodeOf(new OddFailure('disk gone'))).toBe(1);
  expect(exitCodeOf(new Error('plain'))).toBe(1);
  expect(exitCodeOf('a string')).toBe(1);
});

it('keeps the kind of the real error classes, including a subclass that overrides it', () => {
  expect(exitCodeOf(new UsageError('x'))).toBe(2);
  expect(exitCodeOf(new StoreLockedError('/x', 1))).toBe(1);
  const imp = new ImportError('bad line', '/tmp/f.ttl', 0, 3);
  expect(imp.name).toBe('ImportError');
  expect(exitCodeOf(imp)).toBe(2);
});

it('carries name, message and kind over the control socket', () => {
  expect(toWire(new OddInput('no such share'))).toEqual({ name: 'OddInput', message: 'no such share', kind: 'input' });
  expect(toWire(new Error('boom'))).toEqual({ name: 'Error', message: 'boom', kind: 'failure' });
  expect(exitCodeOf({ kind: 'input' })).toBe(2);
});
