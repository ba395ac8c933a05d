import { createHash } from 'node:crypto';
import type { Endpoint, NetworkFilters, NetworkRecord } from '../network/index.js';

/** GET /networks/{id} (and, without containers, each item of GET /networks): Docker's NetworkResource. */
export function networkView(
  network: NetworkRecord,
  endpoints: readonly Endpoint[] | undefined,
): Record<string, unknown> {
  const ipv4 = network.ipv4;
  const predefined = network.predefined;
  return {
    Name: network.name,
    Id: network.id,
    Created: network.created,
    Scope: 'local',
    Driver: network.driver,
    EnableIPv6: false,
    IPAM: {
      Driver: 'default',
      Options: predefined ? null : {},
      Config: ipv4
        ? [{ Subnet: ipv4.subnet, Gateway: ipv4.gateway, ...(ipv4.ipRange ? { IPRange: ipv4.ipRange } : {}) }]
        : [],
    },
    Internal: network.internal,
    Attachable: network.attachable,
    Ingress: false,
    ConfigFrom: { Network: '' },
    ConfigOnly: false,
    Containers: Object.fromEntries(
      (endpoints ?? []).map((endpoint) => [
        endpoint.containerId,
        {
          Name: endpoint.containerName ?? '',
          EndpointID: endpointIdOf(endpoint),
          MacAddress: endpoint.macAddress,
          IPv4Address: endpoint.ipAddress ? `${endpoint.ipAddress}/${endpoint.prefixLength}` : '',
          IPv6Address: '',
        },
      ]),
    ),
    Options: shownOptions(network),
    Labels: network.labels,
  };
}

/** dockerd shows a user network's options as given: the bridge name it chose itself is not one of them. */
function shownOptions(network: NetworkRecord): Record<string, string> {
  const { [BRIDGE_NAME]: bridge, ...rest } = network.options;
  return network.predefined || bridge !== `br-${network.id.slice(0, 12)}` ? network.options : rest;
}

const BRIDGE_NAME = 'com.docker.network.bridge.name';

function endpointIdOf(endpoint: Endpoint): string {
  return createHash('sha256').update(`${endpoint.networkId}/${endpoint.containerId}`).digest('hex');
}

/** `filters` of GET /networks and POST /networks/prune as the manager takes them. */
export function networkFilters(raw: Record<string, string[]>): NetworkFilters {
  const filters: NetworkFilters = {};
  if (raw.name) filters.name = raw.name;
  if (raw.id) filters.id = raw.id;
  if (raw.driver) filters.driver = raw.driver;
  if (raw.label) filters.label = raw.label;
  if (raw.type) filters.type = raw.type;
  const dangling = raw.dangling?.at(-1);
  if (dangling !== undefined) filters.dangling = dangling === 'true' || dangling === '1';
  return filters;
}
