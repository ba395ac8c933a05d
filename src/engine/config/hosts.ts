/**
 * API listen addresses (-H / "hosts"), parsed and normalised like dockerd's
 * ParseDaemonHost: unix:///path, tcp://host:port, fd://[n].
 */
import { isIP } from 'node:net';
import { DEFAULT_SOCKET } from './types.js';

const DEFAULT_TCP_HOST = 'localhost';
const DEFAULT_TCP_PORT = '2375';
/** Where dockerd listens when --tls is on and no host is given. */
export const DEFAULT_TLS_HOST = 'tcp://localhost:2376';
export const DEFAULT_UNIX_HOST = `unix://${DEFAULT_SOCKET}`;

/** Returns the normalised address, or throws an Error saying what is wrong with it. */
export function parseDaemonHost(address: string): string {
  const text = address.trim();
  const separator = text.indexOf('://');
  // A bare "host:port" means TCP.
  const proto = separator < 0 ? 'tcp' : text.slice(0, separator);
  const rest = separator < 0 ? text : text.slice(separator + 3);
  switch (proto) {
    case 'tcp':
      return parseTcpAddress(rest, text);
    case 'unix':
      if (rest.includes('://')) throw new Error(`invalid bind address (${text}): invalid unix address`);
      return `unix://${rest === '' ? DEFAULT_SOCKET : rest}`;
    case 'fd':
      return text;
    default:
      throw new Error(`invalid bind address (${text}): unsupported proto '${proto}'`);
  }
}

function parseTcpAddress(rest: string, text: string): string {
  const fail = (why: string) => new Error(`invalid bind address (${text}): ${why}`);
  if (/[/?#]/.test(rest)) throw fail('should not contain a path element');
  const { host, port } = splitHostPort(rest, fail);
  if (port !== undefined && (!/^\d+$/.test(port) || Number(port) === 0 || Number(port) > 65535)) {
    throw fail(`invalid port: ${port}`);
  }
  const hostname = host === '' ? DEFAULT_TCP_HOST : host;
  const shownHost = isIP(hostname) === 6 ? `[${hostname}]` : hostname;
  return `tcp://${shownHost}:${port ?? DEFAULT_TCP_PORT}`;
}

function splitHostPort(
  rest: string,
  fail: (why: string) => Error,
): { host: string; port: string | undefined } {
  if (rest.startsWith('[')) {
    const close = rest.indexOf(']');
    const host = rest.slice(1, close);
    const after = rest.slice(close + 1);
    if (close < 0 || isIP(host) !== 6) throw fail(`invalid IPv6 address "${rest}"`);
    if (after !== '' && !after.startsWith(':')) throw fail(`unexpected "${after}" after the address`);
    return { host, port: after.slice(1) || undefined };
  }
  const colon = rest.indexOf(':');
  if (colon !== rest.lastIndexOf(':')) throw fail('IPv6 addresses must be in brackets, e.g. [::1]:2375');
  const host = colon < 0 ? rest : rest.slice(0, colon);
  if (host !== '' && !/^[A-Za-z0-9._-]+$/.test(host)) throw fail(`invalid host "${host}"`);
  // An empty port ("host:") falls back to the default, as in dockerd.
  return { host, port: colon < 0 ? undefined : rest.slice(colon + 1) || undefined };
}

/** Normalises, sorts and de-duplicates hosts (dockerd's normalizeHosts); empty entries are dropped. */
export function normalizeHosts(hosts: readonly string[]): string[] {
  const parsed = hosts.filter((host) => host.trim() !== '').map(parseDaemonHost);
  return [...new Set(parsed)].sort();
}

export function isTcpHost(host: string): boolean {
  return host.startsWith('tcp://');
}
