import type { ContentManager } from '../content/content.js';
import type { Digest } from '../core/digest.js';
import { canceled, ErrorKind, isKind } from '../core/errors.js';
import { contentNode, type LiveSet } from './gc-graph.js';

/** What one garbage collection removed. */
export interface GcResult {
  /** Blobs deleted from the content store. */
  deleted: Digest[];
  /** Leases that had expired and were deleted. */
  expiredLeases: string[];
}

/** Options of a garbage collection. */
export interface GcOptions {
  signal?: AbortSignal;
}

/** The metadata side of a collection, provided by the store that owns the database. */
export interface CollectionHooks {
  /** Deletes expired leases, marks from the roots, and keeps marking new references until `end`. */
  begin(): { live: LiveSet; expiredLeases: string[] };
  /** Drops the references a deleted blob held, unless it became live again. */
  forgetDeletedContent(digest: Digest): void;
  end(): void;
}

/**
 * Marks, then sweeps the content store: every blob not live is deleted.
 * The liveness check and `delete()` happen in one synchronous step, and
 * `delete()` claims its digest at once (the ContentManager ordering promise),
 * so a reference added at any moment either keeps the blob or comes after the
 * deletion, in which case its writer sees the blob gone and writes it again.
 */
export async function runGarbageCollection(
  hooks: CollectionHooks,
  content: ContentManager,
  options: GcOptions = {},
): Promise<GcResult> {
  const { live, expiredLeases } = hooks.begin();
  try {
    const deleted: Digest[] = [];
    for await (const blob of content.walk()) {
      if (options.signal?.aborted) throw canceled('garbage collection canceled', options.signal.reason);
      if (live.isLive(contentNode(blob.digest))) continue;
      if (await deleteIfPresent(content, blob.digest)) {
        deleted.push(blob.digest);
        hooks.forgetDeletedContent(blob.digest);
      }
    }
    return { deleted, expiredLeases };
  } finally {
    hooks.end();
  }
}

async function deleteIfPresent(content: ContentManager, digest: Digest): Promise<boolean> {
  try {
    await content.delete(digest);
    return true;
  } catch (err) {
    // Someone else removed it first; that is the outcome we wanted.
    if (isKind(err, ErrorKind.NotFound)) return false;
    throw err;
  }
}
