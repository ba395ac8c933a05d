import { join } from 'node:path';
import { KeyedMutex } from '../content/keyed-mutex.js';
import { conflict, notFound, permissionDenied } from '../core/errors.js';
import { type Logger, silentLogger } from '../core/logger.js';
import { BridgeDriver } from './bridge-driver.js';
import {
  defaultBridgeRecord,
  defaultBridgeToggles,
  isDefaultBridge,
  planBridgeNetwork,
} from './bridge-plan.js';
import type { ContainerFiles } from './container-files.js';
import { NetworkDns } from './dns/service.js';
import { EndpointOperations, type PlannedEndpoint } from './endpoints.js';
import { DEFAULT_ADDRESS_POOLS, hostSubnets } from './ipam.js';
import type { NetworkManagerOptions } from './options.js';
import { matchesFilters, type NetworkFilters, passiveNetworkRecord } from './records.js';
import { NetworkRegistry } from './registry.js';
import { type SandboxFilesRequest, writeSandboxFiles } from './sandbox-files.js';
import { createPassiveDriver } from './simple-drivers.js';
import { NetworkStateStore } from './state-store.js';
import type { AttachRequest, Endpoint, NetworkCreateRequest, NetworkDriver, NetworkRecord } from './types.js';

/**
 * The networks of one engine: records, the predefined `bridge`, `host` and
 * `none`, IPAM, endpoints, DNS and the containers' network files. Every
 * change is written to disk before it is made on the host, so `reconcile`
 * can undo whatever a crash interrupted. Changes to one network are serialised.
 */
export class NetworkManager {
  readonly logger: Logger;
  private readonly registry = new NetworkRegistry();
  private readonly lock = new KeyedMutex();
  private readonly bridge: BridgeDriver;
  private readonly drivers: Record<string, NetworkDriver>;
  private readonly dns: NetworkDns;
  private readonly store: NetworkStateStore;
  private readonly endpoints: EndpointOperations;

  private constructor(private readonly options: NetworkManagerOptions) {
    this.logger = options.logger ?? silentLogger;
    this.store = new NetworkStateStore(options.stateDir);
    this.bridge = new BridgeDriver({
      cacheDir: join(options.stateDir, 'cni', 'results'),
      cniPluginDir: options.cniPluginDir ?? '/usr/lib/cni',
      chainPrefix: options.chainPrefix ?? 'BERTH',
      iptables: options.iptables ?? true,
      logger: this.logger,
    });
    this.drivers = {
      bridge: this.bridge,
      host: createPassiveDriver('host'),
      null: createPassiveDriver('null'),
    };
    this.dns = new NetworkDns({
      port: options.dnsPort ?? 53,
      hostResolvConf: options.hostResolvConf ?? '/etc/resolv.conf',
      hasExternalAccess: (containerId) => this.registry.hasExternalAccess(containerId),
      logger: this.logger,
    });
    this.endpoints = new EndpointOperations({
      registry: this.registry,
      store: this.store,
      dns: this.dns,
      lock: this.lock,
      driverOf: (network) => this.driverOf(network),
      logger: this.logger,
    });
  }

  /**
   * Loads the state, creates the predefined networks if missing and makes
   * every network exist on the host again (bridges, chains, DNS servers).
   * Call {@link reconcile} next with the containers that are still alive.
   */
  static async open(options: NetworkManagerOptions): Promise<NetworkManager> {
    const manager = new NetworkManager(options);
    await manager.load();
    return manager;
  }

  /** Creates a user-defined bridge network (`docker network create`). */
  async create(request: NetworkCreateRequest): Promise<NetworkRecord> {
    return this.lock.run('create', async () => {
      if (this.registry.allNetworks().some((network) => network.name === request.name)) {
        throw conflict(`network with name ${request.name} already exists`);
      }
      if (request.driver && request.driver !== 'bridge') {
        throw permissionDenied(`only one instance of "${request.driver}" network is allowed`);
      }
      const network = planBridgeNetwork(request, await this.planContext());
      await this.store.saveNetwork(network);
      try {
        await this.bringUp(network);
      } catch (err) {
        await this.tearDown(network).catch(() => {});
        throw err;
      }
      return network;
    });
  }

