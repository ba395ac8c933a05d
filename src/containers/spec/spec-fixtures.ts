import { CAPABILITY_NAMES } from './capabilities.js';
import type { SpecHost } from './host.js';
import type { ContainerRequest, SpecInput } from './request.js';

/* Fixed inputs for spec tests: a host like this one (v1 cgroups, no CAP_SYS_RESOURCE). */

/** A container ID. */
export const ID = 'c0ffee'.padEnd(64, '0');
/** A bounding set without CAP_SYS_RESOURCE, as root has on some hosts. */
export const BOUNDING = CAPABILITY_NAMES.filter((cap) => cap !== 'CAP_SYS_RESOURCE');

/** A cgroup v1 host without blkio weight. */
export const host = (overrides: Partial<SpecHost> = {}): SpecHost => ({
  boundingCapabilities: BOUNDING,
  canRaiseRlimits: false,
  rlimits: { RLIMIT_NOFILE: { soft: 1024, hard: 20000 }, RLIMIT_NPROC: { soft: Infinity, hard: Infinity } },
  cgroupVersion: 1,
  cgroupDriver: 'cgroupfs',
  cgroupFeatures: {
    memory: true,
    swap: true,
    oomKillDisable: true,
    cpuShares: true,
    cpuCfs: true,
    cpuset: true,
    pids: true,
    blkioWeight: false,
    blkioWeightDevice: false,
    blkioThrottle: true,
  },
  initPath: '/usr/local/bin/docker-init',
  extraMaskedPaths: [],
  arch: 'amd64',
  kernel: '6.1.0',
  ...overrides,
});

/** A request for `sh` on a busybox-like image. */
export const input = (container: Partial<ContainerRequest> = {}): SpecInput => ({
  container: { id: ID, hostname: 'c0ffee000000', ...container },
  image: { cmd: ['sh'], env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'] },
  files: {
    rootfs: '/run/berth/containers/x/rootfs',
    hostnamePath: '/var/lib/berth/containers/x/hostname',
    hostsPath: '/var/lib/berth/containers/x/hosts',
    resolvConfPath: '/var/lib/berth/containers/x/resolv.conf',
  },
  passwd: 'root:x:0:0:root:/root:/bin/sh\n',
  group: 'root:x:0:\n',
});

/** The spec's mount at `destination`. */
export const mountAt = <M extends { destination: string; options?: string[] }>(
  spec: { mounts: M[] },
  destination: string,
): M | undefined => spec.mounts.find((m) => m.destination === destination);
