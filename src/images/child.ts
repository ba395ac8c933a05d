import type { ContentStore } from '../content/content.js';
import { type Descriptor, DockerMediaType } from '../core/descriptor.js';
import { type Digest, sha256Of } from '../core/digest.js';
import type { LeaseStore } from '../metadata/leases.js';
import type { ImageCatalog } from './catalog.js';
import { chainIds } from './chain.js';
import type { ContainerConfig, HistoryEntry, ImageConfig } from './config.js';
import { type EventSink, publishImageEvent } from './events.js';
import { type HeldLease, withLease } from './leases.js';
import { synthesizeManifest } from './manifest.js';
import { hostPlatform } from './platform.js';
import type { ImageRecords, StoredImage } from './records.js';
import { familiarString, type Reference } from './reference.js';
import { nowRfc3339Nano } from './time.js';
import type { Unpacker } from './unpack.js';

/** The diff ID of a layer tar without entries (1024 zero bytes), which Docker leaves out of rootfs. */
export const EMPTY_LAYER_DIFF_ID: Digest =
  'sha256:5f70bf18a086007016e948b04aed3b82103a36bea41755b6cddfaf10ace3c6ef';

/** A new image made of a parent image (or none) and at most one more layer: commits and build steps. */
export interface ChildImageRequest {
  /** The parent image's ID; none for an image from scratch. */
  parent?: Digest;
  /** The new layer as an uncompressed tar; an empty tar (or none) adds no layer. */
  layer?: AsyncIterable<Buffer>;
  /** Or a layer already stored (and unpacked), taken from another image. */
  existingLayer?: { blob: Descriptor; diffId: Digest };
  /** The history entry to append as it is (a cached step's), instead of a new one. */
  historyEntry?: HistoryEntry;
  /** The new image's runtime config. */
  config: ContainerConfig;
  /** What the container that made the layer ran (Docker's `container_config`). */
  containerConfig?: ContainerConfig;
  /** The ID of the container the image was committed from. */
  container?: string;
  /** The history entry's `created_by`. */
  createdBy?: string;
  author?: string;
  comment?: string;
  /** Names for the new image. */
  tags?: readonly Reference[];
  signal?: AbortSignal;
  /**
   * A lease the caller holds for longer (a build's): what is written joins
   * it instead of a lease of its own, which saves two metadata commits.
   */
  leaseId?: string;
  /** Runs in the transaction that records the image (a build records its cache entry). */
  onRecorded?: (id: Digest) => void;
}

/** What the child image writer needs. */
export interface ChildImageDeps {
  content: ContentStore;
  leases: LeaseStore;
  unpacker: Unpacker;
  records: ImageRecords;
  catalog: ImageCatalog;
  events: EventSink;
  engineVersion: string;
  /** The metadata store's transaction, to record the image, its parent and the caller's extras at once. */
  transaction: <T>(fn: () => T) => T;
}

/**
 * Writes child images as dockerd's CommitImage does: the parent's config and
 * history carried over, one history entry appended (`empty_layer` when the
 * layer tar holds nothing), the layer stored uncompressed so its digest is
 * its diff ID, and the parent recorded as the local parent image.
 */
export class ChildImageWriter {
  constructor(private readonly deps: ChildImageDeps) {}

