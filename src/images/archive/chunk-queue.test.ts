import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ChunkQueue } from './chunk-queue.js';

const chunk = (n: number) => Buffer.from([n]);

describe('ChunkQueue', () => {
  it('passes chunks in order and makes the producer wait while full', async () => {
    const queue = new ChunkQueue(2);
    let pushed = 0;
    const producer = (async () => {
      for (let i = 0; i < 5; i++) {
        await queue.push(chunk(i));
        pushed++;
      }
      queue.end();
    })();
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(pushed, 1, 'the second push waits for room');
    const seen: number[] = [];
    for await (const c of queue) seen.push(c[0]!);
    await producer;
    assert.deepEqual(seen, [0, 1, 2, 3, 4]);
  });

  it('hands the failure to the consumer after the queued chunks', async () => {
    const queue = new ChunkQueue();
    await queue.push(chunk(1));
    queue.fail(new Error('broken'));
    const seen: number[] = [];
    await assert.rejects(async () => {
      for await (const c of queue) seen.push(c[0]!);
    }, /broken/);
    assert.deepEqual(seen, [1]);
  });

  it('never blocks the producer once the consumer is gone', async () => {
    const queue = new ChunkQueue(1);
    const consumer = (async () => {
      for await (const _ of queue) break;
    })();
    for (let i = 0; i < 10; i++) await queue.push(chunk(i));
    await consumer;
    assert.equal(queue.abandoned, true);
  });
});
