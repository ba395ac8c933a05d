/**
 * The content store contract: immutable blobs named by their sha256 digest.
 *
 * Vocabulary, after containerd's `core/content`:
 * - a *blob* is committed content, readable by digest and never modified;
 * - an *ingest* is a write in progress; it becomes a blob only once its size and
 *   digest have been checked, and a failed or abandoned ingest leaves nothing.
 *
 * The contract is split by role so each caller asks only for what it uses: an
 * unpacker needs a {@link ContentReader}, a pull needs a {@link ContentIngester},
 * the garbage collector needs a {@link ContentManager}. The store knows nothing
 * about images, leases or namespaces; the metadata module tracks those.
 */
import type { Readable } from 'node:stream';
import type { Digest } from '../core/digest.js';

/** What the store knows about a committed blob. */
export interface BlobInfo {
  digest: Digest;
  size: number;
  /** When the blob was committed. */
  createdAt: Date;
}

/** A byte range of a blob; both ends default to the whole blob. */
export interface ReadRange {
  offset?: number;
  /** Bytes to read from `offset`; a range past the end is cut short. */
  length?: number;
}

/** Reads committed blobs. Every method throws NotFound for an unknown digest. */
export interface ContentReader {
  info(digest: Digest): Promise<BlobInfo>;
  /** A stream of the blob (or a range of it). The caller must consume or destroy it. */
  readStream(digest: Digest, range?: ReadRange): Promise<Readable>;
  /** The whole blob in memory: meant for manifests, indexes and configs, not layers. */
  readAll(digest: Digest): Promise<Buffer>;
}

/** What a writer knows in advance; anything given is checked before commit. */
export interface WriteOptions {
  /** Expected digest. When known, an existing blob makes the write a no-op. */
  digest?: Digest;
  /** Expected size in bytes; a longer stream fails as soon as it passes it. */
  size?: number;
  signal?: AbortSignal;
  /**
   * Called once the content is verified and before the blob becomes visible.
   * A writer that learns the digest only from the content (a build, a diff)
   * records its lease reference here, so a garbage collection running at the
   * same time keeps the blob. Not called when a write with a known digest
   * finds the blob already there.
   */
  beforeCommit?: (digest: Digest) => void | Promise<void>;
}

/** The outcome of a write. */
export interface WriteResult {
  info: BlobInfo;
  /** False when the blob was already there and nothing was stored. */
  created: boolean;
}

/**
 * Stores new blobs. A write streams into a private ingest, hashes and counts as
 * it goes, and commits only content whose digest and size match what was
 * expected; otherwise it throws InvalidArgument (`digest mismatch: …`,
 * `size mismatch: …`) and leaves nothing behind. An aborted write throws
 * Canceled and leaves nothing either. Writes of the same blob may run
 * concurrently: all succeed and exactly one reports `created`.
 */
export interface ContentIngester {
  /**
   * Writes a blob from a stream (a Node Readable, a web ReadableStream, a
   * generator). When `options.digest` names a blob that already exists, the
   * source is closed unread.
   */
  write(source: AsyncIterable<Uint8Array>, options?: WriteOptions): Promise<WriteResult>;
  /** Writes a blob held in memory. */
  writeBytes(bytes: Uint8Array, options?: WriteOptions): Promise<WriteResult>;
}

/**
 * Lists and removes blobs; what a garbage collector needs.
 *
 * Ordering promise: `delete()` claims its digest synchronously, when it is
 * called, so a `write`, `info` or read of that digest started afterwards sees
 * the blob gone rather than racing the removal.
 */
export interface ContentManager {
  /** Removes a blob; NotFound if there is none. */
  delete(digest: Digest): Promise<void>;
  /** Every committed blob, in no particular order. */
  walk(): AsyncIterable<BlobInfo>;
}

/** The whole content store. */
export interface ContentStore extends ContentReader, ContentIngester, ContentManager {}
