import { access, readFile } from 'node:fs/promises';
import { release } from 'node:os';
import { delimiter, join } from 'node:path';
import { type CgroupFeatures, detectCgroupFeatures, detectCgroupLayout } from '../../cgroups/layout.js';
import { goArch } from '../../core/platform.js';
import { capabilitiesFromMask } from './capabilities.js';
import { hostThermalThrottlePaths } from './paths.js';
import type { SeccompChoice, Ulimit } from './request.js';
import { type LimitPair, parseProcLimits } from './rlimits.js';

/** The cgroup manager runc is told to use, as dockerd's `native.cgroupdriver`. */
export type CgroupDriver = 'cgroupfs' | 'systemd';

/**
 * daemon.json's defaults for containers, applied as dockerd applies them:
 * shm size and IPC mode into HostConfig at create, the rest at each start.
 */
export interface ContainerDefaults {
  /** `default-shm-size`, bytes. */
  shmSize?: number;
  /** `default-ipc-mode`. */
  ipcMode?: 'private' | 'shareable';
  /** `default-cgroupns-mode`; unset: private on cgroup v2, host on v1 (see {@link cgroupnsDefault}). */
  cgroupns?: 'private' | 'host';
  /** `default-ulimits`: under the container's own, by name. */
  ulimits?: Ulimit[];
  /** `no-new-privileges`. */
  noNewPrivileges?: boolean;
  /** `seccomp-profile`: for containers that name none. */
  seccomp?: SeccompChoice;
  /** `init`: for containers whose HostConfig.Init is null. */
  init?: boolean;
}

/** The cgroup namespace of a container that names none: the daemon's, else Docker's (private on v2 only). */
export function cgroupnsDefault(host: Pick<SpecHost, 'defaults' | 'cgroupVersion'>): 'private' | 'host' {
  return host.defaults?.cgroupns ?? (host.cgroupVersion === 2 ? 'private' : 'host');
}

/** What spec generation needs to know about the daemon and its host. */
export interface SpecHost {
  /** Capabilities in the daemon's bounding set: the most a container can get. */
  boundingCapabilities: string[];
  /** True when the daemon holds CAP_SYS_RESOURCE and may raise rlimits. */
  canRaiseRlimits: boolean;
  /** The daemon's own rlimits by RLIMIT name. */
  rlimits: Record<string, LimitPair>;
  cgroupVersion: 1 | 2;
  cgroupDriver: CgroupDriver;
  /** Parent of every container cgroup: "/berth" (cgroupfs) or "system.slice" (systemd) by default. */
  cgroupParent?: string;
  /** daemon.json's other container defaults. */
  defaults?: ContainerDefaults;
  cgroupFeatures: CgroupFeatures;
  /** The init binary for `--init` (a static tini or catatonit); undefined when none was found. */
  initPath?: string;
  /** Host-specific paths to mask besides the defaults (per-CPU thermal_throttle). */
  extraMaskedPaths: string[];
  /** Go-style architecture (amd64, arm64, …) and kernel release, for the seccomp profile. */
  arch: string;
  kernel: string;
}

/**
 * Init binaries looked up on PATH, in order. They must be static: they run
 * inside the container's root filesystem, which may have no libc.
 */
export const INIT_BINARY_NAMES = ['docker-init', 'tini-static', 'catatonit'];

/** The first of {@link INIT_BINARY_NAMES} found on PATH. */
export async function findInitBinary(path = process.env['PATH'] ?? ''): Promise<string | undefined> {
  for (const name of INIT_BINARY_NAMES) {
    for (const dir of path.split(delimiter).filter(Boolean)) {
      const candidate = join(dir, name);
      if (
        await access(candidate).then(
          () => true,
          () => false,
        )
      )
        return candidate;
    }
  }
  return undefined;
}

const statusField = (status: string, field: string): string =>
  new RegExp(`^${field}:\\s*([0-9a-f]+)`, 'm').exec(status)?.[1] ?? '0';

/** Reads the running process's capabilities, limits and cgroup features. */
export async function readSpecHost(
  options: {
    cgroupDriver?: CgroupDriver;
    cgroupParent?: string;
    initPath?: string;
    defaults?: ContainerDefaults;
  } = {},
): Promise<SpecHost> {
  const [status, limits, layout, thermal] = await Promise.all([
    readFile('/proc/self/status', 'utf8'),
    readFile('/proc/self/limits', 'utf8'),
    detectCgroupLayout(),
    hostThermalThrottlePaths(),
  ]);
  const effective = capabilitiesFromMask(statusField(status, 'CapEff'));
  return {
    boundingCapabilities: capabilitiesFromMask(statusField(status, 'CapBnd')),
    canRaiseRlimits: effective.includes('CAP_SYS_RESOURCE'),
    rlimits: parseProcLimits(limits),
    cgroupVersion: layout.version,
    cgroupDriver: options.cgroupDriver ?? 'cgroupfs',
    ...(options.cgroupParent ? { cgroupParent: options.cgroupParent } : {}),
    ...(options.defaults ? { defaults: options.defaults } : {}),
    cgroupFeatures: await detectCgroupFeatures(layout),
    initPath: options.initPath ?? (await findInitBinary()),
    extraMaskedPaths: thermal,
    arch: goArch(),
    kernel: release(),
  };
}
