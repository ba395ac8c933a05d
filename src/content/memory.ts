import { Readable } from 'node:stream';
import type { Digest } from '../core/digest.js';
import { notFound } from '../core/errors.js';
import type { BlobInfo, ContentStore, ReadRange, WriteOptions, WriteResult } from './content.js';
import { checkRange, checkWriteOptions, createIngestCheck } from './ingest-check.js';
import { abortable, closeSource, singleChunk, throwIfAborted } from './streams.js';

interface StoredBlob {
  bytes: Buffer;
  createdAt: Date;
}

/**
 * A content store held in memory: a real implementation of the contract (it
 * passes the same conformance suite), for tests of the modules above content.
 * Everything is lost when the process exits.
 */
export class MemoryContentStore implements ContentStore {
  private readonly blobs = new Map<Digest, StoredBlob>();

  async info(digest: Digest): Promise<BlobInfo> {
    return toInfo(digest, this.get(digest));
  }

  async readStream(digest: Digest, range: ReadRange = {}): Promise<Readable> {
    const bytes = this.get(digest).bytes;
    checkRange(range);
    const start = range.offset ?? 0;
    const end = range.length === undefined ? bytes.byteLength : start + range.length;
    // A copy, so a consumer that mutates its chunks cannot change the blob.
    return Readable.from([Buffer.from(bytes.subarray(start, end))]);
  }

  async readAll(digest: Digest): Promise<Buffer> {
    return Buffer.from(this.get(digest).bytes);
  }

  async write(source: AsyncIterable<Uint8Array>, options: WriteOptions = {}): Promise<WriteResult> {
    checkWriteOptions(options);
    throwIfAborted(options.signal);
    const existing = options.digest && this.blobs.get(options.digest);
    if (options.digest && existing) {
      closeSource(source);
      return { info: toInfo(options.digest, existing), created: false };
    }
    const check = createIngestCheck(options);
    const chunks: Buffer[] = [];
    for await (const chunk of abortable(source, options.signal)) {
      check.update(chunk);
      chunks.push(Buffer.from(chunk));
    }
    const digest = check.finish();
    throwIfAborted(options.signal);
    await options.beforeCommit?.(digest);
    // Check and insert in one synchronous step: concurrent writers cannot interleave here.
    const raced = this.blobs.get(digest);
    if (raced) return { info: toInfo(digest, raced), created: false };
    const blob = { bytes: Buffer.concat(chunks), createdAt: new Date() };
    this.blobs.set(digest, blob);
    return { info: toInfo(digest, blob), created: true };
  }

  writeBytes(bytes: Uint8Array, options?: WriteOptions): Promise<WriteResult> {
    return this.write(singleChunk(bytes), options);
  }

  delete(digest: Digest): Promise<void> {
    // Synchronous, as the ordering promise of ContentManager asks.
    if (!this.blobs.delete(digest)) return Promise.reject(blobNotFound(digest));
    return Promise.resolve();
  }

  async *walk(): AsyncGenerator<BlobInfo> {
    for (const [digest, blob] of [...this.blobs]) yield toInfo(digest, blob);
  }

  private get(digest: Digest): StoredBlob {
    const blob = this.blobs.get(digest);
    if (!blob) throw blobNotFound(digest);
    return blob;
  }
}

function toInfo(digest: Digest, blob: StoredBlob): BlobInfo {
  return { digest, size: blob.bytes.byteLength, createdAt: blob.createdAt };
}

function blobNotFound(digest: Digest) {
  return notFound(`content digest ${digest}: not found`);
}
