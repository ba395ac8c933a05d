import type { ContentStore } from '../content/content.js';
import type { Digest } from '../core/digest.js';
import type { LeaseStore } from '../metadata/leases.js';
import type { Snapshotter } from '../snapshots/snapshotter.js';
import type { ArchiveImage } from './archive/archive-image.js';
import { spoolArchive } from './archive/spool.js';
import { readArchiveImages, storeArchiveImage } from './archive/store.js';
import { imageLabels } from './config.js';
import { EarlyUnpacker } from './early-unpack.js';
import { type EventSink, publishImageEvent } from './events.js';
import { type HeldLease, withLease } from './leases.js';
import type { ImageRecords } from './records.js';
import { familiarString } from './reference.js';
import type { LayerProgress, Unpacker } from './unpack.js';

/** Where a load reports what it does, in the order dockerd does. */
export interface LoadReporter {
  /** A layer is being unpacked (dockerd's "Loading layer" lines). */
  progress?(progress: LayerProgress): void;
  /** A line for the user, newline included: `Loaded image: busybox:latest\n`. */
  message(text: string): void;
}

/** Options of a load. */
export interface LoadOptions {
  reporter: LoadReporter;
  signal?: AbortSignal;
}

/** An image a load added or updated. */
export interface LoadedImage {
  id: Digest;
  /** Familiar names it was loaded under. */
  tags: string[];
}

/** What a loader needs. */
export interface LoaderDeps {
  content: ContentStore;
  snapshotter: Snapshotter;
  leases: LeaseStore;
  unpacker: Unpacker;
  records: ImageRecords;
  events: EventSink;
}

/**
 * `docker load`: reads an archive as it streams in (see spoolArchive), then
 * for each image stores its blobs, unpacks its layers and names it. All of it
 * happens under one lease, and an image gets its records only once its
 * layers are in place, so an interrupted load (even a kill -9) leaves no
 * image, only garbage the next collection removes.
 */
export class ImageLoader {
  constructor(private readonly deps: LoaderDeps) {}

  load(archive: AsyncIterable<Buffer>, options: LoadOptions): Promise<LoadedImage[]> {
    return withLease(this.deps.leases, 'load', async (lease) => {
      const signal = options.signal ? { signal: options.signal } : {};
      const early = new EarlyUnpacker({ ...this.deps, leaseId: lease.id, ...signal });
      try {
        const files = await spoolArchive(archive, {
          content: this.deps.content,
          hold: lease.holdContent,
          tap: (path) => early.tap(path),
          ...signal,
        });
        await early.settle((path) => files.get(path)?.digest);
        const images = await readArchiveImages(files, this.deps.content);
        const loaded: LoadedImage[] = [];
        for (const image of images) loaded.push(await this.loadImage(image, lease, early, options));
        this.reportIds(loaded, options.reporter);
        return loaded;
      } finally {
        await early.discard();
      }
    });
  }

  /** dockerd prints IDs only when the last image had no tags (its own quirk, kept). */
  private reportIds(loaded: readonly LoadedImage[], reporter: LoadReporter): void {
    if (loaded.length > 0 && loaded.at(-1)?.tags.length === 0) {
      reporter.message(loaded.map((image) => `Loaded image ID: ${image.id}\n`).join(''));
    }
  }

  private async loadImage(
    image: ArchiveImage,
    lease: HeldLease,
    early: EarlyUnpacker,
    options: LoadOptions,
  ): Promise<LoadedImage> {
    const { content, unpacker, records, events } = this.deps;
    const { stored, layers } = await storeArchiveImage(image, { content, hold: lease.holdContent });
    await unpacker.unpack(layers, {
      leaseId: lease.id,
      early,
      ...(options.signal ? { signal: options.signal } : {}),
      ...(options.reporter.progress ? { onProgress: options.reporter.progress } : {}),
    });
    const moved = records.register(stored, image.tags);
    if (image.parent && records.recordsOf(image.parent).length > 0)
      records.setParent(stored.id, image.parent);
    for (const tag of image.tags) {
      const previous = moved.find((move) => move.ref === tag);
      if (previous) {
        options.reporter.message(
          `The image ${familiarString(tag)} already exists, renaming the old one with ID ${previous.previousId} to empty string\n`,
        );
      }
      options.reporter.message(`Loaded image: ${familiarString(tag)}\n`);
    }
    publishImageEvent(events, 'load', stored.id, stored.id, imageLabels(image.config));
    return { id: stored.id, tags: image.tags.map(familiarString) };
  }
}
