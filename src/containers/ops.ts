import { detectCgroupLayout } from '../cgroups/layout.js';
import { cgroupProcesses } from '../cgroups/procs.js';
import { conflict, invalidArgument } from '../core/errors.js';
import { isRuntimeUpdater } from '../runtime/runtime.js';
import { type HostConfigBody, resourcesOf } from './create-request.js';
import { listContainers } from './list.js';
import { normalizeName } from './names.js';
import type { ContainerRecord } from './record.js';
import { checkRestartPolicy } from './restart-policy.js';
import type { ContainerService } from './service.js';
import { chooseResources } from './spec/resources.js';
import { containerTop, type ProcessList } from './top.js';

/** The HostConfig fields `docker update` may change (API ContainerUpdateConfig). */
const UPDATABLE = [
  'CpuShares',
  'Memory',
  'NanoCpus',
  'CgroupParent',
  'BlkioWeight',
  'CpuPeriod',
  'CpuQuota',
  'CpuRealtimePeriod',
  'CpuRealtimeRuntime',
  'CpusetCpus',
  'CpusetMems',
  'MemoryReservation',
  'MemorySwap',
  'MemorySwappiness',
  'KernelMemory',
  'OomKillDisable',
  'PidsLimit',
];

/**
 * The container operations past the lifecycle: pause and unpause (the
 * runtime's freezer), top, rename, update (cgroup limits through the
 * runtime, the restart policy) and prune. Each keeps dockerd's messages
 * and events.
 */
export class ContainerOps {
  constructor(private readonly service: ContainerService) {}

  private running(ref: string): ContainerRecord {
    const record = this.service.store.get(ref);
    if (record.State.Restarting)
      throw conflict(`Container ${record.Id} is restarting, wait until the container is running`);
    if (!record.State.Running) throw conflict(`Container ${record.Id} is not running`);
    return record;
  }

  /** `forCommit` marks the pause as commit's own, saved before the freeze so a crash cannot strand it. */
  async pause(ref: string, options: { forCommit?: boolean } = {}): Promise<void> {
    const record = this.running(ref);
    if (record.State.Paused) throw conflict(`Container ${record.Id} is already paused`);
    if (options.forCommit) {
      record.PausedForCommit = true;
      await this.service.store.save(record);
    }
    await this.service.runtimeOf(record).pause(record.Id);
    Object.assign(record.State, { Paused: true, Status: 'paused' });
    await this.service.store.save(record);
    this.service.event(record, 'pause');
  }

  async unpause(ref: string): Promise<void> {
    const record = this.service.store.get(ref);
    if (!record.State.Paused) throw conflict(`Container ${record.Id} is not paused`);
    await this.service.runtimeOf(record).resume(record.Id);
    Object.assign(record.State, { Paused: false, Status: 'running' });
    delete record.PausedForCommit;
    await this.service.store.save(record);
    this.service.event(record, 'unpause');
  }

  /** The container's processes as the host's `ps` shows them. */
  async top(ref: string, psArgs?: string): Promise<ProcessList> {
    const record = this.running(ref);
    const pids = await cgroupProcesses(await detectCgroupLayout(), record.State.Pid);
    return containerTop(pids, psArgs);
  }

