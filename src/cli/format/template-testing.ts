/** Helpers shared by the template tests. */
import assert from 'node:assert/strict';
import { BerthError, ErrorKind } from '../../core/errors.js';
import { parseTemplate } from './template.js';

export function render(text: string, data: unknown = {}): string {
  return parseTemplate(text).execute(data);
}

/** Asserts that running fn throws an InvalidArgument BerthError with exactly this message. */
export function assertInvalid(fn: () => unknown, message: string): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof BerthError, `expected a BerthError, got ${String(err)}`);
    assert.equal(err.kind, ErrorKind.InvalidArgument);
    assert.equal(err.message, message);
    return true;
  });
}

export function assertRenderError(text: string, data: unknown, message: string): void {
  assertInvalid(() => render(text, data), message);
}
