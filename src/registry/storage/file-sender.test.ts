import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { closeSync, openSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { ReadBufferPool, sendFileRange } from './file-sender.js';

describe('sendFileRange', () => {
  let dir: string;
  let fd: number;
  // Two and a half large buffers: ranges cross buffer boundaries.
  const data = randomBytes((5 << 20) / 2 + 7);
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'berth-file-sender-'));
    await writeFile(join(dir, 'blob'), data);
    fd = openSync(join(dir, 'blob'), 'r');
  });
  after(async () => {
    closeSync(fd);
    await rm(dir, { recursive: true, force: true });
  });

  const collect = async (start: number, end: number, pool = new ReadBufferPool(4 << 20)) => {
    const chunks: Buffer[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        // Copy: the sender reuses its buffers once a write has completed.
        chunks.push(Buffer.from(chunk));
        setImmediate(done);
      },
    });
    await sendFileRange(fd, start, end, sink, pool);
    return Buffer.concat(chunks);
  };

  it('sends the whole file and any range of it, byte for byte', async () => {
    assert.ok((await collect(0, data.length - 1)).equals(data));
    assert.ok(
      (await collect((1 << 20) - 3, (2 << 20) + 5)).equals(data.subarray((1 << 20) - 3, (2 << 20) + 6)),
    );
    assert.ok((await collect(data.length - 1, data.length - 1)).equals(data.subarray(data.length - 1)));
  });

  it('sends correctly with only small buffers left in the pool', async () => {
    assert.ok((await collect(5, data.length - 1, new ReadBufferPool(0))).equals(data.subarray(5)));
  });

  it('fails when the destination goes away instead of waiting forever', async () => {
    const sink = new PassThrough({ highWaterMark: 1 });
    sink.on('data', () => sink.destroy());
    await assert.rejects(sendFileRange(fd, 0, data.length - 1, sink));
  });

  it('fails when the file is shorter than the range', async () => {
    await assert.rejects(collect(0, data.length + 10), /ended at/);
  });
});

describe('ReadBufferPool', () => {
  it('hands out large buffers within its budget, small ones beyond it, and reuses returned ones', () => {
    const pool = new ReadBufferPool(2 << 20);
    const [a, b, c] = [pool.acquire(), pool.acquire(), pool.acquire()];
    assert.deepEqual([a.byteLength, b.byteLength, c.byteLength], [1 << 20, 1 << 20, 128 << 10]);
    pool.release(a);
    assert.equal(pool.acquire(), a);
    pool.release(b, false);
    assert.equal(pool.retainedBytes(), 0);
  });

  it('lets its buffers go after a quiet while', async () => {
    const pool = new ReadBufferPool(2 << 20, 20);
    pool.release(pool.acquire());
    assert.equal(pool.retainedBytes(), 1 << 20);
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.equal(pool.retainedBytes(), 0);
  });
});
