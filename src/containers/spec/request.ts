import type { OciIdMapping, OciMount } from './oci.js';

/**
 * The input of spec generation: what a Docker create request says (the
 * subset of `Config` and `HostConfig` that shapes the OCI spec), what the
 * image says, and where the container's files are. Names follow Docker's
 * fields in camelCase; the API layer maps JSON onto them.
 */

/** The image's run defaults (the `config` object of an OCI/Docker image config). */
export interface ImageRunConfig {
  /** `undefined` and `null` both mean "not set". */
  entrypoint?: string[] | null;
  cmd?: string[] | null;
  env?: string[];
  workingDir?: string;
  user?: string;
}

/**
 * How a namespace is obtained: a new one (`private`), the host's (`host`),
 * or an existing one, by the path of its namespace file: another process's
 * (`/proc/<pid>/ns/<type>`, see {@link namespacePathOf}), or, with `own`,
 * one made for this container alone (its network namespace on a bridge).
 */
export type NamespaceMode = 'private' | 'host' | { path: string; own?: boolean };

/** IPC adds Docker's `shareable` (private, but others may join) and `none` (no /dev/shm). */
export type IpcMode = NamespaceMode | 'shareable' | 'none';

/** The path of process `pid`'s namespace of `type`, for `container:<name>` modes. */
export function namespacePathOf(
  pid: number,
  type: 'net' | 'pid' | 'ipc' | 'uts' | 'user' | 'cgroup',
): string {
  return `/proc/${pid}/ns/${type}`;
}

/** `--device /dev/x[:/dev/y[:rwm]]`. */
export interface DeviceMapping {
  pathOnHost: string;
  pathInContainer?: string;
  /** Any of r, w, m; default "rwm". */
  cgroupPermissions?: string;
}

/** `--ulimit name=soft[:hard]`, name without the RLIMIT_ prefix (e.g. "nofile"). */
export interface Ulimit {
  name: string;
  soft: number;
  hard: number;
}

/** The cgroup limits of HostConfig (`Resources`). Zero or absent means "not set", as in Docker. */
export interface ResourceLimits {
  /** Bytes. */
  memory?: number;
  /** Memory plus swap in bytes; -1 unlimited; absent or 0 with a memory limit means twice the memory. */
  memorySwap?: number;
  memoryReservation?: number;
  memorySwappiness?: number;
  oomKillDisable?: boolean;
  /** `--cpus` as billionths of a CPU. */
  nanoCpus?: number;
  cpuShares?: number;
  cpuQuota?: number;
  cpuPeriod?: number;
  cpusetCpus?: string;
  cpusetMems?: string;
  /** 0 or negative: unlimited. */
  pidsLimit?: number;
  blkioWeight?: number;
  /** `--blkio-weight-device`: the weight of each device (by path) for this container. */
  blkioWeightDevice?: { path: string; weight: number }[];
  /** `--device-read-bps` and the like: rates (bytes or operations per second) by device path. */
  blkioDeviceReadBps?: DeviceRate[];
  blkioDeviceWriteBps?: DeviceRate[];
  blkioDeviceReadIOps?: DeviceRate[];
  blkioDeviceWriteIOps?: DeviceRate[];
}

export interface DeviceRate {
  path: string;
  rate: number;
}

/**
 * `--security-opt seccomp=…`: Docker's default profile, none, or a profile
 * document in Docker's format (what the CLI sends: the file's JSON text).
 */
export type SeccompChoice = 'default' | 'unconfined' | { json: string };

/** The container's own settings (Docker's `Config` and `HostConfig`). */
export interface ContainerRequest {
  /** Full container ID; names the cgroup. */
  id: string;
  hostname: string;
  domainname?: string;
  /** `undefined` means "not given"; `[]` and `[""]` reset the image's entrypoint, as Docker does. */
  entrypoint?: string[];
  cmd?: string[];
  env?: string[];
  workingDir?: string;
  user?: string;
  groupAdd?: string[];
  /** Variables of legacy links: after PATH, HOSTNAME and TERM, before `env`, which overrides them. */
  linkedEnv?: string[];
  tty?: boolean;
  /** Runs the init binary as PID 1 in front of the command (`--init`). */
  init?: boolean;
  privileged?: boolean;
  capAdd?: string[];
  capDrop?: string[];
  seccomp?: SeccompChoice;
  noNewPrivileges?: boolean;
  readonlyRootfs?: boolean;
  /** Bytes of /dev/shm; default 64 MiB. */
  shmSize?: number;
  network?: NamespaceMode;
  pid?: NamespaceMode;
  ipc?: IpcMode;
  uts?: 'private' | 'host';
  /** Default: the daemon's `default-cgroupns-mode`, else private on cgroup v2 and host on v1, as Docker. */
  cgroupns?: 'private' | 'host';
  /** `--cgroup-parent`: the cgroup (cgroupfs) or slice (systemd) the container's goes in; default the daemon's. */
  cgroupParent?: string;
  /**
   * HostConfig.MaskedPaths and ReadonlyPaths when given: they replace Docker's
   * defaults (`--security-opt systempaths=unconfined` empties both).
   */
  maskedPaths?: string[];
  readonlyPaths?: string[];
  /**
   * A user namespace with these mappings (daemon `userns-remap`): a new one,
   * or the one at `path` (made with these mappings, owning the network namespace).
   */
  userns?: { uidMappings: OciIdMapping[]; gidMappings: OciIdMapping[]; path?: string };
  devices?: DeviceMapping[];
  /** `--device-cgroup-rule`: "c|b|a major|*:minor|* rwm", added to the device allowlist. */
  deviceCgroupRules?: string[];
  sysctls?: Record<string, string>;
  ulimits?: Ulimit[];
  resources?: ResourceLimits;
  /** `--tmpfs /path:options`. */
  tmpfs?: Record<string, string>;
  /** Volume and bind mounts, already resolved by the caller; they win over the defaults at the same path. */
  mounts?: OciMount[];
  oomScoreAdj?: number;
  annotations?: Record<string, string>;
}

/** Files of the container that the spec bind-mounts or points at. */
export interface ContainerFiles {
  /** The root filesystem, absolute or relative to the bundle. */
  rootfs: string;
  /** Written by the caller; bind-mounted over the image's files when given. */
  hostnamePath?: string;
  hostsPath?: string;
  resolvConfPath?: string;
  /** A host directory to bind as /dev/shm (shareable IPC, or IPC host) instead of a fresh tmpfs. */
  shmPath?: string;
}

/** Everything spec generation needs. */
export interface SpecInput {
  container: ContainerRequest;
  image: ImageRunConfig;
  files: ContainerFiles;
  /** The rootfs's /etc/passwd and /etc/group text, to resolve `user`; empty when absent. */
  passwd: string;
  group: string;
}
