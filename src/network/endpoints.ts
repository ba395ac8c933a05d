import type { KeyedMutex } from '../content/keyed-mutex.js';
import { notFound, permissionDenied } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import type { NetworkDns } from './dns/service.js';
import { planEndpoint } from './endpoint-plan.js';
import { routeDefaultVia } from './links.js';
import type { NetworkRegistry } from './registry.js';
import type { NetworkStateStore } from './state-store.js';
import type { AttachRequest, Endpoint, NetworkDriver, NetworkRecord } from './types.js';

/** What endpoint operations share with the manager. */
export interface EndpointContext {
  registry: NetworkRegistry;
  store: NetworkStateStore;
  dns: NetworkDns;
  /** Serialises changes to one network (keyed by network ID). */
  lock: KeyedMutex;
  driverOf(network: NetworkRecord): NetworkDriver;
  logger: Logger;
}

/** An endpoint whose address is decided and recorded; `plumbed` settles when it exists on the host. */
export interface PlannedEndpoint {
  endpoint: Endpoint;
  plumbed: Promise<void>;
}

/**
 * Connecting and disconnecting containers. The endpoint record (the lease
 * of its address and ports) is written before the driver touches the host
 * and removed after, so a crash in between leaves a record to undo.
 */
export class EndpointOperations {
  constructor(private readonly ctx: EndpointContext) {}

  async attach(network: NetworkRecord, request: AttachRequest): Promise<Endpoint> {
    const { endpoint, plumbed } = await this.attachPlanned(network, request);
    await plumbed;
    return endpoint;
  }

  /**
   * Connects in two steps: resolves once the endpoint (address, ports) is
   * planned, recorded and in the registry, with `plumbed` settling when the
   * driver has made it on the host (the CNI ADD, once `netnsMade` resolves: the
   * container's namespace may still be in the making). A starting container writes
   * its hosts file and creates its runtime container meanwhile. The network's
   * lock is held until `plumbed` settles; a failed plumbing undoes the record.
   */
  async attachPlanned(
    network: NetworkRecord,
    request: AttachRequest,
    netnsMade: Promise<void> = Promise.resolve(),
  ): Promise<PlannedEndpoint> {
    let unlock = () => {};
    const held = new Promise<void>((resolve) => {
      unlock = resolve;
    });
    const endpoint = await new Promise<Endpoint>((resolve, reject) => {
      this.ctx.lock
        .run(network.id, async () => {
          try {
            resolve(await this.plan(network, request));
          } catch (err) {
            reject(err);
            return;
          }
          await held;
        })
        .catch(reject);
    });
    const plumbed = this.plumb(network, endpoint, netnsMade).finally(unlock);
    plumbed.catch(() => {}); // the caller awaits it
    return { endpoint, plumbed };
  }

  /** Under the network's lock: the endpoint's address and ports, recorded before the host is touched. */
  private async plan(network: NetworkRecord, request: AttachRequest): Promise<Endpoint> {
    const { registry, store } = this.ctx;
    // The network may have been removed while this call waited for the lock.
    if (!registry.byId(network.id)) throw notFound(`network ${network.name} not found`);
    if (registry.endpoint(network.id, request.containerId)) {
      const name = request.containerName ?? request.containerId;
      throw permissionDenied(`endpoint with name ${name} already exists in network ${network.name}`);
    }
    const siblings = registry.endpointsOfContainer(request.containerId);
    const resources = {
      addresses: registry.addresses(network.id),
      hostPorts: registry.hostPorts,
      siblings,
    };
    const endpoint = await planEndpoint(network, request, resources);
    try {
      await store.saveEndpoint(endpoint);
    } catch (err) {
      registry.dropEndpoint(endpoint);
      throw err;
    }
    this.adopt(endpoint);
    return endpoint;
  }

  /** Still under the lock: the driver makes the endpoint; on failure its record and lease go. */
  private async plumb(network: NetworkRecord, endpoint: Endpoint, netnsMade: Promise<void>): Promise<void> {
    try {
      await netnsMade;
      await this.ctx.driverOf(network).attach(network, endpoint);
    } catch (err) {
      this.ctx.dns.names.remove(network.id, endpoint.containerId);
      await this.ctx.store.removeEndpoint(endpoint).catch(() => {});
      this.ctx.registry.dropEndpoint(endpoint);
      throw err;
    }
  }

  async detach(network: NetworkRecord, containerId: string): Promise<void> {
    const removed = await this.ctx.lock.run(network.id, async () => {
      const endpoint = this.ctx.registry.endpoint(network.id, containerId);
      if (!endpoint) throw notFound(`container ${containerId} is not connected to network ${network.name}`);
      await this.remove(network, endpoint);
      return endpoint;
    });
    if (removed.defaultRoute) await this.handOverDefaultRoute(removed);
  }

  /** Takes an endpoint into the registry and the DNS name table; `reserve` also takes its address and ports. */
  adopt(endpoint: Endpoint, reserve = false): void {
    this.ctx.registry.addEndpoint(endpoint, reserve);
    if (endpoint.dnsNames.length > 0) this.ctx.dns.names.add(endpoint);
  }

  /**
   * Detaches the endpoints of containers not in `live`; returns how many
   * were removed and how many stay. Failures are logged, not thrown.
   */
  async removeAllBut(live: ReadonlySet<string>): Promise<{ removed: number; restored: number }> {
    const counts = { removed: 0, restored: 0 };
    for (const endpoint of this.ctx.registry.allEndpoints()) {
      const network = this.ctx.registry.byId(endpoint.networkId);
      if (!network) continue;
      if (live.has(endpoint.containerId)) {
        counts.restored++;
        continue;
      }
      await this.ctx.lock
        .run(network.id, () => this.remove(network, endpoint))
        .then(
          () => counts.removed++,
          (error) => this.ctx.logger.warn('could not remove endpoint', { network: network.name, error }),
        );
    }
    return counts;
  }

  private async remove(network: NetworkRecord, endpoint: Endpoint): Promise<void> {
    this.ctx.dns.names.remove(network.id, endpoint.containerId);
    await this.ctx.driverOf(network).detach(network, endpoint);
    await this.ctx.store.removeEndpoint(endpoint);
    this.ctx.registry.dropEndpoint(endpoint);
  }

  /**
   * Gives the default route to another of the container's networks that has
   * a way out, if any: under that network's lock, after the first one's was
   * released (never two locks at once).
   */
  private async handOverDefaultRoute(previous: Endpoint): Promise<void> {
    const { registry } = this.ctx;
    const heir = registry
      .endpointsOfContainer(previous.containerId)
      .find((sibling) => sibling.ipAddress && registry.byId(sibling.networkId)?.internal === false);
    if (!heir) return;
    await this.ctx.lock.run(heir.networkId, async () => {
      const current = registry.endpoint(heir.networkId, heir.containerId);
      if (!current || current.defaultRoute) return;
      const updated = { ...current, defaultRoute: true };
      await this.ctx.store.saveEndpoint(updated);
      registry.addEndpoint(updated);
      await routeDefaultVia(updated.netnsPath, updated.gateway, updated.ifName).catch((error) =>
        this.ctx.logger.warn('could not move the default route', { container: updated.containerId, error }),
      );
    });
  }
}
