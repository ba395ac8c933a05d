import { invalidArgument } from '../../core/errors.js';

/**
 * Pull-based reader over an async iterable of chunks. Reading pulls only as
 * many chunks as needed, so a slow consumer slows the producer (backpressure).
 */
export class ByteSource {
  private readonly iterator: AsyncIterator<Buffer>;
  private chunks: Buffer[] = [];
  /** Bytes of `chunks[0]` already consumed (cheaper than slicing it after each read). */
  private offset = 0;
  private available = 0;
  private ended = false;

  constructor(source: AsyncIterable<Buffer>) {
    this.iterator = source[Symbol.asyncIterator]();
  }

  /** Pulls chunks until `n` bytes are buffered; false if the input ends first. */
  async fill(n: number): Promise<boolean> {
    while (this.available < n && !this.ended) {
      const next = await this.iterator.next();
      if (next.done) this.ended = true;
      else if (next.value.length > 0) {
        this.chunks.push(next.value);
        this.available += next.value.length;
      }
    }
    return this.available >= n;
  }

  /** Exactly `n` bytes; a short input is a truncated archive. */
  async read(n: number): Promise<Buffer> {
    if (!(await this.fill(n))) throw invalidArgument('unexpected end of tar stream');
    return this.take(n);
  }

  /**
   * Exactly `n` bytes if they are buffered already, else undefined (then
   * {@link read}). A layer's headers mostly sit in one input chunk: taking
   * them without a promise each keeps small entries cheap.
   */
  readBuffered(n: number): Buffer | undefined {
    return this.available >= n ? this.take(n) : undefined;
  }

  /** Yields the next `n` bytes as they arrive, without copying. */
  async *stream(n: number): AsyncGenerator<Buffer> {
    let left = n;
    while (left > 0) {
      if (!(await this.fill(1))) throw invalidArgument('unexpected end of tar stream');
      const head = this.chunks[0]!;
      const part = head.subarray(this.offset, this.offset + Math.min(head.length - this.offset, left));
      this.consume(part.length);
      left -= part.length;
      yield part;
    }
  }

  /** Discards the next `n` bytes; waits only if they are not buffered yet. */
  async skip(n: number): Promise<void> {
    let left = n;
    while (left > 0) {
      if (this.available === 0 && !(await this.fill(1))) {
        throw invalidArgument('unexpected end of tar stream');
      }
      const part = Math.min(this.chunks[0]!.length - this.offset, left);
      this.consume(part);
      left -= part;
    }
  }

  /** Reads and discards everything left, so observers of the input see all of it. */
  async drain(): Promise<void> {
    this.chunks = [];
    this.offset = 0;
    this.available = 0;
    while (!this.ended) {
      const next = await this.iterator.next();
      if (next.done) this.ended = true;
    }
  }

  /** Stops the underlying iterator early (on error). */
  async close(): Promise<void> {
    if (!this.ended) {
      this.ended = true;
      await this.iterator.return?.();
    }
  }

  private take(n: number): Buffer {
    if (n === 0) return Buffer.alloc(0);
    const head = this.chunks[0]!;
    if (head.length - this.offset >= n) {
      const out = head.subarray(this.offset, this.offset + n);
      this.consume(n);
      return out;
    }
    const out = Buffer.allocUnsafe(n);
    let filled = 0;
    while (filled < n) {
      const chunk = this.chunks[0]!;
      const part = Math.min(chunk.length - this.offset, n - filled);
      chunk.copy(out, filled, this.offset, this.offset + part);
      this.consume(part);
      filled += part;
    }
    return out;
  }

  private consume(n: number): void {
    this.offset += n;
    this.available -= n;
    if (this.offset === this.chunks[0]!.length) {
      this.chunks.shift();
      this.offset = 0;
    }
  }
}
