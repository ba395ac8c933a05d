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
 *
 * Published ports are not the portmap plugin's: its rules would live in
 * CNI-* chains (the issue wants every rule in Berth's own chains), its shared
 * chains outlive the last container, and each ADD or DEL runs iptables a
 * dozen times. Berth renders the DNAT rules itself (see firewall.ts).
 *
 * The list is a pure function of the records, so it can be rebuilt for a DEL
 * even when the cached copy is lost.
 */
export function bridgeConfList(network: NetworkRecord, endpoint: Endpoint): CniConfList {
  return { cniVersion: CNI_VERSION, name: network.id, plugins: [bridgePlugin(network, endpoint)] };
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
      // Only the container's gateway endpoint routes the rest of the world (never an internal network).
      routes: endpoint.defaultRoute ? [{ dst: '0.0.0.0/0' }] : [],
    },
    runtimeConfig: { mac: endpoint.macAddress },
  };
}
