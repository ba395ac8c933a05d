import type { ContentStore } from '../content/content.js';
import { KeyedMutex } from '../content/keyed-mutex.js';
import type { Digest } from '../core/digest.js';
import { invalidArgument } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import type { MetadataStore } from '../metadata/store.js';
import type { Snapshotter } from '../snapshots/snapshotter.js';
import { writeSaveArchive } from './archive/writer.js';
import { ParsedBlobs } from './blob-cache.js';
import { ImageCatalog, type ImageEntry } from './catalog.js';
import { type ChildImageRequest, ChildImageWriter } from './child.js';
import { type Collected, ImageCollector } from './collector.js';
import { type DeleteItem, type DeleteOptions, ImageDeleter } from './delete.js';
import { type EventSink, publishImageEvent } from './events.js';
import { ImageImporter, type ImportRequest } from './import.js';
import { layerDirectorySize } from './layer-size.js';
import { layerDirectory } from './layers.js';
import { dropStaleLeases, holdWhileStreaming } from './leases.js';
import { type ListOptions, listImages } from './list.js';
import { ImageLoader, type LoadedImage, type LoadOptions } from './load.js';
import { type PruneReport, pruneImages } from './prune.js';
import { ImageRecords } from './records.js';
import { familiarString, parseNormalizedNamed, tagNameOnly, withTag } from './reference.js';
import { resolveSaveItems } from './save.js';
import { Unpacker } from './unpack.js';
import { type ImageUsage, noImageUsage } from './usage.js';
import { type HistoryItem, type ImageDetails, type ImageSummary, ImageViews } from './views.js';

/** What the image service is built from. */
export interface ImageServiceOptions {
  content: ContentStore;
  metadata: MetadataStore;
  /** The overlay snapshotter layers are unpacked into. */
  snapshotter: Snapshotter;
  events: EventSink;
  log: Logger;
  /** This engine's version, written into imported images as Docker does. */
  engineVersion: string;
  usage?: ImageUsage;
}

/** See {@link ImageService.storeAccess}. */
export interface ImageStoreAccess {
  content: ContentStore;
  metadata: MetadataStore;
  snapshotter: Snapshotter;
  events: EventSink;
  unpacker: Unpacker;
  records: ImageRecords;
  catalog: ImageCatalog;
}

/** `docker system df`'s image part. */
export interface ImageDiskUsage {
  /** Diff sizes of every layer some image uses, each counted once. */
  layersSize: number;
  /** Every (top-level) image, with container counts and shared sizes. */
  images: ImageSummary[];
}

/**
 * The engine's images: Docker's image commands over the content store, the
 * metadata store and the overlay snapshotter. Image IDs are config digests,
 * names follow Docker's reference rules, layers are shared by chain ID.
 */
export class ImageService {
  private usage: ImageUsage;
  private readonly catalog: ImageCatalog;
  private readonly records: ImageRecords;
  private readonly views: ImageViews;
  private readonly collector: ImageCollector;
  private readonly deleter: ImageDeleter;
  private readonly loader: ImageLoader;
  private readonly importer: ImageImporter;
  private readonly unpacker: Unpacker;
  private readonly children: ChildImageWriter;

  private constructor(private readonly options: ImageServiceOptions) {
    const { content, metadata, snapshotter, events, log } = options;
    this.usage = options.usage ?? noImageUsage;
    const locks = new KeyedMutex();
    const blobs = new ParsedBlobs(content);
    this.records = new ImageRecords(metadata);
    this.catalog = new ImageCatalog(metadata, blobs);
    this.views = new ImageViews(snapshotter, this.records);
    this.collector = new ImageCollector({
      metadata,
      content,
      snapshotter,
      locks,
      log,
      onBlobsDeleted: (digests) => blobs.forget(digests),
    });
    const unpacker = new Unpacker({ content, snapshotter, leases: metadata.leases, locks });
    this.unpacker = unpacker;
    const shared = { content, leases: metadata.leases, unpacker, records: this.records, events };
    this.loader = new ImageLoader({ ...shared, snapshotter });
    this.importer = new ImageImporter({ ...shared, engineVersion: options.engineVersion });
    this.children = new ChildImageWriter({
      ...shared,
      catalog: this.catalog,
      engineVersion: options.engineVersion,
      transaction: (fn) => metadata.transaction(fn),
    });
    this.deleter = new ImageDeleter({
      catalog: this.catalog,
      records: this.records,
      collector: this.collector,
      events,
      usage: () => this.usage,
    });
  }

  /**
   * Opens the service and recovers from a crash: leases an earlier berthd
   * left are dropped and everything they alone held (half-loaded blobs and
   * snapshots) is collected, so no half image survives.
   */
  static async open(options: ImageServiceOptions): Promise<ImageService> {
    const service = new ImageService(options);
    const stale = dropStaleLeases(options.metadata.leases);
    const collected = await service.collect();
    if (stale.length > 0 || collected.snapshots.length + collected.blobs.length > 0) {
      options.log.info('images: cleaned up after an interrupted operation', {
        leases: stale.length,
        snapshots: collected.snapshots.length,
        blobs: collected.blobs.length,
      });
    }
    return service;
  }

  /**
   * The stores and helpers the registry client (src/distribution) pulls
   * into and pushes from; it follows the same lease-then-register order.
   */
  storeAccess(): ImageStoreAccess {
    const { content, metadata, snapshotter, events } = this.options;
    return {
      content,
      metadata,
      snapshotter,
      events,
      unpacker: this.unpacker,
      records: this.records,
      catalog: this.catalog,
    };
  }

  /** Plugs in who uses images (the container service), for `docker rmi`'s conflicts. */
  setUsage(usage: ImageUsage): void {
    this.usage = usage;
  }

