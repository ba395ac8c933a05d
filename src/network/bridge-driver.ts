import { mkdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { errnoCode, wrap } from '../core/errors.js';
import { writeFileAtomic } from '../core/fs-atomic.js';
import type { Logger } from '../core/logger.js';
import { bridgeConfList } from './cni/conflist.js';
import { CniExecutor } from './cni/exec.js';
import { pruneIdlePortmapChains } from './cni/portmap-chains.js';
import type { CniCacheEntry, CniConfList, CniRuntime } from './cni/types.js';
import { Firewall, type FirewallNetwork } from './firewall.js';
import { deleteLink, ensureBridge } from './links.js';
import type { Endpoint, NetworkDriver, NetworkRecord } from './types.js';

/** Options of {@link BridgeDriver}. */
export interface BridgeDriverOptions {
  /** Where CNI results are cached (one file per ADD, as libcni's cache does). */
  cacheDir: string;
  /** Directory of the CNI plugin binaries. */
  cniPluginDir: string;
  /** Prefix of Berth's iptables chains ("BERTH"). */
  chainPrefix: string;
  logger: Logger;
}

/**
 * The bridge driver: a Linux bridge per network with Berth's iptables chains
 * around it, and containers plugged in by the CNI bridge, static and portmap
 * plugins. Each ADD's configuration and result are cached on disk so the DEL
 * can be given prevResult, as the CNI spec requires.
 */
export class BridgeDriver implements NetworkDriver {
  readonly name = 'bridge' as const;
  private readonly cni: CniExecutor;
  private readonly firewall: Firewall;
  private readonly networks = new Map<string, NetworkRecord>();

  constructor(private readonly options: BridgeDriverOptions) {
    this.cni = new CniExecutor(options.cniPluginDir);
    this.firewall = new Firewall(options.chainPrefix);
  }

  async createNetwork(network: NetworkRecord): Promise<void> {
    const ipv4 = network.ipv4;
    if (!ipv4 || !network.bridgeName) throw new Error(`bridge network ${network.id} has no subnet or bridge`);
    const prefix = ipv4.subnet.split('/')[1];
    const mtu = Number(network.options['com.docker.network.driver.mtu'] ?? 0);
    await ensureBridge({
      name: network.bridgeName,
      address: `${ipv4.gateway}/${prefix}`,
      mtu: mtu || undefined,
    });
    this.networks.set(network.id, network);
    await this.syncFirewall();
  }

  async deleteNetwork(network: NetworkRecord): Promise<void> {
    this.networks.delete(network.id);
    await this.syncFirewall();
    if (network.bridgeName) await deleteLink(network.bridgeName);
  }

  async attach(network: NetworkRecord, endpoint: Endpoint): Promise<void> {
    const config = bridgeConfList(network, endpoint);
    const runtime = runtimeOf(endpoint);
    try {
      const result = await this.cni.add(config, runtime);
      await this.writeCache(endpoint, { ...cacheEntry(endpoint, config), result });
    } catch (err) {
      await this.cni
        .del(config, runtime, undefined)
        .catch((cleanupErr) =>
          this.options.logger.warn('cleanup after a failed CNI ADD failed', { error: cleanupErr }),
        );
      throw wrap(err, `failed to connect container ${endpoint.containerId} to network ${network.name}`);
    }
  }

  async detach(network: NetworkRecord, endpoint: Endpoint): Promise<void> {
    const cached = await this.readCache(endpoint);
    const config = cached?.config ?? bridgeConfList(network, endpoint);
    await this.cni.del(config, runtimeOf(endpoint), cached?.result);
    await rm(this.cachePath(endpoint), { force: true });
    if (endpoint.ports.length > 0 && (await pruneIdlePortmapChains())) {
      this.options.logger.debug('removed idle CNI portmap chains');
    }
  }

  /**
   * Re-creates the host-side rules of a live endpoint (after a restart that
   * lost them): portmap's ADD is idempotent and only needs the cached result.
   */
  async restore(network: NetworkRecord, endpoint: Endpoint): Promise<void> {
    const cached = await this.readCache(endpoint);
    const portmap = cached?.config.plugins.find((plugin) => plugin.type === 'portmap');
    if (!cached?.result || !portmap) return;
    const list: CniConfList = { ...cached.config, plugins: [portmap] };
    await this.cni.exec(
      'ADD',
      { ...portmap, name: list.name, cniVersion: list.cniVersion, prevResult: cached.result },
      runtimeOf(endpoint),
    );
    this.options.logger.debug('restored published ports', {
      network: network.name,
      container: endpoint.containerId,
    });
  }

  /** Removes Berth's iptables chains (for tests and uninstall); networks must be gone. */
  async uninstall(): Promise<void> {
    this.networks.clear();
    await this.firewall.uninstall();
  }

  private async syncFirewall(): Promise<void> {
    const networks: FirewallNetwork[] = [...this.networks.values()].map((network) => ({
      bridge: network.bridgeName ?? '',
      subnet: network.ipv4?.subnet ?? '',
      internal: network.internal,
      masquerade: network.options['com.docker.network.bridge.enable_ip_masquerade'] !== 'false',
      icc: network.options['com.docker.network.bridge.enable_icc'] !== 'false',
    }));
    await this.firewall.sync(networks);
  }

  private cachePath(endpoint: Endpoint): string {
    return join(
      this.options.cacheDir,
      `${endpoint.networkId}-${endpoint.containerId}-${endpoint.ifName}.json`,
    );
  }

  private async writeCache(endpoint: Endpoint, entry: CniCacheEntry): Promise<void> {
    await mkdir(this.options.cacheDir, { recursive: true });
    await writeFileAtomic(this.cachePath(endpoint), JSON.stringify(entry, null, 2));
  }

  private async readCache(endpoint: Endpoint): Promise<CniCacheEntry | undefined> {
    try {
      return JSON.parse(await readFile(this.cachePath(endpoint), 'utf8')) as CniCacheEntry;
    } catch (err) {
      if (errnoCode(err) !== 'ENOENT') this.options.logger.warn('unreadable CNI cache entry', { error: err });
      return undefined;
    }
  }
}

function runtimeOf(endpoint: Endpoint): CniRuntime {
  return { containerId: endpoint.containerId, netnsPath: endpoint.netnsPath, ifName: endpoint.ifName };
}

function cacheEntry(endpoint: Endpoint, config: CniConfList): CniCacheEntry {
  return {
    kind: 'cniCacheV1',
    containerId: endpoint.containerId,
    ifName: endpoint.ifName,
    networkName: config.name,
    netnsPath: endpoint.netnsPath,
    config,
  };
}
