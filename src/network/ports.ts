import { isIP } from 'node:net';
import { invalidArgument } from '../core/errors.js';
import type { PortMapping, PortProtocol, PublishedPort } from './types.js';

/**
 * Parses one `-p` / `--publish` value, `[ip:][hostPort:]containerPort[/protocol]`,
 * where both ports may be ranges ("8000-8010:80-90") and an IPv6 address goes
 * in brackets ("[::1]:8080:80"). Returns one mapping per container port, as
 * Docker's nat.ParsePortSpec does. A host range with a single container port
 * means "any free port of the range"; an absent host port means "any free port".
 */
export function parsePortSpec(spec: string): PortMapping[] {
  const [body, protocolText = 'tcp', ...extra] = spec.split('/');
  if (extra.length > 0 || body === undefined) throw invalidArgument(`invalid port specification: "${spec}"`);
  const protocol = parseProtocol(protocolText, spec);
  const { hostIp, hostPart, containerPart } = splitSpec(body, spec);
  const container = parseRange(containerPart, spec, 'containerPort');
  if (!hostPart)
    return portsOf(container).map((containerPort) => mapping(containerPort, protocol, hostIp, 0));
  const host = parseRange(hostPart, spec, 'hostPort');
  const containerCount = container.end - container.start;
  const hostCount = host.end - host.start;
  if (containerCount === 0 && hostCount > 0) {
    return [{ ...mapping(container.start, protocol, hostIp, host.start), hostPortEnd: host.end }];
  }
  if (containerCount !== hostCount) {
    throw invalidArgument(`invalid ranges specified for container and host ports: "${spec}"`);
  }
  return portsOf(container).map((port, index) => mapping(port, protocol, hostIp, host.start + index));
}

/**
 * The mappings `-P` makes of an image's exposed ports ("80/tcp", "53/udp",
 * "8000-8002/tcp"): each published on a free host port of every address.
 */
export function mappingsForExposedPorts(exposed: Iterable<string>): PortMapping[] {
  const mappings: PortMapping[] = [];
  for (const key of exposed) {
    const [ports = '', protocolText = 'tcp'] = key.split('/');
    const protocol = parseProtocol(protocolText, key);
    for (const port of portsOf(parseRange(ports, key, 'port'))) mappings.push(mapping(port, protocol, '', 0));
  }
  return mappings;
}

/**
 * Docker's PortMap shape for inspect and `docker port`:
 * `{"80/tcp": [{"HostIp": "0.0.0.0", "HostPort": "8080"}]}`.
 */
export function toDockerPortMap(
  ports: readonly PublishedPort[],
): Record<string, { HostIp: string; HostPort: string }[]> {
  const map: Record<string, { HostIp: string; HostPort: string }[]> = {};
  for (const port of ports) {
    const key = `${port.containerPort}/${port.protocol}`;
    map[key] ??= [];
    map[key].push({ HostIp: port.hostIp || '0.0.0.0', HostPort: String(port.hostPort) });
  }
  return map;
}

function mapping(
  containerPort: number,
  protocol: PortProtocol,
  hostIp: string,
  hostPort: number,
): PortMapping {
  return { containerPort, protocol, hostIp, hostPort };
}

function parseProtocol(text: string, spec: string): PortProtocol {
  const protocol = text.toLowerCase();
  if (protocol === 'tcp' || protocol === 'udp') return protocol;
  throw invalidArgument(`invalid proto: "${text}" in "${spec}" (tcp and udp are supported)`);
}

/** Splits "ip:host:container" (the IP possibly bracketed IPv6) into its parts. */
function splitSpec(body: string, spec: string): { hostIp: string; hostPart: string; containerPart: string } {
  let rest = body;
  let hostIp = '';
  if (rest.startsWith('[')) {
    const close = rest.indexOf(']:');
    if (close < 0) throw invalidArgument(`invalid port specification: "${spec}"`);
    hostIp = rest.slice(1, close);
    rest = rest.slice(close + 2);
    if (isIP(hostIp) !== 6) throw invalidArgument(`invalid IP address: ${hostIp}`);
    const [hostPart = '', containerPart = '', ...more] = rest.split(':');
    if (more.length > 0) throw invalidArgument(`invalid port specification: "${spec}"`);
    return { hostIp, hostPart, containerPart };
  }
  const parts = rest.split(':');
  if (parts.length > 3) throw invalidArgument(`invalid port specification: "${spec}"`);
  if (parts.length === 3) {
    hostIp = parts[0] ?? '';
    if (isIP(hostIp) === 0) throw invalidArgument(`invalid IP address: ${hostIp}`);
  }
  const containerPart = parts[parts.length - 1] ?? '';
  const hostPart = parts.length >= 2 ? (parts[parts.length - 2] ?? '') : '';
  return { hostIp, hostPart, containerPart };
}

function parseRange(text: string, spec: string, what: string): { start: number; end: number } {
  const match = /^(\d+)(?:-(\d+))?$/.exec(text);
  if (!match) throw invalidArgument(`invalid ${what}: "${text}" in "${spec}"`);
  const start = Number(match[1]);
  const end = match[2] === undefined ? start : Number(match[2]);
  if (start < 1 || end > 65535 || end < start)
    throw invalidArgument(`invalid ${what}: "${text}" in "${spec}"`);
  return { start, end };
}

function portsOf(range: { start: number; end: number }): number[] {
  return Array.from({ length: range.end - range.start + 1 }, (_, index) => range.start + index);
}
