/** `berth update` (cli/command/container/update.go). */
import { escapePath } from '../../client.js';
import type { CommandSpec } from '../../command-spec.js';
import { StatusError } from '../../errors.js';
import { forEachContainer } from './each.js';
import { bytes, int, nanoCpus } from './flag-values.js';
import { parseRestartPolicy } from './restart-flag.js';

interface UpdateOptions {
  blkioWeight?: number;
  cpuPeriod?: number;
  cpuQuota?: number;
  cpuRtPeriod?: number;
  cpuRtRuntime?: number;
  cpuShares?: number;
  cpus?: number;
  cpusetCpus?: string;
  cpusetMems?: string;
  memory?: number;
  memoryReservation?: number;
  memorySwap?: number;
  kernelMemory?: number;
  restart?: string;
  pidsLimit?: number;
}

function updateBody(o: UpdateOptions): Record<string, unknown> {
  const body: Record<string, unknown> = {
    BlkioWeight: o.blkioWeight,
    CpuPeriod: o.cpuPeriod,
    CpuQuota: o.cpuQuota,
    CpuRealtimePeriod: o.cpuRtPeriod,
    CpuRealtimeRuntime: o.cpuRtRuntime,
    CpuShares: o.cpuShares,
    NanoCpus: o.cpus,
    CpusetCpus: o.cpusetCpus,
    CpusetMems: o.cpusetMems,
    Memory: o.memory,
    MemoryReservation: o.memoryReservation,
    MemorySwap: o.memorySwap,
    KernelMemory: o.kernelMemory,
    PidsLimit: o.pidsLimit,
    RestartPolicy: o.restart !== undefined ? parseRestartPolicy(o.restart) : undefined,
  };
  return Object.fromEntries(Object.entries(body).filter(([, v]) => v !== undefined));
}

export const updateSpec: CommandSpec<UpdateOptions> = {
  name: 'update',
  usage: '[OPTIONS] CONTAINER [CONTAINER...]',
  description: 'Update configuration of one or more containers',
  args: { min: 1 },
  options: (cmd) => {
    cmd
      .option(
        '--blkio-weight <uint16>',
        'Block IO (relative weight), between 10 and 1000, or 0 to disable (default 0)',
        int,
      )
      .option('--cpu-period <int>', 'Limit CPU CFS (Completely Fair Scheduler) period', int)
      .option('--cpu-quota <int>', 'Limit CPU CFS (Completely Fair Scheduler) quota', int)
      .option('--cpu-rt-period <int>', 'Limit the CPU real-time period in microseconds', int)
      .option('--cpu-rt-runtime <int>', 'Limit the CPU real-time runtime in microseconds', int)
      .option('-c, --cpu-shares <int>', 'CPU shares (relative weight)', int)
      .option('--cpus <decimal>', 'Number of CPUs', nanoCpus)
      .option('--cpuset-cpus <string>', 'CPUs in which to allow execution (0-3, 0,1)')
      .option('--cpuset-mems <string>', 'MEMs in which to allow execution (0-3, 0,1)')
      .option('-m, --memory <bytes>', 'Memory limit', bytes)
      .option('--memory-reservation <bytes>', 'Memory soft limit', bytes)
      .option(
        '--memory-swap <bytes>',
        'Swap limit equal to memory plus swap: -1 to enable unlimited swap',
        bytes,
      )
      .option('--kernel-memory <bytes>', 'Kernel memory limit (deprecated)', bytes)
      .option('--restart <string>', 'Restart policy to apply when a container exits')
      .option('--pids-limit <int>', 'Tune container pids limit (set -1 for unlimited)', int);
  },
  run: (ctx, names, o) => {
    const body = updateBody(o);
    if (Object.keys(body).length === 0)
      throw new StatusError('you must provide one or more flags when using this command', 1);
    return forEachContainer(ctx, names, async (name) => {
      await ctx.client().json('POST', `/containers/${escapePath(name)}/update`, { body });
    });
  },
};
