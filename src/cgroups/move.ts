import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { CgroupLayout } from './layout.js';

/**
 * Moves process `pid` into cgroup `path` (creating it) in every hierarchy
 * but cpuset, whose new cgroups start without CPUs and would refuse it.
 * Used to take each conmon out of the daemon's cgroup: a service manager
 * that stops everything in the daemon's cgroup then spares the monitors
 * (systemd tracks services in the name=systemd hierarchy on v1 and in the
 * unified one on hybrid and v2 hosts).
 */
export async function moveProcessToCgroup(layout: CgroupLayout, path: string, pid: number): Promise<void> {
  const hierarchies =
    layout.version === 2
      ? layout.hierarchies.filter((h) => h.version === 2).slice(0, 1)
      : layout.hierarchies.filter((h) => !h.controllers.includes('cpuset'));
  for (const hierarchy of hierarchies) {
    const dir = join(hierarchy.mountPoint, path);
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'cgroup.procs'), String(pid));
  }
}
