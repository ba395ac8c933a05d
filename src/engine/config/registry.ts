/**
 * registry-mirrors and insecure-registries, validated and normalised with
 * dockerd's ValidateMirror / ValidateIndexName / loadInsecureRegistries rules.
 */
import { isIP } from 'node:net';
import { parseCidr } from './network.js';

/** Returns the mirror as "scheme://host[:port]/", or throws an Error saying why it is invalid. */
export function validateMirror(mirror: string): string {
  const separator = mirror.indexOf('://');
  if (separator <= 0) {
    throw new Error(
      `invalid mirror: no scheme specified for "${mirror}": must use either 'https://' or 'http://'`,
    );
  }
  let url: URL;
  try {
    url = new URL(mirror);
  } catch {
    throw new Error(`invalid mirror: "${mirror}" is not a valid URI`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    const scheme = mirror.slice(0, separator);
    throw new Error(
      `invalid mirror: unsupported scheme "${scheme}" in "${mirror}": must use either 'https://' or 'http://'`,
    );
  }
  if (url.username !== '' || url.password !== '') {
    throw new Error(`invalid mirror: username/password not allowed in URI "${withoutPassword(url)}"`);
  }
  if (mirror.includes('?') || mirror.includes('#') || url.pathname !== '/') {
    throw new Error(`invalid mirror: path, query, or fragment at end of the URI "${mirror}"`);
  }
  return `${mirror.replace(/\/+$/, '')}/`;
}

function withoutPassword(url: URL): string {
  const copy = new URL(url.href);
  if (copy.password !== '') copy.password = 'xxxxx';
  return copy.href;
}

/**
 * Returns the registry as dockerd stores it (an "http://" or "https://" prefix
 * removed, index.docker.io as docker.io), or throws an Error saying why it is
 * neither a CIDR nor a host[:port].
 */
export function validateInsecureRegistry(entry: string): string {
  const name = entry === 'index.docker.io' ? 'docker.io' : entry;
  if (name.startsWith('-') || name.endsWith('-')) {
    throw new Error(`invalid index name (${name}). Cannot begin or end with a hyphen`);
  }
  const registry = stripScheme(name);
  if (looksLikeCidr(registry)) {
    parseCidr(registry);
    return registry;
  }
  checkHostPort(registry);
  return registry;
}

function stripScheme(entry: string): string {
  const separator = entry.indexOf('://');
  if (separator < 0) return entry;
  const scheme = entry.slice(0, separator).toLowerCase();
  if (scheme !== 'http' && scheme !== 'https') {
    throw new Error(`insecure registry ${entry} should not contain '://'`);
  }
  return entry.slice(separator + 3);
}

function looksLikeCidr(entry: string): boolean {
  const slash = entry.indexOf('/');
  return slash > 0 && isIP(entry.slice(0, slash)) !== 0;
}

// reference.DomainRegexp: dot-separated hostname labels or a bracketed IPv6 address, optional :port.
const LABEL = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const DOMAIN_AND_PORT = new RegExp(`^(?:${LABEL}(?:\\.${LABEL})*|\\[[a-fA-F0-9:]+\\])(?::[0-9]+)?$`);

function checkHostPort(entry: string): void {
  const { host, port } = splitHostPort(entry);
  if (!DOMAIN_AND_PORT.test(entry) && isIP(host) === 0) {
    throw new Error(`insecure registry ${entry} is not valid: invalid host "${host}"`);
  }
  if (port !== undefined && (!/^\d+$/.test(port) || Number(port) > 65535)) {
    throw new Error(`insecure registry ${entry} is not valid: invalid port "${port}"`);
  }
}

// Like Go's net.SplitHostPort, falling back to "host only" when there is no single port.
function splitHostPort(entry: string): { host: string; port: string | undefined } {
  const bracketed = /^\[([^\]]*)\]:(.*)$/.exec(entry);
  if (bracketed) return { host: bracketed[1] ?? '', port: bracketed[2] };
  const colon = entry.lastIndexOf(':');
  if (colon < 0 || entry.indexOf(':') !== colon) return { host: entry, port: undefined };
  return { host: entry.slice(0, colon), port: entry.slice(colon + 1) };
}
