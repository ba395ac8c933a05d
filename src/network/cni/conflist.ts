import type { Endpoint, NetworkRecord } from '../types.js';
import { CNI_VERSION, type CniConfList, type CniPluginConfig } from './types.js';

/**
 * The CNI configuration list Berth runs for one endpoint of a bridge network:
 *
 * - `bridge` makes the veth pair, plugs it into the network's bridge and sets
 *   the chosen MAC (runtimeConfig.mac). isGateway keeps the gateway address
 *   on the bridge; hairpinMode lets a container reach its own published port
 *   through the host's address. ipMasq is off: Berth masquerades per network
 *   in its own chain (one rule per network instead of a chain per container).
 * - `static` IPAM assigns the address Berth's allocator chose, so the lease
 *   lives in Berth's endpoint record and `--ip` outside `--ip-range` works.
 * - `portmap`, only when ports are published, DNATs host ports to the
 *   container; snat marks hairpin and localhost connections for masquerade
 *   and turns on route_localnet on the bridge so 127.0.0.1:port works.
 *
 * The list is a pure function of the records, so it can be rebuilt for a DEL
 * even when the cached copy is lost.
 */
export function bridgeConfList(network: NetworkRecord, endpoint: Endpoint): CniConfList {
  const plugins: CniPluginConfig[] = [bridgePlugin(network, endpoint)];
  if (endpoint.ports.length > 0) plugins.push(portmapPlugin(endpoint));
  return { cniVersion: CNI_VERSION, name: network.id, plugins };
}

function bridgePlugin(network: NetworkRecord, endpoint: Endpoint): CniPluginConfig {
  const mtu = Number(network.options['com.docker.network.driver.mtu'] ?? 0);
  return {
    type: 'bridge',
    bridge: network.bridgeName,
    isGateway: true,
    ipMasq: false,
    hairpinMode: true,
    ...(mtu > 0 ? { mtu } : {}),
    ipam: {
      type: 'static',
      addresses: [{ address: `${endpoint.ipAddress}/${endpoint.prefixLength}`, gateway: endpoint.gateway }],
      // An internal network has no way out, so its containers get no default route.
      routes: network.internal ? [] : [{ dst: '0.0.0.0/0' }],
    },
    runtimeConfig: { mac: endpoint.macAddress },
  };
}

function portmapPlugin(endpoint: Endpoint): CniPluginConfig {
  return {
    type: 'portmap',
    snat: true,
    capabilities: { portMappings: true },
    runtimeConfig: {
      portMappings: endpoint.ports.map((port) => ({
        hostPort: port.hostPort,
        containerPort: port.containerPort,
        protocol: port.protocol,
        hostIP: port.hostIp === '0.0.0.0' ? '' : port.hostIp,
      })),
    },
  };
}
