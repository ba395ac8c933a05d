import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decompressed } from './decompress.js';

describe('decompressed', () => {
  it('tells the source when its reader stops early, even before the first chunk is passed on', async () => {
    let returned = false;
    async function* source(): AsyncGenerator<Buffer> {
      try {
        yield Buffer.from('plain tar bytes, not compressed');
        yield Buffer.from('more');
      } finally {
        returned = true;
      }
    }
    for await (const _ of decompressed(source())) break;
    assert.equal(returned, true);
  });
});
