import { isIPv4 } from 'node:net';
import { invalidArgument } from '../core/errors.js';

/**
 * IPv4 arithmetic on plain numbers (0 … 2^32-1). Addresses are dotted quads;
 * a subnet is its first address and a prefix length.
 */

/** An IPv4 subnet such as 10.1.0.0/24, always normalised to its network address. */
export interface Ipv4Subnet {
  readonly address: number;
  readonly prefix: number;
}

/** The 32-bit number of a dotted quad; throws InvalidArgument when it is not one. */
export function ipToNumber(ip: string): number {
  if (!isIPv4(ip)) throw invalidArgument(`invalid IPv4 address: ${ip}`);
  return ip.split('.').reduce((acc, part) => acc * 256 + Number(part), 0);
}

/** The dotted quad of a 32-bit number. */
export function numberToIp(value: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(value / 2 ** shift) % 256).join('.');
}

/** The number of addresses a prefix spans. */
export function subnetSize(prefix: number): number {
  return 2 ** (32 - prefix);
}

/** Parses "10.1.0.0/24" (host bits are cleared: "10.1.0.7/24" gives 10.1.0.0/24). */
export function parseSubnet(cidr: string): Ipv4Subnet {
  const slash = cidr.indexOf('/');
  if (slash < 0) throw invalidArgument(`invalid CIDR address: ${cidr}`);
  const prefixText = cidr.slice(slash + 1);
  const prefix = Number(prefixText);
  if (!/^\d{1,2}$/.test(prefixText) || prefix > 32) throw invalidArgument(`invalid CIDR address: ${cidr}`);
  const address = ipToNumber(cidr.slice(0, slash));
  return { address: address - (address % subnetSize(prefix)), prefix };
}

/** The address part of a CIDR ("10.1.0.7/24" → 10.1.0.7) and its prefix. */
export function parseAddressWithPrefix(cidr: string): { ip: string; prefix: number } {
  const subnet = parseSubnet(cidr);
  return { ip: cidr.slice(0, cidr.indexOf('/')), prefix: subnet.prefix };
}

/** "10.1.0.0/24". */
export function formatSubnet(subnet: Ipv4Subnet): string {
  return `${numberToIp(subnet.address)}/${subnet.prefix}`;
}

/** The last address of a subnet (its broadcast address). */
export function lastAddress(subnet: Ipv4Subnet): number {
  return subnet.address + subnetSize(subnet.prefix) - 1;
}

/** Whether `ip` (a number) lies inside `subnet`. */
export function containsAddress(subnet: Ipv4Subnet, ip: number): boolean {
  return ip >= subnet.address && ip <= lastAddress(subnet);
}

/** Whether the inner subnet lies entirely inside the outer one. */
export function containsSubnet(outer: Ipv4Subnet, inner: Ipv4Subnet): boolean {
  return inner.prefix >= outer.prefix && containsAddress(outer, inner.address);
}

/** Whether two subnets share at least one address. */
export function subnetsOverlap(a: Ipv4Subnet, b: Ipv4Subnet): boolean {
  return containsAddress(a, b.address) || containsAddress(b, a.address);
}

/** The dotted netmask of a prefix (24 → 255.255.255.0). */
export function netmaskOf(prefix: number): string {
  return numberToIp(2 ** 32 - subnetSize(prefix));
}
