import { createHash } from 'node:crypto';
import { access, mkdir, rm, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { linkHostEntries, parseLink } from '../containers/links.js';
import type { AttachOptions, NetworkSandbox } from '../containers/networking.js';
import type { ContainerRecord } from '../containers/record.js';
import type { ContainerStore } from '../containers/store.js';
import { conflict, errnoCode, invalidArgument, permissionDenied } from '../core/errors.js';
import { runCommand } from '../core/exec.js';
import { kernelNetns, kernelUnmount } from '../core/kernel-calls.js';
import type { Logger } from '../core/logger.js';
import { traced } from '../core/spans.js';
import type { PublishInput } from '../events/event.js';
import {
  bringUpLoopback,
  mappingsForExposedPorts,
  type NetworkManager,
  type NetworkRecord,
  type PlannedEndpoint,
  type PortMapping,
  toDockerPortMap,
} from '../network/index.js';
import { blankEndpointSettings, type EndpointSettings, filledEndpointSettings } from './endpoint-settings.js';
import { createRemappedNetns, type HeldUserns } from './userns-netns.js';

type HostNetConfig = {
  NetworkMode?: string;
  PortBindings?: Record<string, { HostIp?: string; HostPort?: string }[] | null> | null;
  PublishAllPorts?: boolean;
  Dns?: string[] | null;
  DnsSearch?: string[] | null;
  DnsOptions?: string[] | null;
  ExtraHosts?: string[] | null;
};

interface Settings {
  Networks: Record<string, EndpointSettings>;
  Ports: Record<string, unknown>;
  [key: string]: unknown;
}

/** A user network's links ("name:alias") as the aliases the container alone resolves, alias → name. */
function linkAliases(links: readonly string[]): Record<string, string> {
  return Object.fromEntries(
    links.map((link) => {
      const { name, alias } = parseLink(link);
      return [alias, name];
    }),
  );
}

/** `default` is the default bridge, as in dockerd. */
export function networkModeOf(record: ContainerRecord): string {
  const mode = (record.HostConfig as HostNetConfig).NetworkMode;
  return !mode || mode === 'default' ? 'bridge' : mode;
}

/** A network event as dockerd logs it: the network's id, its name and driver, and the container. */
export function networkEvent(network: NetworkRecord, action: string, containerId?: string): PublishInput {
  return {
    type: 'network',
    action,
    id: network.id,
    attributes: {
      name: network.name,
      type: network.driver,
      ...(containerId ? { container: containerId } : {}),
    },
  };
}

/** Named network namespaces of Berth containers: `ip netns` shows them, `berth-<container id>`. */
export const netnsName = (containerId: string) => `berth-${containerId}`;
const netnsPathOf = (containerId: string) => `/run/netns/${netnsName(containerId)}`;

const endpointId = (networkId: string, containerId: string) =>
  createHash('sha256').update(`${networkId}/${containerId}`).digest('hex');

/**
 * The container service's networking (`ContainerNetworking`) on a
 * NetworkManager. Bridge containers get a named namespace made before the
 * runtime starts them, so addresses, ports and the hosts file are ready when
 * their process runs; `host`, `none` and `container:<x>` need no endpoint.
 */
export class BridgeContainerNetworking {
  constructor(
    private readonly manager: NetworkManager,
    private readonly containers: () => ContainerStore,
    private readonly log: Logger,
    /** daemon.json `dns`, `dns-search`, `dns-opts`: used when a container sets none of its own. */
    private readonly defaults: { dns: string[]; dnsSearch: string[]; dnsOptions: string[] } = {
      dns: [],
      dnsSearch: [],
      dnsOptions: [],
    },
    /** Where connect / disconnect events of starting and stopping containers go. */
    private readonly events?: { publish(input: PublishInput): unknown },
  ) {}

  /** Containers of the host or none network that are attached (they have no endpoint to show it). */
  private readonly attachedWithoutEndpoint = new Set<string>();

  private announce(network: NetworkRecord | undefined, action: 'connect' | 'disconnect', id: string): void {
    if (!network) return;
    this.events?.publish(networkEvent(network, action, id));
  }

  async prepare(record: ContainerRecord, networkingConfig: unknown): Promise<void> {
    // Without a default bridge (-b none) the default network is none, as in dockerd.
    const h = record.HostConfig as HostNetConfig;
    if (
      (!h.NetworkMode || h.NetworkMode === 'default') &&
      this.manager.list({ name: ['bridge'] }).every((n) => n.name !== 'bridge')
    )
      h.NetworkMode = 'none';
    const mode = networkModeOf(record);
    const settings = settingsOf(record);
    settings.Networks = {};
    this.fillTopLevel(record, '');
    portMappingsOf(record); // bad -p values fail the create, as in dockerd
    if (mode.startsWith('container:')) {
      this.containers().get(mode.slice('container:'.length));
      return;
    }
    // A host-network container without -h takes the host's name, as in dockerd.
    if (mode === 'host' && record.Config.Hostname === record.Id.slice(0, 12))
      record.Config.Hostname = hostname();
    const network = this.manager.get(mode);
    const requested =
      (networkingConfig as { EndpointsConfig?: Record<string, Partial<EndpointSettings> | null> } | null)
        ?.EndpointsConfig ?? {};
    const own = (name: string) =>
      name === mode || name === network.name || name === network.id || name === 'default';
    const config = Object.entries(requested).find(([name]) => own(name))?.[1] ?? {};
    checkEndpointConfig(network, config);
    settings.Networks[network.name] = blankEndpointSettings(network, config, record.Config);
    // API ≥ 1.44 may name more networks at create; they are joined in order.
    for (const [name, extra] of Object.entries(requested)) {
      if (own(name)) continue;
      if (mode === 'host' || mode === 'none')
        throw invalidArgument(
          'container cannot be connected to multiple networks with one of the networks in private (none) mode',
        );
      const other = this.manager.get(name);
      checkEndpointConfig(other, extra ?? {});
      settings.Networks[other.name] = blankEndpointSettings(other, extra ?? {}, record.Config);
    }
  }

  async attach(record: ContainerRecord, options: AttachOptions = {}): Promise<NetworkSandbox> {
    const mode = networkModeOf(record);
    if (mode.startsWith('container:')) {
      const other = this.containers().get(mode.slice('container:'.length));
      if (!other.State.Running) throw conflict(`cannot join network of a non running container: ${other.Id}`);
      return {
        netns: { path: `/proc/${other.State.Pid}/ns/net` },
        // The other container's namespace is owned by its user namespace: join that one too.
        ...(options.userns
          ? { userns: { path: `/proc/${other.State.Pid}/ns/user`, release: async () => {} } }
          : {}),
        files: { hostname: other.HostnamePath, hosts: other.HostsPath, resolvConf: other.ResolvConfPath },
      };
    }
    if (mode === 'host' || mode === 'none') {
      const files = await this.writeFiles(record, mode);
      // dockerd joins these networks' sandboxes too, and says so.
      this.attachedWithoutEndpoint.add(record.Id);
      this.announce(
        this.manager.list({ name: [mode] }).find((n) => n.name === mode),
        'connect',
        record.Id,
      );
      return { netns: mode === 'host' ? 'host' : 'private', files };
    }
    const path = netnsPathOf(record.Id);
    let userns: HeldUserns | undefined;
    if (options.userns)
      userns = await createRemappedNetns(
        path,
        options.userns,
        () => removeStaleNetns(record.Id),
        options.joinUserns,
      );
    // The namespace is made while the endpoints are planned and the files written (only
    // their plumbing needs it); in a user namespace, first (that is the namespace's owner).
    let netnsMade = Promise.resolve();
    if (!userns) {
      netnsMade = traced('start.network.netns', () => createNetns(record.Id));
      netnsMade.catch(() => {}); // awaited below
    }
    // The last endpoint's plumbing (CNI ADD) goes on while the runtime creates the container.
    let plumbed: Promise<void> | undefined;
    try {
      const settings = settingsOf(record);
      let ports = portMappingsOf(record);
      for (const [name, endpoint] of Object.entries(settings.Networks)) {
        await plumbed;
        const planned = await traced('start.network.endpoint', () =>
          this.connectEndpoint(record, name, endpoint, path, ports, netnsMade),
        );
        plumbed = traced('start.network.plumb', () => planned.plumbed);
        plumbed.catch(() => {}); // awaited by the next endpoint or the caller
        const attached = planned.endpoint;
        this.announce(this.networkById(attached.networkId), 'connect', record.Id);
        ports = [];
        settings.Networks[name] = filledEndpointSettings(
          endpoint,
          attached,
          endpointId(attached.networkId, record.Id),
        );
      }
      this.fillTopLevel(record, path);
      const files = await traced('start.network.files', () => this.writeFiles(record, 'bridge'));
      if (settings.Networks['bridge']) await this.updateLinkingParents(record);
      await netnsMade;
      return {
        netns: { path, own: true },
        ...(userns ? { userns } : {}),
        files,
        ...(plumbed ? { plumbed } : {}),
      };
    } catch (err) {
      await netnsMade.catch(() => {});
      await plumbed?.catch(() => {});
      await userns?.release();
      await this.detach(record).catch(() => {});
      throw err;
    }
  }

  private async connectEndpoint(
    record: ContainerRecord,
    network: string,
    settings: EndpointSettings,
    netnsPath: string,
    portMappings: PortMapping[],
    netnsMade?: Promise<void>,
  ): Promise<PlannedEndpoint> {
    const h = record.HostConfig as HostNetConfig;
    return this.manager.attachPlanned(network, netnsMade, {
      containerId: record.Id,
      netnsPath,
      containerName: record.Name,
      aliases: settings.Aliases ?? [],
      ...(settings.Links?.length ? { links: linkAliases(settings.Links) } : {}),
      ...(settings.IPAMConfig?.IPv4Address ? { ip: settings.IPAMConfig.IPv4Address } : {}),
      ...(settings.MacAddress ? { macAddress: settings.MacAddress } : {}),
      portMappings,
      dnsServers: h.Dns?.length ? h.Dns : this.defaults.dns,
    });
  }

  /** Connects a container to one more network (`docker network connect`); a running one at once. */
  async connect(
    record: ContainerRecord,
    network: NetworkRecord,
    config: Partial<EndpointSettings>,
  ): Promise<void> {
    const mode = networkModeOf(record);
    if (mode === 'host' || mode === 'none' || mode.startsWith('container:'))
      throw permissionDenied(
        `container sharing network namespace with another container or host cannot be connected to any other network`,
      );
    const settings = settingsOf(record);
    if (settings.Networks[network.name])
      throw permissionDenied(`endpoint with name ${record.Name} already exists in network ${network.name}`);
    checkEndpointConfig(network, config);
    let endpoint = blankEndpointSettings(network, config, record.Config);
    if (record.State.Running) {
      const planned = await this.connectEndpoint(record, network.name, endpoint, netnsPathOf(record.Id), []);
      await planned.plumbed;
      endpoint = filledEndpointSettings(endpoint, planned.endpoint, endpointId(network.id, record.Id));
    }
    settings.Networks[network.name] = endpoint;
    this.fillTopLevel(record, record.State.Running ? netnsPathOf(record.Id) : '');
  }

  /** Disconnects a container from a network (`docker network disconnect`). */
  async disconnect(record: ContainerRecord, network: NetworkRecord): Promise<void> {
    const settings = settingsOf(record);
    if (!settings.Networks[network.name])
      throw permissionDenied(`container ${record.Id} is not connected to network ${network.name}`);
    if (
      record.State.Running &&
      this.manager.endpointsOfContainer(record.Id).some((e) => e.networkId === network.id)
    )
      await this.manager.detach(network.id, record.Id);
    delete settings.Networks[network.name];
    this.fillTopLevel(record, record.State.Running ? netnsPathOf(record.Id) : '');
  }

  async detach(record: ContainerRecord): Promise<void> {
    const endpoints = this.manager.endpointsOfContainer(record.Id);
    // The namespace goes first: the kernel then drops the veths and each DEL only frees the lease.
    const path = netnsPathOf(record.Id);
    if (
      await access(path).then(
        () => true,
        () => false,
      )
    ) {
      await traced('exit.network.netns', () => deleteNetns(record.Id)).catch((err: unknown) =>
        this.log.warn('could not delete a container network namespace', { id: record.Id, error: err }),
      );
    }
    for (const endpoint of endpoints) {
      await traced('exit.network.endpoint', () => this.manager.detach(endpoint.networkId, record.Id));
      this.announce(this.networkById(endpoint.networkId), 'disconnect', record.Id);
    }
    if (this.attachedWithoutEndpoint.delete(record.Id)) {
      const mode = networkModeOf(record);
      this.announce(
        this.manager.list({ name: [mode] }).find((n) => n.name === mode),
        'disconnect',
        record.Id,
      );
    }
    const settings = settingsOf(record);
    for (const [name, endpoint] of Object.entries(settings.Networks)) {
      settings.Networks[name] = {
        // Only a MAC address the user chose outlives the endpoint.
        ...blankEndpointSettings(
          undefined,
          { ...endpoint, MacAddress: String(record.Config.MacAddress ?? '') },
          record.Config,
        ),
        NetworkID: endpoint.NetworkID,
      };
    }
    this.fillTopLevel(record, '');
  }

  private networkById(id: string): NetworkRecord | undefined {
    try {
      return this.manager.get(id);
    } catch {
      return undefined;
    }
  }

  async release(record: ContainerRecord): Promise<void> {
    await this.detach(record);
  }

  /**
   * After a restart (containers already adopted): endpoints of containers
   * that are gone are detached, live ones get their rules back, and stale
   * namespaces of stopped containers are deleted.
   */
  async reconcile(): Promise<void> {
    const records = this.containers().list();
    const live = records.filter((r) => r.State.Running).map((r) => r.Id);
    for (const record of records) {
      if (record.State.Running) continue;
      if (
        await access(netnsPathOf(record.Id)).then(
          () => true,
          () => false,
        )
      )
        await deleteNetns(record.Id).catch(() => {});
    }
    const result = await this.manager.reconcile(live);
    if (result.removed > 0) this.log.info('network reconcile removed stale endpoints', result);
  }

  private async writeFiles(
    record: ContainerRecord,
    mode: 'bridge' | 'host' | 'none',
    options: { hostsInPlace?: boolean } = {},
  ) {
    const h = record.HostConfig as HostNetConfig;
    const request = {
      containerId: record.Id,
      mode,
      hostname: String(record.Config.Hostname ?? record.Id.slice(0, 12)),
      ...(record.Config.Domainname ? { domainname: String(record.Config.Domainname) } : {}),
      extraHosts: h.ExtraHosts ?? [],
      linkHosts: mode === 'bridge' ? linkHostEntries(record, this.containers()) : [],
      dns: h.Dns?.length ? h.Dns : this.defaults.dns,
      dnsSearch: h.DnsSearch?.length ? h.DnsSearch : this.defaults.dnsSearch,
      dnsOptions: h.DnsOptions?.length ? h.DnsOptions : this.defaults.dnsOptions,
    };
    const files = await this.manager.writeContainerFiles(this.containers().dir(record.Id), request, options);
    return { hostname: files.hostnamePath, hosts: files.hostsPath, resolvConf: files.resolvConfPath };
  }

  /** dockerd's updateParentsHosts: running containers linking to this one see its new address. */
  private async updateLinkingParents(child: ContainerRecord): Promise<void> {
    for (const parent of this.containers().list()) {
      if (!parent.State.Running || !parent.Links?.some((link) => link.Child === child.Id)) continue;
      await this.writeFiles(parent, 'bridge', { hostsInPlace: true }).catch((err: unknown) =>
        this.log.warn('could not update the hosts file of a linking container', {
          id: parent.Id,
          error: err,
        }),
      );
    }
  }

  /** Docker's top-level NetworkSettings: ports, sandbox, and the default bridge's address fields. */
  private fillTopLevel(record: ContainerRecord, sandboxKey: string): void {
    const settings = settingsOf(record);
    const endpoints = sandboxKey ? this.manager.endpointsOfContainer(record.Id) : [];
    const ports: Record<string, unknown> = {};
    if (sandboxKey) {
      for (const key of Object.keys((record.Config.ExposedPorts as Record<string, unknown>) ?? {}))
        ports[key] = null;
      for (const endpoint of endpoints) Object.assign(ports, toDockerPortMap(endpoint.ports));
    }
    const bridge = settings.Networks.bridge;
    const onBridge = Boolean(sandboxKey && bridge?.IPAddress);
    Object.assign(settings, {
      Bridge: '',
      SandboxID: sandboxKey ? createHash('sha256').update(sandboxKey).digest('hex') : '',
      SandboxKey: sandboxKey,
      Ports: ports,
      HairpinMode: false,
      LinkLocalIPv6Address: '',
      LinkLocalIPv6PrefixLen: 0,
      SecondaryIPAddresses: null,
      SecondaryIPv6Addresses: null,
      EndpointID: onBridge ? bridge?.EndpointID : '',
      Gateway: onBridge ? bridge?.Gateway : '',
      GlobalIPv6Address: '',
      GlobalIPv6PrefixLen: 0,
      IPAddress: onBridge ? bridge?.IPAddress : '',
      IPPrefixLen: onBridge ? bridge?.IPPrefixLen : 0,
      IPv6Gateway: '',
      MacAddress: onBridge ? bridge?.MacAddress : '',
    });
  }
}

/**
 * Makes the container's named namespace with its loopback up: by the process
 * launcher without a program, or one `unshare --net=<file> ip link set lo up`
 * (as `ip netns add` would bind it, without a second program for lo);
 * `ip netns add` and the CNI loopback plugin if that fails. A namespace left
 * by a crash is replaced.
 */
async function createNetns(containerId: string): Promise<void> {
  const path = netnsPathOf(containerId);
  await mkdir('/run/netns', { recursive: true });
  const placeholder = () => writeFile(path, '', { flag: 'wx', mode: 0o444 });
  await placeholder().catch(async (err: unknown) => {
    if (errnoCode(err) !== 'EEXIST') throw err;
    await removeStaleNetns(containerId);
    await placeholder();
  });
  try {
    if (!(await kernelNetns(path)))
      await runCommand('unshare', [`--net=${path}`, 'ip', 'link', 'set', 'lo', 'up']);
  } catch {
    await rm(path, { force: true });
    await runCommand('ip', ['netns', 'add', netnsName(containerId)]);
    await bringUpLoopback(path, containerId);
  }
}

/** A namespace a crash left behind. */
async function removeStaleNetns(containerId: string): Promise<void> {
  await deleteNetns(containerId).catch(() => {});
  await rm(netnsPathOf(containerId), { force: true });
}

/** As `ip netns delete`: the namespace's bind mount goes (detached), then its file. */
async function deleteNetns(containerId: string): Promise<void> {
  const path = netnsPathOf(containerId);
  let unmounted: boolean;
  try {
    unmounted = await kernelUnmount(path, { detach: true });
  } catch (err) {
    // Not mounted (a crash between the file and its bind): only the file is left.
    if (errnoCode(err) !== 'EINVAL') throw err;
    unmounted = true;
  }
  if (unmounted) await rm(path, { force: true });
  else await runCommand('ip', ['netns', 'delete', netnsName(containerId)]);
}

function settingsOf(record: ContainerRecord): Settings {
  const settings = record.NetworkSettings as Settings;
  settings.Networks ??= {};
  settings.Ports ??= {};
  return settings;
}

function checkEndpointConfig(network: NetworkRecord, config: Partial<EndpointSettings>): void {
  const userDefined = network.driver === 'bridge' && !network.predefined;
  if (config.Aliases?.length && !userDefined)
    throw invalidArgument('network-scoped alias is supported only for containers in user defined networks');
  if (config.IPAMConfig?.IPv4Address && !network.ipamUserConfigured)
    throw invalidArgument(
      'user specified IP address is supported only when connecting to networks with user configured subnets',
    );
}

/** -p and -P as port mappings: PortBindings ("80/tcp": [{HostIp, HostPort "8080" or "8000-8010"}]), then EXPOSEd ports left. */
export function portMappingsOf(record: ContainerRecord): PortMapping[] {
  const h = record.HostConfig as HostNetConfig;
  const mappings: PortMapping[] = [];
  for (const [key, bindings] of Object.entries(h.PortBindings ?? {})) {
    const [portText = '', protoText = 'tcp'] = key.split('/');
    const containerPort = Number(portText);
    const protocol = protoText === 'udp' ? 'udp' : protoText === 'tcp' ? 'tcp' : undefined;
    if (!Number.isInteger(containerPort) || containerPort < 1 || containerPort > 65535 || !protocol)
      throw invalidArgument(`invalid port specification: "${key}"`);
    for (const binding of bindings?.length ? bindings : [{}]) {
      const [start = '', end] = (binding.HostPort ?? '').split('-');
      const hostPort = start ? Number(start) : 0;
      const hostPortEnd = end ? Number(end) : undefined;
      if (
        !Number.isInteger(hostPort) ||
        hostPort < 0 ||
        hostPort > 65535 ||
        (hostPortEnd !== undefined && !(hostPortEnd >= hostPort && hostPortEnd <= 65535))
      )
        throw invalidArgument(`invalid hostPort: ${binding.HostPort}`);
      mappings.push({
        containerPort,
        protocol,
        hostIp: binding.HostIp ?? '',
        hostPort,
        ...(hostPortEnd ? { hostPortEnd } : {}),
      });
    }
  }
  if (h.PublishAllPorts) {
    const bound = new Set(Object.keys(h.PortBindings ?? {}));
    const exposed = Object.keys((record.Config.ExposedPorts as Record<string, unknown>) ?? {}).filter(
      (key) => !bound.has(key.includes('/') ? key : `${key}/tcp`),
    );
    mappings.push(...mappingsForExposedPorts(exposed));
  }
  return mappings;
}
