import { invalidArgument } from '../core/errors.js';
import type {
  ContainerRequest,
  NamespaceMode,
  ResourceLimits,
  SeccompChoice,
  Ulimit,
} from './spec/request.js';

/** The Engine API's container create body (the parts Berth reads). */
export interface CreateBody {
  Hostname?: string;
  Domainname?: string;
  User?: string;
  AttachStdin?: boolean;
  AttachStdout?: boolean;
  AttachStderr?: boolean;
  ExposedPorts?: Record<string, unknown> | null;
  Tty?: boolean;
  OpenStdin?: boolean;
  StdinOnce?: boolean;
  Env?: string[] | null;
  Cmd?: string[] | string | null;
  Healthcheck?: unknown;
  Image?: string;
  Volumes?: Record<string, unknown> | null;
  WorkingDir?: string;
  Entrypoint?: string[] | string | null;
  Labels?: Record<string, string> | null;
  StopSignal?: string;
  StopTimeout?: number | null;
  HostConfig?: HostConfigBody;
  NetworkingConfig?: unknown;
}

/** A device rate limit as the API carries it (`--device-read-bps` and the like). */
interface ThrottleDeviceBody {
  Path: string;
  Rate: number;
}

export interface HostConfigBody {
  AutoRemove?: boolean;
  NetworkMode?: string;
  Links?: string[] | null;
  Privileged?: boolean;
  CapAdd?: string[] | null;
  CapDrop?: string[] | null;
  SecurityOpt?: string[] | null;
  ReadonlyRootfs?: boolean;
  ShmSize?: number;
  PidMode?: string;
  IpcMode?: string;
  UTSMode?: string;
  Init?: boolean | null;
  Memory?: number;
  MemorySwap?: number;
  MemoryReservation?: number;
  OomKillDisable?: boolean | null;
  NanoCpus?: number;
  CpuShares?: number;
  CpuQuota?: number;
  CpuPeriod?: number;
  CpusetCpus?: string;
  CpusetMems?: string;
  PidsLimit?: number | null;
  BlkioWeight?: number;
  BlkioWeightDevice?: { Path: string; Weight: number }[] | null;
  BlkioDeviceReadBps?: ThrottleDeviceBody[] | null;
  BlkioDeviceWriteBps?: ThrottleDeviceBody[] | null;
  BlkioDeviceReadIOps?: ThrottleDeviceBody[] | null;
  BlkioDeviceWriteIOps?: ThrottleDeviceBody[] | null;
  Ulimits?: { Name: string; Soft: number; Hard: number }[] | null;
  Sysctls?: Record<string, string> | null;
  Tmpfs?: Record<string, string> | null;
  GroupAdd?: string[] | null;
  OomScoreAdj?: number;
  Runtime?: string;
  RestartPolicy?: { Name?: string; MaximumRetryCount?: number };
  LogConfig?: { Type?: string; Config?: Record<string, string> };
  Dns?: string[] | null;
  DnsSearch?: string[] | null;
  DnsOptions?: string[] | null;
  ExtraHosts?: string[] | null;
  Binds?: string[] | null;
  PortBindings?: Record<string, unknown> | null;
  Devices?: { PathOnHost?: string; PathInContainer?: string; CgroupPermissions?: string }[] | null;
  DeviceCgroupRules?: string[] | null;
  DeviceRequests?: { Driver?: string; Capabilities?: string[][] | null }[] | null;
  CgroupParent?: string;
  CgroupnsMode?: string;
  MemorySwappiness?: number | null;
  MaskedPaths?: string[] | null;
  ReadonlyPaths?: string[] | null;
  StorageOpt?: Record<string, string> | null;
  [key: string]: unknown;
}

const asList = (v: string[] | string | null | undefined): string[] | undefined =>
  v === undefined || v === null ? undefined : Array.isArray(v) ? v : [v];

/** `host`, `container:<x>` or private, for pid/ipc/uts; container refs are resolved by the caller. */
export function namespaceMode(mode: string | undefined, resolvePid: (ref: string) => number): NamespaceMode {
  if (!mode || mode === 'private' || mode === 'default' || mode === 'bridge' || mode === 'none')
    return 'private';
  if (mode === 'host') return 'host';
  if (mode.startsWith('container:')) return { path: `/proc/${resolvePid(mode.slice(10))}/ns/` };
  throw invalidArgument(`invalid mode: ${mode}`);
}

/**
 * `--security-opt systempaths=unconfined` (dockerd's daemon-side option):
 * no masked or read-only /proc and /sys paths; else HostConfig's own lists
 * when given, else undefined (Docker's defaults).
 */
