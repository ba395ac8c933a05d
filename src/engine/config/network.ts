/**
 * Validation of network directives (bip, default-address-pools, dns...),
 * following Go's netip parsing rules that dockerd relies on.
 */
import { isIP } from 'node:net';
import { ConfigValueError } from './config-error.js';
import { asArray, asInteger, asString, because, type Decoder, structFields } from './decode.js';
import type { AddressPool } from './types.js';

export interface Cidr {
  address: string;
  bits: number;
  family: 4 | 6;
}

/** Parses "10.0.0.1/16" or "fd00::/8"; throws an Error saying why not. */
export function parseCidr(text: string): Cidr {
  const slash = text.lastIndexOf('/');
  if (slash < 0) throw new Error(`invalid CIDR "${text}": missing "/<prefix length>"`);
  const address = text.slice(0, slash);
  const family = address.includes('%') ? 0 : isIP(address);
  if (family !== 4 && family !== 6)
    throw new Error(`invalid CIDR "${text}": "${address}" is not an IP address`);
  const bitsText = text.slice(slash + 1);
  const maxBits = family === 4 ? 32 : 128;
  const bits = Number(bitsText);
  if (!/^(0|[1-9]\d*)$/.test(bitsText) || bits > maxBits) {
    throw new Error(`invalid CIDR "${text}": prefix length must be between 0 and ${maxBits}`);
  }
  return { address, bits, family };
}

/** Throws unless `text` is an IPv4 or IPv6 address (no zone, no brackets). */
export function checkIpAddress(text: string): void {
  if (text.includes('%') || isIP(text) === 0) {
    throw new Error(`IP address is not correctly formatted: "${text}"`);
  }
}

/** bip: the default bridge's own IPv4 address with its prefix, e.g. 192.168.1.1/24. */
export function checkBridgeIp(text: string): void {
  const cidr = parseCidr(text);
  if (cidr.family !== 4) throw new Error(`"${text}" is not an IPv4 CIDR; use bip6 for IPv6`);
}

// A search domain: dot-separated labels of letters, digits and inner hyphens (dockerd's regexp).
const LABEL = '[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?';
const DOMAIN = new RegExp(`^${LABEL}(?:\\.${LABEL})*\\.?$`);

/** dns-search entries: a domain with at least one letter, or "." for none. */
export function checkDnsSearch(text: string): void {
  const domain = text.trim();
  if (domain === '.') return;
  if (!/[a-zA-Z]/.test(domain) || !DOMAIN.test(domain) || domain.length >= 255) {
    throw new Error(`"${text}" is not a valid domain`);
  }
}

/** default-address-pools: [{"base": "10.10.0.0/16", "size": 24}, ...]. */
export const asAddressPools: Decoder<AddressPool[]> = (value, key) =>
  asArray(value, key).map((entry, index) => asAddressPool(entry, `${key}[${index}]`));

function asAddressPool(value: unknown, key: string): AddressPool {
  const fields = structFields(value, key, ['base', 'size']);
  if (fields['base'] === undefined) throw new ConfigValueError(`${key}.base`, 'missing; expected a CIDR');
  if (fields['size'] === undefined)
    throw new ConfigValueError(`${key}.size`, 'missing; expected a prefix length');
  const base = asString(fields['base'], `${key}.base`);
  const size = asInteger(fields['size'], `${key}.size`);
  const cidr = because(`${key}.base`, () => parseCidr(base));
  const maxBits = cidr.family === 4 ? 32 : 128;
  if (size < cidr.bits || size > maxBits || size === 0) {
    throw new ConfigValueError(
      `${key}.size`,
      `${size} must be between the base's prefix length (${cidr.bits}) and ${maxBits}`,
    );
  }
  return { base, size };
}
