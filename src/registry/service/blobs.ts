import type { Digest } from '../../core/digest.js';
import { registryError } from '../errors.js';
import type { BlobContent, ByteRange } from '../storage/driver.js';
import type { RegistryContext } from './context.js';

/** An open blob: its full size and the requested bytes. */
export interface OpenBlob {
  size: number;
  range?: ByteRange;
  content: BlobContent;
}

/** Blob operations scoped to one repository: only linked blobs are visible. */
export interface RepositoryBlobs {
  /** Size of a blob of this repository; BLOB_UNKNOWN otherwise. */
  stat(digest: Digest): Promise<{ size: number }>;
  /** Streams the blob, or `range` of it; RANGE_INVALID when the range is unsatisfiable. */
  open(digest: Digest, range?: ByteRange): Promise<OpenBlob>;
  /** Removes the blob from this repository (its bytes go with the next GC). */
  delete(digest: Digest): Promise<void>;
  /** Links a blob readable in `from` into this repository; false when `from` lacks it. */
  mount(digest: Digest, from: string): Promise<boolean>;
}

/** Blobs of `repository`. */
export function createRepositoryBlobs(context: RegistryContext, repository: string): RepositoryBlobs {
  const { metadata } = context;
  const stat = async (digest: Digest) => {
    const blob = await metadata.findLinkedBlob(repository, digest);
    if (!blob) throw registryError('BLOB_UNKNOWN', { detail: { digest } });
    // A HEAD often precedes a manifest PUT that will reference the blob: keep GC off it.
    await touchWhenStale(context, repository, digest);
    return blob;
  };
  return {
    stat,
    async open(digest, range) {
      const { size } = await stat(digest);
      if (range && (range.start >= size || range.end < range.start)) {
        throw registryError('RANGE_INVALID', { detail: { size } });
      }
      const bounded = range ? { start: range.start, end: Math.min(range.end, size - 1) } : undefined;
      const content = await context.storage.blobs.open(digest, bounded);
      return { size, content, ...(bounded ? { range: bounded } : {}) };
    },
    async delete(digest) {
      if (!(await metadata.unlinkBlob(repository, digest))) {
        throw registryError('BLOB_UNKNOWN', { detail: { digest } });
      }
    },
    async mount(digest, from) {
      const source = await metadata.findLinkedBlob(from, digest);
      if (!source) return false;
      await context.admitBlob?.(repository, digest, source.size);
      await metadata.linkBlob(repository, digest, context.now());
      return true;
    },
  };
}

// Touching on every HEAD would write on every pull; a tenth of the grace period is plenty.
async function touchWhenStale(context: RegistryContext, repository: string, digest: Digest): Promise<void> {
  const touched = context.recentlyTouched;
  const key = `${repository}@${digest}`;
  const now = context.now();
  if (now - (touched.get(key) ?? 0) < context.limits.gcGracePeriodMs / 10) return;
  if (touched.size > 100_000) touched.clear();
  touched.set(key, now);
  await context.metadata.touchBlob(repository, digest, now);
}
