import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { BerthError, ErrorKind } from '../core/errors.js';
import { writeBufferedFile } from './entry-writers.js';
import type { BatchRequest, BatchResponse, FileJob } from './file-worker.js';
import type { TarHeader } from './tar/format.js';

const BATCH_FILES = 64;
const BATCH_BYTES = 4 * 1024 * 1024;
/** Batches queued per worker; bounds memory and keeps each worker busy. */
const BATCHES_PER_WORKER = 2;

interface PendingFile {
  rel: string;
  chunks: Buffer[];
  job: FileJob;
}

/**
 * Writes small regular files in batches on worker threads (see
 * file-worker.ts for why). Keyed by relative path so callers can wait for
 * the write of one path. Workers start on the first full batch; a layer with
 * fewer files is written on the main thread instead. The first failure is
 * kept and rethrown by the next call. Call {@link close} when done.
 */
export class FileWriterPool {
  private readonly slots: WorkerSlot[] = [];
  private batch: PendingFile[] = [];
  /** The paths in {@link batch}, so a lookup per tar entry costs no scan. */
  private batchPaths = new Set<string>();
  private batchBytes = 0;
  private readonly inFlight = new Map<string, Promise<void>>();
  private failure: { error: unknown } | undefined;

  constructor(private readonly workerCount = Math.max(2, Math.min(4, availableParallelism()))) {}

  /** Queues a file; `abs` must not be a path another queued file is under. */
  async add(rel: string, abs: string, chunks: Buffer[], header: TarHeader): Promise<void> {
    this.throwIfFailed();
    if (this.isPending(rel)) await this.settle(rel);
    const xattrs = [...header.xattrs];
    const { uid, gid, mode, mtime, size: length } = header;
    this.batch.push({
      rel,
      chunks,
      job: { abs, offset: this.batchBytes, length, uid, gid, mode, mtime, xattrs },
    });
    this.batchPaths.add(rel);
    this.batchBytes += length;
    if (this.batch.length >= BATCH_FILES || this.batchBytes >= BATCH_BYTES) await this.flush();
  }

  /** True if `rel` is queued or being written, or a write failed: then {@link settle} before using it. */
  isPending(rel: string): boolean {
    return this.failure !== undefined || this.batchPaths.has(rel) || this.inFlight.has(rel);
  }

  /** Waits for the write of `rel`, if any; throws the first failure. */
  async settle(rel: string): Promise<void> {
    if (this.batchPaths.has(rel)) await this.flush();
    await this.inFlight.get(rel);
    this.throwIfFailed();
  }

  /** Writes everything queued; throws the first failure. */
  async drain(): Promise<void> {
    if (this.slots.length === 0) this.writeOnMainThread();
    await this.flush();
    while (this.inFlight.size > 0) await Promise.all(this.inFlight.values());
    this.throwIfFailed();
  }

  /** Waits for in-flight writes, ignoring failures, and stops the workers. */
  async close(): Promise<void> {
    this.batch = [];
    this.batchPaths = new Set();
    while (this.inFlight.size > 0) await Promise.allSettled(this.inFlight.values());
    await Promise.all(this.slots.map((slot) => slot.worker.terminate()));
  }

  private async flush(): Promise<void> {
    if (this.batch.length === 0) return;
    // Workers start on the first full batch; a partial one before that (a hard link
    // to a queued file, say) is written here rather than starting a thread for it.
    if (this.slots.length === 0 && this.batch.length < BATCH_FILES && this.batchBytes < BATCH_BYTES) {
      this.writeOnMainThread();
      return;
    }
    const files = this.batch;
    const data = Buffer.allocUnsafeSlow(this.batchBytes);
    this.batch = [];
    this.batchPaths = new Set();
    this.batchBytes = 0;
    let offset = 0;
    for (const chunk of files.flatMap((file) => file.chunks)) offset += chunk.copy(data, offset);
    const slot = await this.freeSlot();
    this.track(
      files.map((file) => file.rel),
      slot.send(
        files.map((file) => file.job),
        data.buffer,
      ),
    );
  }

  /** A layer of few files: written here, synchronously, cheaper than starting a worker. */
  private writeOnMainThread(): void {
    const files = this.batch;
    this.batch = [];
    this.batchPaths = new Set();
    this.batchBytes = 0;
    for (const file of files) {
      const data = file.chunks.length === 1 ? file.chunks[0]! : Buffer.concat(file.chunks);
      try {
        writeBufferedFile(file.job.abs, data, 0, file.job.length, file.job);
      } catch (error) {
        this.failure ??= { error };
        return;
      }
    }
  }

  private track(rels: string[], write: Promise<void>): void {
    const done: Promise<void> = write
      .catch((error: unknown) => {
        this.failure ??= { error };
      })
      .finally(() => {
        for (const rel of rels) if (this.inFlight.get(rel) === done) this.inFlight.delete(rel);
      });
    for (const rel of rels) this.inFlight.set(rel, done);
  }

  private async freeSlot(): Promise<WorkerSlot> {
    if (this.slots.length < this.workerCount) {
      const idle = this.slots.find((slot) => slot.pending === 0);
      if (idle) return idle;
      const slot = new WorkerSlot();
      this.slots.push(slot);
      return slot;
    }
    for (;;) {
      const slot = this.slots.reduce((best, next) => (next.pending < best.pending ? next : best));
      if (slot.pending < BATCHES_PER_WORKER) return slot;
      await Promise.race(this.inFlight.values());
    }
  }

  private throwIfFailed(): void {
    if (this.failure) throw this.failure.error;
  }
}

/** One worker thread and the batches it has not answered yet, in order. */
class WorkerSlot {
  readonly worker = new Worker(new URL('./file-worker.js', import.meta.url));
  private readonly waiting: { resolve: () => void; reject: (err: Error) => void }[] = [];
  private nextId = 0;

  constructor() {
    this.worker.on('message', (response: BatchResponse) => {
      const waiter = this.waiting.shift();
      if (!response.error) return waiter?.resolve();
      const { message, path } = response.error;
      waiter?.reject(new BerthError(ErrorKind.Internal, `failed to write ${path}: ${message}`));
    });
    this.worker.on('error', (err) => this.failAll(err));
    this.worker.on('exit', () => this.failAll(new Error('file writer thread exited')));
  }

  get pending(): number {
    return this.waiting.length;
  }

  send(jobs: FileJob[], data: ArrayBuffer): Promise<void> {
    const request: BatchRequest = { id: this.nextId++, jobs, data };
    return new Promise((resolve, reject) => {
      this.waiting.push({ resolve, reject });
      this.worker.postMessage(request, [data]);
    });
  }

  private failAll(err: Error): void {
    for (const waiter of this.waiting.splice(0)) waiter.reject(err);
  }
}
