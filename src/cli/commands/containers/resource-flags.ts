/** The cgroup limit flags `run`, `create` and `update` share (docker's opts.go and update.go). */
import type { Command } from 'commander';
import { bytes, int, nanoCpus } from './flag-values.js';

export interface ResourceFlagOptions {
  memory?: number;
  memorySwap?: number;
  memoryReservation?: number;
  kernelMemory?: number;
  cpus?: number;
  cpuShares?: number;
  cpuPeriod?: number;
  cpuQuota?: number;
  cpuRtPeriod?: number;
  cpuRtRuntime?: number;
  cpusetCpus?: string;
  cpusetMems?: string;
  pidsLimit?: number;
  blkioWeight?: number;
}

export function declareResourceFlags(cmd: Command): void {
  cmd
    .option('-m, --memory <bytes>', 'Memory limit', bytes)
    .option(
      '--memory-swap <bytes>',
      "Swap limit equal to memory plus swap: '-1' to enable unlimited swap",
      bytes,
    )
    .option('--memory-reservation <bytes>', 'Memory soft limit', bytes)
    .option('--kernel-memory <bytes>', 'Kernel memory limit', bytes)
    .option('--cpus <decimal>', 'Number of CPUs', nanoCpus)
    .option('-c, --cpu-shares <int>', 'CPU shares (relative weight)', int)
    .option('--cpu-period <int>', 'Limit CPU CFS (Completely Fair Scheduler) period', int)
    .option('--cpu-quota <int>', 'Limit CPU CFS (Completely Fair Scheduler) quota', int)
    .option('--cpu-rt-period <int>', 'Limit CPU real-time period in microseconds', int)
    .option('--cpu-rt-runtime <int>', 'Limit CPU real-time runtime in microseconds', int)
    .option('--cpuset-cpus <string>', 'CPUs in which to allow execution (0-3, 0,1)')
    .option('--cpuset-mems <string>', 'MEMs in which to allow execution (0-3, 0,1)')
    .option('--pids-limit <int>', 'Tune container pids limit (set -1 for unlimited)', int)
    .option(
      '--blkio-weight <uint16>',
      'Block IO (relative weight), between 10 and 1000, or 0 to disable',
      int,
    );
}

/** The HostConfig fields of the flags given (undefined for the others). */
export function resourceFields(o: ResourceFlagOptions): Record<string, number | string | undefined> {
  return {
    Memory: o.memory,
    MemorySwap: o.memorySwap,
    MemoryReservation: o.memoryReservation,
    KernelMemory: o.kernelMemory,
    NanoCpus: o.cpus,
    CpuShares: o.cpuShares,
    CpuPeriod: o.cpuPeriod,
    CpuQuota: o.cpuQuota,
    CpuRealtimePeriod: o.cpuRtPeriod,
    CpuRealtimeRuntime: o.cpuRtRuntime,
    CpusetCpus: o.cpusetCpus,
    CpusetMems: o.cpusetMems,
    PidsLimit: o.pidsLimit,
    BlkioWeight: o.blkioWeight,
  };
}
