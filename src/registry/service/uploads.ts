import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { createDigester, type Digest, type Digester, digestOfStream } from '../../core/digest.js';
import { RegistryError, registryError } from '../errors.js';
import type { UploadRecord } from '../metadata/store.js';
import type { RegistryContext } from './context.js';

/** Where a chunk claims to belong (`Content-Range: start-end`, inclusive). */
export interface ChunkRange {
  start: number;
  end: number;
}

/** Upload sessions of one repository (distribution-spec "Pushing blobs"). */
export interface RepositoryUploads {
  /** Opens a session. */
  start(): Promise<UploadRecord>;
  /** A session of this repository, with its durable size; BLOB_UPLOAD_UNKNOWN otherwise. */
  status(id: string): Promise<UploadRecord>;
  /** Appends a chunk at the session's end; RANGE_INVALID when `range` starts elsewhere. */
  append(id: string, body: AsyncIterable<Uint8Array>, range?: ChunkRange): Promise<UploadRecord>;
  /**
   * Appends an optional last chunk, verifies the whole content against
   * `digest` (DIGEST_INVALID, and the session is dropped) and stores the blob.
   */
  complete(id: string, digest: Digest, body?: AsyncIterable<Uint8Array>, range?: ChunkRange): Promise<number>;
  /** Drops a session and its data. */
  cancel(id: string): Promise<void>;
}

/**
 * In-process state of sessions, shared by all requests: running hashes (after
 * a restart the data is re-hashed instead) and sessions with a chunk in flight.
 */
export interface UploadSessions {
  hashes: Map<string, Digester>;
  writing: Set<string>;
}

/** Empty {@link UploadSessions}. */
export const createUploadSessions = (): UploadSessions => ({ hashes: new Map(), writing: new Set() });

/** Upload sessions of `repository`. */
export function createRepositoryUploads(
  context: RegistryContext,
  repository: string,
  sessions: UploadSessions,
): RepositoryUploads {
  const { metadata, storage } = context;
  const { hashes, writing: busy } = sessions;

  const status = async (id: string) => {
    const upload = await metadata.findUpload(id);
    const stored = upload?.repository === repository ? await storage.uploads.size(id) : undefined;
    if (!upload || stored === undefined) throw registryError('BLOB_UPLOAD_UNKNOWN', { detail: { id } });
    // Bytes past the durable size are what a crash left of an unacknowledged chunk
    // (unless a chunk is being written right now).
    if (stored > upload.size && !busy.has(id)) await storage.uploads.truncate(id, upload.size);
    return upload;
  };

  const append = async (upload: UploadRecord, body: AsyncIterable<Uint8Array>, range?: ChunkRange) => {
    if (range && range.start !== upload.size) {
      throw registryError('RANGE_INVALID', { detail: { expectedStart: upload.size } });
    }
    if (busy.has(upload.id))
      throw registryError('RANGE_INVALID', { message: 'a chunk is already being written' });
    busy.add(upload.id);
    try {
      const size = await writeChunk(upload, body);
      if (range && size - upload.size !== range.end - range.start + 1) {
        await storage.uploads.truncate(upload.id, upload.size);
        hashes.delete(upload.id);
        throw registryError('SIZE_INVALID', { detail: { range, received: size - upload.size } });
      }
      await metadata.setUploadSize(upload.id, size, context.now());
      return { ...upload, size, updatedAt: context.now() };
    } finally {
      busy.delete(upload.id);
    }
  };

  const writeChunk = async (upload: UploadRecord, body: AsyncIterable<Uint8Array>): Promise<number> => {
    const hasher = hashes.get(upload.id);
    const hashing = hasher?.size === upload.size ? hasher : undefined;
    if (!hashing) hashes.delete(upload.id);
    const limit = context.limits.blobMaxBytes;
    try {
      return await storage.uploads.append(upload.id, upload.size, tee(body, hashing, upload.size, limit));
    } catch (err) {
      hashes.delete(upload.id);
      if (err instanceof RegistryError && err.tooLarge) {
        // Nothing of a refused chunk stays.
        await storage.uploads.truncate(upload.id, upload.size);
        throw err;
      }
      // Keep the durable prefix so the client can resume from the status it reads next.
      const kept = await storage.uploads.size(upload.id);
      if (kept !== undefined) await metadata.setUploadSize(upload.id, kept, context.now());
      throw err;
    }
  };

  const verifiedDigest = async (upload: UploadRecord): Promise<Digest> => {
    const hasher = hashes.get(upload.id);
    hashes.delete(upload.id);
    if (hasher?.size === upload.size) return hasher.digest();
    return (await digestOfStream(await storage.uploads.read(upload.id))).digest;
  };

  const drop = async (id: string) => {
    hashes.delete(id);
    await storage.uploads.remove(id);
    await metadata.deleteUpload(id);
  };

  return {
    async start() {
      const now = context.now();
      const upload = { id: randomUUID(), repository, size: 0, startedAt: now, updatedAt: now };
      // Record first: GC treats a session file without a record as an orphan.
      await metadata.createUpload(upload);
      await storage.uploads.create(upload.id);
      hashes.set(upload.id, createDigester());
      return upload;
    },
    status,
    async append(id, body, range) {
      return append(await status(id), body, range);
    },
    async complete(id, digest, body, range) {
      let upload = await status(id);
      if (body) upload = await append(upload, body, range);
      const actual = await verifiedDigest(upload);
      if (actual !== digest) {
        await drop(id);
        throw registryError('DIGEST_INVALID', { detail: { expected: digest, actual } });
      }
      if (context.admitBlob) {
        // A refused blob leaves nothing behind: the session and its data go.
        await context.admitBlob(repository, digest, upload.size).catch(async (err: unknown) => {
          await drop(id);
          throw err;
        });
      }
      await commitBlob(context, id, digest, upload.size);
      await metadata.linkBlob(repository, digest, context.now());
      await metadata.deleteUpload(id);
      return upload.size;
    },
    async cancel(id) {
      await status(id);
      await drop(id);
    },
  };
}

