import { join } from 'node:path';
import { openLocalContentStore } from '../content/local.js';
import type { IdMap } from '../core/id-map.js';
import type { Logger } from '../core/logger.js';
import type { EventSink } from '../images/events.js';
import { ImageService } from '../images/service.js';
import { type MetadataStore, openMetadataStore } from '../metadata/store.js';
import { createOverlaySnapshotter } from '../snapshots/overlay/overlay.js';
import type { Snapshotter } from '../snapshots/snapshotter.js';

/** The image service and the stores under it, owned by the daemon. */
export interface ImageStores {
  service: ImageService;
  metadata: MetadataStore;
  snapshotter: Snapshotter;
  /** Closes the stores in reverse order of opening. */
  close(): Promise<void>;
}

/** What opening the image stores needs. */
export interface ImageStoresOptions {
  dataRoot: string;
  events: EventSink;
  log: Logger;
  engineVersion: string;
  /** `userns-remap`: layers are unpacked with owners shifted to these host IDs. */
  idMap?: IdMap;
}

/**
 * Opens the stores images live in, under the data root:
 *
 *     <data-root>/content       blobs (content store)
 *     <data-root>/metadata.db   image records, leases, references (SQLite)
 *     <data-root>/overlay2      unpacked layers (overlay snapshotter)
 *
 * then the image service, which cleans up after a crash before it answers.
 * A failure closes whatever was already open.
 */
export async function openImageStores(options: ImageStoresOptions): Promise<ImageStores> {
  const undo: (() => Promise<void>)[] = [];
  const close = async () => {
    for (const step of undo.reverse()) await step();
  };
  try {
    const content = await openLocalContentStore(join(options.dataRoot, 'content'));
    const metadata = await openMetadataStore(join(options.dataRoot, 'metadata.db'));
    undo.push(async () => metadata.close());
    const snapshotter = await createOverlaySnapshotter(join(options.dataRoot, 'overlay2'), {
      ...(options.idMap ? { idMap: options.idMap } : {}),
    });
    undo.push(() => snapshotter.close());
    const service = await ImageService.open({
      content,
      metadata,
      snapshotter,
      events: options.events,
      log: options.log,
      engineVersion: options.engineVersion,
    });
    return { service, metadata, snapshotter, close };
  } catch (err) {
    await close().catch(() => undefined);
    throw err;
  }
}