  /** A network by ID, name or unique ID prefix. */
  get(ref: string): NetworkRecord {
    return this.registry.find(ref);
  }

  /** Networks passing the filters, oldest first. */
  list(filters: NetworkFilters = {}): NetworkRecord[] {
    // ISO 8601 times sort in code-unit order; localeCompare would load ICU's collator into the daemon.
    return this.registry
      .allNetworks()
      .filter((network) =>
        matchesFilters(network, filters, this.registry.endpointsOfNetwork(network.id).length),
      )
      .sort((a, b) => (a.created < b.created ? -1 : a.created > b.created ? 1 : 0));
  }

  /** Removes a user-defined network that has no endpoints (`docker network rm`). */
  async remove(ref: string): Promise<void> {
    const network = this.get(ref);
    if (network.predefined)
      throw permissionDenied(`${network.name} is a pre-defined network and cannot be removed`);
    await this.lock.run(network.id, async () => {
      if (this.registry.endpointsOfNetwork(network.id).length > 0) {
        throw permissionDenied(
          `error while removing network: network ${network.name} id ${network.id} has active endpoints`,
        );
      }
      await this.tearDown(network);
    });
  }

  /** Removes the user-defined networks without endpoints that pass the filters; returns their names. */
  async prune(filters: NetworkFilters = {}): Promise<string[]> {
    const removed: string[] = [];
    for (const network of this.list({ ...filters, type: ['custom'], dangling: true })) {
      await this.remove(network.id).then(
        () => removed.push(network.name),
        (err) => this.logger.warn('network prune skipped a network', { network: network.name, error: err }),
      );
    }
    return removed;
  }

  /** Connects a container's network namespace to a network and returns the endpoint. */
  async attach(ref: string, request: AttachRequest): Promise<Endpoint> {
    return this.endpoints.attach(this.get(ref), request);
  }

  /** attach in two steps: the endpoint once planned, and a promise for the driver's part (see EndpointOperations). */
  async attachPlanned(
    ref: string,
    netnsMade: Promise<void> | undefined,
    request: AttachRequest,
  ): Promise<PlannedEndpoint> {
    return this.endpoints.attachPlanned(this.get(ref), request, netnsMade);
  }

  /**
   * Disconnects a container from a network. Fastest when the container's
   * namespace is already gone: the kernel has then removed the veth with it
   * and the CNI DEL only frees the address.
   */
  async detach(ref: string, containerId: string): Promise<void> {
    await this.endpoints.detach(this.get(ref), containerId);
  }

  /** The endpoints of a network. */
  endpointsOfNetwork(ref: string): Endpoint[] {
    return this.registry.endpointsOfNetwork(this.get(ref).id);
  }

  /** The endpoints of a container, in the order they were made. */
  endpointsOfContainer(containerId: string): Endpoint[] {
    return this.registry.endpointsOfContainer(containerId);
  }

  /** Writes a container's /etc/hosts, /etc/resolv.conf and /etc/hostname into `dir`. */
  async writeContainerFiles(
    dir: string,
    request: SandboxFilesRequest,
    options: { hostsInPlace?: boolean } = {},
  ): Promise<ContainerFiles> {
    const hostFiles = {
      resolvConf: this.options.hostResolvConf ?? '/etc/resolv.conf',
      hosts: this.options.hostHosts ?? '/etc/hosts',
      hostGatewayIp: this.registry.allNetworks().find(isDefaultBridge)?.ipv4?.gateway,
    };
    return writeSandboxFiles(dir, request, this.registry, hostFiles, options);
  }

  /**
   * Brings endpoints in line with the containers that are alive (at daemon
   * start): endpoints of other containers are detached, those of live ones
   * get their host-side rules back. Returns how many of each.
   */
  async reconcile(liveContainerIds: Iterable<string>): Promise<{ removed: number; restored: number }> {
    // The batch ends with a sync that rewrites every rule of the live endpoints.
    return this.bridge.batch(() => this.endpoints.removeAllBut(new Set(liveContainerIds)));
  }

