import { conflict, invalidArgument } from '../core/errors.js';
import { type AddressPool, allocateSubnet, planIpv4 } from './ipam.js';
import { formatSubnet, type Ipv4Subnet, parseAddressWithPrefix, parseSubnet } from './ipv4.js';
import { checkInterfaceName } from './links.js';
import { BRIDGE_NAME_OPTION, newNetworkRecord } from './records.js';
import type { NetworkCreateRequest, NetworkRecord } from './types.js';

/** What choosing a bridge network's addressing must avoid. */
export interface PlanContext {
  networks: readonly NetworkRecord[];
  /** The host's own routes and addresses. */
  hostSubnets: readonly Ipv4Subnet[];
  pools: readonly AddressPool[];
}

/** Settings of the default `bridge` network (dockerd's --bridge, --bip, --fixed-cidr, --mtu). */
export interface DefaultBridgeSpec {
  /** Linux bridge name; "berth0" in the daemon. */
  bridgeName: string;
  /** The bridge's address and prefix, "172.17.0.1/16"; from the pools when absent. */
  bip?: string;
  /** The part of the subnet containers get addresses from. */
  fixedCidr?: string;
  mtu?: number;
  /** Whether its containers may talk to each other (daemon.json `icc`); true when absent. */
  icc?: boolean;
  /** Source NAT for its outbound traffic (daemon.json `ip-masq`); true when absent. */
  ipMasquerade?: boolean;
}

/**
 * Completes a user-defined bridge network: its subnet (the user's, checked
 * against the other networks, or the first free one of the pools, avoiding
 * the host's routes as well), gateway, IP range and Linux bridge name
 * (`br-<first 12 digits of the ID>` unless the option names one).
 */
export function planBridgeNetwork(request: NetworkCreateRequest, context: PlanContext): NetworkRecord {
  const record = newNetworkRecord(request);
  if (!request.subnet && (request.gateway || request.ipRange)) {
    throw invalidArgument('--gateway and --ip-range need --subnet');
  }
  const others = context.networks.flatMap((network) =>
    network.ipv4 ? [parseSubnet(network.ipv4.subnet)] : [],
  );
  const subnet =
    request.subnet ?? formatSubnet(allocateSubnet(context.pools, [...others, ...context.hostSubnets]));
  const ipv4 = planIpv4({ subnet, gateway: request.gateway, ipRange: request.ipRange }, others);
  const bridgeName = request.options?.[BRIDGE_NAME_OPTION] ?? `br-${record.id.slice(0, 12)}`;
  checkBridgeName(bridgeName, context.networks);
  return { ...record, ipv4, bridgeName, options: { ...record.options, [BRIDGE_NAME_OPTION]: bridgeName } };
}

/** The default `bridge` network: no name resolution, options as dockerd shows them. */
export function defaultBridgeRecord(spec: DefaultBridgeSpec, context: PlanContext): NetworkRecord {
  let subnet: string;
  let gateway: string | undefined;
  if (spec.bip) {
    const { ip, prefix } = parseAddressWithPrefix(spec.bip);
    subnet = formatSubnet({ ...parseSubnet(spec.bip), prefix });
    gateway = ip;
  } else {
    const others = context.networks.flatMap((network) =>
      network.ipv4 ? [parseSubnet(network.ipv4.subnet)] : [],
    );
    subnet = formatSubnet(allocateSubnet(context.pools, [...others, ...context.hostSubnets]));
  }
  const ipv4 = planIpv4({ subnet, gateway, ipRange: spec.fixedCidr }, []);
  checkBridgeName(spec.bridgeName, context.networks);
  const record = newNetworkRecord({ name: 'bridge', driver: 'bridge' });
  return {
    ...record,
    ipv4,
    bridgeName: spec.bridgeName,
    predefined: true,
    options: {
      'com.docker.network.bridge.default_bridge': 'true',
      ...defaultBridgeToggles(spec),
      'com.docker.network.bridge.host_binding_ipv4': '0.0.0.0',
      [BRIDGE_NAME_OPTION]: spec.bridgeName,
      'com.docker.network.driver.mtu': String(spec.mtu ?? 1500),
    },
  };
}

/**
 * The default bridge's options that follow daemon.json `icc` and `ip-masq`.
 * dockerd rebuilds the default bridge at every start, so a stored one gets
 * them again from the current configuration.
 */
export function defaultBridgeToggles(spec: Pick<DefaultBridgeSpec, 'icc' | 'ipMasquerade'>): {
  'com.docker.network.bridge.enable_icc': string;
  'com.docker.network.bridge.enable_ip_masquerade': string;
} {
  return {
    'com.docker.network.bridge.enable_icc': String(spec.icc ?? true),
    'com.docker.network.bridge.enable_ip_masquerade': String(spec.ipMasquerade ?? true),
  };
}

/** Whether a network is the default bridge, which has no DNS server and no aliases. */
export function isDefaultBridge(network: NetworkRecord): boolean {
  return network.options['com.docker.network.bridge.default_bridge'] === 'true';
}

function checkBridgeName(name: string, networks: readonly NetworkRecord[]): void {
  checkInterfaceName(name);
  const user = networks.find((network) => network.bridgeName === name);
  if (user) throw conflict(`bridge name ${name} is already used by network ${user.name}`);
}
