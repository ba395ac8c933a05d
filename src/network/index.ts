/**
 * The network module: networks and their records, IPAM, CNI-backed bridge
 * endpoints, published ports, DNS on each user network's gateway, and the
 * containers' /etc/hosts, /etc/resolv.conf and /etc/hostname.
 * docs/network.md describes the chains, files and state on disk.
 */
export type { DefaultBridgeSpec } from './bridge-plan.js';
export type { ContainerFiles, ContainerFilesSpec } from './container-files.js';
export { renderContainerResolvConf, renderHosts, writeContainerFiles } from './container-files.js';
export type { PlannedEndpoint } from './endpoints.js';
export { type AddressPool, DEFAULT_ADDRESS_POOLS } from './ipam.js';
export { bringUpLoopback } from './loopback.js';
export { NetworkManager } from './manager.js';
export type { NetworkManagerOptions } from './options.js';
export { mappingsForExposedPorts, parsePortSpec, toDockerPortMap } from './ports.js';
export type { NetworkFilters } from './records.js';
export type { SandboxFilesRequest } from './sandbox-files.js';
export type {
  AttachRequest,
  Endpoint,
  Ipv4Config,
  NetworkCreateRequest,
  NetworkDriver,
  NetworkDriverName,
  NetworkRecord,
  PortMapping,
  PortProtocol,
  PublishedPort,
} from './types.js';
