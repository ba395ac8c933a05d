import type { Endpoint } from '../types.js';

/**
 * Who answers to which name on the networks with name resolution: every
 * endpoint's container name, aliases and short ID. A container sees the
 * names of every network it is attached to (as with Docker's embedded DNS),
 * and `name.network` picks one network explicitly.
 */
export class NameTable {
  private readonly byNetwork = new Map<string, Map<string, Endpoint>>();
  private readonly networksOf = new Map<string, Set<string>>();

  /** Adds (or replaces) an endpoint's names. */
  add(endpoint: Endpoint): void {
    const endpoints = this.byNetwork.get(endpoint.networkId) ?? new Map<string, Endpoint>();
    this.byNetwork.set(endpoint.networkId, endpoints.set(endpoint.containerId, endpoint));
    const networks = this.networksOf.get(endpoint.containerId) ?? new Set<string>();
    this.networksOf.set(endpoint.containerId, networks.add(endpoint.networkId));
  }

  /** Removes an endpoint's names. */
  remove(networkId: string, containerId: string): void {
    this.byNetwork.get(networkId)?.delete(containerId);
    this.networksOf.get(containerId)?.delete(networkId);
    if (this.networksOf.get(containerId)?.size === 0) this.networksOf.delete(containerId);
  }

  /** The endpoint of a network that has this address (the client of a query). */
  endpointByAddress(networkId: string, ip: string): Endpoint | undefined {
    for (const endpoint of this.byNetwork.get(networkId)?.values() ?? []) {
      if (endpoint.ipAddress === ip) return endpoint;
    }
    return undefined;
  }

  /**
   * The addresses a name stands for, seen from a client on `networkId`: the
   * client's own network first, then its container's other networks.
   */
  lookup(networkId: string, client: Endpoint | undefined, name: string): string[] {
    const asked = normalise(name);
    // A link's alias stands for the linked container's name, for the linking container alone.
    const link = Object.entries(client?.links ?? {}).find(([alias]) => normalise(alias) === asked);
    const wanted = link ? normalise(link[1]) : asked;
    for (const network of this.searchOrder(networkId, client)) {
      const endpoints = [...(this.byNetwork.get(network)?.values() ?? [])];
      const suffix = `.${normalise(endpoints[0]?.networkName ?? '')}`;
      const bare = wanted.endsWith(suffix) ? wanted.slice(0, -suffix.length) : wanted;
      const found = endpoints.filter((endpoint) => endpoint.dnsNames.some((n) => normalise(n) === bare));
      if (found.length > 0) return found.map((endpoint) => endpoint.ipAddress);
    }
    return [];
  }

  /** The name of the container that has `ip` on one of the client's networks (for PTR). */
  reverse(networkId: string, client: Endpoint | undefined, ip: string): string | undefined {
    for (const network of this.searchOrder(networkId, client)) {
      for (const endpoint of this.byNetwork.get(network)?.values() ?? []) {
        const name = endpoint.containerName ?? endpoint.dnsNames[0];
        if (endpoint.ipAddress === ip && name) return `${name}.${endpoint.networkName}`;
      }
    }
    return undefined;
  }

  private searchOrder(networkId: string, client: Endpoint | undefined): string[] {
    const others = client ? [...(this.networksOf.get(client.containerId) ?? [])] : [];
    return [networkId, ...others.filter((network) => network !== networkId)];
  }
}

function normalise(name: string): string {
  return name.toLowerCase().replace(/\.$/, '');
}
