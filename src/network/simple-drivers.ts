import type { NetworkDriver, NetworkDriverName } from './types.js';

/**
 * The drivers of the predefined `host` and `none` networks. They own nothing
 * on the host: a `host` container shares the host's network namespace and a
 * `none` container has only its loopback interface, both arranged by the
 * container service. Their endpoints exist so that `network inspect` lists
 * the containers, as Docker's do.
 */
export function createPassiveDriver(name: Extract<NetworkDriverName, 'host' | 'null'>): NetworkDriver {
  const nothing = async () => {};
  return {
    name,
    createNetwork: nothing,
    deleteNetwork: nothing,
    attach: nothing,
    detach: nothing,
    restore: nothing,
  };
}
