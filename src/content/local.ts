import { randomBytes } from 'node:crypto';
import type { Stats } from 'node:fs';
import { type FileHandle, mkdir, open, readdir, readFile, rename, rm, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { type Digest, digestHex, isDigest } from '../core/digest.js';
import { errnoCode, fileWriteError, notFound } from '../core/errors.js';
import { fsyncDir } from '../core/fs-atomic.js';
import type { BlobInfo, ContentStore, ReadRange, WriteOptions, WriteResult } from './content.js';
import { checkRange, checkWriteOptions, createIngestCheck } from './ingest-check.js';
import { KeyedMutex } from './keyed-mutex.js';
import { abortable, closeSource, singleChunk, throwIfAborted } from './streams.js';

/**
 * A content store on the local filesystem, laid out like containerd's:
 *
 * ```
 * <root>/blobs/sha256/<hex>   committed blobs, read-only (0444)
 * <root>/ingest/<random>      writes in progress; anything found here at open is debris
 * ```
 *
 * One process owns a root at a time: opening it discards every ingest left
 * behind, since only a crash leaves one there.
 */
const READ_CHUNK = 1024 * 1024;

export class LocalContentStore implements ContentStore {
  // Serialises commit, delete and lookups per digest, so a write that starts
  // after a delete sees the blob gone (the ContentManager ordering promise).
  private readonly locks = new KeyedMutex();
  private readonly blobDir: string;
  private readonly ingestDir: string;

  private constructor(readonly root: string) {
    this.blobDir = join(root, 'blobs', 'sha256');
    this.ingestDir = join(root, 'ingest');
  }

  /** Opens (creating if needed) the store at `root` and clears abandoned ingests. */
  static async open(root: string): Promise<LocalContentStore> {
    const store = new LocalContentStore(root);
    await mkdir(store.blobDir, { recursive: true, mode: 0o700 });
    await rm(store.ingestDir, { recursive: true, force: true });
    await mkdir(store.ingestDir, { mode: 0o700 });
    return store;
  }

  info(digest: Digest): Promise<BlobInfo> {
    return this.locks.run(digest, async () => {
      const stats = await this.statBlob(digest);
      if (!stats) throw blobNotFound(digest);
      return toInfo(digest, stats);
    });
  }

  async readStream(digest: Digest, range: ReadRange = {}): Promise<Readable> {
    checkRange(range);
    const handle = await this.locks.run(digest, () => this.openBlob(digest));
    const start = range.offset ?? 0;
    // createReadStream's `end` is inclusive; a zero-length range must read nothing.
    const end = range.length === undefined ? undefined : start + range.length - 1;
    if (end !== undefined && end < start) {
      await handle.close();
      return Readable.from([]);
    }
    // 1 MiB reads: with the 64 KiB default, per-chunk overhead (a thread-pool round trip,
    // stream and generator hops) made unpacking a large layer twice as slow.
    return handle.createReadStream({ start, end, autoClose: true, highWaterMark: READ_CHUNK });
  }

  readAll(digest: Digest): Promise<Buffer> {
    return this.locks.run(digest, async () => {
      try {
        return await readFile(this.blobPath(digest));
      } catch (err) {
        throw errnoCode(err) === 'ENOENT' ? blobNotFound(digest, err) : err;
      }
    });
  }

  async write(source: AsyncIterable<Uint8Array>, options: WriteOptions = {}): Promise<WriteResult> {
    checkWriteOptions(options);
    throwIfAborted(options.signal);
    if (options.digest) {
      const expected = options.digest;
      const existing = await this.locks.run(expected, () => this.statBlob(expected));
      if (existing) {
        closeSource(source);
        return { info: toInfo(expected, existing), created: false };
      }
    }
    const ingestPath = join(this.ingestDir, randomBytes(16).toString('hex'));
    try {
      const digest = await this.ingest(source, ingestPath, options);
      throwIfAborted(options.signal);
      await options.beforeCommit?.(digest);
      return await this.locks.run(digest, () => this.commit(ingestPath, digest));
    } catch (err) {
      await rm(ingestPath, { force: true });
      throw err;
    }
  }

  writeBytes(bytes: Uint8Array, options?: WriteOptions): Promise<WriteResult> {
    return this.write(singleChunk(bytes), options);
  }

  delete(digest: Digest): Promise<void> {
    return this.locks.run(digest, async () => {
      try {
        await unlink(this.blobPath(digest));
      } catch (err) {
        throw errnoCode(err) === 'ENOENT' ? blobNotFound(digest, err) : err;
      }
    });
  }

  async *walk(): AsyncGenerator<BlobInfo> {
    for (const name of await readdir(this.blobDir)) {
      const digest = `sha256:${name}`;
      // Skip anything that is not a blob name; such files were not put there by us.
      if (!isDigest(digest)) continue;
      const stats = await this.statBlob(digest);
      if (stats) yield toInfo(digest, stats);
    }
  }

  private blobPath(digest: Digest): string {
    return join(this.blobDir, digestHex(digest));
  }

  /** Streams the source into a private ingest file, checks it, fsyncs it; returns its digest. */
  private async ingest(
    source: AsyncIterable<Uint8Array>,
    path: string,
    options: WriteOptions,
  ): Promise<Digest> {
    const check = createIngestCheck(options);
    // 0444 from the start: the creating descriptor may still write, and a blob
    // must never be modified once renamed into place.
    const file = await open(path, 'wx', 0o444).catch((err: unknown) => {
      throw fileWriteError(err, path, 'open');
    });
    try {
      for await (const chunk of abortable(source, options.signal)) {
        check.update(chunk);
        await writeFully(file, chunk).catch((err: unknown) => {
          throw fileWriteError(err, path);
        });
      }
      const digest = check.finish();
      await file.sync().catch((err: unknown) => {
        throw fileWriteError(err, path, 'sync');
      });
      return digest;
    } finally {
      await file.close();
    }
  }

  /** Moves a verified ingest into place, unless an identical blob got there first. */
  private async commit(ingestPath: string, digest: Digest): Promise<WriteResult> {
    const existing = await this.statBlob(digest);
    if (existing) {
      await rm(ingestPath, { force: true });
      return { info: toInfo(digest, existing), created: false };
    }
    await rename(ingestPath, this.blobPath(digest));
    await fsyncDir(this.blobDir);
    const stats = await this.statBlob(digest);
    if (!stats) throw blobNotFound(digest);
    return { info: toInfo(digest, stats), created: true };
  }

  private async statBlob(digest: Digest): Promise<Stats | undefined> {
    try {
      return await stat(this.blobPath(digest));
    } catch (err) {
      if (errnoCode(err) === 'ENOENT') return undefined;
      throw err;
    }
  }

  private async openBlob(digest: Digest): Promise<FileHandle> {
    try {
      return await open(this.blobPath(digest), 'r');
    } catch (err) {
      throw errnoCode(err) === 'ENOENT' ? blobNotFound(digest, err) : err;
    }
  }
}

/** Opens (creating if needed) a local content store at `root`. */
export function openLocalContentStore(root: string): Promise<LocalContentStore> {
  return LocalContentStore.open(root);
}

function toInfo(digest: Digest, stats: Stats): BlobInfo {
  return { digest, size: stats.size, createdAt: stats.mtime };
}

function blobNotFound(digest: Digest, cause?: unknown) {
  return notFound(`content digest ${digest}: not found`, cause);
}

/** FileHandle.write may write less than asked; keep going until the chunk is down. */
async function writeFully(file: FileHandle, chunk: Uint8Array): Promise<void> {
  let offset = 0;
  while (offset < chunk.byteLength) {
    const { bytesWritten } = await file.write(chunk, offset, chunk.byteLength - offset);
    offset += bytesWritten;
  }
}
