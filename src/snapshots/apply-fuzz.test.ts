import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { BerthError } from '../core/errors.js';
import { assertProperty } from '../testing/fuzz.js';
import { applyLayer } from './apply.js';
import { buildTar, type EntrySpec } from './tar/build.js';

// Mutated and hostile layer tars through the tar reader and applyLayer: each either
// applies inside its root or fails with a BerthError that says why; nothing lands beside it.

const segment = fc.constantFrom(
  'a',
  'b',
  '..',
  '.',
  '',
  'etc',
  'bin',
  '.wh.a',
  '.wh..wh..opq',
  'é',
  '\u202e',
  'x'.repeat(120),
);
const path = fc.array(segment, { minLength: 1, maxLength: 5 }).map((parts) => parts.join('/'));
const entry: fc.Arbitrary<EntrySpec> = fc.record({
  name: fc.oneof(
    path,
    path.map((p) => `/${p}`),
    path.map((p) => `${p}/`),
  ),
  type: fc.constantFrom('file', 'directory', 'symlink', 'link', 'fifo') as fc.Arbitrary<EntrySpec['type']>,
  linkname: fc.oneof(
    path,
    path.map((p) => `/${p}`),
    fc.constant('../../../../sibling'),
  ),
  mode: fc.integer({ min: 0, max: 0o7777 }),
  body: fc.string({ maxLength: 64 }),
});

/** A tar with bytes overwritten, cut short or extended. */
const mutated = (tar: Buffer) =>
  fc
    .record({
      flips: fc.array(fc.record({ at: fc.nat({ max: tar.length - 1 }), byte: fc.nat({ max: 255 }) }), {
        maxLength: 12,
      }),
      cut: fc.option(fc.nat({ max: tar.length }), { nil: undefined }),
      tail: fc.uint8Array({ maxLength: 1100 }),
    })
    .map(({ flips, cut, tail }) => {
      const copy = Buffer.from(tar);
      for (const { at, byte } of flips) copy[at] = byte;
      return Buffer.concat([copy.subarray(0, cut ?? copy.length), tail]);
    });

describe('applyLayer under fuzzed input', () => {
  let scratch: string;
  let sibling: string;
  let count = 0;
  before(async () => {
    scratch = await mkdtemp(join(tmpdir(), 'berth-apply-fuzz-'));
    sibling = join(scratch, 'sibling');
    await mkdir(sibling);
  });
  after(async () => {
    await rm(scratch, { recursive: true, force: true });
  });

  /** Applies `tar` into a fresh root; returns the error, if any. */
  const applyOnce = async (tar: Buffer) => {
    const root = join(scratch, `root-${count++}`, 'layer');
    await mkdir(root, { recursive: true });
    const result = await applyLayer(root, Readable.from([tar])).then(
      () => undefined,
      (err: unknown) => err,
    );
    // Nothing may appear beside the root: not in its parent, not in the sibling directory.
    assert.deepEqual(await readdir(join(root, '..')), ['layer']);
    assert.deepEqual(await readdir(sibling), []);
    await rm(join(root, '..'), { recursive: true, force: true });
    return result;
  };
  const assertClearError = (err: unknown) => {
    if (err === undefined) return;
    assert.ok(err instanceof BerthError, `not a BerthError: ${(err as Error)?.stack ?? String(err)}`);
    assert.ok(err.message.length > 0);
  };

  it('hostile entry lists stay inside the root or fail clearly', async () => {
    await assertProperty(
      fc.asyncProperty(fc.array(entry, { minLength: 1, maxLength: 8 }), async (entries) => {
        assertClearError(await applyOnce(buildTar(entries)));
      }),
      200,
    );
  });

  it('byte-mutated, truncated and extended tars stay inside the root or fail clearly', async () => {
    const base = buildTar([
      { name: 'dir/' },
      { name: 'dir/file', body: 'hello' },
      { name: 'dir/link', type: 'symlink', linkname: 'file' },
      { name: 'dir/hard', type: 'link', linkname: 'dir/file' },
      { name: 'dir/.wh.gone' },
      { name: `long/${'n'.repeat(150)}`, body: 'long name' },
    ]);
    await assertProperty(
      fc.asyncProperty(mutated(base), async (tar) => {
        assertClearError(await applyOnce(tar));
      }),
      200,
    );
  });
});