export function systemPathsOf(
  securityOpt: readonly string[],
  h: HostConfigBody,
): { maskedPaths?: string[]; readonlyPaths?: string[] } {
  for (const opt of securityOpt) {
    const [key, value] = opt.split(/[=:]/, 2);
    if (key !== 'systempaths') continue;
    if (value !== 'unconfined') throw invalidArgument(`invalid --security-opt 2: "${opt}"`);
    return { maskedPaths: [], readonlyPaths: [] };
  }
  return {
    ...(Array.isArray(h.MaskedPaths) ? { maskedPaths: h.MaskedPaths } : {}),
    ...(Array.isArray(h.ReadonlyPaths) ? { readonlyPaths: h.ReadonlyPaths } : {}),
  };
}

/** `--cgroupns`: empty means the daemon's default. */
function cgroupnsOf(mode: string | undefined): 'private' | 'host' | undefined {
  if (!mode) return undefined;
  if (mode === 'private' || mode === 'host') return mode;
  throw invalidArgument(`invalid cgroup namespace mode: ${mode}`);
}

/**
 * What the create body asks for that this host cannot give, refused with
 * dockerd's messages: a rootfs size (overlay quotas need xfs with pquota)
 * and device requests (GPUs: no device driver here).
 */
export function checkUnsupported(h: HostConfigBody): void {
  if (h.StorageOpt && Object.keys(h.StorageOpt).length > 0)
    throw invalidArgument("--storage-opt is supported only for overlay over xfs with 'pquota' mount option");
  for (const request of h.DeviceRequests ?? []) {
    const caps = (request.Capabilities ?? []).map((set) => `[${set.join(' ')}]`).join(' ');
    throw invalidArgument(
      `could not select device driver "${request.Driver ?? ''}" with capabilities: [${caps}]`,
    );
  }
}

function seccompOf(securityOpt: string[]): SeccompChoice {
  for (const opt of securityOpt) {
    const [key, value = ''] = opt.split(/[=:]/, 2);
    if (key === 'seccomp') {
      if (value === 'unconfined') return 'unconfined';
      const json = opt.slice(opt.indexOf(value.charAt(0)));
      return value.startsWith('{') ? { json } : 'default';
    }
  }
  return 'default';
}

/** The HostConfig field of each limit, and the value dockerd leaves there when the host cannot enforce it. */
const CLEARED: { [K in keyof ResourceLimits]-?: [keyof HostConfigBody, unknown] } = {
  memory: ['Memory', 0],
  memorySwap: ['MemorySwap', -1],
  memoryReservation: ['MemoryReservation', 0],
  memorySwappiness: ['MemorySwappiness', null],
  oomKillDisable: ['OomKillDisable', false],
  nanoCpus: ['NanoCpus', 0],
  cpuShares: ['CpuShares', 0],
  cpuQuota: ['CpuQuota', 0],
  cpuPeriod: ['CpuPeriod', 0],
  cpusetCpus: ['CpusetCpus', ''],
  cpusetMems: ['CpusetMems', ''],
  pidsLimit: ['PidsLimit', null],
  blkioWeight: ['BlkioWeight', 0],
  blkioWeightDevice: ['BlkioWeightDevice', []],
  blkioDeviceReadBps: ['BlkioDeviceReadBps', []],
  blkioDeviceWriteBps: ['BlkioDeviceWriteBps', []],
  blkioDeviceReadIOps: ['BlkioDeviceReadIOps', []],
  blkioDeviceWriteIOps: ['BlkioDeviceWriteIOps', []],
};

/** dockerd's create: a limit the host cannot enforce is kept cleared, so inspect shows it is not applied. */
export function clearDropped(h: HostConfigBody, dropped: readonly (keyof ResourceLimits)[]): void {
  for (const limit of dropped) {
    const [field, value] = CLEARED[limit];
    (h as Record<string, unknown>)[field] = value;
  }
}

