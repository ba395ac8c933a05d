import { HostPortAllocator } from './host-ports.js';
import { AddressAllocator } from './ipam.js';
import { findNetwork } from './records.js';
import type { Endpoint, NetworkRecord } from './types.js';

/**
 * The manager's in-memory view: networks, endpoints and the allocators of
 * addresses and host ports, kept consistent with each other. Rebuilt from
 * the state files at start; nothing here touches the host.
 */
export class NetworkRegistry {
  readonly hostPorts = new HostPortAllocator();
  private readonly networks = new Map<string, NetworkRecord>();
  private readonly endpoints = new Map<string, Endpoint>();
  private readonly allocators = new Map<string, AddressAllocator>();

  /** Every network, in no particular order. */
  allNetworks(): NetworkRecord[] {
    return [...this.networks.values()];
  }

  /** A network by ID, name or unique ID prefix (NotFound otherwise). */
  find(ref: string): NetworkRecord {
    return this.networks.get(ref) ?? findNetwork(this.networks.values(), ref);
  }

  /** A network by exact ID, if known. */
  byId(id: string): NetworkRecord | undefined {
    return this.networks.get(id);
  }

  addNetwork(network: NetworkRecord): void {
    this.networks.set(network.id, network);
    if (network.ipv4 && !this.allocators.has(network.id)) {
      this.allocators.set(network.id, new AddressAllocator(network.ipv4));
    }
  }

  dropNetwork(id: string): void {
    this.networks.delete(id);
    this.allocators.delete(id);
  }

  /** The address allocator of a bridge network. */
  addresses(networkId: string): AddressAllocator | undefined {
    return this.allocators.get(networkId);
  }

  /** Records an endpoint; with `reserve`, also takes its address and ports (leases found at start). */
  addEndpoint(endpoint: Endpoint, reserve = false): void {
    if (reserve) {
      if (endpoint.ipAddress) this.allocators.get(endpoint.networkId)?.reserve(endpoint.ipAddress);
      this.hostPorts.restore(endpoint.ports);
    }
    this.endpoints.set(keyOf(endpoint.networkId, endpoint.containerId), endpoint);
  }

  /** Forgets an endpoint and gives its address and ports back. */
  dropEndpoint(endpoint: Endpoint): void {
    if (endpoint.ipAddress) this.allocators.get(endpoint.networkId)?.release(endpoint.ipAddress);
    this.hostPorts.release(endpoint.ports);
    this.endpoints.delete(keyOf(endpoint.networkId, endpoint.containerId));
  }

  endpoint(networkId: string, containerId: string): Endpoint | undefined {
    return this.endpoints.get(keyOf(networkId, containerId));
  }

  allEndpoints(): Endpoint[] {
    return [...this.endpoints.values()];
  }

  endpointsOfNetwork(networkId: string): Endpoint[] {
    return this.allEndpoints().filter((endpoint) => endpoint.networkId === networkId);
  }

  endpointsOfContainer(containerId: string): Endpoint[] {
    return this.allEndpoints().filter((endpoint) => endpoint.containerId === containerId);
  }

  /** Whether a container has an endpoint on a network that is not internal. */
  hasExternalAccess(containerId: string): boolean {
    return this.endpointsOfContainer(containerId).some(
      (e) => this.networks.get(e.networkId)?.internal === false,
    );
  }
}

function keyOf(networkId: string, containerId: string): string {
  return `${networkId}/${containerId}`;
}