  /** How many images there are, as `docker info` counts them. */
  count(): number {
    return this.catalog.count();
  }

  /** `docker images`. */
  async list(options: ListOptions = {}): Promise<ImageSummary[]> {
    const listed = await listImages(this.catalog, this.records, options);
    return Promise.all(
      listed.map(async ({ entry, tags, digests }) => ({
        ...(await this.views.summary(entry)),
        repoTags: tags.map(familiarString),
        repoDigests: digests.map(familiarString),
      })),
    );
  }

  /** `docker image inspect`. */
  async inspect(name: string): Promise<ImageDetails> {
    return this.views.details(await this.catalog.resolve(name));
  }

  /** `docker history`. */
  async history(name: string): Promise<HistoryItem[]> {
    return this.views.history(await this.catalog.resolve(name), this.catalog);
  }

  /** `docker tag`: names the image `repo` (with `tag`, or the one in `repo`, or latest). */
  async tag(name: string, repo: string, tag?: string): Promise<void> {
    const entry = await this.catalog.resolve(name);
    if (repo === '') throw invalidArgument('repository name must have at least one component');
    const parsed = parseNormalizedNamed(repo);
    const ref = tag ? withTag(parsed, tag) : tagNameOnly(parsed);
    this.records.tag({ id: entry.id, target: entry.records[0]!.target }, ref);
    publishImageEvent(this.options.events, 'tag', entry.id, familiarString(ref), this.views.labels(entry));
  }

  /** `docker rmi`. */
  remove(name: string, options?: DeleteOptions): Promise<DeleteItem[]> {
    return this.deleter.delete(name, options);
  }

  /** `docker load`; a failed load's leftovers are collected in the background. */
  async load(archive: AsyncIterable<Buffer>, options: LoadOptions): Promise<LoadedImage[]> {
    try {
      return await this.loader.load(archive, options);
    } catch (err) {
      this.collectInBackground();
      throw err;
    }
  }

  /** `docker import`; returns the new image's ID. */
  async import(rootfs: AsyncIterable<Buffer>, request: ImportRequest): Promise<Digest> {
    try {
      return await this.importer.import(rootfs, request);
    } catch (err) {
      this.collectInBackground();
      throw err;
    }
  }

  /** The stored image a name or ID means (config, layers, chain IDs); NotFound as `docker inspect`. */
  resolve(name: string): Promise<ImageEntry> {
    return this.catalog.resolve(name);
  }

  /** A new image on `parent` plus at most one layer: `docker commit` and build steps. */
  async createChild(request: ChildImageRequest): Promise<Digest> {
    try {
      return await this.children.create(request);
    } catch (err) {
      this.collectInBackground();
      throw err;
    }
  }

  /**
   * `docker save`: resolves every name first (so an unknown one fails before
   * any byte is sent), then returns the archive as a stream.
   */
  async save(names: readonly string[]): Promise<AsyncIterable<Buffer>> {
    if (names.length === 0) throw invalidArgument('no images to save');
    const items = await resolveSaveItems(this.catalog, names);
    for (const { entry } of items)
      publishImageEvent(this.options.events, 'save', entry.id, entry.id, this.views.labels(entry));
    const blobs = items.flatMap(({ entry }) => [
      entry.manifest.digest,
      entry.parsedManifest.config.digest,
      ...entry.parsedManifest.layers.map((layer) => layer.digest),
    ]);
    return holdWhileStreaming(
      this.options.metadata.leases,
      blobs,
      writeSaveArchive(items, this.options.content),
    );
  }

  /** `docker image prune`. */
  prune(filters: Record<string, string[]> = {}): Promise<PruneReport> {
    return pruneImages(
      {
        catalog: this.catalog,
        records: this.records,
        views: this.views,
        deleter: this.deleter,
        events: this.options.events,
      },
      filters,
    );
  }

  /** The image part of `docker system df`. */
  async diskUsage(): Promise<ImageDiskUsage> {
    const listed = await listImages(this.catalog, this.records);
    const sizes = new Map<Digest, number>();
    const uses = new Map<Digest, number>();
    const images: ImageSummary[] = [];
    for (const { entry, tags, digests } of listed) {
      const layers = await this.views.layers(entry);
      entry.chainIds.forEach((chainId, i) => {
        sizes.set(chainId, layers[i]?.size ?? 0);
        uses.set(chainId, (uses.get(chainId) ?? 0) + 1);
      });
      const containers = (await this.usage.containersUsing(entry.id)).length;
      const summary = await this.views.summary(entry);
      images.push({
        ...summary,
        repoTags: tags.map(familiarString),
        repoDigests: digests.map(familiarString),
        containers,
      });
    }
    listed.forEach(({ entry }, i) => {
      const shared = entry.chainIds.filter((chainId) => (uses.get(chainId) ?? 0) > 1);
      images[i]!.sharedSize = shared.reduce((sum, chainId) => sum + (sizes.get(chainId) ?? 0), 0);
    });
    const layersSize = [...sizes.values()].reduce((sum, size) => sum + size, 0);
    return { layersSize, images };
  }

  /**
   * Docker's SizeRw of a container's writable snapshot: the apparent sizes
   * in its upper directory, as overlay2's DiffSize counts them.
   */
  async writableLayerSize(snapshotKey: string): Promise<number> {
    return layerDirectorySize(layerDirectory(await this.options.snapshotter.mounts(snapshotKey)));
  }

  /** Removes every blob and snapshot nothing holds. */
  collect(): Promise<Collected> {
    return this.collector.collect();
  }

  /** Collects in the background what a failed operation left (logs a failure). */
  collectInBackground(): void {
    this.collect().catch((err: unknown) =>
      this.options.log.warn('image garbage collection failed', { error: err }),
    );
  }
}
