import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BLOCK_SIZE, decodeHeader, encodeHeader } from './format.js';

const fields = {
  name: 'usr/bin/tool',
  mode: 0o4755,
  uid: 1000,
  gid: 50,
  size: 12345,
  mtime: 1700000000,
  typeflag: '0',
  linkname: '',
  devmajor: 0,
  devminor: 0,
};

/** Rewrites a header's checksum field with `sum` as GNU tar writes it (six digits, NUL, space). */
function withChecksum(block: Buffer, sum: number): Buffer {
  block.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 8, 'latin1');
  return block;
}

function bytesSum(block: Buffer, signed: boolean): number {
  let sum = 0;
  for (let i = 0; i < BLOCK_SIZE; i++) {
    const byte = i >= 148 && i < 156 ? 0x20 : block[i]!;
    sum += signed && byte > 127 ? byte - 256 : byte;
  }
  return sum;
}

describe('decodeHeader', () => {
  it('reads the fields of a ustar header', () => {
    assert.deepEqual(decodeHeader(encodeHeader(fields)), fields);
  });

  it('accepts a header at any byte offset of its chunk', () => {
    const chunk = Buffer.concat([Buffer.alloc(3), encodeHeader(fields)]);
    assert.deepEqual(decodeHeader(chunk.subarray(3)), fields);
  });

  it('accepts the signed checksum old writers computed, and refuses a wrong one', () => {
    // A name with bytes above 127 makes the signed and unsigned sums differ.
    const block = encodeHeader({ ...fields, name: 'usr/bin/tööl' });
    assert.equal(decodeHeader(withChecksum(block, bytesSum(block, true))).name, 'usr/bin/tööl');
    assert.equal(decodeHeader(withChecksum(block, bytesSum(block, false))).name, 'usr/bin/tööl');
    assert.throws(() => decodeHeader(withChecksum(block, bytesSum(block, false) + 1)), /checksum/);
  });

  it('reads octal fields padded with spaces or NULs, and GNU base-256 numbers', () => {
    const block = encodeHeader(fields);
    block.write('  1750 \0', 108, 8, 'latin1'); // uid 1000, space-padded
    block.write('\x00\x00\x00\x0062\x00', 116, 8, 'latin1'); // gid 50, NUL-padded
    // size 2^40 in base-256: high bit set, big-endian value in the remaining bytes.
    Buffer.from([0x80, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0]).copy(block, 124);
    const header = decodeHeader(withChecksum(block, bytesSum(block, false)));
    assert.equal(header.uid, 1000);
    assert.equal(header.gid, 50);
    assert.equal(header.size, 2 ** 40);
  });
});
