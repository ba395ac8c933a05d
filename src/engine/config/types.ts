/**
 * The daemon's effective configuration: daemon.json (dockerd's keys and
 * meanings) merged with command-line flags. Field names are camelCase
 * versions of dockerd's keys; `sources` tells where each value came from.
 */
export interface LogConfig {
  type: string;
  config: Record<string, string>;
}

export interface RuntimeConfig {
  path: string;
  runtimeArgs: string[];
}

export interface AddressPool {
  base: string;
  size: number;
}

/** A value as it appears in daemon.json. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/** Where a directive's value came from; directives left at their default have no entry. */
export type ValueSource = 'file' | 'flag';

export interface Ulimit {
  name: string;
  soft: number;
  hard: number;
}

export interface DaemonConfig {
  /** The daemon.json that was read, or undefined when none existed. */
  configFile: string | undefined;
  dataRoot: string;
  execRoot: string;
  pidfile: string;
  /** Listen addresses: unix:///path, tcp://host:port, fd:// */
  hosts: string[];
  debug: boolean;
  logLevel: 'debug' | 'info' | 'warn' | 'error' | 'fatal';
  tls: boolean;
  tlsVerify: boolean;
  tlsCaCert: string | undefined;
  tlsCert: string | undefined;
  tlsKey: string | undefined;
  /** Explicit opt-in to plain TCP without TLS (prints a warning). */
  insecureTcp: boolean;
  /** "cgroupfs" or "systemd", from exec-opts native.cgroupdriver. */
  cgroupDriver: 'cgroupfs' | 'systemd';
  execOpts: string[];
  logDriver: string;
  logOpts: Record<string, string>;
  insecureRegistries: string[];
  registryMirrors: string[];
  defaultRuntime: string | undefined;
  runtimes: Record<string, RuntimeConfig>;
  bip: string | undefined;
  defaultAddressPools: AddressPool[];
  dns: string[];
  dnsSearch: string[];
  dnsOpts: string[];
  liveRestore: boolean;
  storageDriver: string;
  storageOpts: string[];
  usernsRemap: string | undefined;
  ipForward: boolean;
  iptables: boolean;
  ip6tables: boolean;
  ipv6: boolean;
  mtu: number;
  bridge: string | undefined;
  labels: string[];
  experimental: boolean;
  maxConcurrentDownloads: number;
  maxConcurrentUploads: number;
  shutdownTimeout: number;
  defaultUlimits: Record<string, Ulimit>;
  defaultShmSize: number;
  /** Largest build context (uncompressed tar bytes) a build accepts. */
  buildMaxContextSize: number;
  init: boolean;
  initPath: string | undefined;
  noNewPrivileges: boolean;
  seccompProfile: string | undefined;
  group: string;
  /** Feature toggles ("features" in daemon.json), e.g. {"containerd-snapshotter": true}. */
  features: Record<string, boolean>;
  maxDownloadAttempts: number;
  /**
   * Other dockerd directives that were accepted (type-checked) but are not
   * modelled above yet, by their daemon.json key, so no setting is dropped.
   */
  extraOptions: Record<string, JsonValue>;
  /** The source of every directive set by the file or a flag, by daemon.json key. */
  sources: Record<string, ValueSource>;
}

/** Command-line flags that can also be set in daemon.json. */
export interface DaemonFlags {
  configFile?: string;
  hosts?: string[];
  dataRoot?: string;
  execRoot?: string;
  pidfile?: string;
  debug?: boolean;
  logLevel?: string;
  tls?: boolean;
  tlsVerify?: boolean;
  tlsCaCert?: string;
  tlsCert?: string;
  tlsKey?: string;
  insecureTcp?: boolean;
  bip?: string;
  bridge?: string;
  group?: string;
  ipForward?: boolean;
  iptables?: boolean;
  storageDriver?: string;
  defaultRuntime?: string;
  liveRestore?: boolean;
  insecureRegistries?: string[];
  registryMirrors?: string[];
  execOpts?: string[];
  logDriver?: string;
  logOpts?: string[];
  experimental?: boolean;
}

export const DEFAULT_CONFIG_FILE = '/etc/berth/daemon.json';
export const DEFAULT_SOCKET = '/run/berth.sock';
