import type { ContentReader } from '../content/content.js';
import { type Descriptor, isIndexMediaType } from '../core/descriptor.js';
import type { Digest } from '../core/digest.js';
import { failedPrecondition } from '../core/errors.js';
import { type ImageConfig, parseImageConfig } from './config.js';
import {
  type ImageIndex,
  type ImageManifest,
  looksLikeIndex,
  parseIndex,
  parseManifest,
} from './manifest.js';
import { formatPlatform, hostPlatform, selectPlatformManifest } from './platform.js';

/**
 * Parsed manifests, indexes and configs by digest. Blobs never change, so an
 * entry stays right for as long as the blob exists; `forget` drops entries
 * of blobs a garbage collection deleted.
 */
export class ParsedBlobs {
  private readonly parsed = new Map<Digest, Promise<unknown>>();

  constructor(private readonly content: ContentReader) {}

  manifest(digest: Digest): Promise<ImageManifest> {
    return this.cached(digest, (bytes) => parseManifest(bytes));
  }

  index(digest: Digest): Promise<ImageIndex> {
    return this.cached(digest, (bytes) => parseIndex(bytes));
  }

  config(digest: Digest): Promise<ImageConfig> {
    return this.cached(digest, (bytes) => parseImageConfig(bytes));
  }

  /**
   * The single-platform manifest a record's target stands for: the target
   * itself, or the manifest of this host's platform when it is an index.
   */
  async platformManifest(target: Descriptor): Promise<Descriptor> {
    if (!isIndexMediaType(target.mediaType) && !(await this.isUntypedIndex(target))) return target;
    const index = await this.index(target.digest);
    const chosen = selectPlatformManifest(index.manifests);
    if (!chosen) {
      throw failedPrecondition(
        `image index ${target.digest} has no manifest for ${formatPlatform(hostPlatform())}`,
      );
    }
    return this.platformManifest(chosen);
  }

  /** Drops what is known about deleted blobs. */
  forget(digests: Iterable<Digest>): void {
    for (const digest of digests) this.parsed.delete(digest);
  }

  private async isUntypedIndex(target: Descriptor): Promise<boolean> {
    // Some writers give index.json entries a generic media type; the blob tells.
    if (target.mediaType !== 'application/json' && target.mediaType !== '') return false;
    return looksLikeIndex(await this.content.readAll(target.digest));
  }

  private cached<T>(digest: Digest, parse: (bytes: Buffer) => T): Promise<T> {
    const known = this.parsed.get(digest);
    if (known) return known as Promise<T>;
    const loading = this.content.readAll(digest).then(parse);
    this.parsed.set(digest, loading);
    // A failed read is not remembered: the blob may arrive later.
    loading.catch(() => this.parsed.delete(digest));
    return loading;
  }
}
