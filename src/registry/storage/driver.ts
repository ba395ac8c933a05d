import type { Readable, Writable } from 'node:stream';
import type { Digest } from '../../core/digest.js';

/** An inclusive byte range, as in HTTP `Range: bytes=start-end`. */
export interface ByteRange {
  start: number;
  end: number;
}

/** What the blob store knows about one blob. */
export interface BlobInfo {
  digest: Digest;
  size: number;
  /** Last modification, in ms since the epoch (used by GC to spare fresh files). */
  modifiedAt: number;
}

/**
 * A blob (or a range of it) opened for one download: it exists and is held
 * open, so the answer's status can be sent before its bytes.
 */
export interface BlobContent {
  /** Writes the bytes to `destination` (without ending it), then releases the blob. */
  writeTo(destination: Writable): Promise<void>;
  /** Releases the blob without writing it. */
  close(): Promise<void>;
}

/**
 * Registry-wide, content-addressed blob bytes. It knows nothing of
 * repositories: which repository may read which blob is metadata's business.
 * Blobs appear only whole, by {@link UploadStorage.commit}.
 */
export interface BlobStorage {
  /** Size of a stored blob, or undefined when absent. */
  stat(digest: Digest): Promise<BlobInfo | undefined>;
  /** Streams a blob or a range of it; NotFound (BLOB_UNKNOWN) when absent. */
  read(digest: Digest, range?: ByteRange): Promise<Readable>;
  /** Opens a blob or a range of it for the fastest copy the driver has; NotFound (BLOB_UNKNOWN) when absent. */
  open(digest: Digest, range?: ByteRange): Promise<BlobContent>;
  /** Removes a blob; absent blobs are fine. */
  delete(digest: Digest): Promise<void>;
  /** Every stored blob, in no particular order (GC's orphan sweep). */
  walk(): AsyncIterable<BlobInfo>;
}

/**
 * Scratch space for upload sessions, keyed by session id. Data only ever grows
 * by appending at the current end; a session survives a restart.
 *
 * Lifecycle: create → append* (→ truncate after a failed chunk) → commit or remove.
 */
export interface UploadStorage {
  /** Creates an empty session file. */
  create(id: string): Promise<void>;
  /** Bytes held, or undefined when the session has no data file. */
  size(id: string): Promise<number | undefined>;
  /**
   * Appends `source` at `offset` (which must be the current size) and makes the
   * bytes durable (fsync) before resolving with the new size. On failure the
   * bytes written so far stay; the caller truncates or keeps them.
   */
  append(id: string, offset: number, source: AsyncIterable<Uint8Array>): Promise<number>;
  /** Cuts the data back to `size` bytes (undoing a partial chunk, or after a crash). */
  truncate(id: string, size: number): Promise<void>;
  /** Streams the session's bytes (to re-hash a session resumed after a restart). */
  read(id: string): Promise<Readable>;
  /** Moves the data atomically into blob storage under `digest` (already verified). */
  commit(id: string, digest: Digest): Promise<void>;
  /** Removes a session's data; absent sessions are fine. */
  remove(id: string): Promise<void>;
  /** Ids of all sessions with data (to clean orphans at start). */
  list(): Promise<string[]>;
}

/** A storage backend: blob bytes and upload scratch space. Metadata lives elsewhere. */
export interface StorageDriver {
  readonly name: string;
  readonly blobs: BlobStorage;
  readonly uploads: UploadStorage;
}
