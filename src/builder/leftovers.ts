import type { ContainerService } from '../containers/service.js';
import type { Logger } from '../core/logger.js';
import { BUILD_CONTAINER_LABEL } from './labels.js';

/**
 * Removes the RUN containers of builds that a crash interrupted. Apart from
 * the builder so that the daemon's start-up does not load the builder.
 */
export async function removeBuildLeftovers(containers: ContainerService, log: Logger): Promise<number> {
  const left = containers.store.list().filter((c) => c.Labels[BUILD_CONTAINER_LABEL] !== undefined);
  for (const record of left) {
    await containers
      .remove(record.Id, { force: true })
      .catch((err: unknown) =>
        log.warn('could not remove a build container left by a crash', { id: record.Id, error: err }),
      );
  }
  return left.length;
}
