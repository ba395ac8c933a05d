import { readFile } from 'node:fs/promises';
import { type ContainerFiles, writeContainerFiles } from './container-files.js';
import { readHostResolvConf } from './dns/resolv-conf.js';
import type { NetworkRegistry } from './registry.js';

/** What the container service knows about a container's name resolution settings. */
export interface SandboxFilesRequest {
  containerId: string;
  /** The container's network mode; `container:<id>` containers reuse the other container's files. */
  mode: 'bridge' | 'host' | 'none';
  hostname: string;
  domainname?: string;
  /** `--add-host` entries, "name:ip". */
  extraHosts?: string[];
  /** Lines of legacy links: the linked container's address and its names. */
  linkHosts?: { ip: string; names: string }[];
  dns?: string[];
  dnsSearch?: string[];
  dnsOptions?: string[];
}

/**
 * Writes a container's hosts, resolv.conf and hostname from its endpoints:
 * its first network's address goes with its hostname, and if any of its
 * networks has name resolution, that network's gateway is its nameserver.
 */
export async function writeSandboxFiles(
  dir: string,
  request: SandboxFilesRequest,
  registry: NetworkRegistry,
  hostFiles: { resolvConf: string; hosts: string; hostGatewayIp?: string },
  options: { hostsInPlace?: boolean } = {},
): Promise<ContainerFiles> {
  const endpoints = request.mode === 'bridge' ? registry.endpointsOfContainer(request.containerId) : [];
  const resolving = endpoints.find((endpoint) => endpoint.dnsNames.length > 0);
  return writeContainerFiles(
    dir,
    {
      ...request,
      ipAddress: endpoints[0]?.ipAddress || undefined,
      networkNameserver: resolving?.gateway,
      hostGatewayIp: hostFiles.hostGatewayIp,
      hostResolvConf: await readHostResolvConf(hostFiles.resolvConf),
      hostHosts:
        request.mode === 'host' ? await readFile(hostFiles.hosts, 'utf8').catch(() => '') : undefined,
    },
    options,
  );
}
