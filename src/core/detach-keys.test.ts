import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DetachScanner, parseDetachKeys } from './detach-keys.js';

describe('detach keys', () => {
  it('parses docker specs', () => {
    assert.deepEqual([...parseDetachKeys('ctrl-p,ctrl-q')], [16, 17]);
    assert.deepEqual([...parseDetachKeys('a,ctrl-@,ctrl-_,DEL')], [97, 0, 31, 127]);
    assert.throws(() => parseDetachKeys('ctrl-pp'), /Unknown character: 'ctrl-pp'/);
  });

  it('passes input through and swallows the sequence', () => {
    const s = new DetachScanner(parseDetachKeys('ctrl-p,ctrl-q'));
    assert.deepEqual(s.push(Buffer.from('ab')), { pass: Buffer.from('ab'), detached: false });
    assert.deepEqual(s.push(Buffer.from('c\x10')), { pass: Buffer.from('c'), detached: false });
    assert.deepEqual(s.push(Buffer.from('\x11zz')), { pass: Buffer.alloc(0), detached: true });
  });

  it('releases held bytes when the sequence breaks', () => {
    const s = new DetachScanner(parseDetachKeys('ctrl-p,ctrl-q'));
    assert.deepEqual(s.push(Buffer.from('\x10x')), { pass: Buffer.from('\x10x'), detached: false });
    assert.deepEqual(s.push(Buffer.from('\x10\x10\x11')), { pass: Buffer.from('\x10'), detached: true });
  });
});
