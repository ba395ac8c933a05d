import { readFile } from 'node:fs/promises';
import { availableParallelism, totalmem } from 'node:os';
import type { CgroupStats } from '../cgroups/stats.js';
import type { Runtime } from '../runtime/runtime.js';
import type { ContainerRecord } from './record.js';
import { ZERO_TIME } from './record.js';

/** USER_HZ: /proc/stat counts in these ticks. */
const CLOCK_TICKS = 100;

/** One sample of a container's counters with the host's CPU time at that moment. */
export interface StatsSample {
  read: string;
  cgroup: CgroupStats;
  /** Host CPU time in nanoseconds (all CPUs), Docker's system_cpu_usage. */
  systemCpu: number;
  networks?: Record<string, NetworkCounters>;
}

export interface NetworkCounters {
  rx_bytes: number;
  rx_packets: number;
  rx_errors: number;
  rx_dropped: number;
  tx_bytes: number;
  tx_packets: number;
  tx_errors: number;
  tx_dropped: number;
}

/** Reads one sample of a running container's counters. */
export async function sampleStats(runtime: Runtime, record: ContainerRecord): Promise<StatsSample> {
  const [cgroup, systemCpu, networks] = await Promise.all([
    runtime.stats(record.Id, record.State.Pid),
    systemCpuUsage(),
    networkCounters(record.State.Pid),
  ]);
  return { read: new Date().toISOString(), cgroup, systemCpu, ...(networks ? { networks } : {}) };
}

/** Host CPU time as dockerd's getSystemCPUUsage reads it: the first "cpu" line of /proc/stat. */
export async function systemCpuUsage(): Promise<number> {
  const text = await readFile('/proc/stat', 'utf8');
  const line = text.split('\n').find((l) => l.startsWith('cpu '));
  const ticks = (line ?? '')
    .split(/\s+/)
    .slice(1, 8)
    .reduce((sum, v) => sum + Number(v || 0), 0);
  return (ticks * 1e9) / CLOCK_TICKS;
}

/**
 * The container's interfaces from its network namespace (/proc/PID/net/dev),
 * loopback left out as dockerd's sandbox statistics do; undefined when only
 * loopback exists.
 */
export async function networkCounters(pid: number): Promise<Record<string, NetworkCounters> | undefined> {
  const text = await readFile(`/proc/${pid}/net/dev`, 'utf8').catch(() => '');
  const result: Record<string, NetworkCounters> = {};
  for (const line of text.split('\n').slice(2)) {
    const [name, rest] = line.split(':');
    const iface = name?.trim();
    if (!iface || rest === undefined || iface === 'lo') continue;
    const v = rest.trim().split(/\s+/).map(Number);
    result[iface] = {
      rx_bytes: v[0] ?? 0,
      rx_packets: v[1] ?? 0,
      rx_errors: v[2] ?? 0,
      rx_dropped: v[3] ?? 0,
      tx_bytes: v[8] ?? 0,
      tx_packets: v[9] ?? 0,
      tx_errors: v[10] ?? 0,
      tx_dropped: v[11] ?? 0,
    };
  }
  return Object.keys(result).length > 0 ? result : undefined;
}

/** Docker's cpu_stats object. */
function cpuStats(sample: StatsSample | undefined, v2: boolean) {
  const cpu = sample?.cgroup.cpu;
  const perCpu = cpu?.perCpuUsage?.length ? cpu.perCpuUsage : undefined;
  return {
    cpu_usage: {
      total_usage: cpu?.totalUsage ?? 0,
      ...(perCpu && !v2 ? { percpu_usage: perCpu } : {}),
      usage_in_kernelmode: cpu?.systemUsage ?? 0,
      usage_in_usermode: cpu?.userUsage ?? 0,
    },
    ...(sample
      ? { system_cpu_usage: sample.systemCpu, online_cpus: perCpu?.length ?? availableParallelism() }
      : {}),
    throttling_data: {
      periods: cpu?.periods ?? 0,
      throttled_periods: cpu?.throttledPeriods ?? 0,
      throttled_time: cpu?.throttledTime ?? 0,
    },
  };
}

function deviceNumbers(device: string): { major: number; minor: number } {
  const [major, minor] = device.split(':').map(Number);
  return { major: major ?? 0, minor: minor ?? 0 };
}

/**
 * GET /containers/{id}/stats's document (API types.StatsJSON) from the
 * current sample and the one before it (precpu_stats; zeros when none).
 * Without a limit the memory limit is the host's memory, as dockerd reports.
 */
export function statsDocument(
  record: ContainerRecord,
  current: StatsSample | undefined,
  previous: StatsSample | undefined,
  cgroupVersion: 1 | 2,
): Record<string, unknown> {
  const v2 = cgroupVersion === 2;
  const mem = current?.cgroup.memory;
  const host = totalmem();
  const limit = mem?.limit === undefined || mem.limit > host ? host : mem.limit;
  const blkio = (current?.cgroup.blkio ?? []).map((e) => ({
    ...deviceNumbers(e.device),
    op: v2 ? e.op.toLowerCase() : e.op,
    value: e.value,
  }));
  return {
    read: current?.read ?? ZERO_TIME,
    preread: previous?.read ?? ZERO_TIME,
    pids_stats: current
      ? {
          current: current.cgroup.pids.current ?? 0,
          ...(current.cgroup.pids.limit ? { limit: current.cgroup.pids.limit } : {}),
        }
      : {},
    // cgroup v1 fills every list (empty when the kernel counts nothing); v2 has only the bytes.
    blkio_stats: {
      io_service_bytes_recursive: current ? blkio : null,
      ...Object.fromEntries(
        [
          'io_serviced_recursive',
          'io_queue_recursive',
          'io_service_time_recursive',
          'io_wait_time_recursive',
          'io_merged_recursive',
          'io_time_recursive',
          'sectors_recursive',
        ].map((key) => [key, current && !v2 ? [] : null]),
      ),
    },
    num_procs: 0,
    storage_stats: {},
    cpu_stats: cpuStats(current, v2),
    precpu_stats: cpuStats(previous, v2),
    memory_stats: current
      ? {
          usage: mem?.usage ?? 0,
          ...(!v2 && mem?.maxUsage !== undefined ? { max_usage: mem.maxUsage } : {}),
          stats: mem?.stat ?? {},
          ...(!v2 && mem?.failcnt !== undefined ? { failcnt: mem.failcnt } : {}),
          limit,
        }
      : {},
    name: `/${record.Name}`,
    id: record.Id,
    ...(current?.networks ? { networks: current.networks } : {}),
  };
}
