import { availableParallelism } from 'node:os';
import { posix } from 'node:path';
import type { CgroupFeatures } from '../../cgroups/layout.js';
import { invalidArgument } from '../../core/errors.js';
import type { CgroupDriver } from './host.js';
import type { OciBlockIO, OciCpu, OciMemory, OciResources } from './oci.js';
import type { DeviceRate, ResourceLimits } from './request.js';

/** Docker refuses memory limits below this. */
const MIN_MEMORY = 6 * 1024 * 1024;
/** The CFS period `--cpus` uses: 100 ms in microseconds (kernel sched-bwc.txt). */
const CFS_PERIOD = 100_000;

/**
 * The container's `linux.cgroupsPath`: `<parent>/<id>` under the cgroupfs
 * driver (default parent /berth), `<slice>:berth:<id>` under the systemd
 * driver (default slice system.slice), which runc turns into the scope
 * `berth-<id>.scope`.
 */
export function cgroupsPathFor(id: string, driver: CgroupDriver, parent?: string): string {
  if (driver === 'systemd') {
    if (parent && !parent.endsWith('.slice'))
      throw invalidArgument('cgroup-parent for systemd cgroup should be a valid slice named as "xxx.slice"');
    return `${parent || 'system.slice'}:berth:${id}`;
  }
  return posix.join('/', parent || '/berth', id);
}

/** The cgroup limits, minus device rules, and the warnings of limits this host cannot enforce. */
export interface ResourceChoice extends Discards {
  resources: Omit<OciResources, 'devices'>;
  /** The per-device block I/O limits kept, by device path: the spec names devices by number. */
  blockDevices: BlockDeviceLimits;
}

/** Docker's warnings, and the limits of the request dropped because the host cannot enforce them. */
export interface Discards {
  warnings: string[];
  /** dockerd clears these in the HostConfig it keeps. */
  dropped: (keyof ResourceLimits)[];
}

const discard = (d: Discards, warning: string, ...fields: (keyof ResourceLimits)[]) => {
  d.warnings.push(warning);
  d.dropped.push(...fields);
};

/** The blockIO device lists of the spec, with devices still named by path. */
export type BlockDeviceLimits = {
  [K in Exclude<keyof OciBlockIO, 'weight'>]?: { path: string; value: number }[];
};

/**
 * Docker's `WithResources` with the validation and host checks of
 * `verifyPlatformContainerResources`: invalid combinations fail with
 * InvalidArgument; limits the host's cgroups cannot enforce are dropped with
 * Docker's warning.
 */
export function chooseResources(limits: ResourceLimits, features: CgroupFeatures): ResourceChoice {
  const d: Discards = { warnings: [], dropped: [] };
  const memory = memoryLimits(limits, features, d);
  const cpu = cpuLimits(limits, features, d);
  const resources: Omit<OciResources, 'devices'> = {};
  if (Object.keys(memory).length > 0) resources.memory = memory;
  if (Object.keys(cpu).length > 0) resources.cpu = cpu;
  if (limits.pidsLimit !== undefined) {
    if (features.pids) resources.pids = { limit: limits.pidsLimit > 0 ? limits.pidsLimit : -1 };
    else
      discard(
        d,
        'Your kernel does not support pids limit capabilities or the cgroup is not mounted. PIDs limit discarded.',
        'pidsLimit',
      );
  }
  if (limits.blkioWeight) {
    if (limits.blkioWeight < 10 || limits.blkioWeight > 1000)
      throw invalidArgument('Range of blkio weight is from 10 to 1000');
    if (features.blkioWeight) resources.blockIO = { weight: limits.blkioWeight };
    else
      discard(
        d,
        'Your kernel does not support Block I/O weight or the cgroup is not mounted. Weight discarded.',
        'blkioWeight',
      );
  }
  return { resources, blockDevices: blockDeviceLimits(limits, features, d), ...d };
}

/** The per-device weights and throttles, or Docker's warning for each kind the host cannot enforce. */
function blockDeviceLimits(limits: ResourceLimits, features: CgroupFeatures, d: Discards): BlockDeviceLimits {
  const kept: BlockDeviceLimits = {};
  const weights = limits.blkioWeightDevice ?? [];
  if (weights.length > 0) {
    if (features.blkioWeightDevice)
      kept.weightDevice = weights.map((d) => ({ path: d.path, value: d.weight }));
    else
      discard(
        d,
        'Your kernel does not support Block I/O weight_device or the cgroup is not mounted. Weight-device discarded.',
        'blkioWeightDevice',
      );
  }
  const notSupported = (what: string, limit: string) =>
    `Your kernel does not support ${what} or the cgroup is not mounted. Block I/O ${limit} limit discarded.`;
  const throttles: [keyof BlockDeviceLimits, keyof ResourceLimits, string][] = [
    ['throttleReadBpsDevice', 'blkioDeviceReadBps', notSupported('BPS Block I/O read limit', 'BPS read')],
    ['throttleWriteBpsDevice', 'blkioDeviceWriteBps', notSupported('BPS Block I/O write limit', 'BPS write')],
    ['throttleReadIOPSDevice', 'blkioDeviceReadIOps', notSupported('IOPS Block read limit', 'IOPS read')],
    ['throttleWriteIOPSDevice', 'blkioDeviceWriteIOps', notSupported('IOPS Block write limit', 'IOPS write')],
  ];
  for (const [key, field, warning] of throttles) {
    const rates = (limits[field] as DeviceRate[] | undefined) ?? [];
    if (rates.length === 0) continue;
    if (features.blkioThrottle) kept[key] = rates.map((r) => ({ path: r.path, value: r.rate }));
    else discard(d, warning, field);
  }
  return kept;
}

