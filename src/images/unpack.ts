import { randomBytes } from 'node:crypto';
import { mkdir, rename, rmdir } from 'node:fs/promises';
import type { ContentReader } from '../content/content.js';
import type { KeyedMutex } from '../content/keyed-mutex.js';
import type { Descriptor } from '../core/descriptor.js';
import type { Digest } from '../core/digest.js';
import { invalidArgument, wrap } from '../core/errors.js';
import type { LeaseStore } from '../metadata/leases.js';
import { applyLayer } from '../snapshots/apply.js';
import type { Snapshotter } from '../snapshots/snapshotter.js';
import { chainIds, shortId } from './chain.js';
import type { EarlyLayer } from './early-unpack.js';
import { layerDirectorySize } from './layer-size.js';
import {
  EXTRACT_PREFIX,
  LAYER_DIR_LABEL,
  LAYER_SIZE_LABEL,
  layerDirectory,
  layerFacts,
  snapshotRef,
} from './layers.js';

/** A layer to unpack: its blob and the diff ID the image config promises for it. */
export interface UnpackLayer {
  blob: Descriptor;
  diffId: Digest;
}

/** Progress of one layer's unpack, in bytes of its blob. */
export interface LayerProgress {
  /** Docker's short id of the layer (its diff ID, 12 hex characters). */
  id: string;
  current: number;
  total: number;
}

/** Options of {@link Unpacker.unpack}. */
export interface UnpackOptions {
  /** The lease that holds every snapshot touched until the image record exists. */
  leaseId: string;
  signal?: AbortSignal;
  onProgress?: (progress: LayerProgress) => void;
  /** Layers already unpacked while the archive streamed in (see EarlyUnpacker). */
  early?: { take(blob: Digest, diffId: Digest): EarlyLayer | undefined };
}

/** What the unpacker needs. */
export interface UnpackerDeps {
  content: ContentReader;
  snapshotter: Snapshotter;
  leases: LeaseStore;
  /** Per-snapshot locks shared with the snapshot collector. */
  locks: KeyedMutex;
}

/** Progress lines come at most every this many bytes, as Docker's progress reader. */
const PROGRESS_STEP = 512 * 1024;

/**
 * Unpacks image layers into snapshots named by chain ID, bottom first. A
 * layer already unpacked (by any image) is reused. Each snapshot is added to
 * the lease before it is looked at or created, and the work on one chain ID
 * runs under its lock, so the snapshot collector never removes what an
 * unpack is about to use. A failed layer leaves no snapshot behind.
 */
export class Unpacker {
  constructor(private readonly deps: UnpackerDeps) {}

  /** Unpacks `layers` and returns their chain IDs. */
  async unpack(layers: readonly UnpackLayer[], options: UnpackOptions): Promise<Digest[]> {
    const chain = chainIds(layers.map((layer) => layer.diffId));
    for (const [index, layer] of layers.entries()) {
      const chainId = chain[index]!;
      const parent = index === 0 ? undefined : chain[index - 1];
      await this.deps.locks.run(chainId, () => this.unpackLayer(layer, index, chainId, parent, options));
    }
    return chain;
  }

  private async unpackLayer(
    layer: UnpackLayer,
    index: number,
    chainId: Digest,
    parent: Digest | undefined,
    options: UnpackOptions,
  ): Promise<void> {
    const { snapshotter, leases } = this.deps;
    leases.addResource(options.leaseId, { kind: 'snapshot', ...snapshotRef(chainId) });
    if (await layerFacts(snapshotter, chainId)) return;
    const early = options.early?.take(layer.blob.digest, layer.diffId);
    if (early) {
      await this.adopt(early, chainId, parent, options);
      options.onProgress?.({ id: shortId(layer.diffId), current: layer.blob.size, total: layer.blob.size });
      return;
    }
    const key = this.extractKey(chainId, options);
    const dir = layerDirectory(await snapshotter.prepare(key, parent));
    try {
      await this.apply(dir, layer, index, options);
      await snapshotter.commit(chainId, key, { labels: await layerLabels(dir) });
    } catch (err) {
      await snapshotter.remove(key).catch(() => undefined);
      throw err;
    }
  }

  /**
   * Commits a layer unpacked early as `chainId`. Without a parent its
   * snapshot is committed as it is; otherwise its directory becomes the
   * upper directory of a fresh snapshot on `parent` (an overlay layer's
   * content does not depend on what lies below it).
   */
  private async adopt(
    early: EarlyLayer,
    chainId: Digest,
    parent: Digest | undefined,
    options: UnpackOptions,
  ): Promise<void> {
    const { snapshotter } = this.deps;
    if (parent === undefined) {
      await snapshotter.commit(chainId, early.key, { labels: await layerLabels(early.dir) });
      return;
    }
    const key = this.extractKey(chainId, options);
    const dir = layerDirectory(await snapshotter.prepare(key, parent));
    try {
      await rmdir(dir);
      await rename(early.dir, dir);
      // The early snapshot keeps a (now empty) directory, so it can be removed as usual.
      await mkdir(early.dir, { mode: 0o755 });
      await snapshotter.commit(chainId, key, { labels: await layerLabels(dir) });
    } catch (err) {
      await snapshotter.remove(key).catch(() => undefined);
      throw err;
    }
    await snapshotter.remove(early.key).catch(() => undefined);
  }

  /** A fresh key for unpacking `chainId`, taken into the lease before the snapshot exists. */
  private extractKey(chainId: Digest, options: UnpackOptions): string {
    const key = `${EXTRACT_PREFIX}${randomBytes(6).toString('hex')}-${chainId}`;
    this.deps.leases.addResource(options.leaseId, { kind: 'snapshot', ...snapshotRef(key) });
    return key;
  }

  /** Applies one layer blob into `dir` and checks its diff ID. */
  private async apply(dir: string, layer: UnpackLayer, index: number, options: UnpackOptions): Promise<void> {
    const raw = await this.deps.content.readStream(layer.blob.digest);
    const counted = countProgress(raw, shortId(layer.diffId), layer.blob.size, options.onProgress);
    // An uncompressed blob is its own tar: the content store checked its digest on ingest.
    const verified = layer.blob.digest === layer.diffId;
    let applied: Awaited<ReturnType<typeof applyLayer>>;
    try {
      applied = await applyLayer(dir, counted, {
        ...(options.signal ? { signal: options.signal } : {}),
        ...(this.deps.snapshotter.idMap ? { idMap: this.deps.snapshotter.idMap } : {}),
        hash: !verified,
      });
    } catch (err) {
      throw wrap(err, `failed to register layer ${shortId(layer.diffId)}`);
    } finally {
      raw.destroy();
    }
    if (!verified && applied.diffID !== layer.diffId) {
      throw invalidArgument(
        `invalid diffID for layer ${index}: expected "${layer.diffId}", got "${applied.diffID}"`,
      );
    }
  }
}

/** The labels of a committed layer: Docker's diff size and where the layer lives. */
async function layerLabels(dir: string): Promise<Record<string, string>> {
  return { [LAYER_SIZE_LABEL]: String(await layerDirectorySize(dir)), [LAYER_DIR_LABEL]: dir };
}

async function* countProgress(
  source: AsyncIterable<Buffer>,
  id: string,
  total: number,
  onProgress: UnpackOptions['onProgress'],
): AsyncGenerator<Buffer> {
  let current = 0;
  let reported = 0;
  for await (const chunk of source) {
    current += chunk.length;
    if (onProgress && (current - reported >= PROGRESS_STEP || current === total)) {
      reported = current;
      onProgress({ id, current, total });
    }
    yield chunk;
  }
}
