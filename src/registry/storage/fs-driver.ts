import {
  close as closeCallback,
  createReadStream,
  fstat as fstatCallback,
  open as openCallback,
} from 'node:fs';
import { type FileHandle, mkdir, open, readdir, rename, rm, stat, truncate } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { promisify } from 'node:util';
import { type Digest, digestHex, isDigest } from '../../core/digest.js';
import { errnoCode, fileWriteError } from '../../core/errors.js';
import { fsyncDir } from '../../core/fs-atomic.js';
import { registryError } from '../errors.js';
import { isUploadId } from '../names.js';
import type { BlobInfo, BlobStorage, ByteRange, StorageDriver, UploadStorage } from './driver.js';
import { sendFileRange } from './file-sender.js';

const READ_CHUNK = 1 << 20;
const READ_CHUNK_BUSY = 128 << 10;
const WRITE_BATCH = 1 << 20;
const WRITE_BATCH_BUSY = 64 << 10;
/** Appends running in this process: with many, each batches less (see appendBatched). */
let activeAppends = 0;
const openForRead = (path: string) => promisify(openCallback)(path, 'r');
const closeFd = promisify(closeCallback);
const statFd = promisify(fstatCallback);

/**
 * Blobs and uploads on a local filesystem:
 *
 *     <root>/blobs/sha256/<first two hex>/<hex>   content-addressed, read-only once there
 *     <root>/uploads/<session id>                 data of an upload in progress
 *
 * A blob appears by rename(2) of a fully written, fsynced upload file, and the
 * directory is fsynced after it: a kill -9 leaves either no blob or a whole one.
 */
export function createFilesystemDriver(root: string): StorageDriver {
  const blobsDir = join(root, 'blobs', 'sha256');
  const uploadsDir = join(root, 'uploads');
  const blobPath = (digest: Digest) => {
    const hex = digestHex(digest);
    return join(blobsDir, hex.slice(0, 2), hex);
  };
  const uploadPath = (id: string) => {
    // Ids come from our own UUIDs; anything else could name a path outside the folder.
    if (!isUploadId(id)) throw registryError('BLOB_UPLOAD_UNKNOWN');
    return join(uploadsDir, id);
  };
  return {
    name: 'filesystem',
    blobs: fsBlobs(blobsDir, blobPath),
    uploads: fsUploads(uploadsDir, uploadPath, blobPath),
  };
}

function fsBlobs(blobsDir: string, blobPath: (digest: Digest) => string): BlobStorage {
  let openReads = 0;
  const openBlob = (digest: Digest) =>
    openForRead(blobPath(digest)).catch((err: unknown) => {
      if (errnoCode(err) === 'ENOENT') throw registryError('BLOB_UNKNOWN', { detail: { digest } });
      throw err;
    });
  return {
    async stat(digest) {
      const info = await stat(blobPath(digest)).catch(ignoreMissing);
      return info ? { digest, size: info.size, modifiedAt: info.mtimeMs } : undefined;
    },
    async read(digest, range?: ByteRange) {
      // A numeric descriptor: streams over a FileHandle read markedly slower.
      const fd = await openBlob(digest);
      // Large reads are fastest for a few clients; many parallel ones would hold too much memory.
      const highWaterMark = openReads < 4 ? READ_CHUNK : READ_CHUNK_BUSY;
      const stream = createReadStream('', { fd, start: range?.start, end: range?.end, highWaterMark });
      openReads++;
      stream.once('close', () => openReads--);
      return stream;
    },
    async open(digest, range?: ByteRange) {
      const fd = await openBlob(digest);
      let closed = false;
      const close = async () => {
        if (closed) return;
        closed = true;
        await closeFd(fd);
      };
      return {
        async writeTo(destination) {
          try {
            const end = range?.end ?? (await statFd(fd)).size - 1;
            await sendFileRange(fd, range?.start ?? 0, end, destination);
          } finally {
            await close();
          }
        },
        close,
      };
    },
    async delete(digest) {
      await rm(blobPath(digest), { force: true });
    },
    async *walk(): AsyncIterable<BlobInfo> {
      for (const prefix of await readdir(blobsDir).catch(() => [] as string[])) {
        for (const hex of await readdir(join(blobsDir, prefix)).catch(() => [] as string[])) {
          const digest = `sha256:${hex}`;
          if (!isDigest(digest)) continue;
          const info = await stat(join(blobsDir, prefix, hex)).catch(ignoreMissing);
          if (info) yield { digest, size: info.size, modifiedAt: info.mtimeMs };
        }
      }
    },
  };
}