  /** Stops the DNS servers; everything else stays for the next start (live restore). */
  async close(): Promise<void> {
    await this.dns.close();
  }

  /**
   * Removes everything this manager made on the host, predefined networks
   * included: endpoints, bridges, Berth's chains, DNS servers, state files.
   * For tests and uninstalling; a daemon calls {@link close}.
   */
  async teardown(): Promise<void> {
    // Every step is tried even if one fails; the first failure is thrown at the end.
    const failures: unknown[] = [];
    const attempt = (step: () => Promise<unknown>) => step().catch((err: unknown) => failures.push(err));
    await attempt(() => this.endpoints.removeAllBut(new Set()));
    for (const network of this.registry.allNetworks()) await attempt(() => this.tearDown(network));
    await attempt(() => this.bridge.uninstall());
    await attempt(() => this.dns.close());
    if (failures.length > 0) throw failures[0];
  }

  private async load(): Promise<void> {
    const onBadFile = (path: string, error: unknown) =>
      this.logger.warn('skipping unreadable network state', { path, error });
    const state = await this.store.load(onBadFile);
    await this.bridge.batch(async () => {
      for (const network of state.networks) this.registry.addNetwork(await this.withCurrentToggles(network));
      await this.ensurePredefined();
      for (const network of this.registry.allNetworks()) await this.bringUp(network);
      for (const endpoint of state.endpoints) {
        const network = this.registry.byId(endpoint.networkId);
        if (!network) continue;
        this.endpoints.adopt(endpoint, true);
        await this.driverOf(network).restore(network, endpoint);
      }
    });
  }

  /**
   * A stored default bridge with `icc`/`ip-masq` of the current daemon.json
   * (saved when they changed), so a restart with new settings applies them.
   */
  private async withCurrentToggles(network: NetworkRecord): Promise<NetworkRecord> {
    if (!isDefaultBridge(network) || this.options.defaultBridge === false) return network;
    const toggles = defaultBridgeToggles(this.options.defaultBridge ?? {});
    const changed = Object.entries(toggles).some(([key, value]) => network.options[key] !== value);
    if (!changed) return network;
    const updated = { ...network, options: { ...network.options, ...toggles } };
    await this.store.saveNetwork(updated);
    return updated;
  }

  private async ensurePredefined(): Promise<void> {
    const names = new Set(this.registry.allNetworks().map((network) => network.name));
    const missing: NetworkRecord[] = [];
    if (!names.has('host')) missing.push(passiveNetworkRecord('host'));
    if (!names.has('none')) missing.push(passiveNetworkRecord('none'));
    if (!names.has('bridge') && this.options.defaultBridge !== false) {
      const spec = { bridgeName: 'berth0', ...this.options.defaultBridge };
      missing.push(defaultBridgeRecord(spec, await this.planContext()));
    }
    for (const network of missing) {
      await this.store.saveNetwork(network);
      this.registry.addNetwork(network);
    }
  }

  /** Makes a stored network exist on the host (again). */
  private async bringUp(network: NetworkRecord): Promise<void> {
    this.registry.addNetwork(network);
    await this.driverOf(network).createNetwork(network);
    if (network.driver === 'bridge' && !isDefaultBridge(network)) await this.dns.start(network);
  }

  private async tearDown(network: NetworkRecord): Promise<void> {
    await this.dns.stop(network.id);
    await this.driverOf(network).deleteNetwork(network);
    await this.store.removeNetwork(network.id);
    this.registry.dropNetwork(network.id);
  }

  private driverOf(network: NetworkRecord): NetworkDriver {
    const driver = this.drivers[network.driver];
    if (!driver) throw notFound(`network driver ${network.driver} not found`);
    return driver;
  }

  private async planContext() {
    return {
      networks: this.registry.allNetworks(),
      hostSubnets: await hostSubnets(),
      pools: this.options.addressPools?.length ? this.options.addressPools : DEFAULT_ADDRESS_POOLS,
    };
  }
}
