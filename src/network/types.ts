/**
 * The network module's vocabulary. A *network* is a stored record (Docker's
 * `docker network inspect`); an *endpoint* is one container's attachment to
 * one network: an interface in the container's network namespace with an
 * address, a MAC, DNS names and published ports.
 */

/** Drivers as Docker names them: `null` is the driver of the `none` network. */
export type NetworkDriverName = 'bridge' | 'host' | 'null';

/** IPv4 addressing of a bridge network. */
export interface Ipv4Config {
  /** "10.1.0.0/24". */
  subnet: string;
  /** The bridge's own address, also the containers' gateway and DNS server. */
  gateway: string;
  /** Where dynamic addresses come from ("10.1.0.128/25"); the whole subnet when absent. */
  ipRange?: string;
}

/** A stored network. Fields map one to one onto Docker's network inspect. */
export interface NetworkRecord {
  id: string;
  name: string;
  driver: NetworkDriverName;
  /** RFC 3339. */
  created: string;
  internal: boolean;
  attachable: boolean;
  /** Absent for host and none. */
  ipv4?: Ipv4Config;
  /** Whether the user chose the subnet (Docker only allows `--ip` then). */
  ipamUserConfigured: boolean;
  labels: Record<string, string>;
  /** Driver options, e.g. com.docker.network.bridge.name. */
  options: Record<string, string>;
  /** Linux bridge device of a bridge network. */
  bridgeName?: string;
  /** The predefined networks `bridge`, `host` and `none`, which users cannot remove. */
  predefined: boolean;
}

/** What `docker network create` asks for. */
export interface NetworkCreateRequest {
  name: string;
  driver?: NetworkDriverName;
  subnet?: string;
  gateway?: string;
  ipRange?: string;
  internal?: boolean;
  attachable?: boolean;
  labels?: Record<string, string>;
  options?: Record<string, string>;
}

/** Transport protocols a port can be published for. */
export type PortProtocol = 'tcp' | 'udp';

/**
 * A requested port publication, from `-p` or `-P`. A host port of 0 means
 * "pick a free one"; a host port range means "pick a free one in the range".
 */
export interface PortMapping {
  containerPort: number;
  protocol: PortProtocol;
  /** Empty or "0.0.0.0" for every address. */
  hostIp: string;
  hostPort: number;
  /** Last port of a host range such as 8000-8010 (inclusive). */
  hostPortEnd?: number;
}

/** A port as actually published: the host port is always chosen. */
export interface PublishedPort {
  containerPort: number;
  protocol: PortProtocol;
  hostIp: string;
  hostPort: number;
}

/** What the container service passes when it connects a container to a network. */
export interface AttachRequest {
  containerId: string;
  /** Path of the container's network namespace (a /run/netns file or /proc/<pid>/ns/net). */
  netnsPath: string;
  /** The container's name without the leading slash; resolvable on user networks. */
  containerName?: string;
  /** Network aliases (`--network-alias`, compose service names); resolvable too. */
  aliases?: string[];
  /** Links on a user network: names (alias → container name) that only this container resolves. */
  links?: Record<string, string>;
  /** Static address (`--ip`). */
  ip?: string;
  /** Static MAC address (`--mac-address`). */
  macAddress?: string;
  portMappings?: PortMapping[];
  /** Interface name in the container; the manager picks eth0, eth1, … when absent. */
  ifName?: string;
  /** The container's `--dns` servers: on user networks they become its upstream resolvers. */
  dnsServers?: string[];
}

/** One container's attachment to one network. */
export interface Endpoint {
  networkId: string;
  networkName: string;
  containerId: string;
  containerName?: string;
  aliases: string[];
  /** Names only this endpoint's container resolves: its links, alias → container name. */
  links?: Record<string, string>;
  /** Names this endpoint answers to in the network's DNS. */
  dnsNames: string[];
  ifName: string;
  netnsPath: string;
  /** Empty for host and none. */
  ipAddress: string;
  prefixLength: number;
  gateway: string;
  macAddress: string;
  ports: PublishedPort[];
  dnsServers: string[];
  /** Whether the container's default route goes through this endpoint (one per container, as Docker's gateway endpoint). */
  defaultRoute: boolean;
}

/**
 * A network driver: it makes a network exist on the host and plugs
 * containers into it. Records, names and IDs are the manager's business; a
 * driver only acts on what it is handed. Every method is idempotent, so
 * reconciliation after a crash can simply call it again.
 */
export interface NetworkDriver {
  readonly name: NetworkDriverName;
  /** Creates (or re-creates after a reboot) what the network needs on the host. */
  createNetwork(network: NetworkRecord): Promise<void>;
  /** Removes everything the network has on the host. Endpoints are gone already. */
  deleteNetwork(network: NetworkRecord): Promise<void>;
  /** Connects a container; the manager has already chosen address, MAC and host ports. */
  attach(network: NetworkRecord, endpoint: Endpoint): Promise<void>;
  /** Disconnects a container; safe when its namespace is already gone. */
  detach(network: NetworkRecord, endpoint: Endpoint): Promise<void>;
  /** Takes over an endpoint found on disk at start and re-creates its host-side state (its rules). */
  restore(network: NetworkRecord, endpoint: Endpoint): Promise<void>;
}
