import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { DigestingCounter } from './decompress.js';
import { StreamHash } from './off-thread-hash.js';

/** Chunks of odd sizes (some larger than the copy buffers), `total` bytes in all. */
function chunks(total: number): Buffer[] {
  const sizes = [300_001, 3 * 1024 * 1024 + 7, 1, 1024 * 1024, 65_536];
  const out: Buffer[] = [];
  for (let left = total, i = 0; left > 0; i++) {
    const size = Math.min(left, sizes[i % sizes.length]!);
    out.push(Buffer.alloc(size, `chunk ${i} `));
    left -= size;
  }
  return out;
}

const expected = (parts: Buffer[]) => {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(part);
  return `sha256:${hash.digest('hex')}`;
};

describe('StreamHash', () => {
  it('hashes a large stream of odd-sized chunks on the thread as sha256 does in place', async () => {
    // More than the copy buffers in flight allow, so the producer also waits for the thread.
    const parts = chunks(100 * 1024 * 1024 + 5);
    const hash = new StreamHash();
    for (const part of parts) {
      hash.update(part);
      await hash.room();
    }
    assert.equal(await hash.digest(), expected(parts));
  });

  it('keeps concurrent streams apart', async () => {
    const [a, b] = [chunks(9 * 1024 * 1024), chunks(6 * 1024 * 1024 + 3)];
    const counters = [new DigestingCounter(), new DigestingCounter()];
    const drain = async (counter: DigestingCounter, parts: Buffer[]) => {
      for await (const _ of counter.tap(
        (async function* () {
          yield* parts;
        })(),
      ));
      return counter.digest();
    };
    assert.deepEqual(await Promise.all([drain(counters[0]!, a), drain(counters[1]!, b)]), [
      expected(a),
      expected(b),
    ]);
    assert.equal(counters[1]!.size, 6 * 1024 * 1024 + 3);
  });
});