/** Passes `body` through, hashing it, and stops with 413 SIZE_INVALID once the blob would exceed `limit` (0: none). */
async function* tee(
  body: AsyncIterable<Uint8Array>,
  digester: Digester | undefined,
  offset: number,
  limit: number,
) {
  let size = offset;
  for await (const chunk of body) {
    size += chunk.byteLength;
    if (limit > 0 && size > limit) {
      throw registryError('SIZE_INVALID', {
        message: `blob exceeds the registry's limit of ${limit} bytes`,
        detail: { limit },
        tooLarge: true,
      });
    }
    digester?.update(chunk);
    yield chunk;
  }
}

/**
 * Moves verified upload data into the blob store. The blob is claimed in the
 * database first: while GC holds the digest (state `deleting`) we wait, so GC
 * can never unlink a file that a push has just put in place. The claim stays
 * `pending` until the file is there, so a kill in between leaves no record
 * that readers would trust.
 */
async function commitBlob(context: RegistryContext, id: string, digest: Digest, size: number): Promise<void> {
  for (let attempt = 0; !(await context.metadata.claimBlob(digest, size, context.now())); attempt++) {
    if (attempt > 600) throw registryError('UNKNOWN', { message: 'blob is being garbage collected; retry' });
    await sleep(50);
  }
  const existing = await context.storage.blobs.stat(digest);
  if (existing?.size === size) await context.storage.uploads.remove(id);
  else await context.storage.uploads.commit(id, digest);
  await context.metadata.confirmBlob(digest);
}

/**
 * Stores a whole blob through a session of its own (the registry fetching it, no client
 * pushing); a failed or refused blob leaves no session behind.
 */
export async function uploadWhole(
  uploads: RepositoryUploads,
  digest: Digest,
  body: AsyncIterable<Uint8Array>,
): Promise<void> {
  const upload = await uploads.start();
  try {
    await uploads.complete(upload.id, digest, body);
  } catch (err) {
    await uploads.cancel(upload.id).catch(() => {});
    throw err;
  }
}