  async create(request: ChildImageRequest): Promise<Digest> {
    const parent = request.parent ? await this.deps.catalog.byId(request.parent) : undefined;
    if (request.parent && !parent) throw new Error(`parent image ${request.parent} disappeared`);
    const work = async (lease: HeldLease) => {
      const newLayer = request.layer
        ? await this.storeLayer(request.layer, lease, request.signal)
        : undefined;
      if (request.existingLayer) lease.holdContent(request.existingLayer.blob.digest);
      const layer = newLayer ?? request.existingLayer?.blob;
      const layerDiffId = newLayer?.digest ?? request.existingLayer?.diffId;
      const empty = layer === undefined || layerDiffId === EMPTY_LAYER_DIFF_ID;
      const parentConfig = parent?.config;
      const parentLayers = parent ? [...parent.parsedManifest.layers] : [];
      const diffIds = [...(parentConfig?.rootfs.diff_ids ?? [])];
      const layers: Descriptor[] = parentLayers;
      if (!empty) {
        diffIds.push(layerDiffId!);
        layers.push(layer);
      }
      const chain = chainIds(diffIds);
      if (!empty) {
        await this.deps.unpacker.unpack(
          layers.map((blob, i) => ({ blob, diffId: diffIds[i]! })),
          { leaseId: lease.id, ...(request.signal ? { signal: request.signal } : {}) },
        );
      }
      const created = nowRfc3339Nano();
      const platform = parentConfig ?? hostPlatform();
      const history: HistoryEntry = request.historyEntry ?? {
        created,
        ...(request.author ? { author: request.author } : {}),
        ...(request.createdBy !== undefined ? { created_by: request.createdBy } : {}),
        ...(request.comment ? { comment: request.comment } : {}),
        ...(empty ? { empty_layer: true } : {}),
      };
      const config: ImageConfig = {
        architecture: platform.architecture ?? hostPlatform().architecture,
        ...(request.author ? { author: request.author } : {}),
        ...(request.comment ? { comment: request.comment } : {}),
        config: request.config,
        ...(request.container ? { container: request.container } : {}),
        ...(request.containerConfig ? { container_config: request.containerConfig } : {}),
        created: history.created ?? created,
        docker_version: this.deps.engineVersion,
        history: [...(parentConfig?.history ?? []), history],
        os: platform.os ?? 'linux',
        ...(platform.variant ? { variant: platform.variant } : {}),
        rootfs: { type: 'layers', diff_ids: diffIds },
      };
      const stored = await this.storeImage(config, layers, chain, lease);
      this.deps.transaction(() => {
        this.deps.records.register(stored, request.tags ?? []);
        if (parent) this.deps.records.setParent(stored.id, parent.id);
        request.onRecorded?.(stored.id);
      });
      for (const ref of request.tags ?? [])
        publishImageEvent(
          this.deps.events,
          'tag',
          stored.id,
          familiarString(ref),
          request.config.Labels ?? {},
        );
      return stored.id;
    };
    if (request.leaseId === undefined) return withLease(this.deps.leases, 'commit', work);
    const leaseId = request.leaseId;
    return work({
      id: leaseId,
      holdContent: (digest) => this.deps.leases.addResource(leaseId, { kind: 'content', digest }),
    });
  }

  private async storeLayer(source: AsyncIterable<Buffer>, lease: HeldLease, signal?: AbortSignal) {
    const { info } = await this.deps.content.write(source, {
      beforeCommit: lease.holdContent,
      ...(signal ? { signal } : {}),
    });
    return { mediaType: DockerMediaType.layer, digest: info.digest, size: info.size };
  }

  private async storeImage(
    config: ImageConfig,
    layers: readonly Descriptor[],
    chain: Digest[],
    lease: HeldLease,
  ): Promise<StoredImage> {
    const configBytes = Buffer.from(JSON.stringify(config));
    const configDescriptor = {
      mediaType: DockerMediaType.config,
      digest: sha256Of(configBytes),
      size: configBytes.length,
    };
    const manifestBytes = synthesizeManifest(
      configDescriptor,
      layers.map((layer) => ({ ...layer, compression: compressionOf(layer) })),
    );
    const target = {
      mediaType: DockerMediaType.manifest,
      digest: sha256Of(manifestBytes),
      size: manifestBytes.length,
    };
    this.deps.transaction(() => {
      lease.holdContent(configDescriptor.digest);
      lease.holdContent(target.digest);
    });
    await Promise.all([
      this.deps.content.writeBytes(configBytes, { digest: configDescriptor.digest }),
      this.deps.content.writeBytes(manifestBytes, { digest: target.digest }),
    ]);
    return { id: configDescriptor.digest, target, config: configDescriptor, layers, chainIds: chain };
  }
}

function compressionOf(layer: Descriptor): 'none' | 'gzip' | 'zstd' {
  if (layer.mediaType.endsWith('gzip')) return 'gzip';
  if (layer.mediaType.endsWith('zstd')) return 'zstd';
  return 'none';
}
