/**
 * A bounded queue of chunks between one producer and one consumer: the
 * producer's `push` waits while the queue is full, so a slow consumer slows
 * the producer; a consumer that stops early (throws, returns) turns later
 * pushes into no-ops instead of blocking the producer forever.
 */
export class ChunkQueue implements AsyncIterable<Buffer> {
  private readonly chunks: Buffer[] = [];
  private ended = false;
  private failure: { error: unknown } | undefined;
  private consumerGone = false;
  private wakeConsumer: (() => void) | undefined;
  private wakeProducer: (() => void) | undefined;

  constructor(private readonly limit = 8) {}

  /** Whether the consumer stopped reading. */
  get abandoned(): boolean {
    return this.consumerGone;
  }

  /** Adds a chunk; resolves once there is room again (or the consumer is gone). */
  async push(chunk: Buffer): Promise<void> {
    if (this.consumerGone || this.ended) return;
    this.chunks.push(chunk);
    this.notifyConsumer();
    while (this.chunks.length >= this.limit && !this.consumerGone) {
      await new Promise<void>((resolve) => {
        this.wakeProducer = resolve;
      });
    }
  }

  /** The consumer will not read (any more): pushes become no-ops. */
  abandon(): void {
    this.consumerGone = true;
    this.chunks.length = 0;
    this.notifyProducer();
  }

  /** No more chunks: the consumer sees the end once it has read the rest. */
  end(): void {
    this.ended = true;
    this.notifyConsumer();
  }

  /** The input broke: the consumer gets `error` after the chunks already queued. */
  fail(error: unknown): void {
    if (this.ended) return;
    this.failure = { error };
    this.end();
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<Buffer> {
    try {
      for (;;) {
        const chunk = this.chunks.shift();
        if (chunk) {
          this.notifyProducer();
          yield chunk;
          continue;
        }
        if (this.failure) throw this.failure.error;
        if (this.ended) return;
        await new Promise<void>((resolve) => {
          this.wakeConsumer = resolve;
        });
      }
    } finally {
      this.abandon();
    }
  }

  private notifyConsumer(): void {
    const wake = this.wakeConsumer;
    this.wakeConsumer = undefined;
    wake?.();
  }

  private notifyProducer(): void {
    const wake = this.wakeProducer;
    this.wakeProducer = undefined;
    wake?.();
  }
}
