import { access, mkdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { errnoCode, wrap } from '../core/errors.js';
import { writeFileReplacing } from '../core/fs-atomic.js';
import type { Logger } from '../core/logger.js';
import { bridgeConfList } from './cni/conflist.js';
import { CniExecutor } from './cni/exec.js';
import type { CniCacheEntry, CniConfList, CniRuntime } from './cni/types.js';
import { Firewall, type FirewallNetwork, type PortRule } from './firewall.js';
import { deleteLink, ensureBridge } from './links.js';
import { runProcess } from './process.js';
import type { Endpoint, NetworkDriver, NetworkRecord } from './types.js';

/** Options of {@link BridgeDriver}. */
export interface BridgeDriverOptions {
  /** Where CNI results are cached (one file per ADD, as libcni's cache does). */
  cacheDir: string;
  /** Directory of the CNI plugin binaries. */
  cniPluginDir: string;
  /** Prefix of Berth's iptables chains ("BERTH"). */
  chainPrefix: string;
  /**
   * False (daemon.json `iptables: false`): no rule and no chain is made or
   * removed; published ports then have no DNAT (Berth has no userland proxy).
   */
  iptables: boolean;
  logger: Logger;
}

/**
 * The bridge driver: a Linux bridge per network with Berth's iptables chains
 * around it, containers plugged in by the CNI bridge and static plugins, and
 * published ports as DNAT rules in Berth's chains. Each ADD's configuration
 * and result are cached on disk so the DEL can be given prevResult, as the
 * CNI spec requires.
 */
export class BridgeDriver implements NetworkDriver {
  readonly name = 'bridge' as const;
  private readonly cni: CniExecutor;
  private readonly firewall: Firewall;
  private readonly networks = new Map<string, NetworkRecord>();
  private readonly published = new Map<string, PortRule[]>();
  private deferring = false;

  constructor(private readonly options: BridgeDriverOptions) {
    this.cni = new CniExecutor(options.cniPluginDir);
    this.firewall = new Firewall(options.chainPrefix);
  }

  async createNetwork(network: NetworkRecord): Promise<void> {
    const ipv4 = network.ipv4;
    if (!ipv4 || !network.bridgeName) throw new Error(`bridge network ${network.id} has no subnet or bridge`);
    const prefix = ipv4.subnet.split('/')[1];
    const mtu = Number(network.options['com.docker.network.driver.mtu'] ?? 0) || undefined;
    await ensureBridge({ name: network.bridgeName, address: `${ipv4.gateway}/${prefix}`, mtu });
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
      await this.publish(endpoint);
    } catch (err) {
      this.published.delete(keyOf(endpoint));
      await this.cni.del(config, runtime, undefined).catch((cleanupErr) => {
        this.options.logger.warn('cleanup after a failed CNI ADD failed', { error: cleanupErr });
      });
      throw wrap(err, `failed to connect container ${endpoint.containerId} to network ${network.name}`);
    }
  }

  async detach(network: NetworkRecord, endpoint: Endpoint): Promise<void> {
    const published = this.published.get(keyOf(endpoint));
    if (published && this.published.delete(keyOf(endpoint))) {
      await this.syncFirewall({ natOnly: true });
      await forgetUdpFlows(published);
    }
    const cached = await this.readCache(endpoint);
    // A namespace that is gone takes the veth with it, and static IPAM keeps no
    // state: the DEL (two plugin runs) would have nothing left to undo. The kernel
    // frees a namespace in the background, though: the host's end of the veth
    // is deleted here, so that none is left once the container is gone.
    if (!(await exists(endpoint.netnsPath))) {
      const hostEnds = (cached?.result?.interfaces ?? []).filter(
        (link) => !link.sandbox && link.name !== network.bridgeName,
      );
      for (const link of hostEnds)
        await deleteLink(link.name).catch((err: unknown) =>
          this.options.logger.warn('could not delete the host end of a veth', {
            link: link.name,
            error: err,
          }),
        );
      await rm(this.cachePath(endpoint), { force: true });
      return;
    }
    await this.cni.del(
      cached?.config ?? bridgeConfList(network, endpoint),
      runtimeOf(endpoint),
      cached?.result,
    );
    await rm(this.cachePath(endpoint), { force: true });
  }

  /** Takes over a live endpoint found at start: its published ports are in the next sync. */
  async restore(_network: NetworkRecord, endpoint: Endpoint): Promise<void> {
    await this.publish(endpoint);
  }

  /**
   * Runs `fn` with firewall syncs held back, then syncs once: at start every
   * network and endpoint is registered before the chains are rewritten, so
   * the rules of running containers never disappear in between.
   */
  async batch<T>(fn: () => Promise<T>): Promise<T> {
    this.deferring = true;
    try {
      return await fn();
    } finally {
      this.deferring = false;
      await this.syncFirewall();
    }
  }

  /** Removes Berth's iptables chains (for tests and uninstall); networks must be gone. */
  async uninstall(): Promise<void> {
    this.networks.clear();
    this.published.clear();
    if (this.options.iptables) await this.firewall.uninstall();
  }

  private async publish(endpoint: Endpoint): Promise<void> {
    if (endpoint.ports.length === 0) return;
    const rules = endpoint.ports.map((port) => ({ ...port, containerIp: endpoint.ipAddress }));
    this.published.set(keyOf(endpoint), rules);
    await this.syncFirewall({ natOnly: true });
    await forgetUdpFlows(rules);
  }

  private async syncFirewall(options: { natOnly?: boolean } = {}): Promise<void> {
    if (this.deferring || !this.options.iptables) return;
    const networks: FirewallNetwork[] = [...this.networks.values()].map((network) => ({
      bridge: network.bridgeName ?? '',
      subnet: network.ipv4?.subnet ?? '',
      internal: network.internal,
      masquerade: network.options['com.docker.network.bridge.enable_ip_masquerade'] !== 'false',
      icc: network.options['com.docker.network.bridge.enable_icc'] !== 'false',
    }));
    await this.firewall.sync({ networks, ports: [...this.published.values()].flat() }, options);
  }

  private cachePath(endpoint: Endpoint): string {
    return join(this.options.cacheDir, `${keyOf(endpoint)}-${endpoint.ifName}.json`);
  }

  private async writeCache(endpoint: Endpoint, entry: CniCacheEntry): Promise<void> {
    await mkdir(this.options.cacheDir, { recursive: true });
    // No fsync, as for the endpoint file (state-store.ts): it describes kernel state a power loss ends.
    await writeFileReplacing(this.cachePath(endpoint), JSON.stringify(entry, null, 2));
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

/**
 * UDP flows to a port whose publication changed, which conntrack already
 * tracks, would keep their old destination (none, or a removed container);
 * delete them, as Docker does. Best effort: without the conntrack tool such
 * flows only live until they time out.
 */
async function forgetUdpFlows(rules: readonly PortRule[]): Promise<void> {
  for (const rule of rules.filter((r) => r.protocol === 'udp')) {
    await runProcess('conntrack', ['-D', '-p', 'udp', '--orig-port-dst', String(rule.hostPort)]).catch(
      () => {},
    );
  }
}

function keyOf(endpoint: Endpoint): string {
  return `${endpoint.networkId}-${endpoint.containerId}`;
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

function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}
