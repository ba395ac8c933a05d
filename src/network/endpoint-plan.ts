import { invalidArgument, notImplemented } from '../core/errors.js';
import { isDefaultBridge } from './bridge-plan.js';
import type { HostPortAllocator } from './host-ports.js';
import type { AddressAllocator } from './ipam.js';
import { macForAddress } from './links.js';
import type { AttachRequest, Endpoint, NetworkRecord, PortMapping } from './types.js';

/** What planning an endpoint draws from. */
export interface EndpointResources {
  /** The network's address allocator (bridge networks only). */
  addresses?: AddressAllocator;
  hostPorts: HostPortAllocator;
  /** The container's endpoints on other networks. */
  siblings: readonly Endpoint[];
}

/**
 * Chooses everything about a new endpoint before any CNI call: interface
 * name, address (`--ip` or the next free one), MAC (`--mac-address` or
 * Docker's 02:42:<address>), host ports and DNS names. The address and
 * ports are held in memory at once; the registry gives them back.
 */
export async function planEndpoint(
  network: NetworkRecord,
  request: AttachRequest,
  resources: EndpointResources,
): Promise<Endpoint> {
  const endpoint: Endpoint = {
    networkId: network.id,
    networkName: network.name,
    containerId: request.containerId,
    containerName: request.containerName,
    aliases: [...(request.aliases ?? [])],
    ...(request.links ? { links: { ...request.links } } : {}),
    dnsNames: [],
    ifName: request.ifName ?? nextIfName(resources.siblings.map((sibling) => sibling.ifName)),
    netnsPath: request.netnsPath,
    ipAddress: '',
    prefixLength: 0,
    gateway: '',
    macAddress: '',
    ports: [],
    dnsServers: [...(request.dnsServers ?? [])],
    defaultRoute: false,
  };
  const { ipv4 } = network;
  if (network.driver !== 'bridge' || !ipv4 || !resources.addresses) return endpoint;
  if (endpoint.aliases.length > 0 && isDefaultBridge(network)) {
    throw invalidArgument('network-scoped aliases are only supported for user-defined networks');
  }
  if (request.ip && !network.ipamUserConfigured) {
    throw invalidArgument(
      'user specified IP address is supported only when connecting to networks with user configured subnets',
    );
  }
  if (request.ip) resources.addresses.reserve(request.ip);
  endpoint.ipAddress = request.ip ?? resources.addresses.allocate();
  try {
    endpoint.prefixLength = Number(ipv4.subnet.split('/')[1]);
    endpoint.gateway = ipv4.gateway;
    endpoint.macAddress = request.macAddress ?? macForAddress(endpoint.ipAddress);
    // The first network with a way out gives the container its default route; later ones do not.
    endpoint.defaultRoute = !network.internal && !resources.siblings.some((sibling) => sibling.defaultRoute);
    endpoint.dnsNames = isDefaultBridge(network) ? [] : dnsNamesOf(request, endpoint.aliases);
    // Docker does not publish ports of a container on an internal network.
    const mappings = network.internal ? [] : withDefaultHostIp(request.portMappings ?? [], network);
    if (mappings.some((mapping) => mapping.hostIp.includes(':'))) {
      throw notImplemented('publishing ports on IPv6 host addresses is not supported yet');
    }
    endpoint.ports = await resources.hostPorts.allocate(mappings);
    return endpoint;
  } catch (err) {
    resources.addresses.release(endpoint.ipAddress);
    throw err;
  }
}

/** The container's name, its aliases and its short ID, as Docker's DNSNames. */
function dnsNamesOf(request: AttachRequest, aliases: readonly string[]): string[] {
  const names = [request.containerName, ...aliases, request.containerId.slice(0, 12)];
  return [...new Set(names.filter((name): name is string => Boolean(name)))];
}

function nextIfName(used: readonly string[]): string {
  for (let index = 0; ; index++) if (!used.includes(`eth${index}`)) return `eth${index}`;
}

/** Applies the network's com.docker.network.bridge.host_binding_ipv4 to mappings without a host IP. */
function withDefaultHostIp(mappings: readonly PortMapping[], network: NetworkRecord): PortMapping[] {
  const hostIp = network.options['com.docker.network.bridge.host_binding_ipv4'] ?? '';
  return mappings.map((mapping) => ({ ...mapping, hostIp: mapping.hostIp || hostIp }));
}
