/**
 * Legacy links (`--link name:alias`) on the default bridge, as dockerd keeps
 * them: the parent names a child container under an alias; at the parent's
 * start the child must run, the parent's /etc/hosts gets a line for the
 * child (alias, hostname, name) and its environment the child's address,
 * ports and variables. The child is also known as `/<parent>/<alias>`.
 * On user-defined networks links are only DNS aliases of the endpoint.
 */
import { BerthError, ErrorKind, invalidArgument } from '../core/errors.js';
import type { ContainerRecord } from './record.js';

/** A link as the parent's record keeps it: the child by ID, so renames follow. */
export interface LegacyLink {
  Child: string;
  Alias: string;
}

/** The containers a link can be made to. */
interface ContainerLookup {
  get(ref: string): ContainerRecord;
  list(): ContainerRecord[];
}

/** docker's ParseLink: "name:alias", "name" (alias = name), or inspect's "/name:/parent/alias". */
export function parseLink(value: string): { name: string; alias: string } {
  if (value === '') throw invalidArgument('empty string specified for links');
  const parts = value.split(':');
  if (parts.length > 2) throw invalidArgument(`bad format for links: ${value}`);
  const [name = '', alias] = parts;
  if (alias === undefined) return { name: value, alias: value };
  if (name.startsWith('/')) return { name: name.slice(1), alias: alias.slice(alias.lastIndexOf('/') + 1) };
  return { name, alias };
}

/** dockerd's words for links to, or from, a container on the host's network. */
const HOST_NETWORK_AND_LINKS =
  "conflicting options: host type networking can't be used with links. This would result in undefined behavior";

/** dockerd's refusals of links with a network mode that has no network of its own. */
export function checkLinksAllowed(hostConfig: { NetworkMode?: string; Links?: string[] | null }): void {
  if (!hostConfig.Links?.length) return;
  const mode = hostConfig.NetworkMode ?? '';
  if (mode === 'host') throw invalidArgument(HOST_NETWORK_AND_LINKS);
  if (mode.startsWith('container:'))
    throw invalidArgument(
      "conflicting options: container type network can't be used with links. This would result in undefined behavior",
    );
}

/** Whether a container is on the default bridge (links are legacy there, DNS aliases elsewhere). */
export function onDefaultBridge(hostConfig: { NetworkMode?: string }): boolean {
  const mode = hostConfig.NetworkMode;
  return !mode || mode === 'default' || mode === 'bridge';
}

/**
 * dockerd's registerLinks at create: each child exists (one sharing another's
 * network stands for that one) and is not on the host's network.
 */
export function resolveLinks(links: readonly string[], containers: ContainerLookup): LegacyLink[] {
  const resolved: LegacyLink[] = [];
  for (const link of links) {
    const { name, alias } = parseLink(link);
    let child = findOrInvalid(containers, name);
    for (let mode = networkMode(child); mode.startsWith('container:'); mode = networkMode(child))
      child = findOrInvalid(containers, mode.slice('container:'.length));
    if (networkMode(child) === 'host') throw invalidArgument(HOST_NETWORK_AND_LINKS);
    resolved.push({ Child: child.Id, Alias: alias });
  }
  return resolved;
}

function findOrInvalid(containers: ContainerLookup, name: string): ContainerRecord {
  try {
    return containers.get(name);
  } catch (err) {
    throw invalidArgument(`could not get container for ${name}: ${(err as Error).message}`);
  }
}

const networkMode = (record: ContainerRecord) =>
  String((record.HostConfig as { NetworkMode?: string }).NetworkMode ?? '');

/** The links of a parent whose child still exists, with the child and the link's full name. */
export function childrenOf(
  parent: ContainerRecord,
  containers: ContainerLookup,
): { child: ContainerRecord; fullName: string }[] {
  const out: { child: ContainerRecord; fullName: string }[] = [];
  for (const link of parent.Links ?? []) {
    let child: ContainerRecord;
    try {
      child = containers.get(link.Child);
    } catch {
      continue; // removed since: dockerd drops the link with the child
    }
    out.push({ child, fullName: `/${parent.Name}/${link.Alias}` });
  }
  return out;
}

/** inspect's HostConfig.Links: "/child:/parent/alias" each, or null. */
export function inspectLinks(parent: ContainerRecord, containers: ContainerLookup): string[] | null {
  const links = childrenOf(parent, containers).map(({ child, fullName }) => `/${child.Name}:${fullName}`);
  return links.length > 0 ? links : null;
}

/** The other names a container has as the child of links ("/parent/alias"), for ps. */
export function linkNamesByChild(containers: ContainerLookup): Map<string, string[]> {
  const names = new Map<string, string[]>();
  for (const parent of containers.list()) {
    for (const link of parent.Links ?? []) {
      names.set(link.Child, [...(names.get(link.Child) ?? []), `/${parent.Name}/${link.Alias}`]);
    }
  }
  return names;
}

