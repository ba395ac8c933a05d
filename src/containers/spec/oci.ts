/**
 * The parts of the OCI runtime specification (config.json, runtime-spec
 * v1.0.2) that Berth writes. Field names are the spec's JSON names, so a
 * value of these types serialises straight into a bundle's config.json.
 */

/** The spec version written into config.json; runc 1.1 and crun 1.8 accept it. */
export const OCI_VERSION = '1.0.2-dev';

/** A whole config.json. */
export interface OciSpec {
  ociVersion: string;
  process: OciProcess;
  root: { path: string; readonly?: boolean };
  hostname?: string;
  domainname?: string;
  mounts: OciMount[];
  annotations?: Record<string, string>;
  linux: OciLinux;
}

/** config.md#process; also the document `runc exec --process` reads. */
export interface OciProcess {
  terminal?: boolean;
  consoleSize?: { height: number; width: number };
  user: OciUser;
  args: string[];
  env: string[];
  cwd: string;
  capabilities?: OciCapabilities;
  rlimits?: OciRlimit[];
  noNewPrivileges?: boolean;
  apparmorProfile?: string;
  oomScoreAdj?: number;
}

/** The user the process runs as (numeric IDs: the runtime does not read passwd). */
export interface OciUser {
  uid: number;
  gid: number;
  umask?: number;
  additionalGids?: number[];
}

/** Capability names such as "CAP_CHOWN", per set (config.md#linux-process). */
export interface OciCapabilities {
  bounding: string[];
  effective: string[];
  permitted: string[];
  inheritable?: string[];
  ambient?: string[];
}

/** A POSIX rlimit such as `{ type: "RLIMIT_NOFILE", soft: 1024, hard: 4096 }`; `Infinity` is unlimited. */
export interface OciRlimit {
  type: string;
  soft: number;
  hard: number;
}

/** A mount inside the container, in mount(8) terms; `bind` mounts take `bind`/`rbind` options. */
export interface OciMount {
  destination: string;
  type?: string;
  source?: string;
  options?: string[];
}

/** The namespace types of config-linux.md#namespaces. */
export type OciNamespaceType = 'pid' | 'network' | 'mount' | 'ipc' | 'uts' | 'user' | 'cgroup';

/** A namespace to create (no path) or to join (path to /proc/<pid>/ns/<type>). */
export interface OciNamespace {
  type: OciNamespaceType;
  path?: string;
}

/** One range of a user namespace ID mapping. */
export interface OciIdMapping {
  containerID: number;
  hostID: number;
  size: number;
}

/** A device node the runtime creates inside the container. */
export interface OciDevice {
  path: string;
  type: 'c' | 'b' | 'u' | 'p';
  major: number;
  minor: number;
  fileMode?: number;
  uid?: number;
  gid?: number;
}

/** A device cgroup rule; `type` 'a' with no numbers means every device. */
export interface OciDeviceRule {
  allow: boolean;
  type?: 'a' | 'c' | 'b';
  major?: number;
  minor?: number;
  access?: string;
}

/** Memory cgroup limits, in bytes. */
export interface OciMemory {
  limit?: number;
  reservation?: number;
  /** Memory plus swap, as v1's memory.memsw.limit_in_bytes; -1 is unlimited. */
  swap?: number;
  swappiness?: number;
  disableOOMKiller?: boolean;
}

/** CPU cgroup limits: CFS shares, quota and period (µs), cpuset CPUs and memory nodes. */
export interface OciCpu {
  shares?: number;
  quota?: number;
  period?: number;
  cpus?: string;
  mems?: string;
}

/** The container cgroup's limits (config-linux.md#control-groups). */
export interface OciResources {
  devices: OciDeviceRule[];
  memory?: OciMemory;
  cpu?: OciCpu;
  pids?: { limit: number };
  blockIO?: OciBlockIO;
}

/** A block device by its numbers (config-linux.md#block-io). */
interface OciBlockDevice {
  major: number;
  minor: number;
}

/** Block I/O weight and throttles; each device list names devices by major and minor. */
export interface OciBlockIO {
  weight?: number;
  weightDevice?: (OciBlockDevice & { weight: number })[];
  throttleReadBpsDevice?: (OciBlockDevice & { rate: number })[];
  throttleWriteBpsDevice?: (OciBlockDevice & { rate: number })[];
  throttleReadIOPSDevice?: (OciBlockDevice & { rate: number })[];
  throttleWriteIOPSDevice?: (OciBlockDevice & { rate: number })[];
}

/** A syscall argument condition of a seccomp rule. */
export interface OciSeccompArg {
  index: number;
  value: number;
  valueTwo?: number;
  op: string;
}

/** Syscalls and the action taken when they are called. */
export interface OciSeccompRule {
  names: string[];
  action: string;
  errnoRet?: number;
  args?: OciSeccompArg[];
}

/** A seccomp filter (config-linux.md#seccomp). */
export interface OciSeccomp {
  defaultAction: string;
  defaultErrnoRet?: number;
  architectures?: string[];
  flags?: string[];
  syscalls?: OciSeccompRule[];
}

/** The Linux part of the spec: namespaces, cgroups, devices, security. */
export interface OciLinux {
  namespaces: OciNamespace[];
  uidMappings?: OciIdMapping[];
  gidMappings?: OciIdMapping[];
  devices: OciDevice[];
  resources: OciResources;
  cgroupsPath?: string;
  sysctl?: Record<string, string>;
  seccomp?: OciSeccomp;
  maskedPaths?: string[];
  readonlyPaths?: string[];
  rootfsPropagation?: string;
}

/** RLIM_INFINITY as config.json must spell it (a uint64 JSON cannot hold as a double). */
const RLIM_INFINITY = '18446744073709551615';

/**
 * config.json text for a spec. Rlimit values of `Infinity` become
 * RLIM_INFINITY, which runtimes read as "unlimited".
 */
export function serializeSpec(spec: OciSpec | OciProcess): string {
  const marker = '"<rlim-infinity>"';
  const text = JSON.stringify(
    spec,
    (_key, value: unknown) => (value === Infinity ? '<rlim-infinity>' : value),
    2,
  );
  return text.replaceAll(marker, RLIM_INFINITY);
}
