import { read as readCallback } from 'node:fs';
import type { Writable } from 'node:stream';
import { promisify } from 'node:util';

const readAt = promisify(readCallback);

/** Buffer sizes, largest first: big reads are fastest, small ones keep many clients cheap. */
const LARGE = 1 << 20;
const SMALL = 128 << 10;

/**
 * Reusable read buffers with a byte budget. Node has no sendfile(2); what it
 * can do cheaply is read into the same memory again and again. A fresh buffer
 * per read costs page faults and garbage (that halved single-stream
 * throughput), and unbounded large buffers cost resident memory with many
 * clients. So the first few streams get large buffers and the rest small ones.
 * Returned buffers are kept for the next stream, up to the budget, and let go
 * after a while without downloads.
 */
export class ReadBufferPool {
  private readonly free = new Map<number, Buffer[]>([
    [LARGE, []],
    [SMALL, []],
  ]);
  private largeInUse = 0;
  private idle: NodeJS.Timeout | undefined;

  constructor(
    private readonly largeBudget: number,
    private readonly keepIdleMs = 10_000,
  ) {}

  /** A buffer for one stream's next read; large while the budget allows. */
  acquire(): Buffer {
    const size = (this.largeInUse + 1) * LARGE <= this.largeBudget ? LARGE : SMALL;
    if (size === LARGE) this.largeInUse++;
    return this.free.get(size)?.pop() ?? Buffer.allocUnsafeSlow(size);
  }

  /**
   * Gives `buffer` back; the pool keeps at most a budget's worth of each size.
   * A buffer that may still be in use elsewhere is only counted off (`reusable` false).
   */
  release(buffer: Buffer, reusable = true): void {
    if (buffer.byteLength === LARGE) this.largeInUse--;
    if (!reusable) return;
    const list = this.free.get(buffer.byteLength);
    if (list && (list.length + 1) * buffer.byteLength <= this.largeBudget) list.push(buffer);
    this.idle ??= setTimeout(() => this.dropIdle(), this.keepIdleMs).unref();
    this.idle.refresh();
  }

  /** Bytes held for reuse (not lent out). */
  retainedBytes(): number {
    let total = 0;
    for (const [size, list] of this.free) total += size * list.length;
    return total;
  }

  private dropIdle(): void {
    this.idle = undefined;
    for (const list of this.free.values()) list.length = 0;
  }
}

/** Shared by every blob download of the process: 8 MiB of large buffers at most. */
export const blobReadBuffers = new ReadBufferPool(8 * LARGE);

/**
 * Writes bytes `start`..`end` (inclusive) of the open file `fd` to
 * `destination`, with two buffers: the next read runs while the last write
 * drains. A buffer is read into again only after its write completed, so the
 * kernel never sees it change. Does not end `destination` or close `fd`.
 */
export async function sendFileRange(
  fd: number,
  start: number,
  end: number,
  destination: Writable,
  pool: ReadBufferPool = blobReadBuffers,
): Promise<void> {
  const buffers = [pool.acquire(), pool.acquire()];
  let writing: Promise<void> = Promise.resolve();
  let position = start;
  try {
    for (let turn = 0; position <= end; turn++) {
      const buffer = buffers[turn % 2] as Buffer;
      const want = Math.min(buffer.byteLength, end - position + 1);
      const { bytesRead } = await readAt(fd, buffer, 0, want, position);
      if (bytesRead === 0) throw new Error(`blob file ended at ${position}, before byte ${end}`);
      position += bytesRead;
      await writing;
      writing = writeChunk(
        destination,
        bytesRead === buffer.byteLength ? buffer : buffer.subarray(0, bytesRead),
      );
      // It may fail while the next read runs; the next await reports it.
      writing.catch(() => {});
    }
    await writing;
  } finally {
    // A failed write may still be queued in the socket: the buffers must not be reused then.
    const settled = await writing.then(
      () => true,
      () => false,
    );
    for (const buffer of buffers) pool.release(buffer, settled);
  }
}

// An HTTP response drops writes silently once its socket is gone, so its close ends the wait too.
function writeChunk(destination: Writable, chunk: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    const gone = () => reject(new Error('the client went away'));
    if (destination.destroyed) {
      gone();
      return;
    }
    destination.once('close', gone);
    destination.write(chunk, (err) => {
      destination.off('close', gone);
      if (err) reject(err);
      else resolve();
    });
  });
}