/** The cgroup limits a HostConfig asks for. */
export function resourcesOf(h: HostConfigBody): ResourceLimits {
  const r: ResourceLimits = {};
  if (h.Memory) r.memory = h.Memory;
  if (h.MemorySwap) r.memorySwap = h.MemorySwap;
  if (h.MemoryReservation) r.memoryReservation = h.MemoryReservation;
  if (typeof h.MemorySwappiness === 'number') r.memorySwappiness = h.MemorySwappiness;
  if (h.OomKillDisable) r.oomKillDisable = true;
  if (h.NanoCpus) r.nanoCpus = h.NanoCpus;
  if (h.CpuShares) r.cpuShares = h.CpuShares;
  if (h.CpuQuota) r.cpuQuota = h.CpuQuota;
  if (h.CpuPeriod) r.cpuPeriod = h.CpuPeriod;
  if (h.CpusetCpus) r.cpusetCpus = h.CpusetCpus;
  if (h.CpusetMems) r.cpusetMems = h.CpusetMems;
  if (h.PidsLimit && h.PidsLimit > 0) r.pidsLimit = h.PidsLimit;
  if (h.BlkioWeight) r.blkioWeight = h.BlkioWeight;
  if (h.BlkioWeightDevice?.length)
    r.blkioWeightDevice = h.BlkioWeightDevice.map((d) => ({ path: d.Path, weight: d.Weight }));
  const rates = (list: ThrottleDeviceBody[] | null | undefined) =>
    list?.length ? list.map((d) => ({ path: d.Path, rate: d.Rate })) : undefined;
  const throttles = {
    blkioDeviceReadBps: rates(h.BlkioDeviceReadBps),
    blkioDeviceWriteBps: rates(h.BlkioDeviceWriteBps),
    blkioDeviceReadIOps: rates(h.BlkioDeviceReadIOps),
    blkioDeviceWriteIOps: rates(h.BlkioDeviceWriteIOps),
  };
  for (const [key, list] of Object.entries(throttles)) if (list) r[key as keyof typeof throttles] = list;
  return r;
}

/**
 * Maps a create body onto the spec generator's request. Namespace modes that
 * name other containers are resolved through `pidOf` (their init pid).
 */
export function toSpecRequest(
  id: string,
  body: CreateBody,
  pidOf: (ref: string) => number,
): ContainerRequest {
  const h = body.HostConfig ?? {};
  const securityOpt = h.SecurityOpt ?? [];
  const withNs = (mode: string | undefined, type: string): NamespaceMode => {
    const m = namespaceMode(mode, pidOf);
    return typeof m === 'object' ? { path: `${m.path}${type}` } : m;
  };
  const network =
    h.NetworkMode === 'host'
      ? 'host'
      : withNs(h.NetworkMode?.startsWith('container:') ? h.NetworkMode : undefined, 'net');
  const ulimits: Ulimit[] = (h.Ulimits ?? []).map((u) => ({ name: u.Name, soft: u.Soft, hard: u.Hard }));
  const req: ContainerRequest = {
    id,
    hostname: body.Hostname || id.slice(0, 12),
    tty: body.Tty ?? false,
    privileged: h.Privileged ?? false,
    capAdd: h.CapAdd ?? [],
    capDrop: h.CapDrop ?? [],
    seccomp: seccompOf(securityOpt),
    noNewPrivileges: securityOpt.some((o) => /^no-new-privileges(:true|=true)?$/.test(o)),
    readonlyRootfs: h.ReadonlyRootfs ?? false,
    network,
    pid: withNs(h.PidMode, 'pid'),
    ipc: h.IpcMode === 'shareable' ? 'shareable' : h.IpcMode === 'none' ? 'none' : withNs(h.IpcMode, 'ipc'),
    uts: h.UTSMode === 'host' ? 'host' : 'private',
    // null: the daemon's `init` decides.
    ...(typeof h.Init === 'boolean' ? { init: h.Init } : {}),
    resources: resourcesOf(h),
    ulimits,
    sysctls: h.Sysctls ?? {},
    tmpfs: h.Tmpfs ?? {},
    groupAdd: h.GroupAdd ?? [],
    devices: (h.Devices ?? []).map((d) => ({
      pathOnHost: d.PathOnHost ?? '',
      pathInContainer: d.PathInContainer ?? '',
      cgroupPermissions: d.CgroupPermissions ?? '',
    })),
    deviceCgroupRules: h.DeviceCgroupRules ?? [],
    ...systemPathsOf(securityOpt, h),
  };
  const cgroupns = cgroupnsOf(h.CgroupnsMode);
  if (cgroupns) req.cgroupns = cgroupns;
  if (h.CgroupParent) req.cgroupParent = h.CgroupParent;
  if (body.Domainname) req.domainname = body.Domainname;
  const entrypoint = asList(body.Entrypoint);
  if (entrypoint !== undefined) req.entrypoint = entrypoint;
  const cmd = asList(body.Cmd);
  if (cmd !== undefined) req.cmd = cmd;
  if (body.Env) req.env = body.Env;
  if (body.WorkingDir) req.workingDir = body.WorkingDir;
  if (body.User) req.user = body.User;
  if (h.ShmSize) req.shmSize = h.ShmSize;
  if (h.OomScoreAdj) req.oomScoreAdj = h.OomScoreAdj;
  return req;
}
