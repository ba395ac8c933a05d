import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { notFound } from '../core/errors.js';
import type { CgroupLayout } from './layout.js';

/**
 * A cgroup's counters, as Docker's stats need them. Absent values are ones
 * this host's cgroups do not report. Bytes and nanoseconds throughout.
 */
export interface CgroupStats {
  memory: {
    usage?: number;
    maxUsage?: number;
    limit?: number;
    failcnt?: number;
    stat: Record<string, number>;
  };
  cpu: {
    totalUsage?: number;
    perCpuUsage?: number[];
    userUsage?: number;
    systemUsage?: number;
    periods?: number;
    throttledPeriods?: number;
    throttledTime?: number;
  };
  pids: { current?: number; limit?: number };
  /** Bytes read and written per device, "major:minor" → counts. */
  blkio: { device: string; op: string; value: number }[];
}

/** Clock ticks per second for cpuacct.stat (USER_HZ, 100 on every Linux ABI that matters). */
const USER_HZ = 100;

const read = (path: string | undefined): Promise<string | undefined> =>
  path === undefined ? Promise.resolve(undefined) : readFile(path, 'utf8').catch(() => undefined);

const num = (text: string | undefined): number | undefined => {
  const value = text?.trim();
  if (value === undefined || value === '' || value === 'max') return undefined;
  const n = Number(value);
  return Number.isFinite(n) ? n : undefined;
};

/** "key value" lines into a record. */
function keyValues(text: string | undefined): Record<string, number> {
  const result: Record<string, number> = {};
  for (const line of (text ?? '').split('\n')) {
    const [key, value] = line.trim().split(/\s+/);
    if (key && value !== undefined && Number.isFinite(Number(value))) result[key] = Number(value);
  }
  return result;
}

/** The cgroup paths of process `pid`: controller → path (v2: key ""). */
async function cgroupPaths(pid: number): Promise<Map<string, string>> {
  const text = await readFile(`/proc/${pid}/cgroup`, 'utf8').catch(() => {
    throw notFound(`process ${pid} is gone`);
  });
  const paths = new Map<string, string>();
  for (const line of text.split('\n')) {
    const [, controllers, path] = /^\d+:([^:]*):(.*)$/.exec(line) ?? [];
    if (path === undefined) continue;
    for (const controller of (controllers ?? '').split(',')) paths.set(controller, path);
  }
  return paths;
}

/**
 * Reads the counters of the cgroups process `pid` (a container's init) belongs to.
 * With `containerId`, a PID whose cgroups do not name that container (it exited and
 * the PID was reused) is refused rather than read.
 */
export async function readCgroupStats(
  layout: CgroupLayout,
  pid: number,
  containerId?: string,
): Promise<CgroupStats> {
  const paths = await cgroupPaths(pid);
  if (containerId && ![...paths.values()].some((path) => path.includes(containerId)))
    throw notFound(`process ${pid} is not in the cgroup of container ${containerId}`);
  return layout.version === 2 ? readV2(layout, paths.get('') ?? '/') : readV1(layout, paths);
}

async function readV1(layout: CgroupLayout, paths: Map<string, string>): Promise<CgroupStats> {
  const dir = (controller: string) => {
    const hierarchy = layout.hierarchies.find((h) => h.version === 1 && h.controllers.includes(controller));
    const path = paths.get(controller);
    return hierarchy && path !== undefined ? join(hierarchy.mountPoint, path) : undefined;
  };
  const file = (controller: string, name: string) => {
    const base = dir(controller);
    return base && join(base, name);
  };
  const [
    usage,
    maxUsage,
    limit,
    failcnt,
    memStat,
    cpuUsage,
    perCpu,
    cpuacctStat,
    cpuStat,
    pidsCurrent,
    pidsMax,
    io,
  ] = await Promise.all([
    read(file('memory', 'memory.usage_in_bytes')),
    read(file('memory', 'memory.max_usage_in_bytes')),
    read(file('memory', 'memory.limit_in_bytes')),
    read(file('memory', 'memory.failcnt')),
    read(file('memory', 'memory.stat')),
    read(file('cpuacct', 'cpuacct.usage')),
    read(file('cpuacct', 'cpuacct.usage_percpu')),
    read(file('cpuacct', 'cpuacct.stat')),
    read(file('cpu', 'cpu.stat')),
    read(file('pids', 'pids.current')),
    read(file('pids', 'pids.max')),
    read(file('blkio', 'blkio.throttle.io_service_bytes_recursive')),
  ]);
  const ticks = keyValues(cpuacctStat);
  const throttling = keyValues(cpuStat);
  const tickNs = 1e9 / USER_HZ;
  return {
    memory: {
      usage: num(usage),
      maxUsage: num(maxUsage),
      limit: num(limit),
      failcnt: num(failcnt),
      stat: keyValues(memStat),
    },
    cpu: {
      totalUsage: num(cpuUsage),
      perCpuUsage: perCpu?.trim().split(/\s+/).filter(Boolean).map(Number),
      userUsage: ticks['user'] !== undefined ? ticks['user'] * tickNs : undefined,
      systemUsage: ticks['system'] !== undefined ? ticks['system'] * tickNs : undefined,
      periods: throttling['nr_periods'],
      throttledPeriods: throttling['nr_throttled'],
      throttledTime: throttling['throttled_time'],
    },
    pids: { current: num(pidsCurrent), limit: num(pidsMax) },
    blkio: (io ?? '').split('\n').flatMap((line) => {
      const [device, op, value] = line.trim().split(/\s+/);
      return device?.includes(':') && op && value ? [{ device, op, value: Number(value) }] : [];
    }),
  };
}

/** The counters of cgroup `path` on the unified hierarchy (cgroup v2). */
export async function readV2(layout: CgroupLayout, path: string): Promise<CgroupStats> {
  const root = layout.hierarchies.find((h) => h.version === 2)?.mountPoint ?? '/sys/fs/cgroup';
  const file = (name: string) => join(root, path, name);
  const [current, peak, max, memStat, cpuStat, pidsCurrent, pidsMax, io] = await Promise.all(
    [
      'memory.current',
      'memory.peak',
      'memory.max',
      'memory.stat',
      'cpu.stat',
      'pids.current',
      'pids.max',
      'io.stat',
    ].map((name) => read(file(name))),
  );
  const cpu = keyValues(cpuStat);
  const micro = (key: string) => (cpu[key] !== undefined ? cpu[key] * 1000 : undefined);
  return {
    memory: { usage: num(current), maxUsage: num(peak), limit: num(max), stat: keyValues(memStat) },
    cpu: {
      totalUsage: micro('usage_usec'),
      userUsage: micro('user_usec'),
      systemUsage: micro('system_usec'),
      periods: cpu['nr_periods'],
      throttledPeriods: cpu['nr_throttled'],
      throttledTime: micro('throttled_usec'),
    },
    pids: { current: num(pidsCurrent), limit: num(pidsMax) },
    blkio: (io ?? '').split('\n').flatMap((line) => {
      const [device, ...pairs] = line.trim().split(/\s+/);
      return device?.includes(':')
        ? pairs.flatMap((pair) => {
            const [op, value] = pair.split('=');
            return op === 'rbytes' || op === 'wbytes'
              ? [{ device, op: op === 'rbytes' ? 'Read' : 'Write', value: Number(value) }]
              : [];
          })
        : [];
    }),
  };
}
