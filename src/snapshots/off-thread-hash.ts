import { createHash, type Hash } from 'node:crypto';
import { Worker } from 'node:worker_threads';
import type { HashRequest, HashResponse } from './hash-thread.js';

/** Below this many bytes a stream is hashed here: starting the thread would cost more. */
const OFF_THREAD_AFTER = 4 * 1024 * 1024;
/** The thread stops after this long without work, so an idle daemon does not keep it. */
const IDLE_MS = 10_000;
/** Size of the reused copy buffers: the content store's read size. */
const SPARE_SIZE = 1024 * 1024;
/**
 * Copy buffers in flight to the thread at most (all streams together).
 * sha256 is slower than unpacking a plain tar; without a bound the copies of
 * a large layer piled up without limit. The bound is loose: on a busy
 * machine the thread gets CPU in bursts, and a producer held back by a
 * short queue gives its CPU time away.
 */
const MAX_IN_FLIGHT = 64;
/** Copy buffers kept for reuse (a fresh one costs page faults beyond the copy). */
const MAX_SPARE = 16;

/**
 * A sha256 of a stream that moves to a worker thread once the stream is
 * large. Unpacking a layer is read, hash, write; hashing on the same thread
 * as the tar parser made it about twice as slow as GNU tar on large files.
 * On the thread it overlaps with the writes, for the price of one copy.
 *
 * The first {@link OFF_THREAD_AFTER} bytes are only remembered (chunks are
 * never reused by their producers); a short stream is then hashed in place.
 * Chunks are copied into a few reused buffers; when all are in flight,
 * {@link room} makes the producer wait for the thread.
 */
export class StreamHash {
  private held: Buffer[] = [];
  private heldBytes = 0;
  private session: HashSession | undefined;

  update(chunk: Buffer): void {
    if (this.session) {
      this.session.update(chunk);
      return;
    }
    this.held.push(chunk);
    this.heldBytes += chunk.length;
    if (this.heldBytes < OFF_THREAD_AFTER) return;
    this.session = HashThread.shared().open();
    for (const held of this.held) this.session.update(held);
    this.held = [];
  }

  /** Undefined if more may be sent now, else a promise that resolves once the thread caught up. */
  room(): Promise<void> | undefined {
    return this.session?.room();
  }

  /** `sha256:<hex>` of everything seen. Call once. */
  async digest(): Promise<string> {
    if (this.session) return `sha256:${await this.session.digest()}`;
    const hash: Hash = createHash('sha256');
    for (const held of this.held) hash.update(held);
    this.held = [];
    return `sha256:${hash.digest('hex')}`;
  }

  /** Forgets the stream (after a failure). */
  discard(): void {
    this.held = [];
    this.session?.drop();
  }
}

interface HashSession {
  update(chunk: Uint8Array): void;
  room(): Promise<void> | undefined;
  digest(): Promise<string>;
  drop(): void;
}

/** One thread shared by every hash in the process, started on first use. */
class HashThread {
  private static current: HashThread | undefined;
  private readonly worker = new Worker(new URL('./hash-thread.js', import.meta.url));
  private readonly waiting = new Map<
    number,
    { resolve: (hex: string) => void; reject: (e: Error) => void }
  >();
  private sessions = 0;
  private nextId = 0;
  /** Copy buffers the thread has hashed and handed back, reused so no fresh pages are touched. */
  private readonly spare: ArrayBuffer[] = [];
  /** Copy buffers sent and not handed back yet. */
  private inFlight = 0;
  private roomWaiters: (() => void)[] = [];
  private idleTimer: NodeJS.Timeout | undefined;

  static shared(): HashThread {
    HashThread.current ??= new HashThread();
    return HashThread.current;
  }

  private constructor() {
    this.worker.unref();
    this.worker.on('message', (response: HashResponse) => {
      if ('spare' in response) {
        this.inFlight--;
        if (this.spare.length < MAX_SPARE) this.spare.push(response.spare);
        for (const wake of this.roomWaiters.splice(0)) wake();
        return;
      }
      this.waiting.get(response.id)?.resolve(response.hex);
      this.waiting.delete(response.id);
    });
    const fail = (err: Error) => {
      if (HashThread.current === this) HashThread.current = undefined;
      for (const waiter of this.waiting.values()) waiter.reject(err);
      this.waiting.clear();
      // Producers waiting for room go on; their digest then fails.
      this.inFlight = 0;
      for (const wake of this.roomWaiters.splice(0)) wake();
    };
    this.worker.on('error', fail);
    this.worker.on('exit', () => fail(new Error('hash thread exited')));
  }

  open(): HashSession {
    clearTimeout(this.idleTimer);
    // Referenced while in use: an awaited digest must keep the process alive.
    if (this.sessions++ === 0) this.worker.ref();
    const id = this.nextId++;
    const send = (request: HashRequest, transfer: ArrayBuffer[] = []) =>
      this.worker.postMessage(request, transfer);
    let closed = false;
    const close = () => {
      if (closed) return;
      closed = true;
      if (--this.sessions > 0) return;
      this.worker.unref();
      this.idleTimer = setTimeout(() => this.stop(), IDLE_MS).unref();
    };
    // Chunks are packed into full copy buffers: fewer messages when chunks are small (gunzip's).
    let buffer: ArrayBuffer | undefined;
    let filled = 0;
    const post = () => {
      if (!buffer || filled === 0) return;
      this.inFlight++;
      send({ kind: 'update', id, buffer, length: filled }, [buffer]);
      buffer = undefined;
      filled = 0;
    };
    return {
      update: (chunk) => {
        for (let offset = 0; offset < chunk.length; ) {
          buffer ??= this.spare.pop() ?? new ArrayBuffer(SPARE_SIZE);
          const length = Math.min(chunk.length - offset, buffer.byteLength - filled);
          new Uint8Array(buffer, filled, length).set(chunk.subarray(offset, offset + length));
          filled += length;
          offset += length;
          if (filled === buffer.byteLength) post();
        }
      },
      room: () => {
        if (this.inFlight < MAX_IN_FLIGHT) return undefined;
        return new Promise<void>((resolve) => this.roomWaiters.push(resolve));
      },
      digest: () => {
        post();
        const answer = new Promise<string>((resolve, reject) => this.waiting.set(id, { resolve, reject }));
        send({ kind: 'digest', id });
        return answer.finally(close);
      },
      drop: () => {
        if (buffer && this.spare.length < MAX_SPARE) this.spare.push(buffer);
        buffer = undefined;
        send({ kind: 'drop', id });
        close();
      },
    };
  }

  private stop(): void {
    if (this.sessions > 0) return;
    if (HashThread.current === this) HashThread.current = undefined;
    void this.worker.terminate();
  }
}
