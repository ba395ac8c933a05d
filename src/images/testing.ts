/** Test support: an image service on real stores in a temp directory, and the shared fixtures. */
import { createReadStream, existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LocalContentStore } from '../content/local.js';
import { openLocalContentStore } from '../content/local.js';
import { createLogger } from '../core/logger.js';
import { EventBus } from '../events/bus.js';
import type { EngineEvent } from '../events/event.js';
import type { MetadataStore } from '../metadata/store.js';
import { openMetadataStore } from '../metadata/store.js';
import { createOverlaySnapshotter } from '../snapshots/overlay/overlay.js';
import type { Snapshotter } from '../snapshots/snapshotter.js';
import { imageFixturesDir } from '../testing/paths.js';
import type { LoadReporter } from './load.js';
import { ImageService } from './service.js';

/** An image service with its stores, all under one temp directory. */
export interface ImageFixture {
  dir: string;
  content: LocalContentStore;
  metadata: MetadataStore;
  snapshotter: Snapshotter;
  service: ImageService;
  /** Every image event published so far. */
  events: EngineEvent[];
  /** Closes the stores and opens them again, as a daemon restart does. */
  reopen(): Promise<void>;
  cleanup(): Promise<void>;
}

/** Opens a fresh image service; call `cleanup` when done. */
export async function openTestImages(): Promise<ImageFixture> {
  const dir = await mkdtemp(join(tmpdir(), 'berth-images-'));
  const events: EngineEvent[] = [];
  const bus = new EventBus();
  bus.subscribe({ onEvent: (event) => events.push(event) });
  const open = async () => {
    const content = await openLocalContentStore(join(dir, 'content'));
    const metadata = await openMetadataStore(join(dir, 'metadata.db'));
    const snapshotter = await createOverlaySnapshotter(join(dir, 'overlay2'));
    const log = createLogger({ level: 'error' });
    const service = await ImageService.open({
      content,
      metadata,
      snapshotter,
      events: bus,
      log,
      engineVersion: 'test',
    });
    return { content, metadata, snapshotter, service };
  };
  const close = async (stores: { metadata: MetadataStore; snapshotter: Snapshotter }) => {
    await stores.snapshotter.close();
    stores.metadata.close();
  };
  const fixture: ImageFixture = {
    dir,
    events,
    ...(await open()),
    reopen: async () => {
      await close(fixture);
      Object.assign(fixture, await open());
    },
    cleanup: async () => {
      await close(fixture);
      await rm(dir, { recursive: true, force: true });
    },
  };
  return fixture;
}

/** The path of a shared image fixture, or undefined when this checkout has none. */
export function imageFixture(name: string): string | undefined {
  const path = join(imageFixturesDir, name);
  return existsSync(path) ? path : undefined;
}

/** Loads a fixture archive; returns the messages a client would see. */
export async function loadFixture(service: ImageService, path: string): Promise<string[]> {
  const messages: string[] = [];
  const reporter: LoadReporter = { message: (text) => messages.push(text) };
  await service.load(createReadStream(path), { reporter });
  return messages;
}

/** The image IDs the shared fixtures README gives. */
export const FIXTURE_IDS = {
  busybox: 'sha256:9d3a1474973369b974e045681e7091df95555424294d1ce86e371fbc42778c2a',
  layers: 'sha256:5228ba304284ab05ba9e5982433ac76385ef07e1c141ef6a445c7950f5652b37',
  layersDockerd: 'sha256:8161c0687c284cb0cb8cd44a2066cbbac77f7c982661511661b68c15bcad5423',
  multiarchAmd64: 'sha256:e886dee86c7b412e6f65674855827e715f95489254a56eb137583a590de9766c',
  evil: 'sha256:6c70c6ca5ffd4e9892c4519f3f80be61b54fd9ccca0d0b3e30238a98ebb97621',
} as const;