function fsUploads(
  uploadsDir: string,
  uploadPath: (id: string) => string,
  blobPath: (digest: Digest) => string,
): UploadStorage {
  return {
    async create(id) {
      await mkdir(uploadsDir, { recursive: true });
      const handle = await open(uploadPath(id), 'wx', 0o600).catch((err: unknown) => {
        throw fileWriteError(err, uploadPath(id), 'open');
      });
      await handle.close();
    },
    async size(id) {
      const info = await stat(uploadPath(id)).catch(ignoreMissing);
      return info?.size;
    },
    async append(id, offset, source) {
      const handle = await open(uploadPath(id), 'r+').catch((err: unknown) => {
        if (errnoCode(err) === 'ENOENT') throw registryError('BLOB_UPLOAD_UNKNOWN');
        throw err;
      });
      try {
        return await appendBatched(handle, offset, source);
      } catch (err) {
        // A full disk: the client is told which file, as Distribution's Go errors do.
        throw fileWriteError(err, uploadPath(id));
      } finally {
        await handle.sync().catch(() => {});
        await handle.close();
      }
    },
    async truncate(id, size) {
      await truncate(uploadPath(id), size);
    },
    async read(id): Promise<Readable> {
      return createReadStream(uploadPath(id), { highWaterMark: READ_CHUNK });
    },
    async commit(id, digest) {
      const target = blobPath(digest);
      await mkdir(join(target, '..'), { recursive: true });
      await rename(uploadPath(id), target);
      await fsyncDir(join(target, '..'));
    },
    async remove(id) {
      await rm(uploadPath(id), { force: true });
    },
    async list() {
      const names = await readdir(uploadsDir).catch(() => [] as string[]);
      return names.filter(isUploadId);
    },
  };
}

/**
 * Writes `source` at `offset` in batches of about {@link WRITE_BATCH} bytes,
 * keeping one write in flight while the next batch arrives. Resolves with the
 * end position. Batches cost memory per upload, and with many uploads at once
 * the disk is busy anyway: beyond a few, each writes what arrived right away.
 */
async function appendBatched(handle: FileHandle, offset: number, source: AsyncIterable<Uint8Array>) {
  activeAppends++;
  try {
    return await appendBatchedCounted(handle, offset, source);
  } finally {
    activeAppends--;
  }
}

async function appendBatchedCounted(handle: FileHandle, offset: number, source: AsyncIterable<Uint8Array>) {
  let position = offset;
  let inFlight: Promise<void> = Promise.resolve();
  let batch: Uint8Array[] = [];
  let batchBytes = 0;
  const flush = async () => {
    const buffers = batch;
    const at = position;
    position += batchBytes;
    batch = [];
    batchBytes = 0;
    await inFlight;
    inFlight = writeFully(handle, buffers, at);
    // Its failure (a full disk) is thrown at the next flush; meanwhile the loop may be waiting
    // for the client's next chunk, and an unobserved rejection would end the process.
    inFlight.catch(() => {});
  };
  // Not `for await`: leaving that loop on a failed write would destroy the request body, and
  // with it the connection before the error reply (a full disk) could be sent. The rest of
  // the body is left for the reply's discard.
  const chunks = source[Symbol.asyncIterator]();
  try {
    for (let next = await chunks.next(); !next.done; next = await chunks.next()) {
      const chunk = next.value;
      batch.push(chunk);
      batchBytes += chunk.byteLength;
      if (batchBytes >= (activeAppends <= 4 ? WRITE_BATCH : WRITE_BATCH_BUSY)) await flush();
    }
    if (batchBytes > 0) await flush();
    await inFlight;
  } catch (err) {
    // Never leave a write running (or its rejection unhandled) past a failed stream.
    await inFlight.catch(() => {});
    throw err;
  }
  return position;
}

async function writeFully(handle: FileHandle, buffers: Uint8Array[], position: number): Promise<void> {
  let pending = buffers;
  let at = position;
  while (pending.length > 0) {
    const { bytesWritten } = await handle.writev(pending, at);
    at += bytesWritten;
    pending = dropWritten(pending, bytesWritten);
  }
}

// What is left of `buffers` after a (possibly short) write of `written` bytes.
function dropWritten(buffers: Uint8Array[], written: number): Uint8Array[] {
  let skip = written;
  const rest: Uint8Array[] = [];
  for (const buffer of buffers) {
    if (skip >= buffer.byteLength) skip -= buffer.byteLength;
    else {
      rest.push(skip > 0 ? buffer.subarray(skip) : buffer);
      skip = 0;
    }
  }
  return rest;
}

function ignoreMissing(err: unknown): undefined {
  if (errnoCode(err) === 'ENOENT') return undefined;
  throw err;
}
