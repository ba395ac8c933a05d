import { readFile } from 'node:fs/promises';
import { networkInterfaces } from 'node:os';
import { invalidArgument, permissionDenied, unavailable } from '../core/errors.js';
import {
  containsAddress,
  containsSubnet,
  formatSubnet,
  type Ipv4Subnet,
  ipToNumber,
  lastAddress,
  numberToIp,
  parseSubnet,
  subnetSize,
  subnetsOverlap,
} from './ipv4.js';
import type { Ipv4Config } from './types.js';

/** A pool subnets are carved from: `{"base": "10.10.0.0/16", "size": 24}` as in daemon.json. */
export interface AddressPool {
  base: string;
  size: number;
}

/** dockerd's default-address-pools. */
export const DEFAULT_ADDRESS_POOLS: readonly AddressPool[] = [
  { base: '172.17.0.0/16', size: 16 },
  { base: '172.18.0.0/16', size: 16 },
  { base: '172.19.0.0/16', size: 16 },
  { base: '172.20.0.0/14', size: 16 },
  { base: '172.24.0.0/14', size: 16 },
  { base: '172.28.0.0/14', size: 16 },
  { base: '192.168.0.0/16', size: 20 },
];

/**
 * The first subnet of the pools that overlaps nothing in `taken` (other
 * networks, the host's routes and addresses). Unavailable when all are used.
 */
export function allocateSubnet(pools: readonly AddressPool[], taken: readonly Ipv4Subnet[]): Ipv4Subnet {
  for (const pool of pools) {
    const base = parseSubnet(pool.base);
    const step = subnetSize(pool.size);
    for (let address = base.address; address <= lastAddress(base); address += step) {
      const candidate = { address, prefix: pool.size };
      if (!taken.some((subnet) => subnetsOverlap(subnet, candidate))) return candidate;
    }
  }
  throw unavailable(
    'could not find an available, non-overlapping IPv4 address pool among the defaults to assign to the network',
  );
}

/** The subnets the host already routes to or sits on (the default route excluded). */
export async function hostSubnets(): Promise<Ipv4Subnet[]> {
  const subnets: Ipv4Subnet[] = [];
  const routes = await readFile('/proc/net/route', 'utf8').catch(() => '');
  for (const line of routes.split('\n').slice(1)) {
    const fields = line.trim().split(/\s+/);
    if (fields.length < 8) continue;
    const subnet = {
      address: hexToAddress(fields[1] ?? ''),
      prefix: maskBits(hexToAddress(fields[7] ?? '')),
    };
    if (subnet.prefix > 0) subnets.push(subnet);
  }
  for (const addresses of Object.values(networkInterfaces())) {
    for (const address of addresses ?? []) {
      if (address.family === 'IPv4' && address.cidr && !address.internal)
        subnets.push(parseSubnet(address.cidr));
    }
  }
  return subnets;
}

// /proc/net/route prints addresses as little-endian hex words.
function hexToAddress(hex: string): number {
  const value = Number.parseInt(hex, 16) >>> 0;
  return (
    ((value & 0xff) * 2 ** 24 +
      ((value >>> 8) & 0xff) * 65536 +
      ((value >>> 16) & 0xff) * 256 +
      (value >>> 24)) >>>
    0
  );
}

function maskBits(mask: number): number {
  return mask.toString(2).replace(/0/g, '').length;
}

/**
 * Checks a user's --subnet/--gateway/--ip-range against each other and the
 * other networks, and fills in the gateway (first address) when absent.
 * An overlap is PermissionDenied, as libnetwork's ErrPoolOverlap is Forbidden.
 */
export function planIpv4(
  request: { subnet: string; gateway?: string; ipRange?: string },
  otherNetworks: readonly Ipv4Subnet[],
): Ipv4Config {
  const subnet = parseSubnet(request.subnet);
  if (subnet.prefix > 30) throw invalidArgument(`subnet ${request.subnet} is too small for a bridge network`);
  if (otherNetworks.some((other) => subnetsOverlap(other, subnet))) {
    throw permissionDenied(`Pool overlaps with other one on this address space: ${formatSubnet(subnet)}`);
  }
  const gateway = request.gateway ?? numberToIp(subnet.address + 1);
  const gatewayNumber = ipToNumber(gateway);
  if (!usable(subnet, gatewayNumber)) {
    throw invalidArgument(`gateway ${gateway} is not a usable address of subnet ${formatSubnet(subnet)}`);
  }
  const config: Ipv4Config = { subnet: formatSubnet(subnet), gateway };
  if (request.ipRange) {
    const range = parseSubnet(request.ipRange);
    if (!containsSubnet(subnet, range)) {
      throw invalidArgument(`ip-range ${request.ipRange} is not inside subnet ${formatSubnet(subnet)}`);
    }
    config.ipRange = formatSubnet(range);
  }
  return config;
}

/** Whether an address is a host address of the subnet (neither network nor broadcast address). */
export function usable(subnet: Ipv4Subnet, ip: number): boolean {
  return containsAddress(subnet, ip) && ip !== subnet.address && ip !== lastAddress(subnet);
}

/**
 * Hands out container addresses of one network. Like libnetwork it allocates
 * serially (the next free address after the last one given) so a released
 * address is not reused at once, which keeps stale ARP entries harmless.
 * The allocator is in memory; the manager rebuilds it from endpoint records.
 */
export class AddressAllocator {
  private readonly used = new Set<number>();
  private readonly subnet: Ipv4Subnet;
  private readonly range: Ipv4Subnet;
  private readonly gateway: number;
  private last: number;

  constructor(config: Ipv4Config) {
    this.subnet = parseSubnet(config.subnet);
    this.range = config.ipRange ? parseSubnet(config.ipRange) : this.subnet;
    this.gateway = ipToNumber(config.gateway);
    this.last = this.range.address - 1;
  }

  /** Takes a specific address (`--ip`, or a lease found at startup). */
  reserve(ip: string): void {
    const value = ipToNumber(ip);
    if (!usable(this.subnet, value) || value === this.gateway) {
      throw invalidArgument(`address ${ip} is not available in subnet ${formatSubnet(this.subnet)}`);
    }
    if (this.used.has(value)) throw permissionDenied(`Address already in use: ${ip}`);
    this.used.add(value);
  }

  /** Takes the next free address of the range. */
  allocate(): string {
    const size = subnetSize(this.range.prefix);
    for (let step = 1; step <= size; step++) {
      const candidate = this.range.address + ((this.last - this.range.address + step) % size);
      if (this.used.has(candidate) || candidate === this.gateway || !usable(this.subnet, candidate)) continue;
      this.used.add(candidate);
      this.last = candidate;
      return numberToIp(candidate);
    }
    throw unavailable(`no available IPv4 addresses on network subnet ${formatSubnet(this.subnet)}`);
  }

  /** Gives an address back; releasing a free address does nothing. */
  release(ip: string): void {
    this.used.delete(ipToNumber(ip));
  }

  /** How many addresses are taken. */
  get size(): number {
    return this.used.size;
  }
}
