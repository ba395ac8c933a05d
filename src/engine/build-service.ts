import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { removeBuildLeftovers } from '../builder/leftovers.js';
import type { BuildService } from '../builder/service.js';
import type { ContainerService } from '../containers/service.js';
import { lazyService } from '../core/lazy.js';
import type { Logger } from '../core/logger.js';
import { unmountUnder } from '../snapshots/mount.js';
import type { DaemonConfig } from './config/types.js';
import type { ImageStores } from './image-stores.js';

/**
 * Opens the builder. Its scratch space, `<data-root>/builder`, is emptied at
 * start: a build that a crash interrupted left only mounts and files there,
 * and the RUN containers it left (labelled as build steps) are removed.
 */
export async function openBuildService(options: {
  config: DaemonConfig;
  images: ImageStores;
  containers: ContainerService;
  log: Logger;
}): Promise<BuildService> {
  const workRoot = join(options.config.dataRoot, 'builder');
  await mkdir(workRoot, { recursive: true });
  await unmountUnder(workRoot).catch(() => {});
  await rm(workRoot, { recursive: true, force: true });
  await mkdir(workRoot, { recursive: true });
  const removed = await removeBuildLeftovers(options.containers, options.log);
  if (removed > 0) options.log.info('builder: removed containers of interrupted builds', { count: removed });
  // The builder's code loads with the first build or commit.
  return lazyService(
    async () =>
      new (await import('../builder/service.js')).BuildService({
        images: options.images.service,
        containers: options.containers,
        snapshotter: options.images.snapshotter,
        leases: options.images.metadata.leases,
        kv: options.images.metadata.kv,
        log: options.log,
        workRoot,
        maxContextSize: options.config.buildMaxContextSize,
      }),
  );
}
