/** `berth update` (cli/command/container/update.go). */
import { parseRamSize } from '../../../core/units.js';
import { escapePath } from '../../client.js';
import type { CommandSpec } from '../../command-spec.js';
import { StatusError } from '../../errors.js';
import { forEachContainer } from './each.js';
import { parseRestartPolicy } from './restart-flag.js';

interface UpdateOptions {
  blkioWeight?: string;
  cpuPeriod?: string;
  cpuQuota?: string;
  cpuRtPeriod?: string;
  cpuRtRuntime?: string;
  cpuShares?: string;
  cpus?: string;
  cpusetCpus?: string;
  cpusetMems?: string;
  memory?: string;
  memoryReservation?: string;
  memorySwap?: string;
  kernelMemory?: string;
  restart?: string;
  pidsLimit?: string;
}

const int = (value: string | undefined, flag: string): number | undefined => {
  if (value === undefined) return undefined;
  if (!/^-?\d+$/.test(value))
    throw new StatusError(
      `invalid argument "${value}" for "${flag}" flag: strconv.ParseInt: parsing "${value}": invalid syntax`,
      125,
    );
  return Number(value);
};

const bytes = (value: string | undefined, flag: string): number | undefined => {
  if (value === undefined) return undefined;
  if (value === '-1' && flag === '--memory-swap') return -1;
  try {
    return parseRamSize(value);
  } catch (err) {
    throw new StatusError(`invalid argument "${value}" for "${flag}" flag: ${(err as Error).message}`, 125);
  }
};

/** --cpus as billionths of a CPU (docker's NanoCPUs flag type). */
const nanoCpus = (value: string | undefined): number | undefined => {
  if (value === undefined) return undefined;
  const cpus = Number(value);
  if (!Number.isFinite(cpus))
    throw new StatusError(
      `invalid argument "${value}" for "--cpus" flag: failed to parse ${value} as a rational number`,
      125,
    );
  return Math.round(cpus * 1e9);
};

function updateBody(o: UpdateOptions): Record<string, unknown> {
  const body: Record<string, unknown> = {
    BlkioWeight: int(o.blkioWeight, '--blkio-weight'),
    CpuPeriod: int(o.cpuPeriod, '--cpu-period'),
    CpuQuota: int(o.cpuQuota, '--cpu-quota'),
    CpuRealtimePeriod: int(o.cpuRtPeriod, '--cpu-rt-period'),
    CpuRealtimeRuntime: int(o.cpuRtRuntime, '--cpu-rt-runtime'),
    CpuShares: int(o.cpuShares, '--cpu-shares'),
    NanoCpus: nanoCpus(o.cpus),
    CpusetCpus: o.cpusetCpus,
    CpusetMems: o.cpusetMems,
    Memory: bytes(o.memory, '--memory'),
    MemoryReservation: bytes(o.memoryReservation, '--memory-reservation'),
    MemorySwap: bytes(o.memorySwap, '--memory-swap'),
    KernelMemory: bytes(o.kernelMemory, '--kernel-memory'),
    PidsLimit: int(o.pidsLimit, '--pids-limit'),
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
      )
      .option('--cpu-period <int>', 'Limit CPU CFS (Completely Fair Scheduler) period')
      .option('--cpu-quota <int>', 'Limit CPU CFS (Completely Fair Scheduler) quota')
      .option('--cpu-rt-period <int>', 'Limit the CPU real-time period in microseconds')
      .option('--cpu-rt-runtime <int>', 'Limit the CPU real-time runtime in microseconds')
      .option('-c, --cpu-shares <int>', 'CPU shares (relative weight)')
      .option('--cpus <decimal>', 'Number of CPUs')
      .option('--cpuset-cpus <string>', 'CPUs in which to allow execution (0-3, 0,1)')
      .option('--cpuset-mems <string>', 'MEMs in which to allow execution (0-3, 0,1)')
      .option('-m, --memory <bytes>', 'Memory limit')
      .option('--memory-reservation <bytes>', 'Memory soft limit')
      .option('--memory-swap <bytes>', 'Swap limit equal to memory plus swap: -1 to enable unlimited swap')
      .option('--kernel-memory <bytes>', 'Kernel memory limit (deprecated)')
      .option('--restart <string>', 'Restart policy to apply when a container exits')
      .option('--pids-limit <int>', 'Tune container pids limit (set -1 for unlimited)');
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