  async rename(ref: string, newName: string): Promise<void> {
    const record = this.service.store.get(ref);
    const wanted = newName.replace(/^\//, '');
    if (wanted === '' || record.Name === '') throw invalidArgument('Neither old nor new names may be empty');
    const name = normalizeName(wanted);
    if (name === record.Name)
      throw invalidArgument('Renaming a container with the same name as its current name');
    const oldName = record.Name;
    await this.service.store.rename(record, name);
    this.service.event(record, 'rename', { oldName: `/${oldName}` });
  }

  /**
   * `docker update`: new limits in HostConfig, applied at once to a running
   * container; a new restart policy. Returns dockerd's warnings.
   */
  async update(ref: string, body: Record<string, unknown>): Promise<{ Warnings: string[] }> {
    const record = this.service.store.get(ref);
    const host = record.HostConfig as HostConfigBody;
    const next: HostConfigBody = { ...host };
    for (const key of UPDATABLE) {
      const value = body[key];
      if (value !== undefined && value !== null && value !== 0 && value !== '') next[key] = value;
    }
    if (body.RestartPolicy && (body.RestartPolicy as { Name?: string }).Name) {
      if (host.AutoRemove)
        throw invalidArgument(
          'Restart policy cannot be updated because AutoRemove is enabled for the container',
        );
      next.RestartPolicy = checkRestartPolicy(body.RestartPolicy, false);
    }
    if (
      next.Memory &&
      host.MemorySwap &&
      host.MemorySwap > 0 &&
      !body.MemorySwap &&
      next.Memory > host.MemorySwap
    )
      throw invalidArgument(
        'Memory limit should be smaller than already set memoryswap limit, update the memoryswap at the same time',
      );
    const choice = chooseResources(resourcesOf(next), this.service.deps.specHost.cgroupFeatures);
    if (record.State.Running && !record.State.Restarting) {
      const runtime = this.service.runtimeOf(record);
      if (!isRuntimeUpdater(runtime))
        throw invalidArgument(`runtime ${runtime.name} cannot update a running container`);
      await runtime.update(record.Id, choice.resources as Record<string, unknown>).catch((err: unknown) => {
        throw invalidArgument(`Cannot update container ${record.Id}: ${(err as Error).message}`, err);
      });
    }
    record.HostConfig = next;
    await this.service.store.save(record);
    this.service.event(record, 'update');
    return { Warnings: choice.warnings };
  }

  /** POST /containers/prune: removes stopped containers (filters `until`, `label`, `label!`). */
  async prune(
    filters: Record<string, string[]>,
  ): Promise<{ ContainersDeleted: string[] | null; SpaceReclaimed: number }> {
    for (const key of Object.keys(filters)) {
      if (!['until', 'label', 'label!'].includes(key)) throw invalidArgument(`Invalid filter '${key}'`);
    }
    const until = filters.until?.length ? untilTime(filters.until[0]!) : undefined;
    const candidates = (await listContainers(this.service, { all: true, size: true })) as {
      Id: string;
      State: string;
      Created: number;
      Labels: Record<string, string>;
      SizeRw?: number;
    }[];
    const deleted: string[] = [];
    let reclaimed = 0;
    for (const c of candidates) {
      if (c.State !== 'exited' && c.State !== 'created' && c.State !== 'dead') continue;
      if (until !== undefined && c.Created * 1000 >= until) continue;
      if (!(filters.label ?? []).every((l) => labelHas(c.Labels, l))) continue;
      if ((filters['label!'] ?? []).some((l) => labelHas(c.Labels, l))) continue;
      try {
        await this.service.remove(c.Id);
        deleted.push(c.Id);
        reclaimed += c.SizeRw ?? 0;
      } catch {
        // started or removed meanwhile: not ours to prune
      }
    }
    this.service.deps.events.publish({
      type: 'container',
      action: 'prune',
      id: '',
      attributes: { reclaimed: String(reclaimed) },
    });
    return { ContainersDeleted: deleted.length > 0 ? deleted : null, SpaceReclaimed: reclaimed };
  }
}

function labelHas(labels: Record<string, string>, filter: string): boolean {
  const [key, value] = filter.split('=', 2) as [string, string | undefined];
  return value === undefined ? key in labels : labels[key] === value;
}

/** `until`: a Unix time, an RFC 3339 date, or a Go duration before now ("10m", "1h30m"). */
export function untilTime(value: string): number {
  if (/^\d+(\.\d+)?$/.test(value)) return Number(value) * 1000;
  const units: Record<string, number> = { ns: 1e-6, us: 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
  const parts = [...value.matchAll(/(\d+(?:\.\d+)?)(ns|us|ms|s|m|h)/g)];
  if (parts.length > 0 && parts.map((p) => p[0]).join('') === value) {
    return Date.now() - parts.reduce((sum, p) => sum + Number(p[1]) * units[p[2]!]!, 0);
  }
  const date = Date.parse(value);
  if (Number.isNaN(date)) throw invalidArgument(`failed to parse value as time or duration: "${value}"`);
  return date;
}