/** The child's address on the default bridge, if it has one. */
function bridgeAddress(child: ContainerRecord): string {
  const networks = (child.NetworkSettings as { Networks?: Record<string, { IPAddress?: string }> }).Networks;
  return networks?.['bridge']?.IPAddress ?? '';
}

/**
 * What the parent's start needs of its children: every child runs (else
 * dockerd's error) and is on the default bridge.
 */
export function checkChildrenRunning(parent: ContainerRecord, containers: ContainerLookup): void {
  if (!onDefaultBridge(parent.HostConfig)) return;
  for (const { child, fullName } of childrenOf(parent, containers)) {
    // dockerd fails these as system errors (500).
    if (!child.State.Running)
      throw new BerthError(
        ErrorKind.Internal,
        `Cannot link to a non running container: /${child.Name} AS ${fullName}`,
      );
    if (!bridgeAddress(child))
      throw new BerthError(
        ErrorKind.Internal,
        `container ${child.Id} not attached to default bridge network`,
      );
  }
}

/** The parent's /etc/hosts lines for its children: the alias, the child's hostname, and its name when the alias differs. */
export function linkHostEntries(
  parent: ContainerRecord,
  containers: ContainerLookup,
): { ip: string; names: string }[] {
  if (!onDefaultBridge(parent.HostConfig)) return [];
  const entries: { ip: string; names: string }[] = [];
  for (const { child, fullName } of childrenOf(parent, containers)) {
    const ip = bridgeAddress(child);
    if (!ip) continue;
    const alias = fullName.slice(fullName.lastIndexOf('/') + 1);
    const names = [alias, String(child.Config.Hostname ?? '')];
    if (alias !== child.Name) names.push(child.Name);
    entries.push({ ip, names: names.join(' ') });
  }
  return entries;
}

/** The parent's environment from its links (dockerd's links.ToEnv for each child). */
export function linkEnv(parent: ContainerRecord, containers: ContainerLookup): string[] {
  if (!onDefaultBridge(parent.HostConfig)) return [];
  const env: string[] = [];
  for (const { child, fullName } of childrenOf(parent, containers)) {
    const ports = Object.keys((child.Config.ExposedPorts as Record<string, unknown> | undefined) ?? {});
    env.push(...linkEnvOf(fullName, bridgeAddress(child), (child.Config.Env as string[]) ?? [], ports));
  }
  return env;
}

/**
 * One link's variables: ALIAS_PORT (the lowest port), ALIAS_PORT_<n>_<PROTO>
 * and its _ADDR, _PORT and _PROTO for each port (TCP first), _START/_END
 * for runs of consecutive ports, ALIAS_NAME, and ALIAS_ENV_<name> for each
 * of the child's variables but HOME and PATH.
 */
export function linkEnvOf(
  fullName: string,
  ip: string,
  childEnv: readonly string[],
  exposed: readonly string[],
): string[] {
  const alias = fullName
    .slice(fullName.lastIndexOf('/') + 1)
    .toUpperCase()
    .replaceAll('-', '_');
  const ports = exposed
    .map((spec) => {
      const [num = '0', proto = 'tcp'] = spec.split('/');
      return { num: Number(num), proto };
    })
    .sort((a, b) =>
      a.proto === b.proto
        ? a.num - b.num
        : a.proto === 'tcp'
          ? -1
          : b.proto === 'tcp'
            ? 1
            : a.proto < b.proto
              ? -1
              : 1,
    );
  const env: string[] = [];
  let start = ports[0];
  let end = ports[0];
  ports.forEach((p, i) => {
    if (i === 0) env.push(`${alias}_PORT=${p.proto}://${ip}:${p.num}`);
    const prefix = `${alias}_PORT_${p.num}_${p.proto.toUpperCase()}`;
    env.push(`${prefix}=${p.proto}://${ip}:${p.num}`, `${prefix}_ADDR=${ip}`);
    env.push(`${prefix}_PORT=${p.num}`, `${prefix}_PROTO=${p.proto}`);
    if (end && p.num === end.num + 1 && p.proto === end.proto) {
      end = p;
      if (i < ports.length - 1) return;
    }
    if (start && end && (start.num !== end.num || start.proto !== end.proto)) {
      const range = `${alias}_PORT_${start.num}_${start.proto.toUpperCase()}`;
      env.push(`${range}_START=${start.proto}://${ip}:${start.num}`, `${range}_PORT_START=${start.num}`);
      env.push(`${range}_END=${end.proto}://${ip}:${end.num}`, `${range}_PORT_END=${end.num}`);
    }
    start = p;
    end = p;
  });
  env.push(`${alias}_NAME=${fullName}`);
  for (const entry of childEnv) {
    const eq = entry.indexOf('=');
    if (eq < 0) continue;
    const name = entry.slice(0, eq);
    if (name === 'HOME' || name === 'PATH') continue;
    env.push(`${alias}_ENV_${name}=${entry.slice(eq + 1)}`);
  }
  return env;
}