function memoryLimits(limits: ResourceLimits, features: CgroupFeatures, d: Discards): OciMemory {
  const { memory = 0, memoryReservation = 0 } = limits;
  // dockerd gives a memory limit twice as much memory+swap unless told otherwise.
  let swap = limits.memorySwap || (memory > 0 ? memory * 2 : 0);
  if (memory > 0 && memory < MIN_MEMORY) throw invalidArgument('Minimum memory limit allowed is 6MB');
  if (memory > 0 && swap > 0 && swap < memory) {
    throw invalidArgument('Minimum memoryswap limit should be larger than memory limit, see usage');
  }
  if (memory > 0 && memoryReservation > memory) {
    throw invalidArgument('Minimum memory limit can not be less than memory reservation limit, see usage');
  }
  if (memory > 0 && swap > 0 && !features.swap) {
    discard(
      d,
      'Your kernel does not support swap limit capabilities or the cgroup is not mounted. Memory limited without swap.',
      'memorySwap',
    );
    swap = 0;
  }
  const result: OciMemory = {};
  if (memory > 0) result.limit = memory;
  if (memoryReservation > 0) result.reservation = memoryReservation;
  if (swap !== 0) result.swap = swap;
  const swappiness = limits.memorySwappiness;
  if (swappiness !== undefined && swappiness !== -1) {
    if (swappiness < 0 || swappiness > 100)
      throw invalidArgument(`Invalid value: ${swappiness}, valid memory swappiness range is 0-100`);
    result.swappiness = swappiness;
  }
  if (limits.oomKillDisable) {
    if (!features.oomKillDisable) {
      discard(d, 'Your kernel does not support OomKillDisable. OomKillDisable discarded.', 'oomKillDisable');
    } else {
      result.disableOOMKiller = true;
      if (memory === 0) {
        d.warnings.push(
          'OOM killer is disabled for the container, but no memory limit is set, this can result in the system running out of resources.',
        );
      }
    }
  }
  return result;
}

function cpuLimits(limits: ResourceLimits, features: CgroupFeatures, d: Discards): OciCpu {
  const { nanoCpus = 0, cpuShares = 0, cpuQuota = 0, cpuPeriod = 0 } = limits;
  if (cpuShares < 0) throw invalidArgument('shares: invalid argument');
  if (nanoCpus > 0 && cpuPeriod > 0)
    throw invalidArgument('Conflicting options: Nano CPUs and CPU Period cannot both be set');
  if (nanoCpus > 0 && cpuQuota > 0)
    throw invalidArgument('Conflicting options: Nano CPUs and CPU Quota cannot both be set');
  const cpus = availableParallelism();
  if (nanoCpus < 0 || nanoCpus > cpus * 1e9) {
    throw invalidArgument(
      `Range of CPUs is from 0.01 to ${cpus}.00, as there are only ${cpus} CPUs available`,
    );
  }
  if (cpuPeriod !== 0 && (cpuPeriod < 1000 || cpuPeriod > 1_000_000)) {
    throw invalidArgument(
      'CPU cfs period can not be less than 1ms (i.e. 1000) or larger than 1s (i.e. 1000000)',
    );
  }
  if (cpuQuota > 0 && cpuQuota < 1000)
    throw invalidArgument('CPU cfs quota can not be less than 1ms (i.e. 1000)');
  if (nanoCpus > 0 && !features.cpuCfs) {
    throw invalidArgument(
      'NanoCPUs can not be set, as your kernel does not support CPU CFS scheduler or the cgroup is not mounted',
    );
  }
  const result: OciCpu = {};
  if (cpuShares > 0) {
    if (features.cpuShares) result.shares = cpuShares;
    else
      discard(
        d,
        'Your kernel does not support CPU shares or the cgroup is not mounted. Shares discarded.',
        'cpuShares',
      );
  }
  if (limits.cpusetCpus || limits.cpusetMems) {
    if (!features.cpuset)
      discard(
        d,
        'Your kernel does not support cpuset or the cgroup is not mounted. Cpuset discarded.',
        'cpusetCpus',
        'cpusetMems',
      );
    else
      Object.assign(
        result,
        limits.cpusetCpus ? { cpus: limits.cpusetCpus } : {},
        limits.cpusetMems ? { mems: limits.cpusetMems } : {},
      );
  }
  if (nanoCpus > 0) {
    result.period = CFS_PERIOD;
    result.quota = Math.floor((nanoCpus * CFS_PERIOD) / 1e9);
  }
  if ((cpuPeriod !== 0 || cpuQuota !== 0) && !features.cpuCfs) {
    discard(
      d,
      'Your kernel does not support CPU CFS scheduler. CPU period/quota discarded.',
      'cpuPeriod',
      'cpuQuota',
    );
    return result;
  }
  if (cpuPeriod !== 0) result.period = cpuPeriod;
  if (cpuQuota !== 0) result.quota = cpuQuota;
  return result;
}
