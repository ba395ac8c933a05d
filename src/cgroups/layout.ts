import { access, readFile, rmdir, statfs } from 'node:fs/promises';
import { join } from 'node:path';
import { errnoCode } from '../core/errors.js';

/** statfs(2) f_type of a cgroup2 filesystem. */
const CGROUP2_MAGIC = 0x63677270;

/** One mounted cgroup hierarchy. */
export interface CgroupHierarchy {
  /** Where it is mounted, e.g. /sys/fs/cgroup/memory or /sys/fs/cgroup. */
  mountPoint: string;
  /** v1 controllers (and `name=` hierarchies) it carries; empty for cgroup2. */
  controllers: string[];
  version: 1 | 2;
}

/** How cgroups are mounted on this host. */
export interface CgroupLayout {
  /** 2 when /sys/fs/cgroup is the unified hierarchy, 1 otherwise (hybrid included). */
  version: 1 | 2;
  hierarchies: CgroupHierarchy[];
}

/** Reads the cgroup mounts from /proc/self/mountinfo. */
export async function detectCgroupLayout(root = '/sys/fs/cgroup'): Promise<CgroupLayout> {
  const mountInfo = await readFile('/proc/self/mountinfo', 'utf8');
  const hierarchies = mountInfo.split('\n').flatMap(parseCgroupMount);
  const unified = await statfs(root).then(
    (st) => Number(st.type) === CGROUP2_MAGIC,
    () => false,
  );
  return { version: unified ? 2 : 1, hierarchies };
}

function parseCgroupMount(line: string): CgroupHierarchy[] {
  const [before, after] = line.split(' - ');
  if (!before || !after) return [];
  const mountPoint = before.split(' ')[4] ?? '';
  const [fsType, , superOptions = ''] = after.split(' ');
  if (fsType === 'cgroup2') return [{ mountPoint, controllers: [], version: 2 }];
  if (fsType !== 'cgroup') return [];
  const known =
    /^(cpu|cpuacct|cpuset|memory|devices|freezer|net_cls|net_prio|blkio|perf_event|hugetlb|pids|rdma|misc|name=.+)$/;
  return [{ mountPoint, controllers: superOptions.split(',').filter((o) => known.test(o)), version: 1 }];
}

/**
 * Controllers containers can use: on v2 those the unified root offers, on
 * v1 (hybrid included) those of the mounted v1 hierarchies.
 */
export async function availableControllers(layout: CgroupLayout): Promise<Set<string>> {
  if (layout.version === 2) {
    const root = layout.hierarchies.find((h) => h.version === 2)?.mountPoint ?? '/sys/fs/cgroup';
    const list = await readFile(join(root, 'cgroup.controllers'), 'utf8').catch(() => '');
    return new Set(list.split(/\s+/).filter(Boolean));
  }
  const names = layout.hierarchies.flatMap((h) => h.controllers).filter((c) => !c.startsWith('name='));
  return new Set(names);
}

/**
 * The directories of cgroup `path` (e.g. "/berth/<id>"): one per v1
 * hierarchy, or the one unified directory on v2. The cgroup2 mount of a
 * hybrid v1 host is included, as runc creates the cgroup there too.
 */
export function cgroupDirectories(layout: CgroupLayout, path: string): string[] {
  const hierarchies =
    layout.version === 2 ? layout.hierarchies.filter((h) => h.version === 2).slice(0, 1) : layout.hierarchies;
  return hierarchies.map((h) => join(h.mountPoint, path));
}

/** The directory of `path` in the hierarchy that carries `controller` (v2: the unified one). */
export function controllerDirectory(
  layout: CgroupLayout,
  controller: string,
  path: string,
): string | undefined {
  const hierarchy =
    layout.version === 2
      ? layout.hierarchies.find((h) => h.version === 2)
      : layout.hierarchies.find((h) => h.controllers.includes(controller));
  return hierarchy && join(hierarchy.mountPoint, path);
}

/** Removes cgroup `path` (which must hold no process) from every hierarchy; missing ones are fine. */
export async function removeCgroup(layout: CgroupLayout, path: string): Promise<void> {
  for (const dir of cgroupDirectories(layout, path)) {
    try {
      await rmdir(dir);
    } catch (err) {
      if (errnoCode(err) !== 'ENOENT') throw err;
    }
  }
}

/** Which limits this host's cgroups can enforce (Docker's sysinfo). */
export interface CgroupFeatures {
  memory: boolean;
  swap: boolean;
  oomKillDisable: boolean;
  cpuShares: boolean;
  cpuCfs: boolean;
  cpuset: boolean;
  pids: boolean;
  blkioWeight: boolean;
  blkioWeightDevice: boolean;
  /** Read and write limits per device, in bytes and operations per second. */
  blkioThrottle: boolean;
}

const exists = (path: string | undefined) =>
  path === undefined
    ? Promise.resolve(false)
    : access(path).then(
        () => true,
        () => false,
      );

/** Probes the root cgroup's files for each feature, as dockerd's sysinfo does. */
export async function detectCgroupFeatures(layout: CgroupLayout): Promise<CgroupFeatures> {
  const file = (controller: string, name: string) => controllerDirectory(layout, controller, name);
  if (layout.version === 2) {
    const root = layout.hierarchies.find((h) => h.version === 2)?.mountPoint ?? '/sys/fs/cgroup';
    const list = await readFile(join(root, 'cgroup.controllers'), 'utf8').catch(() => '');
    const has = (name: string) => list.split(/\s+/).includes(name);
    return {
      memory: has('memory'),
      swap: has('memory'),
      oomKillDisable: false,
      cpuShares: has('cpu'),
      cpuCfs: has('cpu'),
      cpuset: has('cpuset'),
      pids: has('pids'),
      blkioWeight: has('io'),
      blkioWeightDevice: has('io'),
      blkioThrottle: has('io'),
    };
  }
  // Each feature and the files that show it (any of them): CFQ's weights, or BFQ's without CFQ.
  const probes: Record<keyof CgroupFeatures, [controller: string, ...files: string[]]> = {
    memory: ['memory', 'memory.limit_in_bytes'],
    swap: ['memory', 'memory.memsw.limit_in_bytes'],
    oomKillDisable: ['memory', 'memory.oom_control'],
    cpuShares: ['cpu', 'cpu.shares'],
    cpuCfs: ['cpu', 'cpu.cfs_quota_us'],
    cpuset: ['cpuset', 'cpuset.cpus'],
    pids: ['pids', 'cgroup.procs'],
    blkioWeight: ['blkio', 'blkio.weight', 'blkio.bfq.weight'],
    blkioWeightDevice: ['blkio', 'blkio.weight_device', 'blkio.bfq.weight_device'],
    blkioThrottle: ['blkio', 'blkio.throttle.read_bps_device'],
  };
  const found = await Promise.all(
    Object.entries(probes).map(async ([feature, [controller, ...files]]) => {
      const present = await Promise.all(files.map((name) => exists(file(controller, name))));
      return [feature, present.some(Boolean)] as const;
    }),
  );
  return Object.fromEntries(found) as unknown as CgroupFeatures;
}
